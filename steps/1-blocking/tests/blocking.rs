//! Step 1: the blocking baseline fetches every page, and takes pages x latency.

use std::time::{Duration, Instant};
use step1_blocking::{Totals, body_of, fetch_sequential, totals_of};

// Why: the baseline the other steps beat: one request at a time costs at least N x latency.
#[test]
fn sequential_fetch_takes_at_least_pages_times_latency() {
    use corolab_server::orders::OrderApi;
    let api = OrderApi { latency: Duration::from_millis(30), ..OrderApi::default() };
    let expected = api.checksum_of_pages(0..5);
    let server = api.spawn_on_thread("127.0.0.1:0").unwrap();
    let started = Instant::now();
    let totals = fetch_sequential(server.local_addr(), 5).unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150), "{:?}", started.elapsed());
    assert_eq!(totals, Totals { pages: 5, orders: 500, checksum: expected });
}

// Why: a response that is not 200 is a clear error, not an empty page.
#[test]
fn a_non_200_response_is_an_error_naming_the_status() {
    let err = body_of(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n").unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");
    assert!(body_of(b"garbage").is_err());
}

// Why: the checksum is what proves every order arrived exactly once.
#[test]
fn totals_count_orders_and_add_their_amounts() {
    let body =
        r#"{"order_list":[{"order_id":1,"amount_cents":250},{"order_id":2,"amount_cents":1000}]}"#;
    assert_eq!(totals_of(body), Totals { pages: 1, orders: 2, checksum: 1250 });
}
