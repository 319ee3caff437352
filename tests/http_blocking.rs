//! The blocking client's request side and configuration, against the scripted server.

mod support;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use corolab::http::{Error, Phase, blocking};
use support::server::{ScriptServer, Step, send};

const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

// The bytes on the wire are what the builder was told: method, encoded query, headers, body.
#[test]
fn request_builder_sends_method_query_headers_and_body() {
    let server = ScriptServer::start(vec![vec![Step::ReadRequest, send(OK), Step::WaitForClose]]);
    let client = blocking::Client::new();
    let response = client
        .request("POST", &server.url("/submit"))
        .query("q", "a b&c")
        .header("X-Trace", "42")
        .body("payload")
        .send()
        .unwrap();
    assert_eq!(response.text().unwrap(), "ok");
    let log = server.request_log();
    let text = String::from_utf8_lossy(&log[0]);
    assert!(
        text.starts_with("POST /submit?q=a%20b%26c HTTP/1.1\r\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!("\r\nHost: {}\r\n", server.addr())),
        "{text}"
    );
    assert!(text.contains("\r\nX-Trace: 42\r\n"), "{text}");
    assert!(text.ends_with("\r\nContent-Length: 7\r\n\r\npayload"), "{text}");
}

// A refused connection names the address, and does not take the timeout to fail.
#[test]
fn connection_refused_is_connect_error_with_address() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = blocking::Client::builder()
        .connect_timeout(Duration::from_millis(300))
        .build();
    let started = Instant::now();
    let err = client.get(&format!("http://127.0.0.1:{port}/")).unwrap_err();
    assert!(
        matches!(err, Error::Connect { ref addr, .. } if addr.contains(&port.to_string())),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(300));
}

// https and garbage URLs fail before any connection is attempted.
#[test]
fn bad_urls_fail_without_connecting() {
    let client = blocking::Client::new();
    assert!(matches!(
        client.get("https://127.0.0.1/"),
        Err(Error::UnsupportedScheme { .. })
    ));
    assert!(matches!(client.get("not a url"), Err(Error::InvalidUrl { .. })));
}

// Idle connections older than pool_idle_timeout are not reused.
#[test]
fn idle_timeout_expires_pooled_connections() {
    let server = ScriptServer::start(vec![vec![Step::ReadRequest, send(OK), Step::WaitForClose]]);
    let client = blocking::Client::builder()
        .pool_idle_timeout(Duration::from_millis(50))
        .build();
    client.get(&server.url("/")).unwrap();
    assert_eq!(client.idle_connections(), 1);
    std::thread::sleep(Duration::from_millis(100));
    client.get(&server.url("/")).unwrap();
    assert_eq!(server.accepted(), 2);
}

// One client shared by threads: each thread's connection is reused by later requests.
#[test]
fn threads_share_one_pool() {
    // Any connection may serve any of the 9 requests.
    let mut script = Vec::new();
    for _ in 0..9 {
        script.extend([Step::ReadRequest, send(OK)]);
    }
    script.push(Step::WaitForClose);
    let server = ScriptServer::start(vec![script]);
    let client = blocking::Client::new();
    let url = server.url("/");
    std::thread::scope(|scope| {
        for _ in 0..3 {
            let (client, url) = (client.clone(), url.clone());
            scope.spawn(move || {
                for _ in 0..3 {
                    assert_eq!(client.get(&url).unwrap().body(), b"ok");
                }
            });
        }
    });
    assert!(server.accepted() <= 3, "accepted {}", server.accepted());
    assert_eq!(server.requests(), 9);
}

// A peer that never completes the handshake is bounded by connect_timeout.
#[test]
fn connect_timeout_bounds_a_hanging_connect() {
    let (listener, _fillers) = support::server::full_backlog_listener();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let client = blocking::Client::builder()
        .connect_timeout(Duration::from_millis(200))
        .build();
    let started = Instant::now();
    let err = client.get(&format!("http://{addr}/")).unwrap_err();
    assert!(matches!(err, Error::Timeout(Phase::Connect)), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(1000));
}

// Host names still resolve through the bounded resolver thread (`localhost`: /etc/hosts, loopback only).
#[test]
fn host_names_are_resolved_and_connected() {
    let server = ScriptServer::start(vec![vec![Step::ReadRequest, send(OK), Step::WaitForClose]]);
    let client = blocking::Client::builder()
        .connect_timeout(Duration::from_secs(2))
        .build();
    let url = format!("http://localhost:{}/", server.addr().port());
    assert_eq!(client.get(&url).unwrap().body(), b"ok");
}
