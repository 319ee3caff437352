//! `check`: every lab can be solved, and no test passes vacuously.
//!
//! **Concept.** A lab is only worth handing out if its tests tell a stub from a solution. For
//! each lab, `check` proves three things in a scratch copy of the repository (the hidden
//! sample tests included):
//!
//! 1. on the real sources (the solution) every test of the lab passes;
//! 2. with only this lab stubbed (the others solved) the copy still builds and **every** test
//!    of the lab fails, so none of them passes without the student's code;
//! 3. the full handout (all labs stubbed at once, as students get it) builds and grades 0.
//!
//! It also reads every `LAB(` mark in the tree: each must parse, name a catalogued lab and sit
//! in a file that lab lists.
//!
//! **Where.** [`run`] does all of it and prints one line per step with its time.
//!
//! **In the debugger.** Rerun a failing step by hand: the message names the scratch folder
//! and the `cargo test` selection.

use crate::cargo::Runner;
use crate::catalogue::{self, Lab};
use crate::grade::{self, Hidden};
use crate::handout;
use crate::marks;
use crate::tree::{self, Files};
use std::path::Path;
use std::time::Instant;

/// Every `LAB(` mark in `files` parses, names a lab of the catalogue, and is in a listed file.
pub fn validate_marks(files: &Files) -> Vec<String> {
    let mut problems = Vec::new();
    // The tool's own unit tests hold made-up marks as fixtures.
    let fixtures = |rel: &str| rel.starts_with("labs/src/");
    for (rel, bytes) in files
        .iter()
        .filter(|(rel, _)| rel.ends_with(".rs") && !fixtures(rel))
    {
        let text = String::from_utf8_lossy(bytes);
        if !text.contains("// LAB(") {
            continue;
        }
        match marks::find_regions(&text) {
            Err(e) => problems.push(format!("{rel}: {e}")),
            Ok(regions) => {
                for r in regions {
                    match catalogue::find(&r.lab) {
                        None => problems.push(format!(
                            "{rel}:{}: LAB({}) is not in the catalogue",
                            r.begin + 1,
                            r.lab
                        )),
                        Some(lab) if !lab.files.contains(&rel.as_str()) => problems.push(format!(
                            "{rel}:{}: LAB({}) is in a file the catalogue does not list for it",
                            r.begin + 1,
                            r.lab
                        )),
                        Some(_) => {}
                    }
                }
            }
        }
    }
    problems
}

/// What went wrong, one line per problem (empty: all good).
pub type Problems = Vec<String>;

fn step<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    println!("check: {what} ({:.1} s)", start.elapsed().as_secs_f64());
    out
}

/// Checks `labs` using the repository at `repo`, the hidden sample at `hidden_dir` and the
/// scratch copy `scratch`.
pub fn run(
    repo: &Path,
    hidden_dir: &Path,
    scratch: &Path,
    runner: &Runner,
    labs: &[&'static Lab],
) -> Problems {
    let start = Instant::now();
    let mut problems = Problems::new();
    let solution = match handout::solution_files(repo) {
        Ok(f) => f,
        Err(e) => return vec![e],
    };
    problems.extend(validate_marks(&solution));
    let hidden = match grade::hidden_tests(hidden_dir, &solution, labs) {
        Ok(h) => h,
        Err(e) => return vec![e],
    };
    if !problems.is_empty() {
        return problems;
    }
    let with_hidden = |mut files: Files| {
        files.extend(hidden.files.clone());
        files
    };
    let sync = |files: &Files| tree::sync(files, scratch).map_err(|e| format!("{}: {e}", scratch.display()));
    if let Err(e) = sync(&with_hidden(solution.clone())) {
        return vec![e];
    }
    let solved = step("every lab's tests on the solution", || {
        grade::grade_tree(runner, scratch, labs, &hidden)
    });
    for s in &solved {
        if !s.complete() {
            problems.push(format!(
                "{}: {} test(s) fail on the solution: {:?} {:?}",
                s.lab,
                s.total - s.passed,
                s.failing,
                s.notes
            ));
        }
    }
    for lab in labs {
        problems.extend(check_stub(
            lab,
            &solution,
            &hidden,
            scratch,
            runner,
            &with_hidden,
            &sync,
        ));
    }
    if labs.len() > 1 {
        problems.extend(check_full_handout(
            repo,
            labs,
            &hidden,
            scratch,
            runner,
            &with_hidden,
            &sync,
        ));
    }
    println!(
        "check: {} lab(s) in {:.0} s",
        labs.len(),
        start.elapsed().as_secs_f64()
    );
    problems
}

/// Step 2 for one lab: stub it alone; the copy builds and every test of the lab fails.
fn check_stub(
    lab: &'static Lab,
    solution: &Files,
    hidden: &Hidden,
    scratch: &Path,
    runner: &Runner,
    with_hidden: &dyn Fn(Files) -> Files,
    sync: &dyn Fn(&Files) -> Result<usize, String>,
) -> Problems {
    let mut files = solution.clone();
    if let Err(e) = handout::stub_labs(&mut files, &[lab]) {
        return vec![e];
    }
    if let Err(e) = sync(&with_hidden(files)) {
        return vec![e];
    }
    let mut sels = grade::visible(lab);
    sels.extend(hidden.tests.get(lab.name).cloned().unwrap_or_default());
    let score = step(&format!("{} stubbed", lab.name), || {
        grade::score_lab(runner, scratch, lab, &sels)
    });
    let mut problems = Problems::new();
    for note in score.notes.iter().filter(|n| n.contains("was stopped")) {
        println!(
            "check: warning: {}: {note} on the stub: its tests hang instead of failing",
            lab.name
        );
    }
    if let Some(note) = score.notes.iter().find(|n| n.contains("did not build")) {
        problems.push(format!(
            "{}: the handout does not build with this lab stubbed: {note}",
            lab.name
        ));
    }
    if score.passed > 0 {
        problems.push(format!(
            "{}: {} test(s) pass on the stub, so they prove nothing about the student's code: {:?}",
            lab.name, score.passed, score.passing
        ));
    }
    problems
}

/// Step 3: the handout as students get it builds, and every lab scores 0.
fn check_full_handout(
    repo: &Path,
    labs: &[&'static Lab],
    hidden: &Hidden,
    scratch: &Path,
    runner: &Runner,
    with_hidden: &dyn Fn(Files) -> Files,
    sync: &dyn Fn(&Files) -> Result<usize, String>,
) -> Problems {
    let files = match handout::handout_files(repo, labs) {
        Ok(f) => f,
        Err(e) => return vec![e],
    };
    if let Err(e) = sync(&with_hidden(files)) {
        return vec![e];
    }
    let scores = step("the full handout grades 0", || {
        grade::grade_tree(runner, scratch, labs, hidden)
    });
    scores
        .iter()
        .filter(|s| s.passed > 0 || s.notes.iter().any(|n| n.contains("did not build")))
        .map(|s| {
            format!(
                "{}: the full handout scores {}/{} tests ({:?})",
                s.lab, s.passed, s.total, s.notes
            )
        })
        .collect()
}

/// `probe`: which tests of some test binaries guard a lab, i.e. pass on the solution and fail
/// with the lab stubbed. A helper for writing a catalogue entry; prints one line per test.
pub fn probe(
    repo: &Path,
    scratch: &Path,
    runner: &Runner,
    lab: &'static Lab,
    sels: &[crate::cargo::Selection],
) -> Result<Vec<String>, String> {
    let solution = handout::solution_files(repo)?;
    let mut stubbed = solution.clone();
    handout::stub_labs(&mut stubbed, &[lab])?;
    let sync = |files: &Files| tree::sync(files, scratch).map_err(|e| format!("{}: {e}", scratch.display()));
    let mut guards = Vec::new();
    for sel in sels {
        sync(&solution)?;
        let solved = runner.run_tests(scratch, sel);
        if !solved.built {
            return Err(format!("{sel:?} does not build on the solution:\n{}", solved.log));
        }
        sync(&stubbed)?;
        let on_stub = runner.run_tests(scratch, sel);
        if !on_stub.built {
            return Err(format!(
                "{sel:?} does not build with {} stubbed:\n{}",
                lab.name, on_stub.log
            ));
        }
        for name in solved
            .outcomes
            .keys()
            .filter(|n| solved.passed(n) && !on_stub.passed(n))
        {
            let target = match &sel.target {
                crate::cargo::OwnedTarget::Lib => "--lib".to_string(),
                crate::cargo::OwnedTarget::Test(t) => format!("--test {t}"),
            };
            guards.push(format!("-p {} {target}: {name}", sel.package));
        }
    }
    Ok(guards)
}
