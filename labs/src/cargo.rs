//! Running `cargo test` on a copy and reading which tests passed.
//!
//! **Concept.** Grading is counting: build one test binary, run the lab's tests by exact name,
//! and read libtest's `test NAME ... ok` / `FAILED` lines. A test that never reports (the
//! binary aborted, or ran out of time and was killed) did not pass. The build and the run are
//! separate steps so a slow compile on a busy machine is not mistaken for a hanging test.
//!
//! **Where.** [`Runner::run_tests`] does both steps for one [`Selection`]; [`parse_results`] reads the
//! output; `wait_bounded` kills the whole process group when the run outlives its bound.
//!
//! **In the debugger.** Break in `run_tests` and print `args` to see the exact command, or run
//! it yourself in the scratch folder the error message names.

use crate::catalogue::Target;
use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What one test did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `test NAME ... ok`.
    Passed,
    /// `test NAME ... FAILED`.
    Failed,
    /// `test NAME ... ignored`.
    Ignored,
}

/// Which tests to run: one test binary of one package, all of it or some names exactly.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The cargo package (`-p`).
    pub package: String,
    /// Its test binary.
    pub target: OwnedTarget,
    /// Exact names, or `None` for every test of the binary.
    pub names: Option<Vec<String>>,
}

/// [`Target`] with an owned name (hidden tests are found at run time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedTarget {
    /// `--lib`.
    Lib,
    /// `--test NAME`.
    Test(String),
}

impl From<Target> for OwnedTarget {
    fn from(t: Target) -> Self {
        match t {
            Target::Lib => OwnedTarget::Lib,
            Target::Test(name) => OwnedTarget::Test(name.to_string()),
        }
    }
}

/// What a run found.
#[derive(Debug, Default)]
pub struct Report {
    /// False when the test binary did not build (every test then counts as not passed).
    pub built: bool,
    /// True when the run was killed at its time bound.
    pub timed_out: bool,
    /// Each test that reported, by name.
    pub outcomes: BTreeMap<String, Outcome>,
    /// The end of cargo's output, for error messages.
    pub log: String,
}

impl Report {
    /// Whether `name` reported `ok`.
    pub fn passed(&self, name: &str) -> bool {
        self.outcomes.get(name) == Some(&Outcome::Passed)
    }
}

/// Where and how long to run.
#[derive(Debug, Clone)]
pub struct Runner {
    /// The shared `CARGO_TARGET_DIR` of every scratch copy.
    pub target_dir: std::path::PathBuf,
    /// Bound on one test binary's run (not its build).
    pub run_timeout: Duration,
}

impl Runner {
    fn cargo(&self, tree: &Path) -> Command {
        let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.current_dir(tree).env("CARGO_TARGET_DIR", &self.target_dir);
        cmd
    }

    /// Builds and runs `sel` in `tree`.
    pub fn run_tests(&self, tree: &Path, sel: &Selection) -> Report {
        let mut args = vec!["test".to_string(), "-p".into(), sel.package.clone()];
        match &sel.target {
            OwnedTarget::Lib => args.push("--lib".into()),
            OwnedTarget::Test(name) => args.extend(["--test".into(), name.clone()]),
        }
        let build = self.cargo(tree).args(&args).arg("--no-run").output();
        let mut report = Report::default();
        match build {
            Ok(out) if out.status.success() => report.built = true,
            Ok(out) => {
                report.log = tail(&String::from_utf8_lossy(&out.stderr), 40);
                return report;
            }
            Err(e) => {
                report.log = format!("could not run cargo: {e}");
                return report;
            }
        }
        args.extend(["--".into(), "--color".into(), "never".into()]);
        if let Some(names) = &sel.names {
            args.push("--exact".into());
            args.extend(names.iter().cloned());
        }
        let mut cmd = self.cargo(tree);
        cmd.args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let (stdout, stderr, timed_out) = match cmd.spawn() {
            Ok(child) => wait_bounded(child, self.run_timeout),
            Err(e) => (String::new(), format!("could not run cargo: {e}"), false),
        };
        report.timed_out = timed_out;
        report.outcomes = parse_results(&stdout);
        report.log = tail(&format!("{stdout}\n{stderr}"), 40);
        report
    }
}

/// Waits for `child` at most `bound`, then kills its process group (cargo and the test binary).
fn wait_bounded(mut child: Child, bound: Duration) -> (String, String, bool) {
    let mut out_pipe = child.stdout.take().expect("stdout is piped");
    let mut err_pipe = child.stderr.take().expect("stderr is piped");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out_pipe.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err_pipe.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let mut timed_out = false;
    loop {
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => break,
            Ok(None) if start.elapsed() >= bound => {
                timed_out = true;
                kill_group(child.id());
                let _ = child.wait();
                break;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    (stdout, stderr, timed_out)
}

/// Sends SIGKILL to the process group we started (`process_group(0)` made its id the pid).
fn kill_group(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stderr(Stdio::null())
        .status();
}

/// libtest's per-test lines: `test NAME ... ok|FAILED|ignored`.
pub fn parse_results(stdout: &str) -> BTreeMap<String, Outcome> {
    let mut out = BTreeMap::new();
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix("test ") else {
            continue;
        };
        let Some((name, result)) = rest.rsplit_once(" ... ") else {
            continue;
        };
        let outcome = match result.trim() {
            "ok" => Outcome::Passed,
            "FAILED" => Outcome::Failed,
            r if r.starts_with("ignored") => Outcome::Ignored,
            _ => continue,
        };
        out.insert(name.trim().to_string(), outcome);
    }
    out
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtest_lines_are_read_and_other_lines_ignored() {
        let out = "running 3 tests\n\
                   test a::b ... ok\n\
                   test slow ... FAILED\n\
                   test later ... ignored, needs gdb\n\
                   test result: FAILED. 1 passed; 1 failed; 1 ignored\n";
        let r = parse_results(out);
        assert_eq!(r.len(), 3);
        assert_eq!(r["a::b"], Outcome::Passed);
        assert_eq!(r["slow"], Outcome::Failed);
        assert_eq!(r["later"], Outcome::Ignored);
    }

    #[test]
    fn a_run_that_outlives_its_bound_is_killed_and_reported() {
        let child = Command::new("sh")
            .args(["-c", "echo 'test quick ... ok'; sleep 30"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap();
        let start = Instant::now();
        let (stdout, _, timed_out) = wait_bounded(child, Duration::from_millis(300));
        assert!(timed_out);
        assert!(start.elapsed() < Duration::from_secs(10));
        assert!(parse_results(&stdout)["quick"] == Outcome::Passed);
    }
}
