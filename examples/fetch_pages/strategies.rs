//! The strategies of the order-sync story: the same pages fetched six ways.
//!
//! Every strategy fetches pages `0..plan.pages` of the order API, adds up `amount_cents`, and
//! returns a [`Run`]: what it fetched (checked against the expected totals) and what it cost.
//! The blocking strategies use `corolab::http::blocking::Client` (a thread sleeps in `read`
//! while the server thinks); the coroutine strategies use `corolab::http::Client` (a task
//! parks, the thread serves other tasks); the green strategy writes blocking-looking code that
//! `corolab::green` runs on greenlet stacks, switching to the hub whenever a socket would block.

use super::measure::thread_cpu;
use super::workers::{self, Launcher};
use corolab::http;
use corolab::runtime::Stats;
use corolab::{Runtime, green, spawn_named};
use corolab_server::orders::Page;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// One way of fetching the pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// One blocking request after another (the seed's 106 s).
    Sequential,
    /// A pool of OS threads, each making blocking requests (the seed's ThreadPoolExecutor).
    Threads,
    /// A pool of worker processes (the seed's multiprocessing row, left as `pass` there).
    Processes,
    /// One thread, one runtime, one task per page (the seed's asyncio + aiohttp).
    Coroutines,
    /// One runtime per CPU core, pages shared out (asyncio + multiprocessing).
    Cores,
    /// gevent-style green threads: blocking-looking code on greenlet stacks (`corolab::green`).
    Greenlets,
}

impl Strategy {
    /// Every strategy, in the order the table shows them.
    pub const ALL: [Strategy; 6] = [
        Strategy::Sequential,
        Strategy::Threads,
        Strategy::Processes,
        Strategy::Coroutines,
        Strategy::Cores,
        Strategy::Greenlets,
    ];

    /// The name used on the command line and in the table.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Sequential => "sequential",
            Strategy::Threads => "threads",
            Strategy::Processes => "processes",
            Strategy::Coroutines => "coroutines",
            Strategy::Cores => "cores",
            Strategy::Greenlets => "greenlets",
        }
    }

    /// The strategy called `name`.
    pub fn from_name(name: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Pages, orders and the sum of `amount_cents`: what was fetched, or what should have been.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Pages fetched.
    pub pages: u64,
    /// Orders in them.
    pub orders: u64,
    /// Sum of their `amount_cents`.
    pub checksum: u64,
}

impl Tally {
    /// Adds another tally to this one.
    pub fn add(&mut self, other: Tally) {
        self.pages += other.pages;
        self.orders += other.orders;
        self.checksum += other.checksum;
    }
}

/// What to fetch and how much concurrency each strategy may use.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Where the API is, e.g. `http://127.0.0.1:8080` (no trailing slash).
    pub base_url: String,
    /// Fetch pages `0..pages`.
    pub pages: u64,
    /// Threads in the pool / worker processes.
    pub workers: usize,
    /// Most connections (requests in flight) for the coroutine strategies.
    pub concurrency: usize,
    /// Runtimes (threads) of the `cores` strategy.
    pub cores: usize,
    /// What pages `0..pages` must add up to.
    pub expected: Tally,
}

/// Pages done so far, shared with whoever prints the progress line.
#[derive(Clone, Debug, Default)]
pub struct Progress(Arc<AtomicU64>);

impl Progress {
    /// Counts one page.
    pub fn page_done(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// Pages done so far.
    pub fn pages_done(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// What a strategy fetched and what it cost.
#[derive(Clone, Debug, Default)]
pub struct Run {
    /// Pages, orders and checksum fetched (verified equal to `Plan::expected`).
    pub fetched: Tally,
    /// Wall-clock time.
    pub wall: Duration,
    /// CPU time of every thread (and process) the strategy used.
    pub cpu: Duration,
    /// Requests that were allowed in flight at once (for the lower bound).
    pub in_flight: usize,
    /// "1 thread", "10 threads", "10 processes", ...
    pub carriers: String,
    /// For `processes`: the sum of the workers' peak resident memory, in KiB.
    pub child_peak_kb: u64,
    /// For the coroutine strategies: the runtime counters (summed over runtimes).
    pub runtime: Option<Stats>,
}

/// Runs `strategy` on `plan`. `Err` explains what failed (a request, or a wrong checksum).
pub fn run(strategy: Strategy, plan: &Plan, progress: &Progress, launcher: &Launcher) -> Result<Run, String> {
    let run = match strategy {
        Strategy::Sequential => sequential(plan, progress)?,
        Strategy::Threads => threads(plan, progress)?,
        Strategy::Processes => processes(plan, progress, launcher)?,
        Strategy::Coroutines => coroutines(plan, progress, None)?,
        Strategy::Cores => cores(plan, progress)?,
        Strategy::Greenlets => greenlets(plan, progress)?,
    };
    verify(plan, &run)?;
    Ok(run)
}

/// The fetched totals must equal the expected ones: every page exactly once.
pub fn verify(plan: &Plan, run: &Run) -> Result<(), String> {
    if run.fetched == plan.expected {
        Ok(())
    } else {
        Err(format!(
            "checksum mismatch: fetched {:?}, expected {:?}",
            run.fetched, plan.expected
        ))
    }
}

/// The URL of one page.
pub fn page_url(base_url: &str, page: u64) -> String {
    format!("{base_url}/orders?page={page}")
}

/// Checks a page response and adds up its orders.
pub fn tally_page(page: u64, response: &http::Response) -> Result<Tally, String> {
    if response.status() != 200 {
        return Err(format!("page {page}: status {}", response.status()));
    }
    let data: Page = response.json().map_err(|e| format!("page {page}: {e}"))?;
    if data.page != page {
        return Err(format!("asked for page {page}, got page {}", data.page));
    }
    Ok(Tally {
        pages: 1,
        orders: data.order_list.len() as u64,
        checksum: data.order_list.iter().map(|o| o.amount_cents).sum(),
    })
}

/// One page with a blocking client: the thread waits inside `read` until the server answers.
pub fn fetch_page_blocking(
    client: &http::blocking::Client,
    base_url: &str,
    page: u64,
) -> Result<Tally, String> {
    let response = client
        .get(&page_url(base_url, page))
        .map_err(|e| format!("page {page}: {e}"))?;
    tally_page(page, &response)
}

// ---- 1. sequential -------------------------------------------------------------------------

/// One request after another on one keep-alive connection.
pub fn sequential(plan: &Plan, progress: &Progress) -> Result<Run, String> {
    let (cpu_before, start) = (thread_cpu(), Instant::now());
    let client = http::blocking::Client::new();
    let mut fetched = Tally::default();
    for page in 0..plan.pages {
        fetched.add(fetch_page_blocking(&client, &plan.base_url, page)?);
        progress.page_done();
    }
    Ok(Run {
        fetched,
        wall: start.elapsed(),
        cpu: thread_cpu() - cpu_before,
        in_flight: 1,
        carriers: "1 thread".to_string(),
        ..Run::default()
    })
}

// ---- 2. threads ----------------------------------------------------------------------------

/// `plan.workers` threads take the next page number from a shared counter until none is left
/// (a thread pool's work queue, in one atomic integer).
pub fn threads(plan: &Plan, progress: &Progress) -> Result<Run, String> {
    let start = Instant::now();
    let client = http::blocking::Client::new(); // shared: its pool is behind a Mutex
    let next_page = AtomicU64::new(0);
    let workers = plan.workers.max(1);
    let results: Vec<Result<(Tally, Duration), String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut fetched = Tally::default();
                    loop {
                        let page = next_page.fetch_add(1, Ordering::Relaxed);
                        if page >= plan.pages {
                            return Ok((fetched, thread_cpu()));
                        }
                        fetched.add(fetch_page_blocking(&client, &plan.base_url, page)?);
                        progress.page_done();
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a pool thread panicked".to_string()))
            })
            .collect()
    });
    let mut run = Run {
        wall: start.elapsed(),
        in_flight: workers.min(plan.pages as usize).max(1),
        carriers: format!("{workers} threads"),
        ..Run::default()
    };
    for result in results {
        let (fetched, cpu) = result?;
        run.fetched.add(fetched);
        run.cpu += cpu;
    }
    Ok(run)
}

// ---- 3. processes --------------------------------------------------------------------------

/// `plan.workers` child processes, worker `i` fetching pages `i, i + n, i + 2n, ...` and
/// reporting over its stdout pipe (see `workers.rs`).
pub fn processes(plan: &Plan, progress: &Progress, launcher: &Launcher) -> Result<Run, String> {
    let (cpu_before, start) = (thread_cpu(), Instant::now());
    let workers = plan.workers.max(1);
    let reports = workers::run_pool(launcher, &plan.base_url, plan.pages, workers, progress)?;
    let mut run = Run {
        wall: start.elapsed(),
        in_flight: workers.min(plan.pages as usize).max(1),
        carriers: format!("{workers} processes"),
        ..Run::default()
    };
    for report in reports {
        run.fetched.add(report.fetched);
        run.cpu += report.cpu;
        run.child_peak_kb += report.peak_rss_kb;
    }
    run.cpu += thread_cpu() - cpu_before; // the parent's own share (spawning, reading pipes)
    Ok(run)
}

// ---- 4. coroutines -------------------------------------------------------------------------

/// How a fetching task tells the `--trace` timeline what it is doing: `note(task, what)`.
pub type NoteFn = Rc<dyn Fn(&str, &str)>;

/// One page as a task: send, park until the reactor says the socket is readable, parse.
async fn fetch_page_task(
    client: http::Client,
    base_url: Rc<str>,
    page: u64,
    progress: Progress,
    notes: Option<NoteFn>,
) -> Result<Tally, String> {
    let name = format!("page {page}");
    let url = page_url(&base_url, page);
    if let Some(notes) = &notes {
        notes(
            &name,
            &format!("GET {url}: waits for a connection, sends, awaits the response"),
        );
    }
    let response = client.get(&url).await.map_err(|e| format!("page {page}: {e}"))?;
    let tally = tally_page(page, &response)?;
    if let Some(notes) = &notes {
        notes(
            &name,
            &format!(
                "response complete: {} bytes, {} orders",
                response.body().len(),
                tally.orders
            ),
        );
    }
    progress.page_done();
    Ok(tally)
}

/// Spawns one task per page on the current runtime and adds up their results.
async fn fetch_pages_as_tasks(
    client: http::Client,
    base_url: &str,
    pages: impl Iterator<Item = u64>,
    progress: &Progress,
    notes: Option<NoteFn>,
) -> Result<Tally, String> {
    let base_url: Rc<str> = Rc::from(base_url);
    let tasks: Vec<_> = pages
        .map(|page| {
            let task = fetch_page_task(
                client.clone(),
                base_url.clone(),
                page,
                progress.clone(),
                notes.clone(),
            );
            spawn_named(format!("page {page}"), task)
        })
        .collect();
    let mut fetched = Tally::default();
    for task in tasks {
        fetched.add(task.await.map_err(|e| e.to_string())??);
    }
    Ok(fetched)
}

/// One thread, one runtime, one task per page; the client's pool allows
/// `plan.concurrency` connections (aiohttp's `TCPConnector(limit=100)`).
pub fn coroutines(plan: &Plan, progress: &Progress, notes: Option<NoteFn>) -> Result<Run, String> {
    let (cpu_before, start) = (thread_cpu(), Instant::now());
    let runtime = Runtime::new();
    let client = http::Client::builder().max_connections(plan.concurrency).build();
    let fetched = runtime.block_on(fetch_pages_as_tasks(
        client,
        &plan.base_url,
        0..plan.pages,
        progress,
        notes,
    ))?;
    Ok(Run {
        fetched,
        wall: start.elapsed(),
        cpu: thread_cpu() - cpu_before,
        in_flight: plan.concurrency.min(plan.pages as usize).max(1),
        carriers: "1 thread".to_string(),
        runtime: Some(runtime.stats()),
        ..Run::default()
    })
}

// ---- 5. cores ------------------------------------------------------------------------------

/// `plan.cores` threads with a runtime each; runtime `i` fetches pages `i, i + n, ...` with a
/// share of the connection limit.
pub fn cores(plan: &Plan, progress: &Progress) -> Result<Run, String> {
    let start = Instant::now();
    let n = plan.cores.max(1) as u64;
    let per_core = plan.concurrency.div_ceil(n as usize).max(1);
    let results: Vec<Result<(Tally, Duration, Stats), String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|core| {
                scope.spawn(move || {
                    let runtime = Runtime::new();
                    let client = http::Client::builder().max_connections(per_core).build();
                    let pages = (core..plan.pages).step_by(n as usize);
                    let fetched = runtime.block_on(fetch_pages_as_tasks(
                        client,
                        &plan.base_url,
                        pages,
                        progress,
                        None,
                    ))?;
                    Ok((fetched, thread_cpu(), runtime.stats()))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a runtime thread panicked".to_string()))
            })
            .collect()
    });
    let mut run = Run {
        wall: start.elapsed(),
        in_flight: (per_core * n as usize).min(plan.pages as usize).max(1),
        carriers: format!("{n} threads"),
        runtime: Some(Stats::default()),
        ..Run::default()
    };
    for result in results {
        let (fetched, cpu, stats) = result?;
        run.fetched.add(fetched);
        run.cpu += cpu;
        run.runtime = run.runtime.map(|total| add_stats(total, stats));
    }
    Ok(run)
}

/// Counters of several runtimes added up (peak live tasks: the largest).
fn add_stats(a: Stats, b: Stats) -> Stats {
    Stats {
        polls: a.polls + b.polls,
        wakes: a.wakes + b.wakes,
        reactor_waits: a.reactor_waits + b.reactor_waits,
        io_events: a.io_events + b.io_events,
        timers_fired: a.timers_fired + b.timers_fired,
        tasks_spawned: a.tasks_spawned + b.tasks_spawned,
        peak_live_tasks: a.peak_live_tasks.max(b.peak_live_tasks),
    }
}

// ---- 6. greenlets --------------------------------------------------------------------------

/// gevent style: `plan.concurrency` green threads (a `gevent.pool.Pool`) on one runtime, each
/// taking the next page number and calling `green::http_get`, which *looks* blocking but
/// switches to the hub while the socket has nothing to read. No `async`/`.await` in sight.
/// (`green::http_get` opens one connection per request: it has no keep-alive pool.)
pub fn greenlets(plan: &Plan, progress: &Progress) -> Result<Run, String> {
    let (cpu_before, start) = (thread_cpu(), Instant::now());
    let runtime = Runtime::new();
    let pool_size = plan.concurrency.min(plan.pages as usize).max(1);
    let next_page = Rc::new(Cell::new(0u64));
    let fetched = runtime.block_on(async {
        let green_threads: Vec<_> = (0..pool_size)
            .map(|_| {
                let (next_page, progress) = (next_page.clone(), progress.clone());
                let (base_url, pages) = (plan.base_url.clone(), plan.pages);
                green::spawn(move || -> Result<Tally, String> {
                    let mut fetched = Tally::default();
                    loop {
                        let page = next_page.get();
                        if page >= pages {
                            return Ok(fetched);
                        }
                        next_page.set(page + 1);
                        let response = green::http_get(&page_url(&base_url, page))
                            .map_err(|e| format!("page {page}: {e}"))?;
                        fetched.add(tally_page(page, &response)?);
                        progress.page_done();
                    }
                })
            })
            .collect();
        let mut fetched = Tally::default();
        for green_thread in green_threads {
            fetched.add(green_thread.await.map_err(|e| e.to_string())??);
        }
        Ok::<Tally, String>(fetched)
    })?;
    Ok(Run {
        fetched,
        wall: start.elapsed(),
        cpu: thread_cpu() - cpu_before,
        in_flight: pool_size,
        carriers: "1 thread".to_string(),
        runtime: Some(runtime.stats()),
        ..Run::default()
    })
}
