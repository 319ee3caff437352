//! The `processes` strategy's worker pool: the program starts copies of itself.
//!
//! Python's `multiprocessing.Pool` forks workers and talks to them over pipes. Here the parent
//! runs its own executable again with the environment variable `FETCH_PAGES_WORKER` set to
//! `"<base_url> <index> <workers> <pages>"`. A worker fetches pages `index, index + workers,
//! ...` with a blocking client and writes one line per page and a final report to its stdout,
//! which is a pipe read by the parent:
//!
//! ```text
//! fetch_pages-worker: page 7
//! fetch_pages-worker: report <pages> <orders> <checksum> <cpu_ns> <peak_rss_kb>
//! fetch_pages-worker: error <message>
//! ```
//!
//! Lines without the prefix are ignored (a test harness running as a worker prints its own).

use super::measure::{peak_rss_kb, thread_cpu};
use super::strategies::{Progress, Tally, fetch_page_blocking};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The environment variable that turns a process into a worker.
pub const WORKER_ENV: &str = "FETCH_PAGES_WORKER";

/// Every line a worker reports starts with this.
const PREFIX: &str = "fetch_pages-worker:";

/// How to start a worker: a program and its arguments (the job goes in [`WORKER_ENV`]).
#[derive(Clone, Debug)]
pub struct Launcher {
    /// The executable.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
}

impl Launcher {
    /// Run this very executable again with `args`.
    pub fn this_program(args: &[&str]) -> Launcher {
        Launcher {
            program: std::env::current_exe()
                .unwrap_or_else(|_| PathBuf::from(std::env::args().next().unwrap_or_default())),
            args: args.iter().map(|a| a.to_string()).collect(),
        }
    }
}

/// What one worker reported.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// What it fetched.
    pub fetched: Tally,
    /// Its CPU time (its whole life: start-up included).
    pub cpu: Duration,
    /// Its peak resident memory, in KiB.
    pub peak_rss_kb: u64,
}

/// Starts `workers` worker processes, counts their pages into `progress`, waits for all of
/// them and returns their reports.
pub fn run_pool(
    launcher: &Launcher,
    base_url: &str,
    pages: u64,
    workers: usize,
    progress: &Progress,
) -> Result<Vec<Report>, String> {
    let mut children = Vec::new();
    for index in 0..workers {
        let child = Command::new(&launcher.program)
            .args(&launcher.args)
            .env(WORKER_ENV, format!("{base_url} {index} {workers} {pages}"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start worker process {}: {e}", launcher.program.display()));
        match child {
            Ok(child) => children.push(child),
            Err(e) => {
                stop_all(&mut children);
                return Err(e);
            }
        }
    }
    // One reader thread per pipe, so that no worker blocks on a full pipe.
    let results: Vec<Result<Report, String>> = std::thread::scope(|scope| {
        let readers: Vec<_> = children
            .iter_mut()
            .map(|child| {
                let stdout = child.stdout.take();
                scope.spawn(move || read_reports(stdout, progress))
            })
            .collect();
        readers
            .into_iter()
            .map(|r| {
                r.join()
                    .unwrap_or_else(|_| Err("pipe reader panicked".to_string()))
            })
            .collect()
    });
    let mut reports = Vec::new();
    for (index, (mut child, result)) in children.into_iter().zip(results).enumerate() {
        let status = child.wait().map_err(|e| format!("worker {index}: {e}"))?;
        let report = result.map_err(|e| format!("worker {index}: {e}"))?;
        if !status.success() {
            return Err(format!("worker {index} exited with {status}"));
        }
        reports.push(report);
    }
    Ok(reports)
}

fn stop_all(children: &mut [Child]) {
    for child in children {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Reads one worker's lines until EOF: page lines count progress, the last line reports.
fn read_reports(stdout: Option<std::process::ChildStdout>, progress: &Progress) -> Result<Report, String> {
    let stdout = stdout.ok_or("no stdout pipe")?;
    let mut report = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("reading pipe: {e}"))?;
        let Some(message) = line.strip_prefix(PREFIX) else {
            continue;
        };
        let words: Vec<&str> = message.split_whitespace().collect();
        match words.as_slice() {
            ["page", _] => progress.page_done(),
            ["report", numbers @ ..] => report = Some(parse_report(numbers)?),
            ["error", ..] => return Err(message.trim_start().trim_start_matches("error ").to_string()),
            _ => return Err(format!("unexpected line from worker: {line}")),
        }
    }
    report.ok_or_else(|| "worker ended without a report".to_string())
}

fn parse_report(numbers: &[&str]) -> Result<Report, String> {
    let n: Vec<u64> = numbers
        .iter()
        .map(|w| w.parse().map_err(|_| format!("bad number in report: {w}")))
        .collect::<Result<_, _>>()?;
    let [pages, orders, checksum, cpu_ns, peak_rss_kb] = n[..] else {
        return Err(format!("report needs 5 numbers, got {}", n.len()));
    };
    Ok(Report {
        fetched: Tally {
            pages,
            orders,
            checksum,
        },
        cpu: Duration::from_nanos(cpu_ns),
        peak_rss_kb,
    })
}

/// If this process was started as a worker ([`WORKER_ENV`] set), does the work and returns
/// `Some(success)`; otherwise returns `None` at once.
pub fn work_if_asked() -> Option<bool> {
    let job = std::env::var(WORKER_ENV).ok()?;
    let mut out = std::io::stdout().lock();
    let result = work(&job, &mut out);
    if let Err(e) = &result {
        let _ = writeln!(out, "{PREFIX} error {e}");
    }
    let _ = out.flush();
    Some(result.is_ok())
}

/// The worker's job: `"<base_url> <index> <workers> <pages>"`.
fn work(job: &str, out: &mut impl Write) -> Result<(), String> {
    let bad = || format!("bad {WORKER_ENV} value: {job:?}");
    let [base_url, index, workers, pages] = job.split_whitespace().collect::<Vec<_>>()[..] else {
        return Err(bad());
    };
    let number = |w: &str| w.parse::<u64>().map_err(|_| bad());
    let (index, workers, pages) = (number(index)?, number(workers)?.max(1), number(pages)?);
    let client = corolab::http::blocking::Client::new();
    let mut fetched = Tally::default();
    for page in (index..pages).step_by(workers as usize) {
        fetched.add(fetch_page_blocking(&client, base_url, page)?);
        writeln!(out, "{PREFIX} page {page}").map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
    }
    let cpu_ns = thread_cpu().as_nanos();
    writeln!(
        out,
        "{PREFIX} report {} {} {} {cpu_ns} {}",
        fetched.pages,
        fetched.orders,
        fetched.checksum,
        peak_rss_kb()
    )
    .map_err(|e| e.to_string())
}
