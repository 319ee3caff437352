//! The async client's pool: reuse, the connection limits, FIFO waiting, pool timeouts.

mod support;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use corolab::http::{Client, Error, Phase};
use support::server::{ScriptServer, Step, send};

const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
const OK_CLOSE: &[u8] = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";

/// A connection script answering `count` requests, each after `delay`, then waiting for close.
fn serve_many(count: usize, delay: Duration, reply: &[u8]) -> Vec<Step> {
    let mut script = Vec::new();
    for _ in 0..count {
        script.extend([Step::ReadRequest, Step::Sleep(delay), send(reply)]);
    }
    script.push(Step::WaitForClose);
    script
}

/// Spawn `count` GETs at once on `client`, returning each result in spawn order.
async fn concurrent_gets(client: &Client, url: &str, count: usize) -> Vec<Result<Vec<u8>, Error>> {
    let handles: Vec<_> = (0..count)
        .map(|_| {
            let (client, url) = (client.clone(), url.to_string());
            corolab::spawn(async move { client.get(&url).await.map(|r| r.into_body()) })
        })
        .collect();
    let mut results = Vec::new();
    for handle in handles {
        results.push(handle.await.expect("request task panicked"));
    }
    results
}

// Keep-alive is the point of a pool: five requests, one TCP connection.
#[test]
fn sequential_requests_reuse_one_connection() {
    let server = ScriptServer::start(vec![serve_many(5, Duration::ZERO, OK)]);
    corolab::block_on(async {
        let client = Client::new();
        for _ in 0..5 {
            assert_eq!(client.get(&server.url("/")).await.unwrap().body(), b"ok");
        }
        assert_eq!(client.idle_connections(), 1);
    });
    assert_eq!((server.accepted(), server.requests()), (1, 5));
}

// The limit holds under load, and is reached (so the requests really overlapped).
#[test]
fn max_connections_bounds_concurrent_connections() {
    let server = ScriptServer::start(vec![serve_many(12, Duration::from_millis(40), OK)]);
    corolab::block_on(async {
        let client = Client::builder().max_connections(3).build();
        let results = concurrent_gets(&client, &server.url("/"), 12).await;
        assert!(
            results.iter().all(|r| matches!(r.as_deref(), Ok(b"ok"))),
            "{results:?}"
        );
    });
    assert_eq!(server.peak_concurrent(), 3);
    assert_eq!(server.accepted(), 3, "finished connections are handed to waiters");
    assert_eq!(server.requests(), 12);
}

// When responses close their connections, slots pass to waiters and the limit still holds.
#[test]
fn max_connections_holds_when_connections_close() {
    let server = ScriptServer::start(vec![vec![
        Step::ReadRequest,
        Step::Sleep(Duration::from_millis(30)),
        send(OK_CLOSE),
        Step::Close,
    ]]);
    corolab::block_on(async {
        let client = Client::builder().max_connections(2).build();
        let results = concurrent_gets(&client, &server.url("/"), 6).await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
    });
    assert_eq!(server.peak_concurrent(), 2);
    assert_eq!(server.accepted(), 6);
}

// The per-host limit is separate from the total limit.
#[test]
fn max_connections_per_host_bounds_one_host() {
    let server = ScriptServer::start(vec![serve_many(8, Duration::from_millis(30), OK)]);
    corolab::block_on(async {
        let client = Client::builder()
            .max_connections(10)
            .max_connections_per_host(2)
            .build();
        let results = concurrent_gets(&client, &server.url("/"), 8).await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
    });
    assert_eq!(server.peak_concurrent(), 2);
}

/// Run `count` requests through a one-connection client and return the completion order.
fn completion_order(reply: &'static [u8], close: bool) -> Vec<usize> {
    let mut script = vec![
        Step::ReadRequest,
        Step::Sleep(Duration::from_millis(10)),
        send(reply),
    ];
    let scripts = if close {
        script.push(Step::Close);
        vec![script]
    } else {
        vec![serve_many(6, Duration::from_millis(10), reply)]
    };
    let server = ScriptServer::start(scripts);
    corolab::block_on(async {
        let client = Client::builder().max_connections(1).build();
        let order = Rc::new(RefCell::new(Vec::new()));
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let (client, url, order) = (client.clone(), server.url("/"), order.clone());
                corolab::spawn(async move {
                    client.get(&url).await.expect("request");
                    order.borrow_mut().push(i);
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
        order.take()
    })
}

// Requests beyond the limit wait their turn: first come, first served (handover path).
#[test]
fn waiting_requests_are_served_in_fifo_order_with_keep_alive() {
    assert_eq!(completion_order(OK, false), vec![0, 1, 2, 3, 4, 5]);
}

// The same order when every connection closes and slots pass through the semaphore.
#[test]
fn waiting_requests_are_served_in_fifo_order_when_connections_close() {
    assert_eq!(completion_order(OK_CLOSE, true), vec![0, 1, 2, 3, 4, 5]);
}

// Waiting for a slot counts against the request's time budget, and says so.
#[test]
fn pool_wait_times_out_with_pool_phase() {
    let server = ScriptServer::start(vec![vec![
        Step::ReadRequest,
        Step::Sleep(Duration::from_millis(1000)),
        send(OK),
    ]]);
    corolab::block_on(async {
        let client = Client::builder()
            .max_connections(1)
            .request_timeout(Duration::from_millis(300))
            .build();
        let started = Instant::now();
        let (first, second) = {
            let url = server.url("/");
            let a = client.get(&url);
            let b = client.get(&url).timeout(Duration::from_millis(150));
            let both = corolab::future::join_all(vec![a.send(), b.send()]).await;
            let mut both = both.into_iter();
            (both.next().unwrap(), both.next().unwrap())
        };
        assert!(matches!(first, Err(Error::Timeout(Phase::Total))), "{first:?}");
        assert!(matches!(second, Err(Error::Timeout(Phase::Pool))), "{second:?}");
        assert!(started.elapsed() < Duration::from_millis(800));
    });
}

// An idle connection to one host must not block a request to another when the pool is full.
#[test]
fn idle_connection_is_closed_to_make_room_for_another_host() {
    let one = ScriptServer::start(vec![serve_many(1, Duration::ZERO, OK)]);
    let two = ScriptServer::start(vec![serve_many(1, Duration::ZERO, OK)]);
    corolab::block_on(async {
        let client = Client::builder()
            .max_connections(1)
            .request_timeout(Duration::from_millis(500))
            .build();
        client.get(&one.url("/")).await.unwrap();
        assert_eq!(client.idle_connections(), 1);
        client.get(&two.url("/")).await.unwrap();
    });
}

// Idle connections older than pool_idle_timeout are closed, not reused.
#[test]
fn idle_timeout_expires_pooled_connections() {
    let server = ScriptServer::start(vec![serve_many(1, Duration::ZERO, OK)]);
    corolab::block_on(async {
        let client = Client::builder()
            .pool_idle_timeout(Duration::from_millis(50))
            .build();
        client.get(&server.url("/")).await.unwrap();
        corolab::time::sleep(Duration::from_millis(100)).await;
        client.get(&server.url("/")).await.unwrap();
    });
    assert_eq!(server.accepted(), 2);
}

// The async builder puts the same bytes on the wire as the blocking one.
#[test]
fn request_builder_sends_method_query_headers_and_body() {
    let server = ScriptServer::start(vec![serve_many(1, Duration::ZERO, OK)]);
    corolab::block_on(async {
        let client = Client::new();
        let response = client
            .request("PUT", &server.url("/item"))
            .query("name", "a/b c")
            .header("X-Trace", "7")
            .body("data")
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    });
    let text = String::from_utf8(server.request_log().remove(0)).unwrap();
    assert!(
        text.starts_with("PUT /item?name=a%2Fb%20c HTTP/1.1\r\n"),
        "{text}"
    );
    assert!(text.contains("\r\nX-Trace: 7\r\n"), "{text}");
    assert!(text.ends_with("\r\nContent-Length: 4\r\n\r\ndata"), "{text}");
}

// A refused connection is a Connect error naming the address; https is refused up front.
#[test]
fn connect_errors_and_bad_schemes() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    corolab::block_on(async {
        let client = Client::new();
        let err = client
            .get(&format!("http://127.0.0.1:{port}/"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Connect { ref addr, .. } if addr.ends_with(&port.to_string())),
            "{err:?}"
        );
        let err = client.get("https://127.0.0.1/").await.unwrap_err();
        assert!(matches!(err, Error::UnsupportedScheme { .. }));
    });
}

// A finished keep-alive connection must not sit idle while a request for another host waits for its slot.
#[test]
fn finished_connection_is_closed_for_a_waiter_on_another_host() {
    let slow = ScriptServer::start(vec![serve_many(1, Duration::from_millis(50), OK)]);
    let other = ScriptServer::start(vec![serve_many(1, Duration::ZERO, OK)]);
    corolab::block_on(async {
        let client = Client::builder()
            .max_connections(1)
            .request_timeout(Duration::from_millis(500))
            .build();
        let (slow_url, other_url) = (slow.url("/"), other.url("/"));
        let results =
            corolab::future::join_all(vec![client.get(&slow_url).send(), client.get(&other_url).send()])
                .await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        assert_eq!(
            client.idle_connections(),
            1,
            "only the last connection stays idle"
        );
    });
}

// The async connect is bounded too: a handshake that never completes is Timeout(Connect).
#[test]
fn connect_timeout_bounds_a_hanging_connect() {
    let (listener, _fillers) = support::server::full_backlog_listener();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    corolab::block_on(async {
        let client = Client::builder()
            .connect_timeout(Duration::from_millis(200))
            .build();
        let started = Instant::now();
        let err = client.get(&format!("http://{addr}/")).await.unwrap_err();
        assert!(matches!(err, Error::Timeout(Phase::Connect)), "{err:?}");
        assert!(started.elapsed() < Duration::from_millis(1000));
    });
}

/// Spawn one GET per `(label, url)` in order on `client` and return the labels in completion order.
async fn labels_in_completion_order(
    client: &Client,
    requests: &[(&'static str, String)],
) -> Vec<&'static str> {
    let order = Rc::new(RefCell::new(Vec::new()));
    let handles: Vec<_> = requests
        .iter()
        .map(|(label, url)| {
            let (client, url, order, label) = (client.clone(), url.clone(), order.clone(), *label);
            corolab::spawn(async move {
                client.get(&url).await.expect("request");
                order.borrow_mut().push(label);
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap();
    }
    order.take()
}

// FIFO across hosts: later requests for the busy host must not starve an earlier one for another host.
#[test]
fn waiter_for_another_host_is_served_before_later_requests_for_the_busy_host() {
    let busy = ScriptServer::start(vec![serve_many(5, Duration::from_millis(20), OK)]);
    let other = ScriptServer::start(vec![serve_many(1, Duration::ZERO, OK)]);
    let order = corolab::block_on(async {
        let client = Client::builder().max_connections(1).build();
        let mut requests = vec![("busy", busy.url("/0")), ("other", other.url("/"))];
        requests.extend((1..=4).map(|i| ("busy later", busy.url(&format!("/{i}")))));
        labels_in_completion_order(&client, &requests).await
    });
    assert_eq!(order[..2], ["busy", "other"], "{order:?}");
}

// Waiters a freed global slot cannot help (held by their own host's limit) must not cost keep-alive here.
#[test]
fn waiters_on_another_hosts_limit_do_not_disable_keep_alive() {
    // Deterministic (issue 16.16): the slow server answers only once the five fast
    // requests are done (a gate, not a delay), and serves all three slow requests on one
    // connection, so no close-then-reconnect race can touch the counts.
    let fast_done = Arc::new(AtomicBool::new(false));
    let mut slow_script = vec![Step::ReadRequest, Step::Gate(fast_done.clone()), send(OK)];
    slow_script.extend(serve_many(2, Duration::ZERO, OK));
    let slow = ScriptServer::start(vec![slow_script]);
    let fast = ScriptServer::start(vec![serve_many(5, Duration::ZERO, OK)]);
    corolab::block_on(async {
        let client = Client::builder()
            .max_connections(10)
            .max_connections_per_host(1)
            .build();
        let slow_requests: Vec<_> = (0..3)
            .map(|_| {
                let (client, url) = (client.clone(), slow.url("/"));
                corolab::spawn(async move { client.get(&url).await.map(|_| ()) })
            })
            .collect();
        // Each spawned task is polled once before this task runs again: two of them now
        // wait for slow's host slot, and stay queued until the gate opens.
        corolab::yield_now().await;
        for _ in 0..5 {
            client.get(&fast.url("/")).await.unwrap();
        }
        assert_eq!(fast.accepted(), 1, "five sequential requests, one connection");
        fast_done.store(true, Ordering::SeqCst);
        for handle in slow_requests {
            handle.await.unwrap().unwrap();
        }
    });
    assert_eq!(slow.peak_concurrent(), 1);
    assert_eq!(
        slow.accepted(),
        1,
        "the slow waiters were handed the one connection"
    );
}

/// How often a task was woken by itself during `f` (each such wake costs a needless poll).
fn self_wakes<F: std::future::Future<Output = ()> + 'static>(f: F) -> usize {
    use corolab::trace::{Event, Recorder, WakeCause};
    let recorder = Recorder::install();
    corolab::block_on(f);
    corolab::trace::clear_sink();
    recorder
        .events()
        .iter()
        .filter(|e| matches!(e, Event::TaskWoken { task, cause: WakeCause::Task { by } } if task == by))
        .count()
}

// A new connection must not wake its own task (a needless poll), with or without queueing for a slot.
#[test]
fn getting_a_fresh_connection_does_not_wake_the_task_itself() {
    let server = ScriptServer::start(vec![vec![
        Step::ReadRequest,
        Step::Sleep(Duration::from_millis(20)),
        send(OK_CLOSE),
        Step::Close,
    ]]);
    let url = server.url("/");
    let wakes = self_wakes(async move {
        let client = Client::builder().max_connections(1).build();
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (client, url) = (client.clone(), url.clone());
                corolab::spawn(async move { client.get(&url).await.map(|_| ()) })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap().unwrap();
        }
    });
    assert_eq!(wakes, 0);
    assert_eq!(
        server.accepted(),
        2,
        "the second request waited for the first one's slot"
    );
}

// A request that finds the slot free takes it without a timer, on the promise that taking a
// free slot cannot wait. With the task's cooperative budget spent, the semaphore yields
// first; another task can take the slot meanwhile, and the request then waited for it with
// no timer, outside the pool's queue: once the other connection went idle, holding the only
// slot, nothing ever woke it (this test hung). Its own request timeout must still hold.
#[test]
fn a_request_with_its_budget_spent_still_waits_for_a_slot_within_its_timeout() {
    use corolab::executor::budget;
    let slow = ScriptServer::start(vec![vec![
        Step::ReadRequest,
        Step::Sleep(Duration::from_millis(2500)),
        send(OK),
        Step::WaitForClose,
    ]]);
    let (result, took) = corolab::block_on(async {
        let client = Client::builder().max_connections(1).build();
        let other = {
            let (client, url) = (client.clone(), slow.url("/"));
            corolab::spawn(async move { client.get(&url).await.map(|_| ()) })
        };
        for _ in 0..budget::BUDGET {
            budget::spend(); // as if this poll had just received 128 channel messages
        }
        let started = Instant::now();
        let result = client
            .get(&slow.url("/mine"))
            .timeout(Duration::from_millis(300))
            .await;
        let took = started.elapsed();
        let _ = other.await;
        (result, took)
    });
    assert!(matches!(result, Err(Error::Timeout(Phase::Pool))), "{result:?}");
    assert!(
        took < Duration::from_millis(1500),
        "waited {took:?} past its 300 ms"
    );
}
