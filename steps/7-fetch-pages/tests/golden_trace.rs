//! The golden trace of one traced fetch (one test: the capture is per process). File
//! descriptors and timeouts are compared without their digits.

fn mask(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find(|c: char| c.is_ascii_digit()) {
        let keep = line.starts_with("epoll_wait(timeout") || rest[..at].ends_with("fd ");
        out.push_str(&rest[..at]);
        let end = rest[at..].find(|c: char| !c.is_ascii_digit()).map_or(rest.len(), |e| at + e);
        out.push_str(if keep { "#" } else { &rest[at..end] });
        rest = &rest[end..];
    }
    out + rest
}

// Why: one page: the request goes out, the task parks on its socket, epoll_wait sleeps
// (bounded by the fetch's 5 s timer), the answer wakes the task, the socket deregisters and
// the timeout's timer is cancelled with it.
#[test]
fn golden_trace_of_one_page() {
    use corolab_server::orders::OrderApi;
    use std::time::Duration;
    let api = OrderApi { latency: Duration::from_millis(20), ..OrderApi::default() };
    let server = api.spawn_on_thread("127.0.0.1:0").unwrap();
    let lines = step7_fetch_pages::trace::capture(true, || {
        let totals = step7_fetch_pages::fetch_concurrent(server.local_addr(), 1).unwrap();
        assert_eq!(totals.orders, 100);
    });
    let masked: Vec<String> = lines.iter().map(|l| mask(l)).collect();
    let expected = "\
spawn task 1
  poll task 1 -> Pending
spawn task 2
register fd # (token 0x0)
  fd # WouldBlock: wait until readable
  poll task 2 -> Pending
epoll_wait(timeout #.# ms)
epoll_wait returned 1 event(s)
  fd # readable
  wake task 2 (by fd # readable)
deregister fd # (token 0x0)
  wake task 1 (by task 2)
  poll task 2 -> Ready
done task 2 (Completed)
epoll_wait(timeout #.# ms)
epoll_wait returned 0 event(s)
  poll task 1 -> Ready
done task 1 (Completed)";
    assert_eq!(masked.join("\n"), expected);
    assert!(
        lines[6].starts_with("epoll_wait(timeout 50"),
        "the 5 s fetch timeout bounds the wait: {}",
        lines[6]
    );
}
