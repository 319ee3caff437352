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
    assert!(
        stdout.contains(&format!("wrote {client} trace records to stderr as JSON lines")),
        "{client} client records; stdout:\n{stdout}"
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
