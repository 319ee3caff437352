//! # slow_server: the seeds' 3-second Flask server, served by one thread
//!
//! **Seed idea** (seed 001, the practical example). A Flask view sleeps 3 s and returns
//! `'hello world'`; an aiohttp client fires 50 requests at once and gets all 50 answers in
//! about 3 s, not 150 s. The seed adds a warning: Flask must run with `threaded=True`, or its
//! single thread answers requests one after another and the async client just queues.
//!
//! **In corolab.** The server runs on **one thread** with one corolab runtime (its own thread,
//! like the seed's separate Flask process). Its handler does not block: it awaits
//! `corolab::time::sleep(3 s)`, a timer, so 50 requests in flight cost 50 small tasks and 50
//! timers, not 50 threads. The client is the `main` thread with its own runtime: one task per
//! request. The second part swaps in a handler that calls `std::thread::sleep(3 s)`: that is
//! Flask without `threaded=True`, and every request now waits for the ones before it.
//!
//! The client is `corolab::http::Client`, the counterpart of the seed's aiohttp session. The
//! server is `corolab_server`, started with `spawn_on_thread`: it parses each request, calls
//! the view, and answers `200 hello world` (the body is exactly those 11 bytes).
//!
//! **What to look for in the output.**
//! - Part 1: 50 "request" lines within the same second, then 50 "got response hello world"
//!   lines together about 3 s later; total about 3 s. With `--requests 1000` (per-request lines
//!   are not printed above 50) the total is still about 3 s.
//! - Part 2: the answers arrive one every 3 s; 5 requests take about 15 s.
//!
//! Each line starts with the time of day, `HH:MM:SS` in **UTC**.
//!
//! Run: `cargo run --release --example slow_server [-- --requests 1000]`; `--quick` waits
//! 0.15 s per request instead of 3 s.

mod common;

use common::{Flag, now, secs, thousands};
use corolab::http::{self, Client};
use corolab::time::sleep;
use corolab_server::{Config, Request, Response, ServerHandle, spawn_on_thread};
use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: slow_server [--quick] [--requests N] [--blocking-requests N]\n\
    \x20 --quick                 wait 0.15 s per request instead of 3 s\n\
    \x20 --requests N            concurrent requests to the timer server (default 50; 1 to 10,000)\n\
    \x20 --blocking-requests N   requests to the blocking server (default 5: 5 x 3 s; 1 to 100)";

/// The flags this example accepts, with the bounds of each number and why.
const FLAGS: &[Flag] = &[
    Flag::switch("--quick"),
    Flag::number(
        "--requests",
        1,
        10_000,
        "each request in flight holds 2 file descriptors here: 10,000 already needs `ulimit -n 20100`",
    ),
    Flag::number(
        "--blocking-requests",
        1,
        100,
        "they are answered one after another, 3 s each: 100 take 5 minutes",
    ),
];

/// Above this many requests, only the totals are printed.
const PRINT_EACH_UP_TO: usize = 50;

/// The seeds' Flask view, the corolab way: wait on a timer, then answer. While this task
/// waits, the thread serves every other connection.
async fn index(delay: Duration) -> Response {
    sleep(delay).await;
    hello_world()
}

/// The same view written like the Flask one (`time.sleep(3)`): it blocks the server's only
/// thread, so no other connection is served until it returns. The `async fn` body runs when
/// the server polls the handler's future, so the sleep happens on the server thread.
async fn index_blocking(delay: Duration) -> Response {
    std::thread::sleep(delay);
    hello_world()
}

/// `200` with the body `hello world`, byte for byte (`Response::text` would add a newline).
fn hello_world() -> Response {
    Response::new(200)
        .with_header("Content-Type", "text/plain; charset=utf-8")
        .with_body(b"hello world".to_vec())
}

/// Which view the server uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// [`index`]: `sleep(delay).await`.
    Timer,
    /// [`index_blocking`]: `std::thread::sleep(delay)`.
    Blocking,
}

/// Starts the slow server on its own thread (one thread, one runtime) on a free loopback port.
pub fn start_server(view: View, delay: Duration) -> io::Result<ServerHandle> {
    let addr = "127.0.0.1:0";
    match view {
        View::Timer => spawn_on_thread(addr, Config::default(), move |_: Request| index(delay)),
        View::Blocking => spawn_on_thread(addr, Config::default(), move |_: Request| index_blocking(delay)),
    }
}

/// What a burst of requests gave.
#[derive(Clone, Debug)]
pub struct Burst {
    /// Requests sent.
    pub requests: usize,
    /// Answers that were `200 hello world`.
    pub ok: usize,
    /// The first failure, if any (connection refused, timeout, too many open files, ...).
    pub first_error: Option<String>,
    /// From the first request until the last answer.
    pub elapsed: Duration,
}

/// One request, printed like the seed's `request()`: a line before, a line with the answer.
async fn request(number: usize, client: Client, url: Rc<str>, print: bool) -> Result<String, http::Error> {
    if print {
        println!("{} request {number}: {url}", now());
    }
    let response = client.get(&url).await?;
    let body = response.text()?;
    if print {
        println!("{} request {number}: got response {body}", now());
    }
    Ok(body)
}

/// Fires `requests` concurrent requests at `url` (one task each, all on this thread) and
/// waits for every answer, each bounded by `limit`.
pub fn fire_requests(url: &str, requests: usize, limit: Duration) -> Burst {
    let url: Rc<str> = url.into();
    let print = requests <= PRINT_EACH_UP_TO;
    corolab::block_on(async move {
        // Like aiohttp's connector (seed 004: `TCPConnector(limit=100)`), the client keeps at
        // most 100 connections by default and queues further requests. Allow one connection
        // per request, so that all of them are in flight at once.
        let client = Client::builder()
            .max_connections(requests)
            .request_timeout(limit)
            .build();
        let start = Instant::now();
        let handles: Vec<_> = (1..=requests)
            .map(|number| corolab::spawn(request(number, client.clone(), url.clone(), print)))
            .collect();
        let mut burst = Burst {
            requests,
            ok: 0,
            first_error: None,
            elapsed: Duration::ZERO,
        };
        for handle in handles {
            let error = match handle.await {
                Ok(Ok(body)) if body == "hello world" => {
                    burst.ok += 1;
                    continue;
                }
                Ok(Ok(body)) => format!("unexpected body {body:?}"),
                Ok(Err(e)) => e.to_string(),
                Err(e) => e.to_string(),
            };
            burst.first_error.get_or_insert(error);
        }
        burst.elapsed = start.elapsed();
        burst
    })
}

/// Starts a server with `view`, fires `requests` at it, stops it.
pub fn run(view: View, delay: Duration, requests: usize) -> io::Result<Burst> {
    let server = start_server(view, delay)?;
    // Generous bounds: about one delay (timer view) or one delay per request (blocking view).
    let limit = match view {
        View::Timer => delay * 2 + Duration::from_secs(5),
        View::Blocking => {
            delay * u32::try_from(requests.saturating_add(1)).unwrap_or(u32::MAX) + Duration::from_secs(5)
        }
    };
    let burst = fire_requests(&format!("{}/", server.url()), requests, limit);
    server.shutdown();
    Ok(burst)
}

fn report(what: &str, burst: &Burst, delay: Duration) {
    println!(
        "-> {what}: {} answered \"hello world\" out of {}, in {} ({:.1} x the {} delay)",
        thousands(burst.ok),
        thousands(burst.requests),
        secs(burst.elapsed),
        burst.elapsed.as_secs_f64() / delay.as_secs_f64(),
        secs(delay)
    );
    if let Some(error) = &burst.first_error {
        println!("   first failure: {error}");
        if error.contains("Too many open files") {
            println!("   (each request needs 2 file descriptors here; try `ulimit -n 4096`)");
        }
    }
}

fn main() {
    let args = common::start(FLAGS, USAGE);
    corolab::trace::label_lines(); // a server runtime and a client runtime trace side by side
    let delay = if args.flag("--quick") {
        Duration::from_millis(150)
    } else {
        Duration::from_secs(3)
    };
    let requests = args.count("--requests").unwrap_or(50);
    let blocking_requests = args.count("--blocking-requests").unwrap_or(5);

    println!(
        "== 1. requests at once: {}; the handler awaits sleep({}) (one server thread, timers)",
        thousands(requests),
        secs(delay)
    );
    match run(View::Timer, delay, requests) {
        Ok(burst) => report("timer handler", &burst, delay),
        Err(e) => println!("could not start the server: {e}"),
    }

    println!(
        "\n== 2. requests at once: {}; the handler calls std::thread::sleep({}) (Flask without threaded=True)",
        thousands(blocking_requests),
        secs(delay)
    );
    match run(View::Blocking, delay, blocking_requests) {
        Ok(burst) => report("blocking handler", &burst, delay),
        Err(e) => println!("could not start the server: {e}"),
    }
}
