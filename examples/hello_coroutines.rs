//! # hello_coroutines: a coroutine does nothing until something runs it
//!
//! **Seed idea** (seed 001, "asyncio basics"). In Python, `coroutine = task()` runs *none* of
//! `task`'s body: it only makes a coroutine object. `loop.run_until_complete(coroutine)` runs
//! it. `asyncio.ensure_future(coroutine)` makes it a task, and `task.add_done_callback(callback)`
//! asks for `callback(task)` once the task is done.
//!
//! **In corolab.** Calling an `async fn` builds a future (a value holding the function's state)
//! and runs none of its body either. `Runtime::block_on` is `run_until_complete`.
//! `corolab::spawn` is `ensure_future` (it needs a running runtime, so it is called inside
//! `block_on`), and `JoinHandle::on_done` is `add_done_callback`. Part 3 shows the usual Rust
//! style instead of a callback: `.await` the handle and use the result on the next line.
//!
//! **What to look for in the output.**
//! - Part 1: "created the future" is printed *before* "task start": creating it ran nothing.
//!   The run takes about 2 s, the task's sleep.
//! - Part 2: "spawned the task" also comes before "task start": `spawn` only queues the task;
//!   it starts when `main` waits. "callback called" follows "task end" at once, before
//!   `block_on` returns.
//! - Part 3: the same order, with the result used after `.await` instead of in a callback.
//!
//! The seed's task calls the blocking `time.sleep(2)`; with one task that changes nothing, and
//! here the task awaits `corolab::time::sleep` (`concurrent_sleep` shows what a blocking
//! sleep does to other tasks). Each line starts with the time of day, `HH:MM:SS` in **UTC**.
//!
//! Run: `cargo run --example hello_coroutines` (add `--quick` to sleep 0.1 s instead of 2 s).

mod common;

use common::{Flag, now, secs};
use corolab::time::sleep;
use corolab::{JoinError, Runtime};
use std::any::type_name_of_val;
use std::cell::RefCell;
use std::mem::size_of_val;
use std::rc::Rc;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: hello_coroutines [--quick]";

/// The flags this example accepts.
const FLAGS: &[Flag] = &[Flag::switch("--quick")];

/// Every line printed, in order, so the test can check what happened before what.
pub type Log = Rc<RefCell<Vec<String>>>;

/// Prints `HH:MM:SS line` and remembers `line`.
fn say(log: &Log, line: String) {
    println!("{} {line}", now());
    log.borrow_mut().push(line);
}

/// The seeds' `task()`: says when it starts and when it ends, and sleeps in between.
async fn task(log: Log, nap: Duration) -> &'static str {
    say(&log, "task start".to_string());
    sleep(nap).await;
    say(&log, "task end".to_string());
    "finished"
}

/// Part 1: create the future, print it, then run it (`loop.run_until_complete(coroutine)`).
pub fn create_then_run(nap: Duration) -> Vec<String> {
    let log = Log::default();
    let coroutine = task(log.clone(), nap);
    say(
        &log,
        format!(
            "created the future {} ({} bytes): task has not run",
            type_name_of_val(&coroutine),
            size_of_val(&coroutine)
        ),
    );
    let runtime = Runtime::new();
    say(&log, "start running it".to_string());
    let start = Instant::now();
    let state = runtime.block_on(coroutine);
    say(
        &log,
        format!("done running it ({state}), took {}", secs(start.elapsed())),
    );
    log.take()
}

/// The seeds' `callback(task)`: called once the task is done, reads its result.
fn callback(log: &Log, result: Result<&&'static str, &JoinError>) {
    say(log, "callback called".to_string());
    match result {
        Ok(state) => say(log, format!("state: {state}")),
        Err(e) => say(log, format!("state: failed: {e}")),
    }
}

/// Part 2: `ensure_future` + `add_done_callback`, i.e. `spawn` + `JoinHandle::on_done`.
pub fn spawn_with_callback(nap: Duration) -> Vec<String> {
    let log = Log::default();
    let runtime = Runtime::new();
    let start = Instant::now();
    let joined = runtime.block_on(async {
        let handle = corolab::spawn(task(log.clone(), nap));
        say(&log, "spawned the task: it has not started".to_string());
        let log_for_callback = log.clone();
        handle.on_done(move |result| callback(&log_for_callback, result));
        say(&log, "start running it".to_string());
        handle.await // waiting here is what lets the task run
    });
    let outcome = match joined {
        Ok(_) => "ok",
        Err(_) => "failed",
    };
    say(
        &log,
        format!("done running it ({outcome}), took {}", secs(start.elapsed())),
    );
    log.take()
}

/// Part 3: the same without a callback: await the handle and use the result right there.
pub fn spawn_then_await(nap: Duration) -> Vec<String> {
    let log = Log::default();
    let runtime = Runtime::new();
    let start = Instant::now();
    runtime.block_on(async {
        let handle = corolab::spawn(task(log.clone(), nap));
        say(&log, "spawned the task: it has not started".to_string());
        match handle.await {
            Ok(state) => say(&log, format!("awaited the handle, state: {state}")),
            Err(e) => say(&log, format!("awaited the handle, state: failed: {e}")),
        }
    });
    say(&log, format!("done running it, took {}", secs(start.elapsed())));
    log.take()
}

fn main() {
    let args = common::start(FLAGS, USAGE);
    let nap = if args.flag("--quick") {
        Duration::from_millis(100)
    } else {
        Duration::from_secs(2)
    };
    println!("== 1. a future runs only when block_on runs it (run_until_complete)");
    create_then_run(nap);
    println!("\n== 2. spawn + on_done (ensure_future + add_done_callback)");
    spawn_with_callback(nap);
    println!("\n== 3. spawn + .await (no callback)");
    spawn_then_await(nap);
}
