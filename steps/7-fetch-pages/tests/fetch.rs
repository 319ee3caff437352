//! Step 7: concurrent fetching beats sequential; bad servers give clear errors, in bounded time.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};
use step7_fetch_pages::{
    Totals, block_on, fetch_concurrent, fetch_sequential, http_get, reactor, with_timeout,
};

// Why: the whole point of the ladder: the same pages, fetched as one task per page, take
// about one latency instead of one latency per page, and every order still arrives once.
#[test]
fn concurrent_fetch_beats_sequential() {
    use corolab_server::orders::OrderApi;
    let api = OrderApi { latency: Duration::from_millis(40), ..OrderApi::default() };
    let expected = Totals { pages: 8, orders: 800, checksum: api.checksum_of_pages(0..8) };
    let server = api.spawn_on_thread("127.0.0.1:0").unwrap();
    let started = Instant::now();
    assert_eq!(fetch_sequential(server.local_addr(), 8).unwrap(), expected);
    let sequential = started.elapsed();
    let started = Instant::now();
    assert_eq!(fetch_concurrent(server.local_addr(), 8).unwrap(), expected);
    let concurrent = started.elapsed();
    assert!(sequential >= Duration::from_millis(320), "{sequential:?}");
    assert!(concurrent * 2 < sequential, "concurrent {concurrent:?} vs sequential {sequential:?}");
}

/// Each test's bound: a client that missed its end of stream fails instead of hanging.
const BOUND: Duration = Duration::from_secs(3);

/// A server that accepts, reads the request, and answers `reply` (or nothing) then closes.
fn one_shot_server(reply: Option<&'static [u8]>) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let _ = conn.read(&mut [0u8; 1024]);
        match reply {
            Some(bytes) => drop(conn.write_all(bytes)),
            None => std::thread::sleep(Duration::from_secs(3)),
        }
    });
    addr
}

// Why: every network wait has a bound: a server that never answers gives TimedOut, and the
// cancelled read leaves no socket registered.
#[test]
fn a_server_that_never_answers_times_out_and_leaves_nothing_registered() {
    let addr = one_shot_server(None);
    let started = Instant::now();
    let (err, still_waiting) = block_on(async move {
        let err = with_timeout(Duration::from_millis(100), http_get(addr, "/")).await.unwrap_err();
        (err, reactor().borrow().has_waiters())
    })
    .unwrap();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(!still_waiting, "the timed-out read is still registered");
}

// Why: a body this tiny client cannot frame is a clear error, not a hang or a silent cut.
#[test]
fn a_response_without_content_length_is_a_clear_error() {
    let addr = one_shot_server(Some(b"HTTP/1.1 200 OK\r\n\r\nhello"));
    let err = block_on(with_timeout(BOUND, http_get(addr, "/"))).unwrap().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("Content-Length"), "{err}");
}

// Why: a connection closed before the body is complete is an error too.
#[test]
fn a_body_cut_short_is_unexpected_eof() {
    let addr = one_shot_server(Some(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello"));
    let err = block_on(with_timeout(BOUND, http_get(addr, "/"))).unwrap().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
}

// Why: the status is passed on (the demo server answers 404 for an unknown path).
#[test]
fn the_status_and_body_come_back() {
    let addr = one_shot_server(Some(b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope"));
    let (status, body) = block_on(with_timeout(BOUND, http_get(addr, "/nope"))).unwrap().unwrap();
    assert_eq!((status, body.as_slice()), (404, &b"nope"[..]));
}

// Why: a connect the kernel refuses is that error at once (from `take_error`), not a wait
// until the timeout and not a panic.
#[test]
fn connecting_to_a_closed_port_is_refused_at_once() {
    let addr = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap(); // closed again
    let started = Instant::now();
    let err = block_on(with_timeout(BOUND, http_get(addr, "/"))).unwrap().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused, "{err}");
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
}
