//! # concurrent_sleep: five waits of 2 s in 2 s, and how one blocking call ruins it
//!
//! **Seed idea** (seed 001, "concurrency"; seed 004, `asyncio.gather` of three `sleep(1)` in 1 s).
//! Five tasks that each `await asyncio.sleep(2)` finish together after about 2 s: one thread,
//! no processes, the waits overlap. But `time.sleep(2)` inside a coroutine blocks the whole
//! event loop (seed 001, and the "blocking call blocks everything" warning of seed 002): the
//! five sleeps then run one after another, and nothing else runs meanwhile.
//!
//! **In corolab.** The same three runs, each with five tasks and a *ticker* task that prints a
//! line every quarter of the sleep:
//! 1. `corolab::time::sleep(2 s).await`: the task registers a timer and gives the thread back.
//! 2. `std::thread::sleep(2 s)` inside the task: the one runtime thread sleeps; no other task,
//!    timer or socket is served until it wakes.
//! 3. `corolab::spawn_blocking(|| std::thread::sleep(2 s)).await`: the fix (asyncio's
//!    `run_in_executor`): the blocking call runs on a helper thread; the task just waits.
//!
//! **What to look for in the output.**
//! - Run 1: five "start" lines together, ticks in between, five "end" lines 2 s later.
//! - Run 2: "task 1 start, task 1 end, task 2 start, ..." strictly one after another, 2 s
//!   apart, and **no tick at all** until the end; then one tick, about 10 s late.
//! - Run 3: like run 1 again.
//! - The summary: about 2 s, about 10 s, about 2 s, each labelled.
//!
//! Each line starts with the time of day, `HH:MM:SS` in **UTC**; tick lines add the seconds
//! since the run started.
//!
//! Run: `cargo run --example concurrent_sleep` (add `--quick` to sleep 0.1 s instead of 2 s).

mod common;

use common::{Flag, now, secs};
use corolab::time::sleep;
use corolab::{spawn, spawn_blocking};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: concurrent_sleep [--quick]";

/// The flags this example accepts.
const FLAGS: &[Flag] = &[Flag::switch("--quick")];

/// How many tasks each run starts (the seed's five).
pub const TASKS: usize = 5;

/// How the tasks wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// `corolab::time::sleep(d).await`: a timer; the thread stays free.
    AwaitSleep,
    /// `std::thread::sleep(d)` inside the task: blocks the runtime's only thread.
    ThreadSleep,
    /// `spawn_blocking(|| std::thread::sleep(d)).await`: blocks a helper thread instead.
    SpawnBlocking,
}

impl Wait {
    /// The code each task runs, as printed in the summary.
    pub fn code(self) -> &'static str {
        match self {
            Wait::AwaitSleep => "sleep(d).await",
            Wait::ThreadSleep => "std::thread::sleep(d)",
            Wait::SpawnBlocking => "spawn_blocking(|| thread::sleep(d))",
        }
    }

    /// What the summary says about it.
    pub fn verdict(self) -> &'static str {
        match self {
            Wait::AwaitSleep => "concurrent: the five waits overlap on one thread",
            Wait::ThreadSleep => "blocking: one task after another, the ticker frozen",
            Wait::SpawnBlocking => "the fix: each blocking call sleeps on a helper thread",
        }
    }
}

/// What one run measured.
#[derive(Clone, Debug)]
pub struct Run {
    /// How the tasks waited.
    pub wait: Wait,
    /// From the first spawn until the last task finished.
    pub elapsed: Duration,
    /// Ticks printed before the last task finished.
    pub ticks_while_working: usize,
    /// The longest stretch with no tick, from the start to the first tick after the work.
    pub longest_silence: Duration,
}

/// One of the five tasks: prints, waits `nap` the way `wait` says, prints again.
async fn worker(number: usize, wait: Wait, nap: Duration) {
    println!("{} task {number} start", now());
    match wait {
        Wait::AwaitSleep => sleep(nap).await,
        Wait::ThreadSleep => std::thread::sleep(nap),
        Wait::SpawnBlocking => {
            if let Err(e) = spawn_blocking(move || std::thread::sleep(nap)).await {
                println!("{} task {number}: helper thread failed: {e}", now());
            }
        }
    }
    println!("{} task {number} end", now());
}

/// Prints a tick every `every` forever and records when each tick happened. It is a canary:
/// while the thread is blocked it cannot tick.
async fn ticker(start: Instant, every: Duration, ticks: Rc<RefCell<Vec<Instant>>>) {
    let mut previous = start;
    for n in 1.. {
        sleep(every).await;
        let at = Instant::now();
        let due = previous + every;
        let late = if at - due > every {
            format!(" (late! it was due at +{:.2} s)", (due - start).as_secs_f64())
        } else {
            String::new()
        };
        println!(
            "{}     ticker: tick {n} at +{:.2} s{late}",
            now(),
            (at - start).as_secs_f64()
        );
        ticks.borrow_mut().push(at);
        previous = at;
    }
}

/// Runs five tasks that each wait `nap` the way `wait` says, next to a ticker.
pub fn run(wait: Wait, nap: Duration) -> Run {
    let tick_every = nap / 4;
    corolab::block_on(async move {
        let ticks = Rc::new(RefCell::new(Vec::new()));
        let start = Instant::now();
        let ticker = spawn(ticker(start, tick_every, ticks.clone()));
        let workers: Vec<_> = (1..=TASKS).map(|n| spawn(worker(n, wait, nap))).collect();
        for handle in workers {
            if let Err(e) = handle.await {
                println!("{} a task failed: {e}", now());
            }
        }
        let finished = Instant::now();
        // Give the ticker one more tick, so a frozen ticker shows how late it is.
        sleep(tick_every).await;
        ticker.abort();
        let ticks = ticks.borrow();
        let ticks_while_working = ticks.iter().filter(|&&t| t < finished).count();
        let first_tick_after = ticks.iter().copied().find(|&t| t >= finished);
        let mut longest_silence = Duration::ZERO;
        let mut previous = start;
        for &t in ticks
            .iter()
            .filter(|&&t| t < finished)
            .chain(first_tick_after.iter())
        {
            longest_silence = longest_silence.max(t - previous);
            previous = t;
        }
        Run {
            wait,
            elapsed: finished - start,
            ticks_while_working,
            longest_silence,
        }
    })
}

/// Prints one run's result under its description.
fn report(run: &Run) {
    println!(
        "-> {} x{TASKS}: {}; ticker ticked {} times meanwhile, longest silence {}",
        run.wait.code(),
        secs(run.elapsed),
        run.ticks_while_working,
        secs(run.longest_silence)
    );
}

fn main() {
    let args = common::start(FLAGS, USAGE);
    let nap = if args.flag("--quick") {
        Duration::from_millis(100)
    } else {
        Duration::from_secs(2)
    };
    let mut runs = Vec::new();
    for (title, wait) in [
        ("1. five tasks await sleep(d): concurrent", Wait::AwaitSleep),
        (
            "2. five tasks call std::thread::sleep(d): the loop is blocked",
            Wait::ThreadSleep,
        ),
        (
            "3. the fix: spawn_blocking(|| std::thread::sleep(d))",
            Wait::SpawnBlocking,
        ),
    ] {
        println!("== {title}, d = {}", secs(nap));
        let result = run(wait, nap);
        report(&result);
        println!();
        runs.push(result);
    }
    println!("== summary: {TASKS} tasks, each waiting d = {}", secs(nap));
    for run in &runs {
        println!(
            "{:<37} {:>8}   {}",
            run.wait.code(),
            secs(run.elapsed),
            run.wait.verdict()
        );
    }
}
