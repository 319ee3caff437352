//! Which pooled connection may carry the next request (issue 16 items 2 and 3):
//! never one registered with another runtime, never one the kernel already
//! knows is closed, even when the reactor has not looked since.

mod common;
mod support;

use std::time::{Duration, Instant};

use common::with_deadline;
use corolab::http::Client;
use support::server::{ScriptServer, Step, send};

const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
const AGAIN: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nagain";

// Issue 16.2: a Client used in two `block_on` calls on one thread. The first
// runtime's reactor is gone with its `block_on`, so a read on its pooled
// connection would never be woken (the old client waited out `read_timeout`).
// The second request must go out at once on a fresh connection.
#[test]
fn a_client_reused_across_block_on_calls_never_hands_out_a_connection_of_the_old_runtime() {
    let server = ScriptServer::start(vec![vec![Step::ReadRequest, send(OK), Step::WaitForClose]]);
    let url = server.url("/");
    let took = with_deadline(Duration::from_secs(20), move || {
        let client = Client::builder().read_timeout(Duration::from_secs(5)).build();
        let first = corolab::block_on(async { client.get(&url).await }).expect("first block_on");
        assert_eq!(first.body(), b"ok");
        assert_eq!(client.idle_connections(), 1, "the first connection was pooled");
        let started = Instant::now();
        let second = corolab::block_on(async { client.get(&url).await }).expect("second block_on");
        assert_eq!(second.body(), b"ok");
        started.elapsed()
    });
    assert!(took < Duration::from_secs(2), "second request took {took:?}");
    assert_eq!(server.accepted(), 2, "a fresh connection in the second runtime");
}

/// GET, then the thread is busy (no reactor turn) while the server does `ending`
/// on the idle connection, then a POST: it must go out on a fresh connection.
fn post_after_the_server_ended_the_idle_connection_while_we_were_busy(ending: Vec<Step>) {
    let mut first = vec![
        Step::ReadRequest,
        send(OK),
        Step::Sleep(Duration::from_millis(10)),
    ];
    first.extend(ending);
    let server = ScriptServer::start(vec![
        first,
        vec![Step::ReadRequest, send(AGAIN), Step::WaitForClose],
    ]);
    let url = server.url("/");
    let bodies = with_deadline(Duration::from_secs(20), move || {
        corolab::block_on(async move {
            let client = Client::new();
            let first = client.get(&url).await.expect("GET");
            std::thread::sleep(Duration::from_millis(100)); // busy: the reactor does not run
            let second = client
                .request("POST", &url)
                .body("x")
                .await
                .expect("POST on a fresh connection");
            (first.into_body(), second.into_body())
        })
    });
    assert_eq!(bodies, (b"ok".to_vec(), b"again".to_vec()));
    assert_eq!(server.accepted(), 2);
}

// Issue 16.3, FIN: POST is never retried, so only checkout can save it; the
// reactor's readiness is stale, the kernel knows.
#[test]
fn a_post_after_the_server_closed_the_idle_connection_during_a_busy_thread_uses_a_fresh_connection() {
    post_after_the_server_ended_the_idle_connection_while_we_were_busy(vec![Step::Close]);
}

// Issue 16.3, RST: the same with a reset instead of a FIN.
#[test]
fn a_post_after_the_server_reset_the_idle_connection_during_a_busy_thread_uses_a_fresh_connection() {
    post_after_the_server_ended_the_idle_connection_while_we_were_busy(vec![Step::Reset]);
}

// Unsolicited bytes on an idle connection, the connection left open: `recv(MSG_PEEK)`
// returns them (not `WouldBlock`), so the kernel's answer is "not idle", and a request
// written there would read them as its response. Here they even look like one.
#[test]
fn a_post_after_unsolicited_bytes_on_the_idle_connection_during_a_busy_thread_uses_a_fresh_connection() {
    let stale = send(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale");
    post_after_the_server_ended_the_idle_connection_while_we_were_busy(vec![stale, Step::WaitForClose]);
}

// A server refusing an upload answers early and resets. The answer is returned (issue
// 16.13), but the connection our write saw reset must not go back to the pool, however
// complete and keep-alive the answer's framing looks. (64 MiB: more than the two socket
// buffers hold, so the write does see the reset.)
#[test]
fn a_connection_whose_upload_was_reset_is_not_pooled_after_its_early_answer() {
    let too_big = b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 7\r\n\r\ntoo big";
    let server = ScriptServer::start(vec![vec![
        Step::ReadHead,
        send(too_big),
        Step::Sleep(Duration::from_millis(20)),
        Step::Reset,
    ]]);
    let url = server.url("/upload");
    let (status, idle) = with_deadline(Duration::from_secs(20), move || {
        corolab::block_on(async move {
            let client = Client::new();
            let response = client
                .request("POST", &url)
                .body(vec![b'x'; 64 * 1024 * 1024])
                .await
                .expect("the early answer");
            (response.status(), client.idle_connections())
        })
    });
    assert_eq!((status, idle), (413, 0));
}
