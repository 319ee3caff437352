//! `check` must do its one job: refuse a lab whose test passes without the student's code.

use corolab_labs::cargo::Runner;
use corolab_labs::catalogue::{Lab, Target, TestGroup};
use corolab_labs::{check, lock_scratch, repo_root, scratch_root};
use std::time::Duration;

/// The real `select-join` region, graded by one real test and one that never touches
/// `join_all` (a channel test): the second passes on the stub, so it proves nothing.
static VACUOUS: Lab = Lab {
    name: "select-join",
    title: "a lab with a vacuous test",
    chapter: "03-executor.md",
    goal: "none",
    prerequisites: "none",
    minutes: 1,
    points: 1,
    files: &["src/future.rs"],
    tests: &[TestGroup {
        package: "corolab",
        target: Target::Test("sync"),
        names: &[
            "join_all_keeps_order_and_select_returns_the_first_to_finish",
            "bounded_channel_applies_backpressure_in_fifo_order",
        ],
    }],
};

// Why: a check that cannot tell a vacuous test from a real one would make every score
// meaningless; this breaks a catalogue entry on purpose and watches check refuse it.
#[test]
fn check_refuses_a_lab_whose_test_passes_on_the_stub() {
    let scratch = scratch_root().join("check");
    let _lock = lock_scratch(&scratch).unwrap();
    let no_hidden = scratch_root().join("no-hidden-tests");
    std::fs::create_dir_all(&no_hidden).unwrap();
    let runner = Runner {
        target_dir: scratch_root().join("target"),
        run_timeout: Duration::from_secs(60),
    };
    let problems = check::run(&repo_root(), &no_hidden, &scratch, &runner, &[&VACUOUS]);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].contains("pass on the stub"), "{problems:#?}");
    assert!(
        problems[0].contains("bounded_channel_applies_backpressure_in_fifo_order"),
        "{problems:#?}"
    );
    assert!(
        !problems[0].contains("join_all_keeps_order"),
        "the real test fails on the stub: {problems:#?}"
    );
}
