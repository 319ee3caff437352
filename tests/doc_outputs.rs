//! Every printed output a chapter shows is one a command really prints.
//!
//! The convention (also in `docs/README.md`, "Conventions for chapter authors"): a ```` ```text ````
//! block in `docs/` is preceded by one HTML comment (invisible in the book) saying what it is.
//!
//! - `<!-- output: cargo run --example NAME -- ARGS | RULE RULE ... -->`: the block is what that
//!   command prints (stdout and stderr, in the order written). This test builds the example in
//!   the debug profile (a `--release` in the command is what the reader should use, not what the
//!   test needs), runs it with the ARGS, normalises both the block and the real output with the
//!   RULEs, and checks that every line of the block appears in the output, in the same order.
//!   So a sample may be cut: a line that starts with `...` stands for lines left out.
//!   `COROLAB_TRACE=1 cargo run ...` sets that variable.
//! - `<!-- output: scripts/check-debugger-guide.sh -->`: a debugger transcript; that script
//!   (run by `.ci/run` when gdb exists) compares it with a real session.
//! - `<!-- output: checked by tests/x.rs (the_test) -->`: another test compares the block (an
//!   error message, a panic message); a marker of another test that names its `tests/` file
//!   counts the same.
//! - `<!-- not output: WHY -->`: a picture, a list of commands, a table to read; nothing prints it.
//!
//! RULEs say what truly varies between runs and are applied to both sides:
//!
//! | rule | replaces | with |
//! |---|---|---|
//! | `times` | durations (`2.00 s`, `5.000 ms`, `442 µs`, `19.830463ms`), clock times (`04:51:45`), trace stamps (`[ 0.055 ms]`, a leading `50.575`) | `<t>` |
//! | `ports` | a port after `127.0.0.1:` or `[::1]:` | `<port>` |
//! | `fds` | the number after `fd ` (and `token 0x..`) | `<fd>` |
//! | `ticks` | the number of a loop turn (`tick 6: dispatch_io_events`, `-- tick 2`) | `<n>` |
//! | `addrs` | hex addresses of 6+ digits (`0x55555563f020`) | `<addr>` |
//! | `paths` | digits inside a word with a `/` (`/sleep/3000`: `--quick` shortens it) | `N` |
//! | `ratios` | a measured ratio: `80.3x`, `5.0 x the delay` | `<r>` |
//! | `numbers` | every run of digits (a table whose values vary: only its shape is compared) | `N` |
//! | `annotated` | nothing; a sample line may be an output line followed by a comment, and a line starting with `---` is only a comment | |
//! | `prefix` | nothing; a sample line may be the start of an output line (columns cut on the right) | |
//! | `extra=ARGS` | nothing; appends ARGS at test time, such as `--quick` or `--pages 20` to keep the run short | |
//!
//! Runs of spaces are always collapsed, so column widths may change. Each command has a time
//! bound ([`RUN_LIMIT`]); a hang fails the test instead of hanging it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The longest any one documented command may run in the test.
const RUN_LIMIT: Duration = Duration::from_secs(90);

/// Chapters whose text blocks are not yet annotated (owned by another branch). Empty when done.
const NOT_YET_ANNOTATED: &[&str] = &[];

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

// ------------------------------------------------------------------------------ the convention

/// What the comment before a text block says about it.
#[derive(Debug, Clone, PartialEq)]
enum Marker {
    /// Printed by this command, compared after these rules.
    Output { command: String, rules: Vec<String> },
    /// Checked by this script or test file (a debugger transcript, a message a test compares).
    Script(String),
    /// Not an output (a picture, commands to type, ...).
    NotOutput,
}

/// One ```` ```text ```` block of a chapter.
#[derive(Debug)]
struct Sample {
    chapter: String,
    line: usize,
    marker: Option<Marker>,
    body: Vec<String>,
}

/// Markers of other checkers that do not name their file: (the comment's text, the checker).
const FOREIGN_MARKERS: &[(&str, &str)] = &[
    // chapter 0's step sizes, rewritten and checked by the steps-chapter test
    ("lines", "steps/chapter/src/lib.rs"),
];

fn parse_marker(comment: &str) -> Option<Marker> {
    let inner = comment.trim().strip_prefix("<!--")?.strip_suffix("-->")?.trim();
    if let Some((_, checker)) = FOREIGN_MARKERS.iter().find(|(text, _)| *text == inner) {
        return Some(Marker::Script(checker.to_string()));
    }
    if inner.starts_with("not output") {
        return Some(Marker::NotOutput);
    }
    // `<!-- output: checked by tests/x.rs (...) -->`, or another test's own marker that names
    // its test file (`<!-- trace-excerpt:begin (tests/http_trace_excerpt.rs) -->`).
    if inner.contains("checked by tests/") || !inner.starts_with("output:") {
        let at = inner.find("tests/")?;
        let path: String = inner[at..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != ')')
            .collect();
        return path.ends_with(".rs").then_some(Marker::Script(path));
    }
    let spec = inner.strip_prefix("output:")?.trim();
    let (command, rules) = match spec.split_once(" | ") {
        Some((c, r)) => (c.trim(), r.split_whitespace().map(String::from).collect()),
        None => (spec, Vec::new()),
    };
    if command.starts_with("scripts/") {
        return Some(Marker::Script(command.to_string()));
    }
    Some(Marker::Output {
        command: command.to_string(),
        rules,
    })
}

/// The text blocks of one chapter, each with the marker comment on the nearest non-blank line
/// above it (if that line is a comment).
fn samples_in(chapter: &str, text: &str) -> Vec<Sample> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(info) = lines[i].trim_start().strip_prefix("```") else {
            i += 1;
            continue;
        };
        let start = i;
        let mut body = Vec::new();
        i += 1;
        while i < lines.len() && !lines[i].trim_start().starts_with("```") {
            body.push(lines[i].to_string());
            i += 1;
        }
        i += 1;
        if info.split([',', ' ']).next() != Some("text") {
            continue;
        }
        let above = lines[..start].iter().rev().find(|l| !l.trim().is_empty());
        out.push(Sample {
            chapter: chapter.to_string(),
            line: start + 1,
            marker: above.and_then(|l| parse_marker(l)),
            body,
        });
    }
    out
}

fn all_samples() -> Vec<Sample> {
    let docs = crate_root().join("docs");
    let mut chapters: Vec<PathBuf> = std::fs::read_dir(&docs)
        .expect("docs/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    chapters.sort();
    chapters
        .iter()
        .flat_map(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(p).expect("chapter is readable");
            samples_in(&name, &text)
        })
        .collect()
}

// ------------------------------------------------------------------------------ normalising

fn is_time_unit(word: &str) -> bool {
    matches!(word, "s" | "ms" | "us" | "µs" | "ns" | "sec")
}

/// Replaces `2.00 s`, `5.000ms`, `19.830463ms`, `04:51:45`, `+10.01 s` with `<t>`.
fn normalise_times(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts_number = c.is_ascii_digit() && (i == 0 || !chars[i - 1].is_alphanumeric());
        if !starts_number {
            out.push(c);
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.' || chars[j] == ':') {
            j += 1;
        }
        let number: String = chars[i..j].iter().collect();
        let number = number.trim_end_matches(['.', ':']);
        let j = i + number.chars().count();
        // Clock time HH:MM:SS.
        if number.matches(':').count() == 2 && !number.contains('.') {
            out.push_str("<t>");
            i = j;
            continue;
        }
        // A number followed (maybe after one space) by a unit.
        let mut k = j;
        if k < chars.len() && chars[k] == ' ' {
            k += 1;
        }
        let mut unit = String::new();
        let mut m = k;
        while m < chars.len() && chars[m].is_alphabetic() {
            unit.push(chars[m]);
            m += 1;
        }
        if !number.contains(':') && is_time_unit(&unit) {
            out.push_str("<t>");
            i = m;
            continue;
        }
        out.push_str(number);
        i = j;
    }
    // A leading `50.575` is a trace stamp (fetch_pages --trace).
    let trimmed = out.trim_start();
    let first = trimmed.split(' ').next().unwrap_or_default();
    if first.contains('.')
        && first.chars().all(|c| c.is_ascii_digit() || c == '.')
        && first.starts_with(|c: char| c.is_ascii_digit())
    {
        return format!("<t>{}", &trimmed[first.len()..]);
    }
    out
}

/// Replaces the digits right after each `prefix` with `with`.
fn replace_number_after(line: &str, prefix: &str, with: &str, hex: bool) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(pos) = rest.find(prefix) {
        out.push_str(&rest[..pos + prefix.len()]);
        rest = &rest[pos + prefix.len()..];
        let len = rest
            .find(|c: char| !(c.is_ascii_digit() || hex && c.is_ascii_hexdigit()))
            .unwrap_or(rest.len());
        if len > 0 {
            out.push_str(with);
            rest = &rest[len..];
        }
    }
    out.push_str(rest);
    out
}

fn normalise_addrs(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(pos) = rest.find("0x") {
        out.push_str(&rest[..pos]);
        let digits = rest[pos + 2..]
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(rest.len() - pos - 2);
        if digits >= 6 {
            out.push_str("<addr>");
        } else {
            out.push_str(&rest[pos..pos + 2 + digits]);
        }
        rest = &rest[pos + 2 + digits..];
    }
    out.push_str(rest);
    out
}

/// Every number becomes `N`; a thousands separator (`1,000`) is part of its number.
fn normalise_numbers(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut in_number = false;
    for (i, &c) in chars.iter().enumerate() {
        let separator = c == ',' && in_number && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit());
        if c.is_ascii_digit() || separator {
            if !in_number {
                out.push('N');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

/// One line with every rule applied and runs of whitespace collapsed.
fn normalise(line: &str, rules: &[String]) -> String {
    let mut line = line.to_string();
    let has = |r: &str| rules.iter().any(|x| x == r);
    if has("addrs") {
        line = normalise_addrs(&line);
    }
    if has("ports") {
        line = replace_number_after(&line, "127.0.0.1:", "<port>", false);
        line = replace_number_after(&line, "[::1]:", "<port>", false);
    }
    if has("ticks") {
        line = replace_number_after(&line, "tick ", "<n>", false);
    }
    if has("fds") {
        line = replace_number_after(&line, "fd ", "<fd>", false);
        line = replace_number_after(&line, "token 0x", "<fd>", true);
    }
    if has("paths") {
        line = line
            .split(' ')
            .map(|w| {
                if w.contains('/') {
                    normalise_numbers(w)
                } else {
                    w.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
    }
    if has("times") {
        line = normalise_times(&line);
    }
    if has("numbers") {
        line = normalise_numbers(&line);
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    let is_number = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.');
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let core = w.trim_start_matches('(');
        let open = &w[..w.len() - core.len()];
        if has("ratios") && core.strip_suffix('x').is_some_and(is_number) {
            out.push(format!("{open}<r>x"));
        } else if has("ratios") && is_number(core) && words.get(i + 1) == Some(&"x") {
            out.push(format!("{open}<r>"));
        } else {
            out.push(w.to_string());
        }
    }
    // Trace stamps: `[     0.055 ms]` became `[ <t>]`.
    out.join(" ").replace("[ <t>]", "[<t>]")
}

/// A sample line that stands for lines left out (or, in an `annotated` sample, a comment line).
fn is_elision(line: &str, annotated: bool) -> bool {
    let t = line.trim().trim_start_matches(['|', ' ']);
    t.is_empty() || t.starts_with("...") || annotated && t.starts_with("---")
}

/// The sample lines that do not appear, in order, among the output lines (empty: it matches).
fn unmatched(sample: &[String], output: &str, rules: &[String]) -> Vec<String> {
    let out: Vec<String> = output.lines().map(|l| normalise(l, rules)).collect();
    let prefix = rules.iter().any(|r| r == "prefix");
    let annotated = rules.iter().any(|r| r == "annotated");
    let mut at = 0;
    let mut missing = Vec::new();
    for line in sample.iter().filter(|l| !is_elision(l, annotated)) {
        let want = normalise(line, rules);
        let matches = |o: &String| {
            *o == want
                || prefix && o.starts_with(&want)
                || annotated && o.len() >= 10 && want.starts_with(o.as_str())
        };
        match out[at..].iter().position(matches) {
            Some(pos) => at += pos + 1,
            None => missing.push(format!("{line}\n        (normalised: {want})")),
        }
    }
    missing
}

// ------------------------------------------------------------------------------ running

/// A documented command, taken apart: the example to build, its arguments, its environment.
#[derive(Debug, PartialEq)]
struct Run {
    example: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

fn parse_command(command: &str, rules: &[String]) -> Result<Run, String> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let mut env = Vec::new();
    let mut i = 0;
    while let Some((k, v)) = words.get(i).and_then(|w| w.split_once('=')) {
        env.push((k.to_string(), v.to_string()));
        i += 1;
    }
    if words.get(i..i + 2) != Some(&["cargo", "run"][..]) {
        return Err(format!(
            "`{command}`: expected `cargo run --example NAME [-- ARGS]`"
        ));
    }
    let rest = &words[i + 2..];
    let split = rest.iter().position(|w| *w == "--").unwrap_or(rest.len());
    let (cargo_args, prog_args) = rest.split_at(split);
    let example = cargo_args
        .iter()
        .position(|w| *w == "--example")
        .and_then(|p| cargo_args.get(p + 1))
        .ok_or_else(|| format!("`{command}`: no `--example NAME`"))?;
    let mut args: Vec<String> = prog_args.iter().skip(1).map(|s| s.to_string()).collect();
    for extra in rules.iter().filter_map(|r| r.strip_prefix("extra=")) {
        args.extend(extra.split(',').map(String::from));
    }
    Ok(Run {
        example: example.to_string(),
        args,
        env,
    })
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_root().join("target"))
}

/// Builds the example (debug profile) and returns its binary.
fn build_example(name: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(crate_root())
        .args(["build", "--quiet", "--example", name])
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build --example {name} failed");
    target_dir().join("debug").join("examples").join(name)
}

/// Runs `bin` with stdout and stderr into one pipe (so their lines keep the order they were
/// written in), killing it after `limit`.
fn run_bounded(bin: &Path, run: &Run, limit: Duration) -> Result<String, String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" \"$@\" 2>&1")
        .arg(bin)
        .args(&run.args)
        .env_remove("COROLAB_TRACE") // only what the command itself sets
        .envs(run.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let mut pipe = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = pipe.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            let text = reader.join().unwrap_or_default();
            if !status.success() {
                return Err(format!("{} exited with {status}:\n{text}", bin.display()));
            }
            return Ok(text);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{} ran longer than {limit:?}", bin.display()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ------------------------------------------------------------------------------ the tests

// Why: a block said to be checked elsewhere must name a checker that exists.
#[test]
fn every_checker_a_block_names_exists() {
    let missing: Vec<String> = all_samples()
        .into_iter()
        .filter_map(|s| match &s.marker {
            Some(Marker::Script(path)) if !crate_root().join(path).exists() => {
                Some(format!("docs/{}:{}: {path} does not exist", s.chapter, s.line))
            }
            _ => None,
        })
        .collect();
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// The text block after the marker comment that contains `tag`, lines joined by spaces.
fn block_after_marker(chapter: &str, tag: &str) -> String {
    let text = std::fs::read_to_string(crate_root().join("docs").join(chapter)).expect("chapter");
    let after = text
        .split_once(tag)
        .unwrap_or_else(|| panic!("no marker {tag} in {chapter}"))
        .1;
    let body = after
        .split_once("```text\n")
        .expect("a text block after the marker")
        .1;
    let body = body.split_once("```").expect("a closed block").0;
    body.split_whitespace().collect::<Vec<_>>().join(" ")
}

// Why: chapter 6 shows the error a socket used from the wrong runtime gives; if its wording
// changes, the chapter must change with it.
#[test]
fn wrong_runtime_error_text_is_what_chapter_6_shows() {
    use corolab::Runtime;
    use corolab::net::{TcpListener, TcpStream};
    let a = Runtime::new();
    let b = Runtime::new();
    let stream = a.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let stream = TcpStream::connect_addr(listener.local_addr().unwrap())
            .await
            .unwrap();
        let _accepted = listener.accept().await.unwrap();
        stream
    });
    let error = b.block_on(async {
        let mut buf = [0u8; 8];
        corolab::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("a read from the wrong runtime fails at once")
            .unwrap_err()
    });
    let real = error
        .to_string()
        .replace(&format!("runtime {}", a.id()), "runtime 1")
        .replace(&format!("runtime {}", b.id()), "runtime 2");
    assert_eq!(
        block_after_marker(
            "06-sockets.md",
            "wrong_runtime_error_text_is_what_chapter_6_shows"
        ),
        real
    );
}

// Why: a text block nobody labels is a sample output nobody checks; the label is what makes
// the next test check it.
#[test]
fn every_text_block_says_whether_it_is_an_output() {
    let unlabelled: Vec<String> = all_samples()
        .into_iter()
        .filter(|s| s.marker.is_none() && !NOT_YET_ANNOTATED.contains(&s.chapter.as_str()))
        .map(|s| format!("docs/{}:{}", s.chapter, s.line))
        .collect();
    assert!(
        unlabelled.is_empty(),
        "text blocks without `<!-- output: ... -->` or `<!-- not output: ... -->` before them \
         (see tests/doc_outputs.rs):\n{}",
        unlabelled.join("\n")
    );
}

// Why: this is the test that fails when a chapter's sample goes stale (a renamed trace line,
// a changed dump format, a line the program never prints).
#[test]
fn every_sample_output_is_what_its_command_prints() {
    let samples: Vec<Sample> = all_samples()
        .into_iter()
        .filter(|s| matches!(s.marker, Some(Marker::Output { .. })))
        .collect();
    assert!(
        samples.len() >= 5,
        "expected sample outputs in the chapters, found {}",
        samples.len()
    );
    let mut failures = Vec::new();
    for sample in &samples {
        let Some(Marker::Output { command, rules }) = &sample.marker else {
            continue;
        };
        let place = format!("docs/{}:{}", sample.chapter, sample.line);
        let run = match parse_command(command, rules) {
            Ok(run) => run,
            Err(e) => {
                failures.push(format!("{place}: {e}"));
                continue;
            }
        };
        let bin = build_example(&run.example);
        match run_bounded(&bin, &run, RUN_LIMIT) {
            Err(e) => failures.push(format!("{place}: {e}")),
            Ok(output) => {
                let missing = unmatched(&sample.body, &output, rules);
                if !missing.is_empty() {
                    failures.push(format!(
                        "{place}: `{command}` (test args {:?}) does not print, in this order:\n    {}\n\
                         --- it printed ---\n{output}",
                        run.args,
                        missing.join("\n    ")
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "stale sample outputs:\n\n{}",
        failures.join("\n\n")
    );
}

#[test]
fn markers_parse() {
    assert_eq!(
        parse_marker("<!-- output: cargo run --example x -- --a 1 | times fds -->"),
        Some(Marker::Output {
            command: "cargo run --example x -- --a 1".into(),
            rules: vec!["times".into(), "fds".into()],
        })
    );
    assert_eq!(
        parse_marker("<!-- output: scripts/check-debugger-guide.sh -->"),
        Some(Marker::Script("scripts/check-debugger-guide.sh".into()))
    );
    assert_eq!(
        parse_marker("<!-- not output: a picture -->"),
        Some(Marker::NotOutput)
    );
    assert_eq!(
        parse_marker("<!-- trace-excerpt:begin (tests/http_trace_excerpt.rs) -->"),
        Some(Marker::Script("tests/http_trace_excerpt.rs".into()))
    );
    assert_eq!(
        parse_marker("<!-- output: checked by tests/greenlet.rs (overflow) -->"),
        Some(Marker::Script("tests/greenlet.rs".into()))
    );
    assert_eq!(parse_marker("plain prose"), None);
    assert_eq!(
        parse_marker("<!-- lines -->"),
        Some(Marker::Script("steps/chapter/src/lib.rs".into()))
    );
    let run = parse_command(
        "COROLAB_TRACE=1 cargo run --release --example fetch_pages -- --pages 2",
        &["extra=--latency-ms,5".into()],
    )
    .unwrap();
    assert_eq!(run.example, "fetch_pages");
    assert_eq!(run.args, ["--pages", "2", "--latency-ms", "5"]);
    assert_eq!(run.env, [("COROLAB_TRACE".to_string(), "1".to_string())]);
}

#[test]
fn normalising_hides_only_what_varies() {
    let t = |s: &str| normalise(s, &["times".into()]);
    assert_eq!(t("04:51:45 task start"), "<t> task start");
    assert_eq!(
        t("done running it (ok), took 2.00 s"),
        "done running it (ok), took <t>"
    );
    assert_eq!(t("[     0.055 ms]   wake main"), "[<t>] wake main");
    assert_eq!(
        t("   50.575  epoll_wait returned 2 event(s)"),
        "<t> epoll_wait returned 2 event(s)"
    );
    assert_eq!(t("19.830463ms,"), "<t>,");
    assert_eq!(t("read=0 write=0"), "read=0 write=0");
    assert_ne!(t("read=false write=false"), t("read=0 write=0"));
    assert_eq!(t("100 orders"), "100 orders");
    let all: Vec<String> = ["ports", "fds", "addrs"].map(String::from).to_vec();
    assert_eq!(
        normalise(
            "GET http://127.0.0.1:35257/x fd 8 (token 0x2) at 0x55555563f020",
            &all
        ),
        "GET http://127.0.0.1:<port>/x fd <fd> (token 0x<fd>) at <addr>"
    );
    assert_eq!(normalise("684 polls, 1.26", &["numbers".into()]), "N polls, N.N");
    assert_eq!(
        normalise("tick 6: dispatch_io_events", &["ticks".into()]),
        "tick <n>: dispatch_io_events"
    );
    assert_eq!(
        normalise("5 of 5 (5.0 x the delay), 80.3x", &["ratios".into()]),
        "5 of 5 (<r> x the delay), <r>x"
    );
    assert_eq!(
        normalise("handled /sleep/1000: slept", &["paths".into()]),
        "handled /sleep/N: slept"
    );
}

#[test]
fn a_cut_sample_matches_in_order_and_a_made_up_line_does_not() {
    let output = "a 1\nb 2\nc 3\nd 4\n";
    let sample = |s: &str| s.lines().map(String::from).collect::<Vec<_>>();
    assert!(unmatched(&sample("a 1\n...\nc 3"), output, &[]).is_empty());
    assert_eq!(
        unmatched(&sample("c 3\na 1"), output, &[]).len(),
        1,
        "order matters"
    );
    assert_eq!(
        unmatched(&sample("a 1\ntask 1 wakes itself"), output, &[]).len(),
        1
    );
    let notes = ["annotated".to_string()];
    let trace = "[ 1 ms] poll task 1 -> Pending\n[ 2 ms] epoll_wait(timeout 10 ms)\n";
    let commented = sample(
        "[ 1 ms] poll task 1 -> Pending    the task parked\n    --- phase 3\n[ 2 ms] epoll_wait(timeout 10 ms)",
    );
    assert!(unmatched(&commented, trace, &notes).is_empty());
    assert_eq!(
        unmatched(
            &sample("[ 1 ms] poll task 2 -> Pending    made up"),
            trace,
            &notes
        )
        .len(),
        1
    );
}
