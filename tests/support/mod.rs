//! Shared test support: the scripted server, the bad-server table, and the
//! blocking driver. Each test binary uses a different part of it.
#![allow(dead_code)]

pub mod cases;
pub mod server;

/// One `#[test]` per case of the bad-server table, each calling `$runner`
/// (`run_blocking` or `run_async`); `TESTED` lists the names so a test can
/// check that no case of the table is left without a test.
#[macro_export]
macro_rules! case_tests {
    ($runner:ident) => {
        case_tests!($runner;
            status_line_garbage,
            status_code_two_digits,
            status_code_four_digits,
            reason_missing_accepted,
            reason_non_ascii_accepted,
            http09_reply,
            closed_mid_head,
            empty_reply,
            bare_lf_accepted,
            obs_fold_accepted,
            header_without_colon,
            space_before_colon,
            nul_in_header,
            control_byte_in_header,
            too_many_headers,
            head_over_limit,
            endless_head,
            content_length_plus,
            content_length_minus,
            content_length_garbage,
            content_length_overflow,
            content_length_conflicting,
            content_length_duplicates_equal,
            chunked_and_content_length,
            transfer_encoding_not_chunked_last,
            transfer_encoding_gzip,
            eof_before_content_length,
            body_longer_than_content_length,
            late_extra_bytes_discarded_at_checkout,
            body_until_eof,
            chunk_size_not_hex,
            chunk_size_overflow,
            chunk_missing_crlf,
            chunk_bare_lf_after_data,
            chunk_size_line_empty,
            chunk_size_line_only_extension,
            chunk_extension_bare_lf,
            chunk_extension_without_name,
            chunk_extension_unclosed_quote,
            chunk_extensions_over_16_kib,
            chunked_eof_before_last_chunk,
            chunk_extensions_ignored,
            chunked_trailers_dropped,
            chunked_trailers_too_large,
            head_request_has_no_body,
            status_204_has_no_body,
            status_304_has_no_body,
            interim_1xx_skipped,
            server_never_answers,
            server_drips_slowly,
            server_never_reads_body,
            early_response_then_reset,
            connection_reset,
            reset_mid_body,
            body_over_limit_by_content_length,
            body_over_limit_by_chunk_size,
            body_over_limit_until_eof,
            keep_alive_reused,
            connection_close_in_list_not_reused,
            http10_without_keep_alive_not_reused,
            http10_transfer_encoding_not_reused,
            pooled_connection_closed_between_requests,
            closed_idle_connection_discarded_at_checkout,
            reused_connection_dead_is_retried_once,
            retry_happens_only_once,
            post_is_not_retried,
            partial_answer_then_reset_is_not_retried,
        );
    };
    ($runner:ident; $($name:ident),* $(,)?) => {
        const TESTED: &[&str] = &[$(stringify!($name)),*];
        $(
            #[test]
            fn $name() {
                support::$runner(&support::cases::by_name(stringify!($name)));
            }
        )*
    };
}

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

/// Build an async client with the case's settings.
pub fn async_client(case: &Case) -> corolab::http::Client {
    let s = case.settings;
    corolab::http::Client::builder()
        .connect_timeout(s.connect_timeout)
        .read_timeout(s.read_timeout)
        .request_timeout(s.request_timeout)
        .max_head_bytes(s.max_head_bytes)
        .max_headers(s.max_headers)
        .max_body_bytes(s.max_body_bytes)
        .build()
}

/// Run one case against the async client (inside `block_on`), then prove the client still works.
pub fn run_async(case: &Case) {
    let server = ScriptServer::start(case.scripts.clone());
    corolab::block_on(async {
        let client = async_client(case);
        let mut outcomes = Vec::new();
        for i in 0..case.expect.len() {
            if i > 0 {
                corolab::time::sleep(case.pause).await;
            }
            let started = Instant::now();
            let result = client
                .request(case.method, &server.url("/case"))
                .body(case.body.clone())
                .await;
            outcomes.push((result, started.elapsed()));
        }
        check_case(case, &outcomes, server.accepted());
        let healthy = healthy_server();
        let after = client
            .get(&healthy.url("/after"))
            .await
            .expect("the client keeps working after a fault");
        assert_eq!(after.body(), b"healthy", "{}: follow-up request", case.name);
    });
}

/// Run one single-request case through the green driver (`green::http_send`, one
/// connection per request, no pool) inside `green::run`, and check it.
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
pub fn run_green(case: &Case) {
    use corolab::green::{self, HttpConfig};
    use corolab::http::{Limits, Request, Url};
    assert_eq!(
        case.expect.len(),
        1,
        "{}: the green driver has no pool",
        case.name
    );
    let server = ScriptServer::start(case.scripts.clone());
    let s = case.settings;
    let config = HttpConfig {
        connect_timeout: s.connect_timeout,
        read_timeout: s.read_timeout,
        request_timeout: s.request_timeout,
        limits: Limits {
            max_head_bytes: s.max_head_bytes,
            max_headers: s.max_headers,
            max_body_bytes: s.max_body_bytes,
        },
    };
    let url = server.url("/case");
    let (method, body) = (case.method, case.body.clone());
    let outcome = green::run(move || {
        let mut request = Request::new(method, Url::parse(&url).unwrap());
        request.body = body;
        let started = Instant::now();
        let result = green::http_send(request, &config);
        (result, started.elapsed())
    })
    .unwrap_or_else(|e| panic!("{}: green thread failed: {e}", case.name));
    check_case(case, &[outcome], server.accepted());
}
