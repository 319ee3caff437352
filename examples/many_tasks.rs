//! # many_tasks: what a sleeping task costs, next to a sleeping thread
//!
//! **Seed idea** (seeds 001 and 002): coroutines are light, switching is cheap, and "one CPU
//! can support tens of thousands of coroutines", where threads would run out first.
//!
//! **In corolab.** Spawn N tasks that each await `sleep(1 s)` (default N = 100,000;
//! `--million` for 1,000,000), wait until all N are asleep at once, read the process's memory
//! from `/proc/self/status`, then wait for all of them. Then do the same with OS threads that
//! call `std::thread::sleep(1 s)`, for a smaller N (default 1,000; see below why).
//!
//! Memory is `VmRSS` (resident memory now) read just before spawning and again while all N are
//! asleep; the difference divided by N is the cost of one sleeping task (or thread), including
//! its `JoinHandle` and its timer. `VmHWM` is the peak RSS of the whole process, printed for
//! reference. For threads the example also prints `VmSize` (address space): each Rust thread
//! reserves a 2 MiB stack, of which only the touched pages count as resident, and the kernel's
//! own per-thread memory is not in RSS at all.
//!
//! **Why fewer threads.** 100,000 threads would reserve about 200 GiB of stack address space
//! and run into the per-user and per-container thread limits (`ulimit -u`, the cgroup's
//! `pids.max`, `/proc/sys/kernel/threads-max`); 1,000 is enough to show the price of one.
//!
//! **What to look for in the output.** Spawning a task takes well under a microsecond in a
//! release build, a thread tens of microseconds. Both runs end after about 1 s: all the sleeps
//! overlap. A sleeping task costs a few hundred bytes; a thread some KiB of RSS plus 2 MiB of
//! address space, plus kernel memory. Each line starts with the time of day, `HH:MM:SS` in
//! **UTC**. Measure with `--release`: a debug build spawns much more slowly.
//!
//! Run: `cargo run --release --example many_tasks [-- --million | --tasks N] [--threads N]`;
//! `--quick` uses 10,000 tasks, 100 threads and 0.2 s sleeps.

mod common;

use common::{Flag, human_bytes, now, proc_status_bytes, secs, thousands};
use corolab::time::sleep;
use corolab::{Runtime, spawn, yield_now};
use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: many_tasks [--quick] [--million | --tasks N] [--threads N]\n\
    \x20 --tasks N     sleeping corolab tasks (default 100,000; 1 to 10,000,000)\n\
    \x20 --million     the same as --tasks 1000000\n\
    \x20 --threads N   sleeping OS threads to compare with (default 1,000; 1 to 10,000)\n\
    \x20 --quick       10,000 tasks, 100 threads, 0.2 s sleeps";

/// The flags this example accepts, with the bounds of each number and why.
const FLAGS: &[Flag] = &[
    Flag::switch("--quick"),
    Flag::switch("--million"),
    Flag::number(
        "--tasks",
        1,
        10_000_000,
        "a sleeping task costs a few hundred bytes: 10 million take several GB",
    ),
    Flag::number(
        "--threads",
        1,
        10_000,
        "each thread reserves a 2 MiB stack; 100,000 run out of memory or of `ulimit -u` first",
    ),
];

/// What one run measured.
#[derive(Clone, Debug)]
pub struct Measured {
    /// How many tasks (or threads) were started.
    pub started: usize,
    /// How many finished normally.
    pub completed: usize,
    /// How many were alive at the same moment (for tasks: the runtime's `peak_live_tasks`).
    pub peak_alive: usize,
    /// Time to spawn them all.
    pub spawn_time: Duration,
    /// Time until the last one finished.
    pub total_time: Duration,
    /// `VmRSS` before spawning and while all were asleep (`None` without `/proc`).
    pub rss_before: Option<u64>,
    /// See `rss_before`.
    pub rss_all_asleep: Option<u64>,
    /// `VmSize` growth while all were asleep (address space; used for threads).
    pub address_space_growth: Option<u64>,
    /// Why spawning stopped early, if it did (e.g. the thread limit).
    pub spawn_error: Option<String>,
}

impl Measured {
    /// Resident memory per task (or thread): RSS growth divided by the number started.
    pub fn rss_per_item(&self) -> Option<f64> {
        let growth = self.rss_all_asleep?.saturating_sub(self.rss_before?);
        (self.started > 0).then(|| growth as f64 / self.started as f64)
    }
}

/// Spawns `n` tasks that each await `sleep(nap)`, on one thread, and measures them.
pub fn sleeping_tasks(n: usize, nap: Duration) -> Measured {
    let rss_before = proc_status_bytes("VmRSS");
    let runtime = Runtime::new();
    let start = Instant::now();
    let (spawn_time, rss_all_asleep, completed) = runtime.block_on(async {
        let asleep = Rc::new(Cell::new(0usize));
        let mut handles = Vec::with_capacity(n);
        for _ in 0..n {
            let asleep = asleep.clone();
            handles.push(spawn(async move {
                asleep.set(asleep.get() + 1);
                sleep(nap).await;
            }));
        }
        let spawn_time = start.elapsed();
        println!("{} spawned {} tasks", now(), thousands(n));
        // The tasks run only now that `main` waits; the executor polls at most 256 per loop
        // turn, so give it turns until every task has reached its sleep.
        while asleep.get() < n {
            yield_now().await;
        }
        let rss_all_asleep = proc_status_bytes("VmRSS");
        println!("{} all {} tasks are asleep", now(), thousands(n));
        let mut completed = 0;
        for handle in handles {
            if handle.await.is_ok() {
                completed += 1;
            }
        }
        (spawn_time, rss_all_asleep, completed)
    });
    let total_time = start.elapsed();
    println!("{} all {} tasks are done", now(), thousands(completed));
    Measured {
        started: n,
        completed,
        peak_alive: runtime.stats().peak_live_tasks as usize,
        spawn_time,
        total_time,
        rss_before,
        rss_all_asleep,
        address_space_growth: None,
        spawn_error: None,
    }
}

/// Spawns `n` OS threads that each call `std::thread::sleep(nap)`, and measures them.
pub fn sleeping_threads(n: usize, nap: Duration) -> Measured {
    let rss_before = proc_status_bytes("VmRSS");
    let size_before = proc_status_bytes("VmSize");
    let asleep = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut handles = Vec::with_capacity(n);
    let mut spawn_error = None;
    for _ in 0..n {
        let asleep = asleep.clone();
        let spawned = thread::Builder::new().spawn(move || {
            asleep.fetch_add(1, Ordering::SeqCst);
            thread::sleep(nap);
        });
        match spawned {
            Ok(handle) => handles.push(handle),
            Err(e) => {
                spawn_error = Some(e.to_string());
                break;
            }
        }
    }
    let started = handles.len();
    let spawn_time = start.elapsed();
    println!("{} spawned {} threads", now(), thousands(started));
    // Wait (bounded) until every thread is inside its sleep.
    let give_up = Instant::now() + nap + Duration::from_secs(10);
    while asleep.load(Ordering::SeqCst) < started && Instant::now() < give_up {
        thread::sleep(Duration::from_millis(1));
    }
    let peak_alive = asleep.load(Ordering::SeqCst);
    let rss_all_asleep = proc_status_bytes("VmRSS");
    let size_all_asleep = proc_status_bytes("VmSize");
    println!("{} all {} threads are asleep", now(), thousands(peak_alive));
    let completed = handles.into_iter().filter_map(|h| h.join().ok()).count();
    let total_time = start.elapsed();
    println!("{} all {} threads are done", now(), thousands(completed));
    Measured {
        started,
        completed,
        peak_alive,
        spawn_time,
        total_time,
        rss_before,
        rss_all_asleep,
        address_space_growth: size_before
            .zip(size_all_asleep)
            .map(|(before, after)| after.saturating_sub(before)),
        spawn_error,
    }
}

/// Prints what one run measured.
fn report(what: &str, m: &Measured) {
    println!(
        "-> {} {what}: spawned in {:.1} ms ({:.2} µs each), {} alive at once, {} done after {}",
        thousands(m.started),
        m.spawn_time.as_secs_f64() * 1e3,
        m.spawn_time.as_secs_f64() * 1e6 / m.started.max(1) as f64,
        thousands(m.peak_alive),
        thousands(m.completed),
        secs(m.total_time)
    );
    match (m.rss_before, m.rss_all_asleep, m.rss_per_item()) {
        (Some(before), Some(asleep), Some(each)) => println!(
            "   memory: RSS {} before, {} with all asleep: {} each",
            human_bytes(before as f64),
            human_bytes(asleep as f64),
            human_bytes(each)
        ),
        _ => println!("   memory: /proc/self/status is not available here"),
    }
    if let Some(growth) = m.address_space_growth {
        println!(
            "   address space (VmSize) grew by {} ({} each): a 2 MiB stack per thread, plus malloc's per-thread arenas",
            human_bytes(growth as f64),
            human_bytes(growth as f64 / m.started.max(1) as f64)
        );
    }
    if let Some(error) = &m.spawn_error {
        println!("   spawning stopped early: {error}");
    }
}

fn main() {
    let args = common::start(FLAGS, USAGE);
    common::warn_if_tracing("spawning and waking a task");
    let quick = args.flag("--quick");
    let nap = if quick {
        Duration::from_millis(200)
    } else {
        Duration::from_secs(1)
    };
    let default_tasks = if args.flag("--million") {
        1_000_000
    } else if quick {
        10_000
    } else {
        100_000
    };
    let tasks = args.count("--tasks").unwrap_or(default_tasks);
    let threads = args.count("--threads").unwrap_or(if quick { 100 } else { 1_000 });

    println!(
        "== {} corolab tasks, each awaiting sleep({}), on one thread",
        thousands(tasks),
        secs(nap)
    );
    let task_run = sleeping_tasks(tasks, nap);
    report("tasks", &task_run);

    println!(
        "\n== {} OS threads, each calling std::thread::sleep({})",
        thousands(threads),
        secs(nap)
    );
    println!(
        "   (fewer on purpose: 100,000 threads would reserve ~200 GiB of stacks and hit the thread limits)"
    );
    let thread_run = sleeping_threads(threads, nap);
    report("threads", &thread_run);

    if let Some(peak) = proc_status_bytes("VmHWM") {
        println!("\npeak RSS of this process (VmHWM): {}", human_bytes(peak as f64));
    }
    if let (Some(task), Some(thread)) = (task_run.rss_per_item(), thread_run.rss_per_item())
        && task > 0.0
    {
        println!(
            "a sleeping thread costs about {:.0} x the resident memory of a sleeping task",
            thread / task
        );
    }
}
