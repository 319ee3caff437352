//! Checkout from the keep-alive pool (`Pool::checkout` in `src/http/pool.rs`): newest usable
//! connection first, dead ones closed. With two tests of `tests/http_async_pool.rs`, the
//! visible tests of the `pool-checkout` lab (see docs/teaching.md).

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use corolab::http::Client;
use support::server::{ScriptServer, Step, send};

const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

// Why: a POST is never retried (it may not be idempotent), so it must not be sent on a
// pooled connection the server has already closed: checkout has to notice and open a new one.
#[test]
fn a_connection_the_server_closed_while_idle_is_not_used_for_a_post() {
    let server = ScriptServer::start(vec![
        vec![Step::ReadRequest, send(OK), Step::Close],
        vec![Step::ReadRequest, send(OK), Step::WaitForClose],
    ]);
    corolab::block_on(async {
        let client = Client::builder().request_timeout(Duration::from_secs(5)).build();
        client.get(&server.url("/")).await.unwrap();
        corolab::time::sleep(Duration::from_millis(100)).await; // the FIN arrives
        let response = client.request("POST", &server.url("/")).body("once").await;
        assert_eq!(response.expect("a fresh connection for the POST").body(), b"ok");
    });
    assert_eq!((server.accepted(), server.requests()), (2, 2));
}

// Why: the newest idle connection is the one most likely still open on the server's side
// (its idle timer started last), so checkout takes it; the oldest are left to expire.
#[test]
fn checkout_takes_the_newest_idle_connection() {
    let gate = Arc::new(AtomicBool::new(false));
    let server = ScriptServer::start(vec![
        // The first accepted connection answers at once and then only waits for close...
        vec![Step::ReadRequest, send(OK), Step::WaitForClose],
        // ...the second answers once the test opens the gate (so it goes idle last), then
        // serves one more request.
        vec![
            Step::ReadRequest,
            Step::Gate(gate.clone()),
            send(OK),
            Step::ReadRequest,
            send(OK),
            Step::WaitForClose,
        ],
    ]);
    corolab::block_on(async {
        let client = Client::builder().request_timeout(Duration::from_secs(2)).build();
        let (a, b) = (client.clone(), client.clone());
        let (url_a, url_b) = (server.url("/a"), server.url("/b"));
        let first = corolab::spawn(async move { a.get(&url_a).await.map(|r| r.into_body()) });
        let second = corolab::spawn(async move { b.get(&url_b).await.map(|r| r.into_body()) });
        let give_up = Instant::now() + Duration::from_secs(5);
        while client.idle_connections() < 1 {
            assert!(Instant::now() < give_up, "the ungated connection never went idle");
            corolab::time::sleep(Duration::from_millis(1)).await;
        }
        gate.store(true, Ordering::SeqCst);
        assert_eq!(first.await.unwrap().unwrap(), b"ok");
        assert_eq!(second.await.unwrap().unwrap(), b"ok");
        assert_eq!(client.idle_connections(), 2);
        let third = client.get(&server.url("/c")).await;
        assert_eq!(third.expect("served by the newest idle connection").body(), b"ok");
        assert_eq!(
            client.idle_connections(),
            2,
            "the connection went back to the pool"
        );
    });
    assert_eq!((server.accepted(), server.requests()), (2, 3));
}
