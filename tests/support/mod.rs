//! Shared test support: the scripted server, the bad-server table, and the
//! blocking driver. Each test binary uses a different part of it.
#![allow(dead_code)]

pub mod cases;
pub mod server;

use std::time::{Duration, Instant};

use corolab::http::{Error, Response, blocking};

use cases::{Case, Expect};
use server::{ScriptServer, Step, send};

/// One request's outcome and how long it took.
pub type Outcome = (Result<Response, Error>, Duration);

/// Check a case's outcomes against its expectations (and the accepted-connection count).
pub fn check_case(case: &Case, outcomes: &[Outcome], accepted: usize) {
    assert_eq!(
        outcomes.len(),
        case.expect.len(),
        "{}: one outcome per request",
        case.name
    );
    let bound = case.settings.request_timeout + Duration::from_millis(500);
    for (i, (expect, (result, took))) in case.expect.iter().zip(outcomes).enumerate() {
        let name = case.name;
        assert!(
            *took <= bound,
            "{name}: request {i} took {took:?} (bound {bound:?})"
        );
        match (expect, result) {
            (Expect::Ok(status, body), Ok(response)) => {
                assert_eq!(response.status(), *status, "{name}: request {i} status");
                assert_eq!(response.body(), *body, "{name}: request {i} body");
            }
            (Expect::Fails(label, matches), Err(error)) => {
                assert!(
                    matches(error),
                    "{name}: request {i}: expected {label}, got {error:?}"
                );
                assert!(!error.to_string().is_empty());
            }
            (Expect::Ok(..), Err(error)) => {
                panic!("{name}: request {i} failed: {error:?} ({error})")
            }
            (Expect::Fails(label, _), Ok(response)) => {
                panic!(
                    "{name}: request {i} succeeded ({}) but expected {label}",
                    response.status()
                )
            }
        }
    }
    if let Some(expected) = case.accepted {
        assert_eq!(
            accepted, expected,
            "{}: accepted connections ({})",
            case.name, case.why
        );
    }
}

/// A healthy server for the "client still works afterwards" check.
pub fn healthy_server() -> ScriptServer {
    ScriptServer::start(vec![vec![
        Step::ReadRequest,
        send(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nhealthy"),
        Step::WaitForClose,
    ]])
}

/// Build a blocking client with the case's settings.
pub fn blocking_client(case: &Case) -> blocking::Client {
    let s = case.settings;
    blocking::Client::builder()
        .connect_timeout(s.connect_timeout)
        .read_timeout(s.read_timeout)
        .request_timeout(s.request_timeout)
        .max_head_bytes(s.max_head_bytes)
        .max_headers(s.max_headers)
        .max_body_bytes(s.max_body_bytes)
        .build()
}

/// Run one case against the blocking client, then prove the client still works.
pub fn run_blocking(case: &Case) {
    let server = ScriptServer::start(case.scripts.clone());
    let client = blocking_client(case);
    let mut outcomes = Vec::new();
    for i in 0..case.expect.len() {
        if i > 0 {
            std::thread::sleep(case.pause);
        }
        let started = Instant::now();
        let result = client
            .request(case.method, &server.url("/case"))
            .body(case.body.clone())
            .send();
        outcomes.push((result, started.elapsed()));
    }
    check_case(case, &outcomes, server.accepted());
    let healthy = healthy_server();
    let after = client
        .get(&healthy.url("/after"))
        .expect("the client keeps working after a fault");
    assert_eq!(after.body(), b"healthy", "{}: follow-up request", case.name);
}
