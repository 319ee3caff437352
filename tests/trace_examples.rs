//! Every example, run with `COROLAB_TRACE=json` a few times: every record on stderr is one
//! whole JSON line that parses, in `seq` order with time never running backwards; with
//! `COROLAB_TRACE=1` lines are labelled when several runtimes trace; an unknown value warns
//! once. The examples are built first (`cargo build --examples`), so the binaries are current.

use corolab::trace::Record;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Each example with arguments that keep it short, and how many runs.
const EXAMPLES: &[(&str, &[&str], usize)] = &[
    ("concurrent_sleep", &["--quick"], 2),
    ("debugger_demo", &[], 3),
    ("fetch_pages", &["--pages", "5", "--trace"], 3),
    ("fetch_pages", &["--pages", "10", "--only", "coroutines"], 2),
    ("gather", &["--quick"], 5),
    ("gevent_style", &[], 2),
    ("greenlet_switch", &[], 3),
    ("hello_coroutines", &["--quick"], 2),
    ("many_tasks", &["--tasks", "2000", "--threads", "4"], 2),
    ("order_server", &["--port", "0", "--for-secs", "1"], 1),
    ("producer_consumer", &[], 3),
    ("slow_server", &["--quick"], 5),
    ("stackful_vs_stackless", &[], 1),
    ("state_machine", &[], 3),
];

/// No single run may take longer than this (the slowest, stackful_vs_stackless traced, takes
/// a few seconds in a debug build).
const RUN_LIMIT: Duration = Duration::from_secs(60);

fn examples_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--examples"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "cargo build --examples failed");
        // target/<profile>/deps/trace_examples-<hash> -> target/<profile>/examples
        let exe = std::env::current_exe().unwrap();
        exe.parent().unwrap().parent().unwrap().join("examples")
    })
}

fn run(name: &str, args: &[&str], trace: &str) -> Output {
    let start = Instant::now();
    let mut child = Command::new(examples_dir().join(name))
        .args(args)
        .env("COROLAB_TRACE", trace)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run example {name}: {e}"));
    // Read both pipes on threads so a full pipe cannot block the child.
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let (out, err) = (read(Box::new(stdout)), read(Box::new(stderr)));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            panic!("{name} {args:?} ran longer than {RUN_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Parses every JSON line of `stderr`; other lines (warnings, the example's own messages)
/// must not hold a piece of a record.
fn records_of(what: &str, stderr: &[u8]) -> Vec<Record> {
    let text = String::from_utf8_lossy(stderr);
    let mut records = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('{') {
            let record = serde_json::from_str::<Record>(line).unwrap_or_else(|e| {
                panic!(
                    "{what}: stderr line {} is not a whole record ({e}): {line}",
                    i + 1
                )
            });
            records.push(record);
        } else {
            assert!(
                !line.contains("\"seq\"") && !line.contains("\"event\""),
                "{what}: stderr line {} holds a torn record: {line}",
                i + 1
            );
        }
    }
    records
}

fn assert_in_order(what: &str, records: &[Record]) {
    for pair in records.windows(2) {
        assert!(
            pair[0].seq < pair[1].seq,
            "{what}: seq out of order: {:?} / {:?}",
            pair[0],
            pair[1]
        );
        assert!(
            pair[0].t_us <= pair[1].t_us,
            "{what}: time ran backwards: {:?} / {:?}",
            pair[0],
            pair[1]
        );
    }
}

/// The causal claims of the format, checked per runtime thread (`rt`, `thread`): every
/// `Pending` poll names what it waits for (never `unknown`); a wake by a task lies inside that
/// task's poll; a wake by a socket names one that was made ready in the same dispatch phase, a
/// wake by a timer one that fired in the same timer phase; readiness is only reported for a
/// socket registered and not yet deregistered (a stale token says `fd` -1).
fn assert_causes_hold(what: &str, records: &[Record]) {
    use corolab::trace::{Event, Phase, PollOutcome, Wait, WakeCause};
    use std::collections::{HashMap, HashSet};
    #[derive(Default)]
    struct Stream {
        polling: Option<u64>,
        ready: HashSet<u64>,
        fired: HashSet<u64>,
        live: HashSet<u64>,
        /// The task whose `task_finished` (cancelled) was this stream's last record.
        just_cancelled: Option<u64>,
    }
    let mut streams: HashMap<(u64, &str), Stream> = HashMap::new();
    for r in records {
        let s = streams.entry((r.rt, r.thread.as_str())).or_default();
        let fail = |why: &str| panic!("{what}: {why}: {r:?}");
        let just_cancelled = s.just_cancelled.take();
        match &r.event {
            Event::TaskFinished {
                task,
                outcome: corolab::trace::TaskOutcome::Cancelled,
            } => s.just_cancelled = Some(*task),
            Event::TickPhase { phase, .. } => {
                if *phase == Phase::DispatchIoEvents {
                    s.ready.clear();
                }
                if *phase == Phase::FireTimers {
                    s.fired.clear();
                }
            }
            Event::TaskPollStarted { task } => s.polling = Some(*task),
            Event::TaskPolled { outcome, waits, .. } => {
                s.polling = None;
                if *outcome == PollOutcome::Pending && (waits.is_empty() || waits.contains(&Wait::Unknown)) {
                    fail("a Pending poll does not say what it waits for");
                }
            }
            Event::IoRegistered { token, .. } => {
                s.live.insert(*token);
            }
            Event::IoDeregistered { token, .. } => {
                s.live.remove(token);
            }
            Event::IoReady { token, fd, .. } => {
                if *fd != -1 && !s.live.contains(token) {
                    fail("readiness of a socket that is not registered");
                }
                s.ready.insert(*token);
            }
            Event::IoWouldBlock { token, .. } | Event::IoShortRead { token, .. }
                if !s.live.contains(token) =>
            {
                fail("readiness cleared on a socket that is not registered")
            }
            Event::TimerFired { timer, .. } => {
                s.fired.insert(*timer);
            }
            Event::TaskWoken { cause, .. } => match cause {
                // The one exception (chapter 10): the JoinHandle wake of a task cancelled unpolled.
                WakeCause::Task { by } if s.polling != Some(*by) && just_cancelled != Some(*by) => {
                    fail("a wake by a task outside its poll")
                }
                WakeCause::Io { token, .. } if s.polling.is_some() || !s.ready.contains(token) => {
                    fail("a wake by a socket not made ready in this dispatch")
                }
                WakeCause::Timer { timer } if s.polling.is_some() || !s.fired.contains(timer) => {
                    fail("a wake by a timer that did not fire in this phase")
                }
                _ => {}
            },
            _ => {}
        }
    }
}

// Why: `COROLAB_TRACE=json` tore lines whenever two runtimes traced on different threads
// (slow_server 5 of 5 runs, gather 1 in 5). Every example's JSON trace must parse completely,
// run after run.
#[test]
fn every_examples_json_trace_parses_completely_on_repeated_runs() {
    for (name, args, runs) in EXAMPLES {
        for run_no in 1..=*runs {
            let what = format!("{name} {args:?} (run {run_no})");
            let output = run(name, args, "json");
            assert!(
                output.status.success(),
                "{what} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            let records = records_of(&what, &output.stderr);
            assert!(!records.is_empty(), "{what}: no trace records on stderr");
            assert_in_order(&what, &records);
            assert_causes_hold(&what, &records);
        }
    }
}

// Why: with the in-process server tracing too, slow_server's text lines were mixed
// unlabelled. Once two runtimes trace, every trace line names its runtime and thread.
#[test]
fn text_trace_of_two_runtimes_labels_every_line() {
    let output = run("slow_server", &["--quick"], "1");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    let trace_lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with('[') && l.contains(" ms] "))
        .collect();
    let labelled = trace_lines.iter().filter(|l| l.contains(" ms] [rt ")).count();
    let runtimes: std::collections::BTreeSet<&str> = trace_lines
        .iter()
        .filter_map(|l| l.split(" ms] [rt ").nth(1)?.split(' ').next())
        .collect();
    assert!(
        runtimes.len() >= 2,
        "expected two runtimes in the labels: {runtimes:?}"
    );
    // slow_server says it runs two runtimes (`trace::label_lines`): labels from the first line.
    assert_eq!(labelled, trace_lines.len(), "unlabelled lines in:\n{text}");
}

// Why: a typo such as `COROLAB_TRACE=jsn` silently traced nothing. It must warn, once, even
// with two runtimes starting.
#[test]
fn an_unknown_trace_value_warns_once() {
    let output = run("slow_server", &["--quick"], "jsn");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        text.matches("COROLAB_TRACE=\"jsn\" is not understood").count(),
        1,
        "{text}"
    );
    assert!(
        !text.contains("\"seq\""),
        "an unknown value traced anyway: {text}"
    );
}

// Why: fetch_pages ignored `COROLAB_TRACE=json` (it printed its text timeline instead), and
// "wrote N events" must count what it wrote.
#[test]
fn fetch_pages_writes_json_lines_and_counts_them() {
    let output = run("fetch_pages", &["--pages", "5", "--trace"], "json");
    assert!(output.status.success());
    let records = records_of("fetch_pages json", &output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let client = records.iter().filter(|r| r.thread == "main").count();
    let rt = records.iter().find(|r| r.thread == "main").map_or(0, |r| r.rt);
    assert!(
        stdout.contains(&format!(
            "wrote {client} trace records of the client's runtime (rt {rt}, thread main) to stderr as JSON lines"
        )),
        "{client} client records; stdout:\n{stdout}"
    );
    // The rest of stderr is the in-process server's, and the message says so.
    let server = records.iter().filter(|r| r.thread == "corolab-server").count();
    assert_eq!(
        client + server,
        records.len(),
        "records from a thread that is neither the client nor the server"
    );
    assert!(
        server > 0
            && stdout.contains(
                "the in-process server's runtime (thread corolab-server) wrote its own records there too"
            )
    );
    let dir = std::env::temp_dir().join(format!("corolab-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("run.json");
    let output = run(
        "fetch_pages",
        &["--pages", "3", "--timeline", path.to_str().unwrap()],
        "0",
    );
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let held = json["traceEvents"].as_array().unwrap().len();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("wrote {held} trace events to ")),
        "{held} in the file; stdout:\n{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs an example with stderr a pipe whose reading end is already closed (every write to
/// it fails with `EPIPE`), as when a trace is piped into a pager the student has quit.
fn run_with_broken_stderr(name: &str, args: &[&str], trace: &str) -> std::process::ExitStatus {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut child = Command::new(examples_dir().join(name))
        .args(args)
        .env("COROLAB_TRACE", trace)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(writer))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run example {name}: {e}"));
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            panic!("{name} {args:?} with a broken stderr ran longer than {RUN_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

// Why: the unknown-value warning (and the examples' "tracing would drown the numbers" note)
// used `eprintln!`, which panics when stderr is broken: `COROLAB_TRACE=jsn prog 2>&1 | head`
// crashed inside `block_on` with exit code 101. A trace sink's failed write is ignored the same
// way, so no tracing mode may crash or hang a program whose stderr is gone (the timeline
// page's "wrote a timeline" line too).
#[test]
fn a_broken_stderr_cannot_crash_a_traced_example() {
    for (name, args) in [
        ("hello_coroutines", &["--quick"][..]),
        ("many_tasks", &["--tasks", "200"][..]),
        ("slow_server", &["--quick"][..]),
    ] {
        let page = std::env::temp_dir().join(format!(
            "corolab-broken-stderr-{}-{name}.html",
            std::process::id()
        ));
        let html = format!("html:{}", page.display());
        for trace in ["jsn", "json", "1", html.as_str()] {
            let status = run_with_broken_stderr(name, args, trace);
            assert!(
                status.success(),
                "{name} {args:?} with COROLAB_TRACE={trace} and a broken stderr: {status}"
            );
        }
        for leftover in std::fs::read_dir(std::env::temp_dir()).unwrap().flatten() {
            let file = leftover.file_name().to_string_lossy().into_owned();
            if file.starts_with(&format!("corolab-broken-stderr-{}-{name}", std::process::id())) {
                let _ = std::fs::remove_file(leftover.path());
            }
        }
    }
}
