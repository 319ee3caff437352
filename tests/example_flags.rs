//! The examples' command lines, as a user meets them (issue 16.15): every number is checked
//! against a stated range (exit 2 with a message that names it), `--help` goes to stdout with
//! exit 0, output piped into `head` ends quietly, and `fetch_pages --url` at a page that is not
//! there reports the HTTP status.
//!
//! These run the real example binaries. Cargo gives integration tests no path to examples
//! (`CARGO_BIN_EXE_*` exists only for `[[bin]]` targets), so [`example`] finds them next to this
//! test binary (`target/<profile>/examples/`) after one `cargo build --examples` for the same
//! profile, which is a no-op under a plain `cargo test` (it builds the examples already).

mod common;

#[path = "../examples/common/mod.rs"]
mod example_common;

use common::with_deadline;
use corolab_server::{Config, Request, Response, spawn_on_thread};
use example_common::{Args, Flag, Stop};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(120);

/// `target/<profile>/examples`, with every example built for this test binary's profile.
fn examples_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("test binary path");
        let profile_dir = exe
            .parent()
            .and_then(|deps| deps.parent())
            .expect("target/<profile>/deps");
        let target_dir = profile_dir.parent().expect("target dir");
        let profile = profile_dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("debug");
        let profile = if profile == "debug" { "dev" } else { profile };
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "--examples",
                "--profile",
                profile,
                "--target-dir",
            ])
            .arg(target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("run cargo build --examples");
        assert!(status.success(), "cargo build --examples failed: {status}");
        profile_dir.join("examples")
    })
}

/// The path of example `name`'s binary.
fn example(name: &str) -> PathBuf {
    examples_dir().join(name)
}

/// Runs example `name` with `args` to the end (bounded by [`LIMIT`]).
fn run(name: &'static str, args: &'static [&'static str]) -> Output {
    with_deadline(LIMIT, move || {
        Command::new(example(name))
            .args(args)
            .env_remove("COROLAB_TRACE")
            .stdin(Stdio::null())
            .output()
            .expect("run the example")
    })
}

/// Every example's name: the `.rs` files directly in `examples/`.
fn all_examples() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("examples/")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.strip_suffix(".rs").map(String::from))
        .collect();
    names.sort();
    names
}

// Why: `--help` is asked for, so it is output (stdout) and success (0); fetch_pages and
// order_server used to print it on stderr and exit 2, like an error.
#[test]
fn every_example_prints_help_on_stdout_and_exits_0() {
    let names = all_examples();
    assert!(names.len() >= 10, "found only {names:?}");
    for name in names {
        let out = with_deadline(LIMIT, {
            let name = name.clone();
            move || Command::new(example(&name)).arg("--help").output().expect("run")
        });
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{name} --help: {:?}", out.status);
        assert!(
            stdout.starts_with(&format!("usage: {name}")),
            "{name} --help:\n{stdout}"
        );
        assert!(out.stderr.is_empty(), "{name} --help wrote to stderr");
    }
}

// Why: each of these used to run anyway (`--pages 0` printed "0x faster"), be silently changed
// (`--concurrency 0` became 1), hang, overflow, or abort the process (exit 134).
#[test]
fn out_of_range_numbers_are_refused_with_the_allowed_range_and_exit_2() {
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "fetch_pages",
            &["--pages", "0"],
            "--pages must be a whole number from 1 to 100000",
        ),
        (
            "fetch_pages",
            &["--concurrency", "0"],
            "--concurrency must be a whole number from 1 to 10000",
        ),
        (
            "fetch_pages",
            &["--workers", "0"],
            "--workers must be a whole number from 1 to 1000",
        ),
        (
            "fetch_pages",
            &["--pages", "18446744073709551615"],
            "--pages must be a whole number from 1 to 100000",
        ),
        (
            "fetch_pages",
            &["--pages", "1e12"],
            "--pages must be a whole number from 1 to 100000",
        ),
        (
            "fetch_pages",
            &["--concurrency", "18446744073709551615", "--only", "cores"],
            "--concurrency must be a whole number from 1 to 10000",
        ),
        (
            "fetch_pages",
            &["--workers", "100000"],
            "--workers must be a whole number from 1 to 1000",
        ),
        (
            "fetch_pages",
            &["--latency-ms", "-5"],
            "--latency-ms must be a whole number from 0 to 10000",
        ),
        (
            "fetch_pages",
            &["--pages"],
            "--pages needs a whole number from 1 to 100000",
        ),
        (
            "many_tasks",
            &["--threads", "100000"],
            "--threads must be a whole number from 1 to 10000",
        ),
        (
            "many_tasks",
            &["--tasks", "0"],
            "--tasks must be a whole number from 1 to 10000000",
        ),
        (
            "slow_server",
            &["--requests", "0"],
            "--requests must be a whole number from 1 to 10000",
        ),
        (
            "order_server",
            &["--page-size", "0"],
            "--page-size must be a whole number from 1 to 10000",
        ),
        (
            "order_server",
            &["--port", "65536"],
            "--port must be a whole number from 0 to 65535",
        ),
    ];
    for &(name, args, expected) in cases {
        let out = run(name, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{name} {args:?}: {:?}\n{stderr}",
            out.status
        );
        assert!(
            stderr.starts_with(&format!("error: {expected}")),
            "{name} {args:?}:\n{stderr}"
        );
        assert!(
            stderr.contains(&format!("usage: {name}")),
            "{name} {args:?}: no usage\n{stderr}"
        );
        assert!(out.stdout.is_empty(), "{name} {args:?} printed on stdout");
    }
}

// Why: a flag nobody reads is a typo the user should hear about, in every example.
#[test]
fn unknown_flags_are_refused_with_exit_2_everywhere() {
    for name in all_examples() {
        let out = with_deadline(LIMIT, {
            let name = name.clone();
            move || {
                Command::new(example(&name))
                    .arg("--no-such-flag")
                    .output()
                    .expect("run")
            }
        });
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {:?}\n{stderr}", out.status);
        assert!(
            stderr.starts_with("error: unknown argument \"--no-such-flag\""),
            "{name}:\n{stderr}"
        );
    }
}

// Why: Rust ignores SIGPIPE, so once `head` has gone every `println!` fails with BrokenPipe
// and panics: `cargo run --example hello_coroutines | head -1` ended in a panic message and
// exit 101. It must end quietly, with status 0.
#[test]
fn output_piped_into_head_ends_quietly() {
    let (status, stderr) = with_deadline(LIMIT, || {
        let mut child = Command::new(example("hello_coroutines"))
            .arg("--quick")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start hello_coroutines");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut first)
            .expect("first line");
        assert!(first.starts_with("== 1."), "{first:?}");
        // The reader is dropped here, like `head -1` exiting: later writes get EPIPE.
        let out = child.wait_with_output().expect("wait");
        (out.status, String::from_utf8_lossy(&out.stderr).into_owned())
    });
    assert_eq!(status.code(), Some(0), "{status:?}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

// Why: `--url` at something that is not an order API used to report "is not an order API:
// expected value at line 1 column 1" (a JSON parse error of the 404 page) instead of the status.
#[test]
fn fetch_pages_url_answering_404_reports_the_status() {
    let server = spawn_on_thread("127.0.0.1:0", Config::default(), |_req: Request| async {
        Response::text(404, "no such page")
    })
    .expect("404 server");
    let url = server.url().to_string();
    let out = with_deadline(LIMIT, move || {
        Command::new(example("fetch_pages"))
            .args(["--url", &url, "--pages", "1", "--only", "sequential"])
            .env_remove("COROLAB_TRACE")
            .output()
            .expect("run fetch_pages")
    });
    server.shutdown();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{:?}\n{stderr}", out.status);
    assert!(stderr.contains("answered HTTP 404, not 200"), "{stderr}");
    assert!(!stderr.contains("expected value"), "not a JSON error:\n{stderr}");
}

// ------------------------------------------------------------------ the parser, in-process

const FLAGS: &[Flag] = &[
    Flag::switch("--quick"),
    Flag::number("--n", 1, 1_000, "because"),
    Flag::text("--name"),
];

fn parse(words: &[&str]) -> Result<Args, Stop> {
    Args::from_words(words.iter().map(|w| w.to_string()), FLAGS)
}

fn problem(words: &[&str]) -> String {
    match parse(words) {
        Err(Stop::Bad(message)) => message,
        other => panic!("{words:?} should be refused, got {other:?}"),
    }
}

// Why: "1e12", "-1", "1.5" and "+3" must not slip through as some other number.
#[test]
fn numbers_are_whole_and_may_have_underscores_but_no_sign_exponent_or_fraction() {
    assert_eq!(parse(&["--n", "1_000"]).unwrap().number("--n"), Some(1000));
    for bad in ["1e3", "-1", "1.5", "+3", "", "_", "0x10", "1001"] {
        assert_eq!(
            problem(&["--n", bad]),
            format!("--n must be a whole number from 1 to 1000 (because), got {bad:?}")
        );
    }
}

// Why: the accessors must give what was typed: the last value of a repeated flag, switches
// as booleans, and nothing for flags not given.
#[test]
fn accessors_return_the_last_value_and_switches() {
    let args = parse(&["--n", "3", "--quick", "--n", "7", "--name", "x"]).unwrap();
    assert_eq!(args.number("--n"), Some(7));
    assert_eq!(args.count("--n"), Some(7));
    assert!(args.flag("--quick"));
    assert_eq!(args.text("--name"), Some("x"));
    let none = parse(&[]).unwrap();
    assert_eq!(none.number("--n"), None);
    assert!(!none.flag("--quick"));
}

// Why: `--help` anywhere wins, and a flag with its value missing says what it needed.
#[test]
fn help_wins_and_a_missing_value_names_what_was_needed() {
    assert_eq!(parse(&["--n", "5", "--help"]).unwrap_err(), Stop::Help);
    assert_eq!(parse(&["-h"]).unwrap_err(), Stop::Help);
    assert_eq!(problem(&["--n"]), "--n needs a whole number from 1 to 1000");
    assert_eq!(problem(&["--name"]), "--name needs a value");
    assert_eq!(problem(&["--nope"]), "unknown argument \"--nope\"");
}

// Why: the broken-pipe hook must swallow exactly std's stdout BrokenPipe panic and no other.
#[test]
fn only_the_stdout_broken_pipe_panic_counts_as_a_closed_pipe() {
    let std_message = String::from("failed printing to stdout: Broken pipe (os error 32)");
    assert!(example_common::is_broken_stdout(&std_message));
    let others: [Box<dyn std::any::Any + Send>; 3] = [
        Box::new(String::from(
            "failed printing to stderr: Broken pipe (os error 32)",
        )),
        Box::new("Broken pipe"),
        Box::new(42_u32),
    ];
    for other in &others {
        assert!(!example_common::is_broken_stdout(other.as_ref()));
    }
}
