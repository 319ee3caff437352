//! corolab side by side with tokio, smol and hyper, in one run, with ratios.
//!
//! ```text
//! cargo run --release -p bench -- all                 # every workload, 7 rounds
//! cargo run --release -p bench -- ping_pong --rounds 11
//! cargo run --release -p bench -- all --quick         # smoke run: sizes / 10, 1 round
//! ```
//!
//! For each workload, each round runs every contender once, in an order that rotates from
//! round to round, so slow phases of a noisy machine hit everyone alike. The table shows the
//! median over rounds with [min - max], the ratio corolab / best peer (medians), the goal and
//! whether it is met. Workloads that read peak RSS run in a child process of their own (this
//! binary re-executed with `__child`), so readings never mix. HTTP workloads talk to a
//! tokio + hyper server in another child process (`__server`), the same server for every
//! client, and the table reports how much CPU it used.

mod machine;
mod server;
mod workloads;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use workloads::{Contender, Ctx, Sample};

/// What a goal compares.
#[derive(Clone, Copy, Debug)]
enum GoalKind {
    /// corolab's median divided by the best peer's median must be at most this.
    RatioAtMost(f64),
    /// corolab's median itself must be at most this.
    ValueAtMost(f64),
}

/// A goal from the issue, on one metric of a workload.
struct Goal {
    metric: &'static str,
    kind: GoalKind,
}

/// A workload and how to run it.
struct Workload {
    name: &'static str,
    contenders: &'static [Contender],
    /// Run each measurement in a fresh child process (peak RSS must not mix).
    own_process: bool,
    /// Needs the HTTP server.
    http: bool,
    goals: &'static [Goal],
    run: fn(Contender, &Ctx) -> Sample,
}

const ALL_THREE: &[Contender] = &[Contender::Corolab, Contender::Tokio, Contender::Smol];
/// HTTP workloads: corolab's client against hyper's on tokio (no smol HTTP client here).
const HTTP_PAIR: &[Contender] = &[Contender::Corolab, Contender::Tokio];

/// How a contender is named in the tables of a workload.
fn label(workload: &Workload, who: Contender) -> &'static str {
    match (workload.http, who) {
        (true, Contender::Tokio) => "hyper",
        (true, Contender::Corolab) => "corolab",
        _ => who.name(),
    }
}

fn workloads() -> Vec<Workload> {
    vec![
        Workload {
            name: "spawn_many",
            contenders: ALL_THREE,
            own_process: false,
            http: false,
            goals: &[Goal {
                metric: "ns/task",
                kind: GoalKind::RatioAtMost(0.8),
            }],
            run: workloads::spawn_many::run,
        },
        Workload {
            name: "yield_many",
            contenders: ALL_THREE,
            own_process: false,
            http: false,
            goals: &[Goal {
                metric: "ns/yield",
                kind: GoalKind::RatioAtMost(0.8),
            }],
            run: workloads::yield_many::run,
        },
        Workload {
            name: "ping_pong",
            contenders: ALL_THREE,
            own_process: false,
            http: false,
            goals: &[Goal {
                metric: "ns/round trip",
                kind: GoalKind::RatioAtMost(0.8),
            }],
            run: workloads::ping_pong::run,
        },
        Workload {
            name: "sleepers",
            contenders: ALL_THREE,
            own_process: true,
            http: false,
            goals: &[
                Goal {
                    metric: "bytes/task",
                    kind: GoalKind::RatioAtMost(0.8),
                },
                Goal {
                    metric: "wall s",
                    kind: GoalKind::RatioAtMost(1.02),
                },
            ],
            run: workloads::sleepers::run,
        },
        Workload {
            name: "timers",
            contenders: ALL_THREE,
            own_process: false,
            http: false,
            goals: &[Goal {
                metric: "p99 ms",
                kind: GoalKind::ValueAtMost(1.2),
            }],
            run: workloads::timers::run,
        },
        Workload {
            name: "brigade",
            contenders: ALL_THREE,
            own_process: false,
            http: false,
            goals: &[Goal {
                metric: "us/hop",
                kind: GoalKind::RatioAtMost(1.0),
            }],
            run: workloads::brigade::run,
        },
        Workload {
            name: "http_seq",
            contenders: HTTP_PAIR,
            own_process: false,
            http: true,
            goals: &[Goal {
                metric: "us/request",
                kind: GoalKind::RatioAtMost(0.9),
            }],
            run: workloads::http_seq::run,
        },
        Workload {
            name: "page_fetch_0ms",
            contenders: HTTP_PAIR,
            own_process: false,
            http: true,
            goals: &[Goal {
                metric: "wall ms",
                kind: GoalKind::RatioAtMost(0.9),
            }],
            run: workloads::page_fetch::run_0ms,
        },
        Workload {
            name: "page_fetch_100ms",
            contenders: HTTP_PAIR,
            own_process: false,
            http: true,
            goals: &[Goal {
                metric: "wall/bound",
                kind: GoalKind::ValueAtMost(1.02),
            }],
            run: workloads::page_fetch::run_100ms,
        },
    ]
}

/// Command-line options.
struct Options {
    selected: Vec<String>,
    rounds: usize,
    warmup: usize,
    quick: bool,
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        selected: Vec::new(),
        rounds: 7,
        warmup: 1,
        quick: false,
    };
    let mut rounds_given = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--rounds" => {
                options.rounds = number_after(&mut it, "--rounds")?.max(1);
                rounds_given = true;
            }
            "--warmup" => options.warmup = number_after(&mut it, "--warmup")?,
            "--quick" => options.quick = true,
            "-h" | "--help" => return Err(String::new()),
            name if name.starts_with('-') => return Err(format!("unknown option {name}")),
            name => options.selected.push(name.to_string()),
        }
    }
    if options.quick && !rounds_given {
        options.rounds = 1;
        options.warmup = 0;
    }
    if options.selected.is_empty() {
        return Err("name a workload or `all`".to_string());
    }
    Ok(options)
}

fn number_after<'a>(it: &mut impl Iterator<Item = &'a String>, flag: &str) -> Result<usize, String> {
    it.next()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("{flag} needs a number"))
}

fn usage(workloads: &[Workload]) -> String {
    let names: Vec<_> = workloads.iter().map(|w| w.name).collect();
    format!(
        "usage: cargo run --release -p bench -- <all | WORKLOAD...> [--rounds N] [--warmup N] [--quick]\n\
         workloads: {}",
        names.join(", ")
    )
}

fn main() {
    machine::raise_fd_limit();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("__child") => child_main(&args[1..]),
        Some("__server") => server::serve_forever(),
        _ => parent_main(&args),
    }
}

/// A measurement run in a fresh process: prints `metric\tvalue` lines on stdout.
fn child_main(args: &[String]) {
    let [name, who, rest @ ..] = args else {
        panic!("__child needs a workload and a contender");
    };
    let ctx = Ctx {
        quick: rest.iter().any(|a| a == "--quick"),
        server: rest
            .iter()
            .position(|a| a == "--server")
            .and_then(|i| rest.get(i + 1))
            .and_then(|a| a.parse().ok()),
    };
    let workload = workloads()
        .into_iter()
        .find(|w| w.name == name)
        .expect("known workload");
    let who = Contender::parse(who).expect("known contender");
    let sample = (workload.run)(who, &ctx);
    for (metric, value) in sample.metrics {
        println!("{metric}\t{value}");
    }
}

fn parent_main(args: &[String]) {
    let all = workloads();
    let options = match parse_options(args) {
        Ok(o) => o,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("error: {msg}");
            }
            eprintln!("{}", usage(&all));
            std::process::exit(2);
        }
    };
    let chosen: Vec<&Workload> = if options.selected.iter().any(|s| s == "all") {
        all.iter().collect()
    } else {
        let mut chosen = Vec::new();
        for name in &options.selected {
            match all.iter().find(|w| w.name == name) {
                Some(w) => chosen.push(w),
                None => {
                    eprintln!("error: unknown workload {name}\n{}", usage(&all));
                    std::process::exit(2);
                }
            }
        }
        chosen
    };
    if cfg!(debug_assertions) {
        eprintln!("warning: debug build; run with --release for real numbers");
    }
    println!("machine: {}", machine::describe());
    println!(
        "rounds: {} (+{} warm-up){}; order of contenders rotates each round",
        options.rounds,
        options.warmup,
        if options.quick {
            "; QUICK smoke run: sizes / 10"
        } else {
            ""
        }
    );

    let server = if chosen.iter().any(|w| w.http) {
        let s = ServerProcess::start();
        println!(
            "http server: tokio + hyper in child process {} at {}",
            s.child.id(),
            s.addr
        );
        Some(s)
    } else {
        None
    };
    let ctx = Ctx {
        quick: options.quick,
        server: server.as_ref().map(|s| s.addr),
    };
    let started = Instant::now();
    let mut results = Vec::new();
    for workload in chosen {
        let samples = measure(workload, &options, &ctx, server.as_ref());
        print_workload(workload, &samples);
        results.push((workload, samples));
    }
    println!();
    println!("== summary (median over rounds; ratio = corolab / best peer) ==");
    for (workload, samples) in &results {
        print_summary(workload, samples);
    }
    println!(
        "total {:.0} s; load average at the end: {}",
        started.elapsed().as_secs_f64(),
        machine::load_average()
    );
    if let Some(mut s) = server {
        let _ = s.child.kill();
        let _ = s.child.wait();
    }
}

type Samples = BTreeMap<&'static str, Vec<Sample>>;

/// Runs warm-up and measured rounds of one workload, rotating the order of contenders.
fn measure(workload: &Workload, options: &Options, ctx: &Ctx, server: Option<&ServerProcess>) -> Samples {
    let mut samples: Samples = BTreeMap::new();
    let n = workload.contenders.len();
    for round in 0..options.warmup + options.rounds {
        let warm = round < options.warmup;
        for k in 0..n {
            let who = workload.contenders[(round + k) % n];
            let server = server.filter(|_| workload.http);
            let server_cpu_before = server.map(|s| machine::cpu_time_of(s.child.id()));
            let t = Instant::now();
            let mut sample = if workload.own_process {
                run_in_child(workload.name, who, ctx)
            } else {
                (workload.run)(who, ctx)
            };
            let wall = t.elapsed();
            if let (Some(s), Some(before)) = (server, server_cpu_before) {
                let used = machine::cpu_time_of(s.child.id()).saturating_sub(before);
                sample = sample.with("server cpu %", 100.0 * used.as_secs_f64() / wall.as_secs_f64());
            }
            if !warm {
                samples.entry(who.name()).or_default().push(sample);
            }
        }
    }
    samples
}

fn run_in_child(name: &str, who: Contender, ctx: &Ctx) -> Sample {
    let exe = std::env::current_exe().expect("own path");
    let mut cmd = Command::new(exe);
    cmd.args(["__child", name, who.name()]);
    if ctx.quick {
        cmd.arg("--quick");
    }
    if let Some(addr) = ctx.server {
        cmd.args(["--server", &addr.to_string()]);
    }
    let out = cmd.stderr(Stdio::inherit()).output().expect("run child");
    assert!(out.status.success(), "child {name} {} failed", who.name());
    let mut sample = Sample::default();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some((metric, value)) = line.split_once('\t') {
            let metric: &'static str = Box::leak(metric.to_string().into_boxed_str());
            sample = sample.with(metric, value.parse().unwrap_or(f64::NAN));
        }
    }
    sample
}

/// The HTTP server child process.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    fn start() -> ServerProcess {
        let exe = std::env::current_exe().expect("own path");
        let mut child = Command::new(exe)
            .arg("__server")
            .stdin(Stdio::piped()) // the server exits when this pipe closes (we exit or die)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("server address");
        let addr = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|a| a.parse().ok())
            .expect("server printed its address");
        std::thread::sleep(Duration::from_millis(50));
        ServerProcess { child, addr }
    }
}

/// Sorted values of `metric` for one contender.
fn values(samples: &[Sample], metric: &str) -> Vec<f64> {
    let mut v: Vec<f64> = samples.iter().filter_map(|s| s.get(metric)).collect();
    v.sort_by(f64::total_cmp);
    v
}

fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Significant-digit formatting that suits ns, us, ms, bytes and percentages alike.
fn fmt_num(v: f64) -> String {
    if v.is_nan() {
        "-".to_string()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// Every metric the samples carry, in first-seen order.
fn metric_names(samples: &Samples) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for list in samples.values() {
        for s in list {
            for (m, _) in &s.metrics {
                if !names.contains(m) {
                    names.push(m);
                }
            }
        }
    }
    names
}

/// The detailed block printed as soon as a workload is done: median [min - max] per contender.
fn print_workload(workload: &Workload, samples: &Samples) {
    println!();
    println!("-- {} (load average {})", workload.name, machine::load_average());
    for metric in metric_names(samples) {
        let mut line = format!("   {metric:<14}");
        for who in workload.contenders {
            let v = values(samples.get(who.name()).map_or(&[][..], |s| s), metric);
            if v.is_empty() {
                continue;
            }
            line += &format!(
                "  {:>7} {:>9} [{} - {}]",
                label(workload, *who),
                fmt_num(median(&v)),
                fmt_num(v[0]),
                fmt_num(v[v.len() - 1])
            );
        }
        println!("{line}");
    }
}

/// One summary line per goal: medians, ratio, goal, met or missed.
fn print_summary(workload: &Workload, samples: &Samples) {
    let med = |who: &str, metric: &str| median(&values(samples.get(who).map_or(&[][..], |s| s), metric));
    for goal in workload.goals {
        let ours = med("corolab", goal.metric);
        let peers: Vec<(&str, f64)> = workload
            .contenders
            .iter()
            .filter(|c| **c != Contender::Corolab)
            .map(|c| (label(workload, *c), med(c.name(), goal.metric)))
            .collect();
        let best = peers.iter().map(|(_, v)| *v).fold(f64::NAN, f64::min);
        let ratio = ours / best;
        let (goal_text, met) = match goal.kind {
            GoalKind::RatioAtMost(max) => (format!("ratio <= {max}"), ratio <= max),
            GoalKind::ValueAtMost(max) => (format!("corolab <= {max}"), ours <= max),
        };
        let peer_text: Vec<String> = peers
            .iter()
            .map(|(n, v)| format!("{n} {:>8}", fmt_num(*v)))
            .collect();
        println!(
            "{:<17} {:<14} corolab {:>8}  {}  ratio {:>5.2}  goal {:<16} {}",
            workload.name,
            goal.metric,
            fmt_num(ours),
            peer_text.join("  "),
            ratio,
            goal_text,
            if met { "MET" } else { "MISSED" }
        );
    }
    if workload.http {
        let cpu = values(
            &samples.values().flatten().cloned().collect::<Vec<_>>(),
            "server cpu %",
        );
        if !cpu.is_empty() {
            println!(
                "{:<17} server cpu     median {}% of one core, max {}%",
                "",
                fmt_num(median(&cpu)),
                fmt_num(cpu[cpu.len() - 1])
            );
        }
    }
}
