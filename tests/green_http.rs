//! Tests for `corolab::green::http_get` / `http_send`: the HTTP client's
//! sans-I/O core driven by green sockets.
#![cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]

mod common;
mod support;

use common::with_deadline;
use corolab::green;
use corolab_server::{Response, Server};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A stackless `corolab_server` on the current runtime: `GET /pages/N` waits `delay`, then
/// answers `page N`. It serves until `block_on` returns.
fn spawn_page_server(delay: Duration) -> SocketAddr {
    let server = Server::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    drop(corolab::spawn(server.serve(move |request| async move {
        let page = request.path().strip_prefix("/pages/").unwrap_or("?").to_string();
        corolab::time::sleep(delay).await;
        Response::new(200).with_body(format!("page {page}").into_bytes())
    })));
    addr
}

// Why: the gevent promise with the real HTTP core: 20 green threads each
// doing a blocking-looking GET of a page that takes 100 ms overlap, and each
// gets its own page back.
#[test]
fn twenty_green_threads_fetch_pages_concurrently_over_the_sans_io_core() {
    let (bodies, elapsed) = with_deadline(Duration::from_secs(20), || {
        corolab::block_on(async {
            let addr = spawn_page_server(Duration::from_millis(100));
            let start = Instant::now();
            let handles: Vec<_> = (0..20)
                .map(|i| green::spawn(move || green::http_get(&format!("http://{addr}/pages/{i}"))))
                .collect();
            let mut bodies = Vec::new();
            for handle in handles {
                let response = handle.await.expect("green thread finished").expect("GET worked");
                assert_eq!(response.status(), 200);
                bodies.push(response.text().unwrap());
            }
            (bodies, start.elapsed())
        })
    });
    let expected: Vec<String> = (0..20).map(|i| format!("page {i}")).collect();
    assert_eq!(bodies, expected);
    assert!(
        elapsed >= Duration::from_millis(100),
        "the server really delayed: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_millis(1000),
        "20 x 100 ms overlapped: {elapsed:?}"
    );
}

// Why: the green driver must turn every misbehaving server of the shared
// bad-server table into the same typed error (or response) as the other two
// clients, within the same time bounds. Only single-request cases: this
// driver opens one connection per request (no keep-alive pool), so the
// reuse cases do not apply to it.
#[test]
fn green_driver_passes_the_single_request_bad_server_cases() {
    let cases: Vec<_> = support::cases::all()
        .into_iter()
        .filter(|c| c.expect.len() == 1)
        .collect();
    assert!(cases.len() >= 40, "most of the table applies: {}", cases.len());
    for case in cases {
        support::run_green(&case);
    }
}

// Why: a URL that is not http:// or does not parse is a typed error before
// any socket is opened, and green HTTP outside a green thread is an error,
// not a blocked runtime.
#[test]
fn bad_urls_and_calls_outside_a_green_thread_are_typed_errors() {
    let errors = green::run(|| {
        (
            green::http_get("https://example.com/").unwrap_err().to_string(),
            green::http_get("not a url").unwrap_err().to_string(),
        )
    })
    .unwrap();
    assert!(errors.0.contains("scheme"), "{}", errors.0);
    assert!(!errors.1.is_empty());
    let outside = corolab::block_on(async { green::http_get("http://127.0.0.1:9/").unwrap_err() });
    match outside {
        corolab::http::Error::Io(e) => assert_eq!(e.kind(), std::io::ErrorKind::Unsupported),
        other => panic!("expected Io(Unsupported), got {other:?}"),
    }
}
