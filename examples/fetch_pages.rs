//! The order-sync story (seed 000), measured: the same pages fetched sequentially, by a thread
//! pool, by worker processes, by coroutines on one thread, by one runtime per core, and by
//! gevent-style green threads.
//!
//! ```text
//! cargo run --release --example fetch_pages                      # the table (about 15 s)
//! cargo run --release --example fetch_pages -- --seed-scale      # 1000 pages at 100 ms
//! cargo run --release --example fetch_pages -- --pages 5 --trace # watch readiness drive tasks
//! cargo run --release --example fetch_pages -- --pages 5 --timeline run.html # step through it
//! ```
//!
//! The order API runs in this process, on its own thread with its own corolab runtime
//! (`corolab_server::orders`); each request waits `--latency-ms` on a timer, like a real API
//! that takes time to answer. Every strategy's result is checked against the expected sum of
//! `amount_cents`, which is computed without fetching anything.
//!
//! The strategies live in `fetch_pages/strategies.rs` (the tests call them too), the worker
//! processes in `fetch_pages/workers.rs`, the trace rendering in `fetch_pages/timeline.rs`,
//! and the `/proc` readings in `fetch_pages/measure.rs`.

mod common;
#[path = "fetch_pages/measure.rs"]
mod measure;
#[path = "fetch_pages/strategies.rs"]
mod strategies;
#[path = "fetch_pages/timeline.rs"]
mod timeline;
#[path = "fetch_pages/workers.rs"]
mod workers;

use common::{Args, Flag};
use corolab::http;
use corolab_server::ServerHandle;
use corolab_server::orders::{OrderApi, Page};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use strategies::{Plan, Progress, Run, Strategy, Tally};
use workers::Launcher;

const USAGE: &str = "\
usage: fetch_pages [options]
  --pages N          pages of 100 orders to fetch (default 200; 1 to 100000)
  --latency-ms N     how long the in-process server takes per request (default 50; 0 to 10000)
  --concurrency N    connections in flight for the coroutine strategies (default 100; 1 to 10000)
  --workers N        threads in the pool / worker processes (default 5 x cores, like the seed;
                     1 to 1000)
  --only A,B,...     run only these strategies (sequential, threads, processes, coroutines,
                     cores, greenlets)
  --url BASE         fetch from a running order_server instead of the in-process one
  --chunked          the in-process server sends chunked bodies
  --seed-scale       the seed's setting: 1000 pages at 100 ms (sequential is sampled on 50
                     pages and extrapolated, and says so)
  --trace            instead of the table: one coroutine run (default 5 pages), printed as a
                     causal timeline (also: COROLAB_TRACE=1)
  --timeline FILE    instead of the table: one coroutine run, written as a self-contained
                     timeline page (FILE.html: open it in any browser, step with the arrow
                     keys) or, for a FILE.json, Chrome trace-event JSON (Chromium DevTools ->
                     Performance -> Load profile)";

/// The flags this example accepts, with the bounds of each number and why.
const FLAGS: &[Flag] = &[
    Flag::number(
        "--pages",
        1,
        100_000,
        "the in-process server computes all 100 orders of every page to know the expected sum",
    ),
    Flag::number(
        "--latency-ms",
        0,
        10_000,
        "up to 10 s per request; the HTTP client gives up on a server silent for 30 s",
    ),
    Flag::number(
        "--concurrency",
        1,
        10_000,
        "each request in flight is a socket at both ends, within this one process",
    ),
    Flag::number(
        "--workers",
        1,
        1_000,
        "one OS thread or one worker process each; beyond that the machine is measured, not the strategy",
    ),
    Flag::text("--only"),
    Flag::text("--url"),
    Flag::switch("--chunked"),
    Flag::switch("--seed-scale"),
    Flag::switch("--trace"),
    Flag::text("--timeline"),
];

/// Pages the sequential strategy fetches at `--seed-scale` before extrapolating.
const SEED_SCALE_SAMPLE: u64 = 50;

/// The command line.
struct Options {
    pages: Option<u64>,
    latency: Duration,
    concurrency: usize,
    workers: usize,
    only: Vec<Strategy>,
    url: Option<String>,
    chunked: bool,
    seed_scale: bool,
    trace: bool,
    timeline: Option<PathBuf>,
}

fn cpu_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The options, from a command line whose numbers `Args` has already checked.
fn parse_args(args: &Args) -> Result<Options, String> {
    let mode = corolab::trace::mode_from_env();
    // `COROLAB_TRACE=html:PATH` is `--timeline PATH`: this program installs its own sink.
    let html_env = match &mode {
        corolab::trace::TraceMode::Html(path) => Some(path.clone()),
        _ => None,
    };
    let trace_env = mode != corolab::trace::TraceMode::Off && html_env.is_none();
    let mut o = Options {
        pages: args.number("--pages"),
        latency: Duration::from_millis(args.number("--latency-ms").unwrap_or(50)),
        concurrency: args.count("--concurrency").unwrap_or(100),
        workers: args.count("--workers").unwrap_or(5 * cpu_cores()),
        only: Strategy::ALL.to_vec(),
        url: args
            .text("--url")
            .map(|url| url.trim_end_matches('/').to_string()),
        chunked: args.flag("--chunked"),
        seed_scale: args.flag("--seed-scale"),
        trace: trace_env || args.flag("--trace"),
        timeline: args.text("--timeline").map(PathBuf::from).or(html_env),
    };
    if let Some(names) = args.text("--only") {
        o.only = names
            .split(',')
            .map(|name| Strategy::from_name(name.trim()).ok_or(format!("unknown strategy {name:?}")))
            .collect::<Result<_, _>>()?;
    }
    if o.seed_scale {
        o.pages = Some(o.pages.unwrap_or(1000));
        if args.number("--latency-ms").is_none() {
            o.latency = Duration::from_millis(100);
        }
    }
    Ok(o)
}

fn main() -> ExitCode {
    // Started by the `processes` strategy as one of its workers?
    if let Some(ok) = workers::work_if_asked() {
        return if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE };
    }
    let args = common::start(FLAGS, USAGE);
    corolab::trace::label_lines(); // the in-process server's runtime traces too
    let options = match parse_args(&args) {
        Ok(options) => options,
        Err(message) => common::exit_with_usage(&message, USAGE),
    };
    match run_example(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Where the pages come from: the in-process server (kept alive here) or an external one.
struct Source {
    plan: Plan,
    latency: Duration,
    description: String,
    _server: Option<ServerHandle>,
}

fn run_example(options: &Options) -> Result<bool, String> {
    let tracing = options.trace || options.timeline.is_some();
    let default_pages = if options.trace { 5 } else { 200 };
    let source = match &options.url {
        None => start_local_server(options, options.pages.unwrap_or(default_pages))?,
        Some(url) => probe_external_server(options, url, options.pages.unwrap_or(default_pages))?,
    };
    if tracing {
        return traced_run(options, &source);
    }
    println!(
        "order sync: {} pages x 100 orders = {} orders from {}",
        source.plan.pages, source.plan.expected.orders, source.description
    );
    println!(
        "expected sum of amount_cents: {} (computed without fetching)\n",
        source.plan.expected.checksum
    );
    let launcher = Launcher::this_program(&[]);
    let mut rows = Vec::new();
    for &strategy in &options.only {
        rows.push(measure_strategy(strategy, options, &source, &launcher));
    }
    print_table(&rows, &source);
    print_reading(&rows, &source.plan);
    Ok(rows.iter().all(|r| r.result.is_ok()))
}

fn start_local_server(options: &Options, pages: u64) -> Result<Source, String> {
    let api = OrderApi {
        total_orders: pages * 100,
        page_size: 100,
        latency: options.latency,
        chunked: options.chunked,
    };
    let server = api
        .clone()
        .spawn_on_thread("127.0.0.1:0")
        .map_err(|e| format!("cannot start the order server: {e}"))?;
    let plan = Plan {
        base_url: server.url().to_string(),
        pages,
        workers: options.workers,
        concurrency: options.concurrency,
        cores: cpu_cores(),
        expected: expected_tally(&api, pages),
    };
    Ok(Source {
        description: format!(
            "{} (in-process server thread, {} ms per request)",
            server.url(),
            options.latency.as_millis()
        ),
        plan,
        latency: options.latency,
        _server: Some(server),
    })
}

fn expected_tally(api: &OrderApi, pages: u64) -> Tally {
    Tally {
        pages,
        orders: (0..pages).map(|p| api.page(p).order_list.len() as u64).sum(),
        checksum: api.checksum_of_pages(0..pages),
    }
}

/// An external server must be a corolab order API: its first and last page tell the page
/// size and the number of orders, from which the expected checksum follows. Three timed
/// requests estimate its latency (for the lower bound).
fn probe_external_server(options: &Options, url: &str, pages: u64) -> Result<Source, String> {
    let client = http::blocking::Client::new();
    let get = |page: u64| -> Result<Page, String> {
        let page_url = strategies::page_url(url, page);
        let response = client.get(&page_url).map_err(|e| format!("{url}: {e}"))?;
        if response.status() != 200 {
            return Err(format!(
                "GET {page_url} answered HTTP {}, not 200: is {url} an order API \
                 (cargo run --example order_server)?",
                response.status()
            ));
        }
        response
            .json()
            .map_err(|e| format!("{url} is not an order API: {e}"))
    };
    let mut latency = Duration::MAX;
    let mut first = None;
    for _ in 0..3 {
        let start = Instant::now();
        first = Some(get(0)?);
        latency = latency.min(start.elapsed());
    }
    let first = first.expect("probed");
    let last_page = first.total_pages.saturating_sub(1);
    let last = get(last_page)?;
    let api = OrderApi {
        total_orders: last_page * first.page_size + last.order_list.len() as u64,
        page_size: first.page_size,
        ..OrderApi::default()
    };
    let pages = pages.min(api.total_pages());
    Ok(Source {
        plan: Plan {
            base_url: url.to_string(),
            pages,
            workers: options.workers,
            concurrency: options.concurrency,
            cores: cpu_cores(),
            expected: expected_tally(&api, pages),
        },
        latency,
        description: format!(
            "{url} (external server, ~{:.1} ms per request measured)",
            ms(latency)
        ),
        _server: None,
    })
}

/// One row of the table.
struct Row {
    strategy: Strategy,
    result: Result<Run, String>,
    /// Growth of this process's peak memory during the run, plus workers' peaks, in KiB.
    memory_kb: u64,
    /// `Some(n)`: only `n` pages were fetched and the times were scaled up.
    sampled: Option<u64>,
}

fn measure_strategy(strategy: Strategy, options: &Options, source: &Source, launcher: &Launcher) -> Row {
    let mut plan = source.plan.clone();
    let sampled = (options.seed_scale && strategy == Strategy::Sequential && plan.pages > SEED_SCALE_SAMPLE)
        .then_some(SEED_SCALE_SAMPLE);
    if let Some(sample) = sampled {
        plan.pages = sample;
        let api = OrderApi {
            total_orders: source.plan.pages * 100,
            ..OrderApi::default()
        };
        plan.expected = expected_tally(&api, sample);
    }
    let progress = Progress::default();
    let printer = ProgressLine::start(strategy.name(), plan.pages, progress.clone());
    measure::reset_peak_rss();
    let rss_before = measure::rss_kb();
    let mut result = strategies::run(strategy, &plan, &progress, launcher);
    let memory_kb = measure::peak_rss_kb().saturating_sub(rss_before)
        + result.as_ref().map_or(0, |run| run.child_peak_kb);
    printer.stop();
    if let (Some(sample), Ok(run)) = (sampled, &mut result) {
        let scale = source.plan.pages as f64 / sample as f64;
        run.wall = run.wall.mul_f64(scale);
        run.cpu = run.cpu.mul_f64(scale);
    }
    Row {
        strategy,
        result,
        memory_kb,
        sampled,
    }
}

/// Prints "threads: 120/200 pages" on stderr while a strategy runs (only on a terminal).
struct ProgressLine {
    stop: std::sync::mpsc::Sender<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ProgressLine {
    fn start(name: &'static str, total: u64, progress: Progress) -> ProgressLine {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::io::stderr().is_terminal().then(|| {
            std::thread::spawn(move || {
                let mut err = std::io::stderr();
                loop {
                    let _ = write!(err, "\r  {name:<11} {:>5}/{total} pages", progress.pages_done());
                    let _ = err.flush();
                    if stopped.recv_timeout(Duration::from_millis(100)).is_ok() {
                        let _ = write!(err, "\r{:60}\r", "");
                        return;
                    }
                }
            })
        });
        ProgressLine { stop, thread }
    }

    fn stop(mut self) {
        let _ = self.stop.send(());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn seconds(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{:.0} ms", ms(d))
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

/// The best possible time with `in_flight` requests at a time: ceil(pages / in_flight) rounds
/// of one latency each.
fn lower_bound(pages: u64, in_flight: usize, latency: Duration) -> Duration {
    latency * pages.div_ceil(in_flight.max(1) as u64) as u32
}

fn print_table(rows: &[Row], source: &Source) {
    let sequential_wall = rows
        .iter()
        .find(|r| r.strategy == Strategy::Sequential)
        .and_then(|r| r.result.as_ref().ok())
        .map(|run| run.wall);
    println!(
        "{:<12} {:>9} {:>8} {:>8} {:>9} {:>9}  {:<13} {:>9}  runtime counters",
        "strategy", "wall", "speedup", "/ bound", "CPU", "in flight", "carriers", "peak mem"
    );
    for row in rows {
        let name = if row.sampled.is_some() {
            format!("{}*", row.strategy.name())
        } else {
            row.strategy.name().to_string()
        };
        let run = match &row.result {
            Ok(run) => run,
            Err(e) => {
                println!("{name:<12} {e}");
                continue;
            }
        };
        let speedup = sequential_wall.map_or("-".to_string(), |s| {
            format!("{:.1}x", s.as_secs_f64() / run.wall.as_secs_f64())
        });
        let bound = lower_bound(source.plan.pages, run.in_flight, source.latency);
        let vs_bound = if bound.is_zero() {
            "-".to_string()
        } else {
            format!("{:.2}", run.wall.as_secs_f64() / bound.as_secs_f64())
        };
        let counters = run.runtime.map_or("-".to_string(), |s| {
            format!(
                "{} polls, {} wakes, {} epoll waits, {} I/O events",
                s.polls, s.wakes, s.reactor_waits, s.io_events
            )
        });
        println!(
            "{name:<12} {:>9} {:>8} {:>8} {:>9} {:>9}  {:<13} {:>9}  {counters}",
            seconds(run.wall),
            speedup,
            vs_bound,
            seconds(run.cpu),
            run.in_flight,
            run.carriers,
            format!("+{:.1} MB", row.memory_kb as f64 / 1024.0),
        );
    }
    let verified = rows.iter().filter(|r| r.result.is_ok()).count();
    println!(
        "\nchecksums verified for {verified} of {} strategies ({} orders, sum of amount_cents {}).",
        rows.len(),
        source.plan.expected.orders,
        source.plan.expected.checksum
    );
    if let Some(sample) = rows.iter().find_map(|r| r.sampled) {
        println!(
            "* sequential fetched (and verified) a sample of {sample} pages; its times are scaled up x{:.0} to {} pages.",
            source.plan.pages as f64 / sample as f64,
            source.plan.pages
        );
    }
    println!(
        "/ bound: wall time divided by ceil(pages / in flight) x latency, the best possible with that many \
         requests in flight.\nCPU: the strategy's own threads and processes (not the server thread). \
         peak mem: growth of this process's peak\nresident memory during the run (the server's buffers \
         included), plus each worker process's peak for processes."
    );
}

/// The two sentences that read the table, as the seed did.
fn print_reading(rows: &[Row], plan: &Plan) {
    let run = |s: Strategy| {
        rows.iter()
            .find(|r| r.strategy == s)
            .and_then(|r| r.result.as_ref().ok())
    };
    println!();
    if let (Some(seq), Some(co)) = (run(Strategy::Sequential), run(Strategy::Coroutines)) {
        let versus_threads = run(Strategy::Threads).map_or(String::new(), |t| {
            format!(
                " and {:.1}x faster than {}",
                t.wall.as_secs_f64() / co.wall.as_secs_f64(),
                t.carriers
            )
        });
        let stats = co.runtime.unwrap_or_default();
        println!(
            "Coroutines win on this I/O-bound job: one thread fetched {} pages in {}, {:.0}x faster than \
             sequential{versus_threads}, because a request that waits costs a coroutine only a parked task, \
             not a blocked thread ({} polls and {} epoll waits kept {} requests in flight).",
            plan.pages,
            seconds(co.wall),
            seq.wall.as_secs_f64() / co.wall.as_secs_f64(),
            stats.polls,
            stats.reactor_waits,
            co.in_flight
        );
    } else {
        println!(
            "Coroutines win on I/O-bound work because a waiting request costs them a parked task, not a \
             blocked thread (run with coroutines and sequential to see the numbers)."
        );
    }
    let why = match (run(Strategy::Coroutines), run(Strategy::Cores)) {
        (Some(co), Some(cores)) => format!(
            "one runtime on each of {} (cores row) took {} against {} on one thread, because the CPU was \
             nearly idle in every row (CPU column)",
            cores.carriers,
            seconds(cores.wall),
            seconds(co.wall)
        ),
        _ => "the CPU was nearly idle in every row (CPU column), so more cores would not help either"
            .to_string(),
    };
    println!(
        "They do not help where the time is not waiting: {why}; only CPU-bound work gains from more cores \
         (threads, processes, one runtime per core), and a blocking call inside a coroutine stalls every task \
         on its thread."
    );
}

/// `--timeline FILE`: a `.json` name gets Chrome trace-event JSON, any other name the
/// self-contained timeline page (`corolab::trace::timeline`).
fn write_timeline(path: &std::path::Path, entries: &[timeline::Entry], pages: u64) -> Result<(), String> {
    let json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let (text, count, how) = if json {
        let how = "Chrome trace-event JSON: load it offline in Chromium's DevTools, Performance tab, \
                   \"Load profile\"";
        let (chrome, count) = timeline::chrome_json_counted(entries);
        (chrome, count, how)
    } else {
        let title = format!("fetch_pages: {pages} pages, coroutines");
        let (page, count) = timeline::html(entries, &title);
        (page, count, "one self-contained page: open it in any browser")
    };
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("wrote {count} trace events to {} ({how})", path.display());
    Ok(())
}

/// `--trace` / `--timeline`: one coroutine run with the runtime's events recorded
/// (`COROLAB_TRACE=json` also writes every record to stderr as a JSON line).
fn traced_run(options: &Options, source: &Source) -> Result<bool, String> {
    let plan = &source.plan;
    let json_lines: Option<Box<dyn corolab::trace::Sink>> = match corolab::trace::mode_from_env() {
        corolab::trace::TraceMode::Json => {
            Some(Box::new(corolab::trace::JsonLinesSink::new(std::io::stderr())))
        }
        _ => None,
    };
    let json = json_lines.is_some();
    let timeline = timeline::Timeline::install_with(json_lines);
    let result = strategies::coroutines(plan, &Progress::default(), Some(timeline.note_fn()));
    corolab::trace::clear_sink();
    let entries = timeline.entries();
    if options.trace && !json {
        println!(
            "Trace of the coroutine strategy: {} pages from {}\n",
            plan.pages, source.description
        );
        println!("{}", timeline::LEGEND);
        print!("{}", timeline::render_text(&entries));
        if plan.pages > 20 {
            println!("(that was long: --pages 5 gives a trace you can read in one screen)");
        }
    }
    if json {
        // stderr also holds the in-process server's records (its own runtime and thread): say
        // whose records the count is, so it can be checked against the file.
        let rt = entries.first().map_or(0, |e| e.rt);
        let server = if source._server.is_some() {
            "; the in-process server's runtime (thread corolab-server) wrote its own records there too"
        } else {
            ""
        };
        println!(
            "wrote {} trace records of the client's runtime (rt {rt}, thread main) to stderr as JSON lines{server}",
            entries.len()
        );
    }
    if let Some(path) = &options.timeline {
        write_timeline(path, &entries, plan.pages)?;
    }
    let run = result
        .and_then(|run| strategies::verify(plan, &run).map(|()| run))
        .map_err(|e| format!("traced run failed: {e}"))?;
    println!(
        "\n{} pages in {} (checksum verified: {} orders, sum {})",
        run.fetched.pages,
        seconds(run.wall),
        run.fetched.orders,
        run.fetched.checksum
    );
    Ok(true)
}
