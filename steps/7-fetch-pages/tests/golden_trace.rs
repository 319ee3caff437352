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

// Why: one page: the loopback connect is done at once and the request goes out, the task
// parks on its socket, the connect's "writable" edge wakes nobody (nobody waits to write),
// epoll_wait sleeps (bounded by the fetch's 5 s timer), the answer wakes the reader, the
// socket deregisters.
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
tick 1: run_ready_tasks
spawn task 1
  poll task 1
    `-> Pending: waits for a task to finish
tick 2: run_ready_tasks
spawn task 2
  poll task 2
    | register fd # (token 0x0)
    | fd # WouldBlock: wait until readable
    | add timer 0x0
    `-> Pending: waits for fd # readable, timer 0x0
tick 2: wait_for_io
epoll_wait(timeout #.# ms)
epoll_wait returned 1 event(s)
tick 2: dispatch_io_events
  fd # writable
tick 3: wait_for_io
epoll_wait(timeout #.# ms)
epoll_wait returned 1 event(s)
tick 3: dispatch_io_events
  fd # readable+writable
    wake task 2 (by fd # readable)
tick 4: run_ready_tasks
  poll task 2
    | deregister fd # (token 0x0)
    | drop timer 0x0
    | wake task 1 (by task 2)
    `-> Ready
done task 2 (Completed)
tick 4: wait_for_io
epoll_wait(timeout #.# ms)
epoll_wait returned 0 event(s)
tick 5: run_ready_tasks
  poll task 1
    `-> Ready
done task 1 (Completed)";
    assert_eq!(masked.join("\n"), expected);
    let first_wait = lines.iter().find(|l| l.starts_with("epoll_wait(")).unwrap();
    assert!(
        first_wait.starts_with("epoll_wait(timeout 50"),
        "the fetch timeout bounds it: {first_wait}"
    );
}
