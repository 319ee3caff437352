//! docs/00-seven-steps.md is current: its diffs and line counts are what the step sources
//! give today, each step is within its size, and the LAB regions are where the labs expect.
//! `UPDATE_CHAPTER=1 cargo test -p steps-chapter` rewrites the generated blocks.

use steps_chapter::{
    STEPS, generated_blocks, line_diff, read, regenerate, render_diff, render_lines, root,
};

const CHAPTER: &str = "docs/00-seven-steps.md";

fn render(marker: &str) -> Option<String> {
    if marker == "lines" {
        return Some(render_lines());
    }
    let specs = marker.strip_prefix("diff:")?;
    let (old, new) = specs.trim().split_once(' ').expect("diff: OLD NEW");
    Some(render_diff(old, new.trim()))
}

// Why: the chapter's diffs are generated from the step sources; editing a step without
// regenerating the chapter must fail here.
#[test]
fn chapter_diffs_and_line_counts_are_current() {
    let chapter = read(CHAPTER);
    let diffs = generated_blocks(&chapter).iter().filter(|b| b.marker.starts_with("diff:")).count();
    assert!(diffs >= 6, "only {diffs} diffs in the chapter");
    let fresh = regenerate(&chapter, render);
    if std::env::var_os("UPDATE_CHAPTER").is_some() {
        std::fs::write(root().join(CHAPTER), &fresh).unwrap();
        return;
    }
    for (old, new) in chapter.lines().zip(fresh.lines()) {
        assert_eq!(
            old, new,
            "{CHAPTER} is stale: run `UPDATE_CHAPTER=1 cargo test -p steps-chapter`"
        );
    }
    assert_eq!(
        chapter, fresh,
        "{CHAPTER} is stale: run `UPDATE_CHAPTER=1 cargo test -p steps-chapter`"
    );
}

// Why: the size rule: at most 250 lines of source per step, comments included.
#[test]
fn every_step_is_at_most_250_lines() {
    for step in STEPS {
        let dir = root().join("steps").join(step).join("src");
        let lines: usize = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap().lines().count())
            .sum();
        assert!(lines <= 250, "steps/{step}/src has {lines} lines");
    }
}

// Why: the diff is right: kept lines, then removed, then added, in order.
#[test]
fn line_diff_marks_kept_removed_and_added_lines() {
    let diff = line_diff("a\nb\nc\n", "a\nx\nc\nd\n");
    assert_eq!(diff, [" a", "-b", "+x", " c", "+d"]);
}

// Why: the labs engineer cuts these regions out (replaced by `todo!`); each must exist once,
// open and close in the same file, in the step the labs point at.
#[test]
fn lab_regions_are_where_the_labs_expect_them() {
    let expected = [
        ("waker-dedup", "3-wakers"),
        ("fifo-poll-cap", "3-wakers"),
        ("register-then-recheck", "3-wakers"),
        ("edge-drain", "4-reactor"),
        ("generation-tokens", "4-reactor"),
        ("timer-heap", "5-timers"),
        ("epoll-timeout", "5-timers"),
    ];
    for (name, step) in expected {
        let source = read(&format!("steps/{step}/src/lib.rs"));
        let begin = format!("// LAB({name}) begin: ");
        let end = format!("// LAB({name}) end");
        assert_eq!(source.matches(&begin).count(), 1, "{name}: one begin in steps/{step}");
        assert_eq!(source.matches(&end).count(), 1, "{name}: one end in steps/{step}");
        assert!(source.find(&begin) < source.find(&end), "{name}: begin before end");
    }
}

// Why: each step's doc ends with "what the real corolab adds here, and where": the files it
// names must exist, so the last step really hands the reader to `src/`.
#[test]
fn the_files_each_step_points_at_in_corolab_exist() {
    let mut checked = 0;
    for step in STEPS {
        let source = read(&format!("steps/{step}/src/lib.rs"));
        let docs: String =
            source.lines().filter(|l| l.starts_with("//!")).collect::<Vec<_>>().join("\n");
        assert!(docs.contains("**What the real corolab adds here, and where.**"), "steps/{step}");
        for span in docs.split('`').skip(1).step_by(2) {
            if ["src/", "examples/"].iter().any(|r| span.starts_with(r)) {
                assert!(
                    root().join(span).exists(),
                    "steps/{step} names `{span}`, which does not exist"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 14, "only {checked} paths named");
}

// Why: the diffs quote whole functions: a method is found inside its impl, with its docs.
#[test]
fn extract_finds_a_method_with_its_doc_comment() {
    let source =
        "struct A;\nimpl A {\n    /// Says hi.\n    pub fn hi(&self) {\n        x();\n    }\n}\n";
    let hi = steps_chapter::extract(source, "A::hi").unwrap();
    assert_eq!(hi, "/// Says hi.\npub fn hi(&self) {\n    x();\n}");
    assert_eq!(steps_chapter::extract(source, "nope"), None);
}
