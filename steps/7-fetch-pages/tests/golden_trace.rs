//! The golden trace of one traced fetch from the demo server (one test: the capture is per
//! process). File descriptors and timeouts are compared without their digits.

mod traces;

// Why: one page: the connect (done at once, or still in progress: see `traces`), the task
// parked on its socket, epoll_wait sleeping (bounded by the fetch's 5 s timer), the answer
// waking the reader, the socket deregistering. Whichever way the connect went, the whole
// trace must be exactly that way's.
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
    let masked: Vec<String> = lines.iter().map(|l| traces::mask(l)).collect();
    let connect_waited = masked.iter().any(|l| l.ends_with("WouldBlock: wait until writable"));
    let expected =
        if connect_waited { traces::CONNECT_IN_PROGRESS } else { traces::CONNECTED_AT_ONCE };
    assert_eq!(masked.join("\n"), expected);
    traces::assert_first_wait_is_bounded_by_the_fetch_timeout(&lines);
}
