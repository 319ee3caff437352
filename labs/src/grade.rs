//! `grade DIR [--extra-tests DIR]`: run a student's tests and print the score table.
//!
//! **Concept.** A lab's score is the share of its tests that pass: the visible tests the
//! catalogue names, plus the teacher's hidden tests for that lab. Grading never touches the
//! student's folder: it mirrors it into a scratch copy, adds the hidden tests there, and runs
//! `cargo test` by exact test name, one test binary at a time, each run bounded in time.
//!
//! Hidden tests live in a folder with one sub-folder per lab, laid out like the repository:
//! `HIDDEN/select-join/tests/join_all_hidden.rs` becomes `tests/join_all_hidden.rs` of the
//! copy and counts for `select-join` (see `labs/hidden-sample/`).
//!
//! **Where.** [`hidden_tests`] reads such a folder, [`grade_tree`] scores labs in a prepared
//! copy, [`print_table`] prints the result.
//!
//! **In the debugger.** Break in `score_lab` and print `report.outcomes` for one test binary.

use crate::cargo::{OwnedTarget, Runner, Selection};
use crate::catalogue::Lab;
use crate::tree::{self, Files};
use std::collections::BTreeMap;
use std::path::Path;

/// One lab's result.
#[derive(Debug, Clone)]
pub struct Score {
    /// The lab's name.
    pub lab: &'static str,
    /// Tests that passed.
    pub passed: usize,
    /// Tests that count.
    pub total: usize,
    /// Points earned: `points * passed / total`, rounded down.
    pub points: u32,
    /// Points for a complete lab.
    pub max: u32,
    /// Why tests did not run (a build error, a timeout), for the student.
    pub notes: Vec<String>,
    /// Names of the tests that did not pass.
    pub failing: Vec<String>,
    /// Names of the tests that passed.
    pub passing: Vec<String>,
}

impl Score {
    /// Every test passed.
    pub fn complete(&self) -> bool {
        self.passed == self.total
    }
}

/// Hidden tests: files to add to the copy, and per lab the selections that run them.
#[derive(Debug, Default)]
pub struct Hidden {
    /// Repository-relative path -> contents.
    pub files: Files,
    /// Lab name -> test binaries and names.
    pub tests: BTreeMap<String, Vec<Selection>>,
}

/// The top-level `#[test]` functions of a test file, in order.
pub fn test_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut armed = false;
    for line in source.lines() {
        let line = line.trim();
        if line == "#[test]" {
            armed = true;
        } else if armed && let Some(rest) = line.strip_prefix("fn ") {
            names.push(
                rest.split(['(', '<'])
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            );
            armed = false;
        }
    }
    names
}

/// Reads a hidden-test folder. `student` is the copy the tests will join (for package names
/// and to refuse overwriting a student's file).
pub fn hidden_tests(dir: &Path, student: &Files, labs: &[&Lab]) -> Result<Hidden, String> {
    let mut hidden = Hidden::default();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut lab_dirs: Vec<_> = entries.flatten().filter(|e| e.path().is_dir()).collect();
    lab_dirs.sort_by_key(|e| e.file_name());
    for entry in lab_dirs {
        let lab = entry.file_name().to_string_lossy().into_owned();
        if crate::catalogue::find(&lab).is_none() {
            return Err(format!(
                "{}: `{lab}` is not a lab (see `corolab-labs list`)",
                dir.display()
            ));
        }
        let files = tree::read_files(&entry.path(), |_| true).map_err(|e| e.to_string())?;
        for (rel, bytes) in files {
            if student.contains_key(&rel) || hidden.files.contains_key(&rel) {
                return Err(format!(
                    "hidden test {lab}/{rel} would overwrite {rel}: rename it"
                ));
            }
            if let Some(sel) = hidden_selection(&rel, &bytes, student)? {
                hidden.tests.entry(lab.clone()).or_default().push(sel);
            }
            hidden.files.insert(rel, bytes);
        }
    }
    // Hidden tests of a lab not being graded are copied but not run.
    hidden.tests.retain(|l, _| labs.iter().any(|lab| lab.name == l));
    Ok(hidden)
}

/// A `tests/NAME.rs` file becomes `--test NAME` of the package it sits in; others are helpers.
fn hidden_selection(rel: &str, bytes: &[u8], student: &Files) -> Result<Option<Selection>, String> {
    let Some((folder, file)) = rel.rsplit_once('/') else {
        return Ok(None);
    };
    let (Some(stem), true) = (
        file.strip_suffix(".rs"),
        folder == "tests" || folder.ends_with("/tests"),
    ) else {
        return Ok(None);
    };
    let names = test_names(&String::from_utf8_lossy(bytes));
    if names.is_empty() {
        return Err(format!(
            "hidden test file {rel} has no top-level #[test] functions"
        ));
    }
    let package = tree::package_of(student, rel).ok_or_else(|| format!("no Cargo.toml above {rel}"))?;
    Ok(Some(Selection {
        package,
        target: OwnedTarget::Test(stem.to_string()),
        names: Some(names),
    }))
}

/// The visible selections of a lab.
pub fn visible(lab: &Lab) -> Vec<Selection> {
    lab.tests
        .iter()
        .map(|g| Selection {
            package: g.package.to_string(),
            target: g.target.into(),
            names: Some(g.names.iter().map(|n| n.to_string()).collect()),
        })
        .collect()
}

/// The folder (with a trailing `/`, or empty for the root) of the package called `package`.
pub fn package_dir(files: &Files, package: &str) -> Option<String> {
    files.iter().find_map(|(rel, bytes)| {
        let dir = rel.strip_suffix("Cargo.toml")?;
        let named = tree::package_name(&String::from_utf8_lossy(bytes))? == package;
        (named && (dir.is_empty() || dir.ends_with('/'))).then(|| dir.to_string())
    })
}

/// The visible test files (`tests/NAME.rs`) of `labs` that differ between the teacher's
/// repository and the student's copy.
pub fn edited_tests(teacher: &Files, student: &Files, labs: &[&Lab]) -> Vec<String> {
    let mut edited = std::collections::BTreeSet::new();
    for group in labs.iter().flat_map(|l| l.tests) {
        let crate::catalogue::Target::Test(name) = group.target else {
            continue;
        };
        let Some(dir) = package_dir(teacher, group.package) else {
            continue;
        };
        let rel = format!("{dir}tests/{name}.rs");
        if teacher.get(&rel) != student.get(&rel) {
            edited.insert(rel);
        }
    }
    edited.into_iter().collect()
}

/// Runs one lab's selections in `tree` and counts.
pub fn score_lab(runner: &Runner, tree: &Path, lab: &'static Lab, sels: &[Selection]) -> Score {
    let mut score = Score {
        lab: lab.name,
        passed: 0,
        total: 0,
        points: 0,
        max: lab.points,
        notes: Vec::new(),
        failing: Vec::new(),
        passing: Vec::new(),
    };
    for sel in sels {
        let report = runner.run_tests(tree, sel);
        let names = sel.names.as_deref().unwrap_or_default();
        let target = match &sel.target {
            OwnedTarget::Lib => format!("{} --lib", sel.package),
            OwnedTarget::Test(t) => format!("{} --test {t}", sel.package),
        };
        if !report.built {
            score
                .notes
                .push(format!("{target} did not build:\n{}", report.log));
        } else if report.timed_out {
            score
                .notes
                .push(format!("{target} was stopped after {:?}", runner.run_timeout));
        }
        for name in names {
            score.total += 1;
            if report.passed(name) {
                score.passed += 1;
                score.passing.push(format!("{target}: {name}"));
            } else {
                score.failing.push(format!("{target}: {name}"));
            }
        }
    }
    score.points = if score.total == 0 {
        0
    } else {
        lab.points * score.passed as u32 / score.total as u32
    };
    score
}

/// Scores every lab in a prepared copy `tree`.
pub fn grade_tree(runner: &Runner, tree: &Path, labs: &[&'static Lab], hidden: &Hidden) -> Vec<Score> {
    labs.iter()
        .map(|lab| {
            let mut sels = visible(lab);
            sels.extend(hidden.tests.get(lab.name).cloned().unwrap_or_default());
            score_lab(runner, tree, lab, &sels)
        })
        .collect()
}

/// The score table: lab, tests passed / total, points.
pub fn table(scores: &[Score]) -> String {
    let mut out = format!("{:<24} {:>8} {:>8}\n", "lab", "tests", "points");
    for s in scores {
        out.push_str(&format!(
            "{:<24} {:>8} {:>8}\n",
            s.lab,
            format!("{}/{}", s.passed, s.total),
            format!("{}/{}", s.points, s.max)
        ));
    }
    let (got, max): (u32, u32) = scores.iter().fold((0, 0), |(g, m), s| (g + s.points, m + s.max));
    out.push_str(&format!(
        "{:<24} {:>8} {:>8}\n",
        "total",
        "",
        format!("{got}/{max}")
    ));
    out
}

/// A note's first line and, for a build failure, its first `error` line (`--verbose`: all).
fn short_note(note: &str) -> String {
    let mut lines = note.lines();
    let first = lines.next().unwrap_or_default().to_string();
    match lines.find(|l| l.starts_with("error")) {
        Some(error) => format!("{first} {error} (--verbose shows more)"),
        None => first,
    }
}

/// Prints the table and, below it, what failed and why.
pub fn print_table(scores: &[Score], verbose: bool) {
    print!("{}", table(scores));
    for s in scores.iter().filter(|s| !s.complete()) {
        println!(
            "\n{}: {} of {} tests do not pass",
            s.lab,
            s.total - s.passed,
            s.total
        );
        for name in &s.failing {
            println!("  {name}");
        }
        for note in &s.notes {
            let shown: String = if verbose { note.clone() } else { short_note(note) };
            println!("  {shown}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_test_functions_are_found_by_name() {
        let src = "use x;\n#[test]\nfn a_works() {}\n\nfn helper() {}\n#[test]\nfn b_works() {\n}\n";
        assert_eq!(test_names(src), vec!["a_works", "b_works"]);
    }

    #[test]
    fn an_edited_visible_test_file_is_noticed() {
        let lab = crate::catalogue::find("select-join").unwrap();
        let mut teacher = Files::new();
        teacher.insert("Cargo.toml".into(), b"[package]\nname = \"corolab\"\n".to_vec());
        teacher.insert("tests/join_all.rs".into(), b"#[test]\nfn a() {}\n".to_vec());
        teacher.insert("tests/sync.rs".into(), b"#[test]\nfn b() {}\n".to_vec());
        assert_eq!(package_dir(&teacher, "corolab").as_deref(), Some(""));
        let mut student = teacher.clone();
        assert!(edited_tests(&teacher, &student, &[lab]).is_empty());
        student.insert("tests/join_all.rs".into(), b"fn a() {}\n".to_vec());
        assert_eq!(
            edited_tests(&teacher, &student, &[lab]),
            vec!["tests/join_all.rs"]
        );
    }

    #[test]
    fn the_table_shows_tests_and_points_per_lab() {
        let s = |lab, passed, total, points| Score {
            lab,
            passed,
            total,
            points,
            max: 10,
            notes: vec![],
            failing: vec![],
            passing: vec![],
        };
        let t = table(&[s("select-join", 7, 7, 10), s("timer-heap", 2, 4, 5)]);
        assert!(t.contains("select-join                   7/7    10/10"), "{t}");
        assert!(t.contains("timer-heap                    2/4     5/10"), "{t}");
        assert!(t.contains("total                                15/20"), "{t}");
        // docs/teaching.md shows this very table as its sample.
        let guide = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/teaching.md");
        let guide = std::fs::read_to_string(guide).expect("docs/teaching.md exists");
        assert!(
            guide.contains(&format!("```text\n{t}```")),
            "update the sample in docs/teaching.md:\n{t}"
        );
    }
}
