//! # gather: wait for all, wait for the first, wait with a deadline
//!
//! **Seed idea.** Seed 004 runs three coroutines with `asyncio.gather` and they take as long as
//! the longest; seed 001 waits on a list of tasks with `asyncio.wait`; seed 003 crawls URLs with
//! gevent, where "whoever returns first is handled first".
//!
//! **In corolab.**
//! 1. `corolab::future::join_all` is `asyncio.gather`: it runs the futures together and returns
//!    their results *in the order given*, once all are done.
//! 2. `corolab::future::select` is `asyncio.wait(..., return_when=FIRST_COMPLETED)` for two
//!    futures: the first to finish wins and the other is **dropped**, which cancels it.
//! 3. `corolab::time::timeout` is `asyncio.wait_for`: the future wins or is dropped at the deadline.
//! 4. Requests with `corolab::http::Client` to a local slow server (`corolab_server` on its own
//!    thread, via `spawn_on_thread`; it answers `/sleep/<ms>` after that many milliseconds, on
//!    a timer): one task per request, each sending its answer into a
//!    channel, so the answers are handled in the order they arrive, like `asyncio.as_completed`.
//! 5. `timeout` around a request: giving up drops the request future and closes its socket.
//!
//! **What to look for in the output.** Sleeps of 3, 1 and 2 s (in that order) finish in the
//! order 1, 2, 3 and all together take 3 s, yet `join_all` hands back `[3, 1, 2]`. `select`
//! returns after 1 s and leaves no timer behind. The 1 s request is handled first, the 3 s one
//! last. Each line starts with the time of day, `HH:MM:SS` in **UTC**.
//!
//! Run: `cargo run --example gather` (add `--quick` to make a second 0.1 s).

mod common;

use common::{Flag, now, secs};
use corolab::future::{Either, join_all, select};
use corolab::http::Client;
use corolab::reactor::Reactor;
use corolab::sync::channel;
use corolab::time::{sleep, timeout};
use corolab_server::{Config, Request, Response, ServerHandle, spawn_on_thread};
use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: gather [--quick]";

/// The flags this example accepts.
const FLAGS: &[Flag] = &[Flag::switch("--quick")];

/// The three waits, in the order they are started (in seconds, or in units in quick mode).
pub const DURATIONS: [u32; 3] = [3, 1, 2];

/// The order in which things finished.
type Finished = Rc<RefCell<Vec<u32>>>;

/// Sleeps `units` times `unit`, then says so and notes that it finished.
async fn nap(units: u32, unit: Duration, finished: Finished) -> u32 {
    sleep(unit * units).await;
    println!("{} the {} sleep is done", now(), secs(unit * units));
    finished.borrow_mut().push(units);
    units
}

/// What `join_all` gave back, and the order the sleeps really finished in.
#[derive(Clone, Debug)]
pub struct Gathered {
    /// The results as `join_all` returned them.
    pub results: Vec<u32>,
    /// The order in which the sleeps finished.
    pub finished: Vec<u32>,
    /// How long `join_all` took.
    pub elapsed: Duration,
}

/// Part 1: `join_all` (asyncio.gather) on sleeps of 3, 1 and 2 units.
pub fn gather_sleeps(unit: Duration) -> Gathered {
    corolab::block_on(async {
        let finished = Finished::default();
        let start = Instant::now();
        println!("{} start sleeps of {DURATIONS:?} x {}", now(), secs(unit));
        let naps = DURATIONS.map(|units| nap(units, unit, finished.clone()));
        let results = join_all(naps).await;
        let elapsed = start.elapsed();
        let finished = finished.take();
        println!(
            "-> join_all returned {results:?} (the order given) after {}; they finished in the order {finished:?}",
            secs(elapsed)
        );
        Gathered {
            results,
            finished,
            elapsed,
        }
    })
}

/// What `select` gave.
#[derive(Clone, Debug)]
pub struct Selected {
    /// The duration (in units) of the sleep that won.
    pub winner: u32,
    /// When `select` returned.
    pub elapsed: Duration,
    /// Timers still registered right after `select` returned (the loser's was cancelled).
    pub timers_left: usize,
}

/// Part 2: `select` (asyncio.wait FIRST_COMPLETED) between a 3-unit and a 1-unit sleep.
pub fn first_completed(unit: Duration) -> Selected {
    corolab::block_on(async {
        let finished = Finished::default();
        let start = Instant::now();
        let winner = match select(nap(3, unit, finished.clone()), nap(1, unit, finished.clone())).await {
            Either::Left(units) | Either::Right(units) => units,
        };
        let elapsed = start.elapsed();
        let timers_left = Reactor::current().map_or(0, |r| r.pending_timer_count());
        println!(
            "-> select returned after {}: the {} sleep won; the other was dropped, timers left: {timers_left}",
            secs(elapsed),
            secs(unit * winner)
        );
        Selected {
            winner,
            elapsed,
            timers_left,
        }
    })
}

/// Part 3: `timeout` (asyncio.wait_for) of 1.5 units around sleeps of 1 and 3 units. Returns
/// whether each finished in time.
pub fn with_timeouts(unit: Duration) -> [bool; 2] {
    corolab::block_on(async {
        let limit = unit * 3 / 2;
        let mut in_time = [false; 2];
        for (slot, units) in in_time.iter_mut().zip([1, 3]) {
            let start = Instant::now();
            let result = timeout(limit, nap(units, unit, Finished::default())).await;
            let outcome = match &result {
                Ok(_) => "finished in time".to_string(),
                Err(elapsed) => format!("gave up: {elapsed}"),
            };
            println!(
                "-> timeout({}, the {} sleep): {outcome}, after {}",
                secs(limit),
                secs(unit * units),
                secs(start.elapsed())
            );
            *slot = result.is_ok();
        }
        in_time
    })
}

/// The local slow server's only view: `/sleep/<ms>` waits that long (on a timer), then answers
/// `slept <ms> ms` (exactly those bytes: `Response::text` would add a newline). Other paths: 404.
async fn sleep_then_answer(request: Request) -> Response {
    let path = request.path();
    match path.strip_prefix("/sleep/").and_then(|ms| ms.parse::<u64>().ok()) {
        Some(ms) => {
            sleep(Duration::from_millis(ms)).await;
            Response::new(200)
                .with_header("Content-Type", "text/plain; charset=utf-8")
                .with_body(format!("slept {ms} ms").into_bytes())
        }
        None => Response::text(404, format!("unknown page {path}; try /sleep/<ms>")),
    }
}

/// Starts the slow server (`corolab_server`) on its own thread and runtime, on a free
/// loopback port. It stops when the handle is shut down or dropped.
fn start_slow_server() -> io::Result<ServerHandle> {
    spawn_on_thread("127.0.0.1:0", Config::default(), sleep_then_answer)
}

/// The path that makes the server wait `units` times `unit`.
fn sleep_path(units: u32, unit: Duration) -> String {
    format!("/sleep/{}", (unit * units).as_millis())
}

/// Part 4: requests that take 3, 1 and 2 units, one task each; answers are handled as they arrive.
/// Returns the durations (in units) in the order their answers were handled.
pub fn requests_as_completed(unit: Duration) -> io::Result<Vec<u32>> {
    let server = start_slow_server()?;
    let base = server.url().to_string();
    let limit = unit * 10; // every request gets a bound
    let handled = corolab::block_on(async move {
        let client = Client::builder().request_timeout(limit).build();
        let (answers, mut arrivals) = channel(DURATIONS.len());
        for units in DURATIONS {
            let (client, answers) = (client.clone(), answers.clone());
            let path = sleep_path(units, unit);
            let url = format!("{base}{path}");
            println!("{} request {url}", now());
            // Detached task: it reports through the channel, not through its handle.
            drop(corolab::spawn(async move {
                let answer = match client.get(&url).await.and_then(|response| response.text()) {
                    Ok(body) => body,
                    Err(e) => format!("failed: {e}"),
                };
                let _ = answers.send((units, path, answer)).await;
            }));
        }
        drop(answers); // now `recv` returns `None` once every task has sent its answer
        let mut handled = Vec::new();
        while let Some((units, path, answer)) = arrivals.recv().await {
            println!("{} handled {path}: {answer}", now());
            handled.push(units);
        }
        handled
    });
    server.shutdown();
    println!("-> answers handled in the order {handled:?}: whoever returns first is handled first");
    Ok(handled)
}

/// Part 5: a request that takes 3 units, under a `timeout` of 1.5 units. Returns whether it gave up.
pub fn request_with_timeout(unit: Duration) -> io::Result<bool> {
    let server = start_slow_server()?;
    let base = server.url().to_string();
    let gave_up = corolab::block_on(async move {
        let client = Client::new();
        let url = format!("{base}{}", sleep_path(3, unit));
        let limit = unit * 3 / 2;
        println!("{} request {url}, giving it {}", now(), secs(limit));
        // `timeout` works on any future; the client also offers `.timeout(d)` on a request.
        match timeout(limit, client.get(&url).send()).await {
            Ok(answer) => {
                println!("{} answer in time: {answer:?}", now());
                false
            }
            Err(elapsed) => {
                println!(
                    "{} gave up ({elapsed}): the request future was dropped, closing its socket",
                    now()
                );
                true
            }
        }
    });
    server.shutdown();
    Ok(gave_up)
}

fn main() {
    let args = common::start(FLAGS, USAGE);
    corolab::trace::label_lines(); // a server runtime and a client runtime trace side by side
    let unit = if args.flag("--quick") {
        Duration::from_millis(100)
    } else {
        Duration::from_secs(1)
    };
    println!(
        "== 1. join_all (asyncio.gather): sleeps of {DURATIONS:?} x {}",
        secs(unit)
    );
    gather_sleeps(unit);
    println!("\n== 2. select (asyncio.wait, FIRST_COMPLETED): a 3-unit sleep against a 1-unit sleep");
    first_completed(unit);
    println!("\n== 3. timeout (asyncio.wait_for)");
    with_timeouts(unit);
    println!("\n== 4. requests to a local slow server, handled as they complete");
    if let Err(e) = requests_as_completed(unit) {
        println!("could not start the server: {e}");
    }
    println!("\n== 5. timeout around a request");
    if let Err(e) = request_with_timeout(unit) {
        println!("could not start the server: {e}");
    }
}
