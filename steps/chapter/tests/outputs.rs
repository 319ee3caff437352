//! The chapter's sample outputs are what the steps print (one test: the trace capture is per
//! process). Digits are masked when comparing: times and file descriptors vary.

use std::time::Duration;
use steps_chapter::{mask_digits, read, regenerate, root};

const CHAPTER: &str = "docs/00-seven-steps.md";

/// Runs the step's `cargo run` demo in process, as its `main` would with these arguments.
fn run(package: &str, trace: bool) -> Vec<String> {
    let latency = Duration::from_millis(step1_blocking::DEFAULT_LATENCY_MS);
    let pages = step1_blocking::DEFAULT_PAGES;
    steps_support::capture(trace, || match package {
        "step1-blocking" => drop(step1_blocking::run_demo(pages, latency).unwrap()),
        "step2-poll-by-hand" => step2_poll_by_hand::run_demo(),
        "step3-wakers" => step3_wakers::run_demo(),
        "step4-reactor" => step4_reactor::run_demo().unwrap(),
        "step5-timers" => step5_timers::run_demo().unwrap(),
        "step6-spawn-join" => step6_spawn_join::run_demo().unwrap(),
        "step7-fetch-pages" => step7_fetch_pages::run_demo(pages, latency).unwrap(),
        other => panic!("no step {other}"),
    })
}

fn render(marker: &str) -> Option<String> {
    let words = marker.strip_prefix("output:")?.trim();
    let (package, args) = words.split_once(' ').unwrap_or((words, ""));
    let trace = args.contains("--trace");
    let command = if args.is_empty() { String::new() } else { format!(" -- {args}") };
    let mut out = vec![format!("$ cargo run -p {package}{command}")];
    out.extend(run(package, trace));
    Some(out.join("\n"))
}

// Why: a sample output in a chapter must be one a test produces.
#[test]
fn chapter_outputs_are_what_the_steps_print() {
    let chapter = read(CHAPTER);
    let fresh = regenerate(&chapter, render);
    if std::env::var_os("UPDATE_CHAPTER").is_some() {
        std::fs::write(root().join(CHAPTER), &fresh).unwrap();
        return;
    }
    for (old, new) in chapter.lines().zip(fresh.lines()) {
        assert_eq!(mask_digits(old), mask_digits(new), "{CHAPTER}: a sample output changed");
    }
    assert_eq!(
        chapter.lines().count(),
        fresh.lines().count(),
        "{CHAPTER}: a sample output changed"
    );
}
