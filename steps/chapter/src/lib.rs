//! Keeps `docs/00-seven-steps.md` current: the chapter's diffs, sample outputs and line counts
//! are generated from the step sources, and the tests fail when the chapter is stale.
//!
//! **Concept.** The chapter holds generated blocks, each after a marker comment:
//! `<!-- diff: OLD NEW -->` (a diff of two items, each `path#fn` or `path#Type::fn`),
//! `<!-- output: PACKAGE ARGS -->` (a console block: the command and what it printed) and
//! `<!-- lines -->` (each step's size). `UPDATE_CHAPTER=1 cargo test -p steps-chapter` writes
//! them anew; without it the tests compare.
//!
//! **Where.** [`extract`] cuts one function out of a source file; [`line_diff`] is a small
//! longest-common-subsequence line diff; [`generated_blocks`] finds the markers.
//!
//! **In the debugger.** `break steps_chapter::line_diff`.

use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Reads `path` (relative to the repository root).
pub fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The item `name` (`fn_name` or `Type::fn_name`) of `source`, with its doc comment, up to
/// the closing brace at its own indentation.
pub fn extract(source: &str, name: &str) -> Option<String> {
    let lines: Vec<&str> = source.lines().collect();
    let (ty, func) = match name.split_once("::") {
        Some((ty, func)) => (Some(ty), func),
        None => (None, name),
    };
    let from = match ty {
        Some(ty) => lines.iter().position(|l| {
            l.starts_with("impl")
                && (l.contains(&format!(" {ty} {{")) || l.contains(&format!(" {ty}<")))
        })?,
        None => 0,
    };
    let is_start = |l: &str| {
        let t = l.trim_start();
        let t = t.strip_prefix("pub ").unwrap_or(t);
        let t = t.strip_prefix("async ").unwrap_or(t);
        t.strip_prefix("fn ")
            .and_then(|r| r.strip_prefix(func))
            .is_some_and(|r| r.starts_with('(') || r.starts_with('<'))
    };
    let start = from + lines[from..].iter().position(|l| is_start(l))?;
    let indent = lines[start].len() - lines[start].trim_start().len();
    let end_line = format!("{}}}", " ".repeat(indent));
    let end = start + lines[start..].iter().position(|l| *l == end_line)?;
    let mut first = start;
    while first > 0 && lines[first - 1].trim_start().starts_with("///") {
        first -= 1;
    }
    let body: Vec<String> =
        lines[first..=end].iter().map(|l| l.get(indent..).unwrap_or("").to_string()).collect();
    Some(body.join("\n"))
}

/// A full-context line diff: every line of `old` and `new`, prefixed `' '`, `'-'` or `'+'`.
pub fn line_diff(old: &str, new: &str) -> Vec<String> {
    let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..]
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] =
                if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push(format!(" {}", a[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(format!("-{}", a[i]));
            i += 1;
        } else {
            out.push(format!("+{}", b[j]));
            j += 1;
        }
    }
    out
}

/// The body of a ```diff block for `<!-- diff: OLD NEW -->`.
pub fn render_diff(old: &str, new: &str) -> String {
    let item = |spec: &str| {
        let (path, name) = spec.split_once('#').unwrap_or_else(|| panic!("{spec}: want path#item"));
        extract(&read(path), name).unwrap_or_else(|| panic!("{spec}: no such item"))
    };
    let mut out = vec![format!("--- {old}"), format!("+++ {new}")];
    out.extend(line_diff(&item(old), &item(new)));
    out.join("\n")
}

/// The size of each step: lines of `src/` (comments included, tests not), for `<!-- lines -->`.
pub fn render_lines() -> String {
    let mut out = Vec::new();
    for step in STEPS {
        let dir = root().join("steps").join(step).join("src");
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
        files.sort();
        let count = |p: &PathBuf| std::fs::read_to_string(p).unwrap().lines().count();
        let total: usize = files.iter().map(count).sum();
        let parts: Vec<String> = files
            .iter()
            .map(|p| format!("{} {}", p.file_name().unwrap().to_string_lossy(), count(p)))
            .collect();
        out.push(format!("steps/{step:<16} {total:>4} lines  ({})", parts.join(", ")));
    }
    out.join("\n")
}

/// The seven step folders.
pub const STEPS: [&str; 7] = [
    "1-blocking",
    "2-poll-by-hand",
    "3-wakers",
    "4-reactor",
    "5-timers",
    "6-spawn-join",
    "7-fetch-pages",
];

/// One generated block: the marker's words, and the line range of the block's body.
#[derive(Debug)]
pub struct Generated {
    /// What follows `<!--` up to `-->`, e.g. `diff: a#f b#f`.
    pub marker: String,
    /// First body line (after the opening fence), 0-based.
    pub start: usize,
    /// The closing fence's line.
    pub end: usize,
}

/// Every generated block of `chapter`.
pub fn generated_blocks(chapter: &str) -> Vec<Generated> {
    let lines: Vec<&str> = chapter.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(marker) = line.trim().strip_prefix("<!-- ").and_then(|m| m.strip_suffix(" -->"))
        else {
            continue;
        };
        if !(marker.starts_with("diff:") || marker.starts_with("output:") || marker == "lines") {
            continue;
        }
        assert!(
            lines.get(i + 1).is_some_and(|l| l.starts_with("```")),
            "line {}: fence expected",
            i + 2
        );
        let end =
            (i + 2..lines.len()).find(|&j| lines[j].starts_with("```")).expect("closing fence");
        out.push(Generated { marker: marker.to_string(), start: i + 2, end });
    }
    out
}

/// `chapter` with the body of each block replaced by `render(marker)`.
pub fn regenerate(chapter: &str, render: impl Fn(&str) -> Option<String>) -> String {
    let lines: Vec<&str> = chapter.lines().collect();
    let mut out: Vec<String> = Vec::new();
    let mut at = 0;
    for block in generated_blocks(chapter) {
        let Some(body) = render(&block.marker) else { continue };
        out.extend(lines[at..block.start].iter().map(|l| l.to_string()));
        out.push(body);
        at = block.end;
    }
    out.extend(lines[at..].iter().map(|l| l.to_string()));
    out.join("\n") + "\n"
}

/// Digits masked as `#` and spaces dropped (times, file descriptors and the padding around
/// them vary): how sample outputs are compared.
pub fn mask_digits(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().filter(|c| *c != ' ') {
        if !c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('#') {
            out.push('#');
        }
    }
    out
}
