//! The promise of the labs, end to end on a small scale: a fresh handout graded as-is scores 0,
//! the solutions score full marks. (`corolab-labs check`, run by `.ci/run`, proves it for every
//! lab; this test keeps to two cheap ones so `cargo test` stays quick.)

use std::path::PathBuf;
use std::process::{Command, Output};

const LABS: &[&str] = &["waker-dedup", "select-join"];

fn tool(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_corolab-labs"));
    cmd.args(args);
    for lab in LABS {
        cmd.args(["--lab", lab]);
    }
    cmd.output().expect("corolab-labs runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The score row of `lab` in a grade table: (tests, points).
fn row<'a>(table: &'a str, lab: &str) -> (&'a str, &'a str) {
    let line = table.lines().find(|l| l.split_whitespace().next() == Some(lab));
    let mut cols = line
        .unwrap_or_else(|| panic!("no row for {lab} in:\n{table}"))
        .split_whitespace();
    (cols.nth(1).unwrap(), cols.next().unwrap())
}

// Why: the definition of done: a handout cannot be passed without writing the labs,
// and the real sources (the solutions) pass every test, hidden ones included.
#[test]
fn a_fresh_handout_scores_zero_and_the_solutions_score_full_marks() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = repo.join("target/labs-scratch/test-handout");
    let _ = std::fs::remove_dir_all(&dir);
    let dir_s = dir.to_str().unwrap();
    let hidden = repo.join("labs/hidden-sample");
    let hidden_s = hidden.to_str().unwrap();

    let out = tool(&["handout", dir_s]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(dir.join("LABS/select-join.md").exists());
    assert!(
        !dir.join("labs/hidden-sample").exists(),
        "hidden tests must not reach students"
    );
    let future = std::fs::read_to_string(dir.join("src/future.rs")).unwrap();
    assert!(
        future.contains("todo!(") && !future.contains("this.remaining -= 1"),
        "the solution leaked"
    );

    let graded = tool(&["grade", dir_s, "--extra-tests", hidden_s]);
    let table = text(&graded);
    assert_eq!(
        graded.status.code(),
        Some(1),
        "an incomplete handout must fail:\n{table}"
    );
    for lab in LABS {
        let (tests, points) = row(&table, lab);
        assert!(
            tests.starts_with("0/") && points.starts_with("0/"),
            "{lab} scores on the stub:\n{table}"
        );
    }

    let solved = tool(&["grade", repo.to_str().unwrap(), "--extra-tests", hidden_s]);
    let table = text(&solved);
    assert!(solved.status.success(), "the solutions must pass:\n{table}");
    for lab in LABS {
        let (tests, points) = row(&table, lab);
        let (p, t) = tests.split_once('/').unwrap();
        let (got, max) = points.split_once('/').unwrap();
        assert!(
            p == t && got == max && t != "0",
            "{lab} is not full marks:\n{table}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
