//! The shape rules of `src/` (issue 12), checked so that they stay true.
//!
//! `src/` is read more than it is run, so four rules keep it readable, and this test fails,
//! naming the file and the function, the day one of them breaks:
//!
//! - `every_source_file_is_at_most_500_lines`: a file a student can read in one sitting.
//! - `no_function_spans_more_than_60_lines`: a function fits on a screen where the debugger
//!   stops (the hand-written assembly listings in `src/greenlet/arch_*.rs` are exempt).
//! - `a_lower_layer_never_imports_a_higher_one`: `slab`, `trace` (0) < `executor` (1) <
//!   `reactor` (2) < `runtime` (3) < `time`, `net`, `sync`, `future` (4) < `http` (5) <
//!   `generator`, `greenlet`, `green` (6). A module names (`use crate::x`, `crate::x::f()`)
//!   only its own layer and below; a root re-export (`crate::block_on`) counts as its module.
//!   `super::` paths are not followed: in `src/` they stay inside their own module.
//! - `unsafe_code_is_only_in_greenlet`: `unsafe {`, `unsafe fn`, `unsafe impl` (and `unsafe
//!   trait`, `unsafe extern`) appear only under `src/greenlet/`.
//!
//! The checks read the code through [`code_only`], a small scanner that blanks out comments
//! (`//`, `///`, `//!`, nested `/* */`) and string and char literals (raw strings included),
//! so a `}` in a string, a `crate::http` in a doc comment or the word `unsafe` in prose never
//! counts. Its own tests (`scanner_*`) run it on inline samples.

use std::path::{Path, PathBuf};

const MAX_FILE_LINES: usize = 500;
const MAX_FN_LINES: usize = 60;

/// The layer of each top-level module of `src/` (the README's layer table).
const LAYERS: &[(&str, u8)] = &[
    ("slab", 0),
    ("trace", 0),
    ("executor", 1),
    ("reactor", 2),
    ("runtime", 3),
    ("time", 4),
    ("net", 4),
    ("sync", 4),
    ("future", 4),
    ("http", 5),
    ("generator", 6),
    ("greenlet", 6),
    ("green", 6),
];

/// What the crate root (`src/lib.rs`) re-exports, and from which module: `crate::block_on`
/// is the runtime's, whatever file names it.
const ROOT_ITEMS: &[(&str, &str)] = &[
    ("spawn", "executor"),
    ("spawn_blocking", "executor"),
    ("spawn_named", "executor"),
    ("yield_now", "executor"),
    ("JoinError", "executor"),
    ("JoinHandle", "executor"),
    ("task", "executor"),
    ("Runtime", "runtime"),
    ("block_on", "runtime"),
];

// ---------------------------------------------------------------------------------------------
// The four rules.
// ---------------------------------------------------------------------------------------------

#[test]
fn every_source_file_is_at_most_500_lines() {
    let mut too_long = Vec::new();
    for file in source_files() {
        let lines = file.text.lines().count();
        if lines > MAX_FILE_LINES {
            too_long.push(format!("  {}: {lines} lines", file.name));
        }
    }
    assert!(
        too_long.is_empty(),
        "files in src/ over {MAX_FILE_LINES} lines (split them by concept, as \
         src/trace/replay/ is):\n{}",
        too_long.join("\n")
    );
}

#[test]
fn no_function_spans_more_than_60_lines() {
    let mut too_long = Vec::new();
    for file in source_files() {
        if is_assembly_listing(&file.name) {
            continue;
        }
        for f in functions(&code_only(&file.text)) {
            if f.lines() > MAX_FN_LINES {
                too_long.push(format!(
                    "  {}:{}: fn {} is {} lines",
                    file.name,
                    f.first_line,
                    f.name,
                    f.lines()
                ));
            }
        }
    }
    assert!(
        too_long.is_empty(),
        "functions in src/ over {MAX_FN_LINES} lines, from `fn` to its closing brace (split \
         them into named helpers a breakpoint can hit):\n{}",
        too_long.join("\n")
    );
}

#[test]
fn a_lower_layer_never_imports_a_higher_one() {
    let mut upward = Vec::new();
    for file in source_files() {
        let Some(module) = top_module(&file.name) else {
            continue;
        };
        let Some(own) = layer_of(&module) else {
            panic!(
                "{}: module `{module}` has no layer: add it to LAYERS in tests/structure.rs",
                file.name
            );
        };
        for (line, segment) in crate_paths(&code_only(&file.text)) {
            if segment == "self" {
                continue; // `use crate::{self, ..}`: the crate root itself
            }
            let Some(target) = module_named_by(&segment) else {
                panic!(
                    "{}:{line}: crate::{segment} is neither a module in LAYERS nor a root \
                     re-export in ROOT_ITEMS (tests/structure.rs): add it",
                    file.name
                );
            };
            let theirs = layer_of(target).expect("every ROOT_ITEMS module is in LAYERS");
            if theirs > own {
                upward.push(format!(
                    "  {}:{line}: `{module}` (layer {own}) names crate::{segment} (`{target}`, layer {theirs})",
                    file.name
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "a lower layer names a higher one (layers: {}):\n{}",
        layer_table(),
        upward.join("\n")
    );
}

#[test]
fn unsafe_code_is_only_in_greenlet() {
    let mut outside = Vec::new();
    for file in source_files() {
        if file.name.starts_with("src/greenlet/") {
            continue;
        }
        for line in unsafe_lines(&code_only(&file.text)) {
            outside.push(format!("  {}:{line}", file.name));
        }
    }
    assert!(
        outside.is_empty(),
        "`unsafe` code outside src/greenlet/ (the only module allowed it):\n{}",
        outside.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Reading src/.
// ---------------------------------------------------------------------------------------------

struct SourceFile {
    /// The path from the repository root, with `/`: `src/trace/replay/mod.rs`.
    name: String,
    text: String,
}

/// Every `.rs` file under `src/`, in path order.
fn source_files() -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    collect_rs_files(&root.join("src"), &mut paths);
    paths.sort();
    assert!(
        !paths.is_empty(),
        "found no .rs files under {}",
        root.join("src").display()
    );
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let relative = path.strip_prefix(root).expect("under the manifest dir");
            let name = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>();
            SourceFile {
                name: name.join("/"),
                text,
            }
        })
        .collect()
}

fn collect_rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect_rs_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// `src/greenlet/arch_x86_64.rs` and the like: assembly with a line per instruction.
fn is_assembly_listing(name: &str) -> bool {
    name.strip_prefix("src/greenlet/arch_")
        .is_some_and(|rest| rest.ends_with(".rs") && !rest.contains('/'))
}

/// The top-level module a file belongs to: `src/trace/replay/mod.rs` -> `trace`,
/// `src/slab.rs` -> `slab`; `None` for the crate root `src/lib.rs`, which re-exports all.
fn top_module(name: &str) -> Option<String> {
    let rest = name.strip_prefix("src/")?;
    let first = rest.split('/').next()?;
    let module = first.strip_suffix(".rs").unwrap_or(first);
    (module != "lib").then(|| module.to_string())
}

/// The top-level module `crate::<segment>` belongs to: the module itself, or the one a root
/// re-export comes from; `None` for a name neither table knows.
fn module_named_by(segment: &str) -> Option<&'static str> {
    let module = LAYERS.iter().map(|(name, _)| *name).find(|name| *name == segment);
    module.or_else(|| {
        ROOT_ITEMS
            .iter()
            .find(|(item, _)| *item == segment)
            .map(|(_, module)| *module)
    })
}

/// `0 slab trace; 1 executor; ...`, for the failure message.
fn layer_table() -> String {
    let top = LAYERS.iter().map(|(_, layer)| *layer).max().unwrap_or(0);
    let rows = (0..=top).map(|layer| {
        let names: Vec<&str> = LAYERS
            .iter()
            .filter(|(_, l)| *l == layer)
            .map(|(name, _)| *name)
            .collect();
        format!("{layer} {}", names.join(" "))
    });
    rows.collect::<Vec<_>>().join("; ")
}

fn layer_of(module: &str) -> Option<u8> {
    LAYERS
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, layer)| *layer)
}

// ---------------------------------------------------------------------------------------------
// The scanner: code without comments and literals.
// ---------------------------------------------------------------------------------------------

/// `src` with every comment and every string or char literal replaced by spaces (newlines
/// kept, so line numbers stay). Lifetimes (`'a`) and labels (`'outer:`) are code.
fn code_only(src: &str) -> String {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < chars.len() {
        let end = match literal_or_comment_end(&chars, i) {
            Some(end) => end,
            None => {
                out.push(chars[i]);
                i += 1;
                continue;
            }
        };
        for &c in &chars[i..end] {
            out.push(if c == '\n' { c } else { ' ' });
        }
        i = end;
    }
    out
}

/// If a comment or literal starts at `i`, the index just past its end.
fn literal_or_comment_end(chars: &[char], i: usize) -> Option<usize> {
    let at = |k: usize| chars.get(k).copied();
    let after_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
    match (chars[i], at(i + 1)) {
        ('/', Some('/')) => Some(line_end(chars, i)),
        ('/', Some('*')) => Some(block_comment_end(chars, i)),
        ('"', _) => Some(string_end(chars, i + 1)),
        ('\'', _) => char_literal_end(chars, i),
        ('r', Some('"' | '#')) if !after_ident => raw_string_end(chars, i + 1),
        ('b', Some('r')) if !after_ident => raw_string_end(chars, i + 2),
        _ => None,
    }
}

fn line_end(chars: &[char], from: usize) -> usize {
    chars[from..]
        .iter()
        .position(|&c| c == '\n')
        .map_or(chars.len(), |p| from + p)
}

/// Block comments nest in Rust: `/* a /* b */ c */` is one comment.
fn block_comment_end(chars: &[char], from: usize) -> usize {
    let mut depth = 0;
    let mut i = from;
    while i + 1 < chars.len() {
        match (chars[i], chars[i + 1]) {
            ('/', '*') => {
                depth += 1;
                i += 2;
            }
            ('*', '/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    chars.len()
}

/// From just inside an opening `"`: past the closing one, skipping `\"` and `\\`.
fn string_end(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// `'x'`, `'\n'`, `'\u{7f}'`, `'\''` are char literals; `'a` (a lifetime or label) is not.
fn char_literal_end(chars: &[char], i: usize) -> Option<usize> {
    match chars.get(i + 1)? {
        '\\' => {
            let close = chars[i + 2..].iter().skip(1).position(|&c| c == '\'')?;
            Some(i + 2 + 1 + close + 1)
        }
        _ if chars.get(i + 2) == Some(&'\'') => Some(i + 3),
        _ => None,
    }
}

/// From just after the `r` of `r"..."` or `r#"..."#`: past the closing quote and hashes.
fn raw_string_end(chars: &[char], mut i: usize) -> Option<usize> {
    let hashes = chars[i..].iter().take_while(|&&c| c == '#').count();
    i += hashes;
    if chars.get(i) != Some(&'"') {
        return None; // `r#ident` (a raw identifier), not a string
    }
    i += 1;
    while i < chars.len() {
        if chars[i] == '"' && chars[i + 1..].iter().take(hashes).filter(|&&c| c == '#').count() == hashes {
            return Some(i + 1 + hashes);
        }
        i += 1;
    }
    Some(chars.len())
}

// ---------------------------------------------------------------------------------------------
// What the rules look for in the code.
// ---------------------------------------------------------------------------------------------

/// A function with a body, found in code (see [`code_only`]).
#[derive(Debug, PartialEq)]
struct Function {
    name: String,
    /// The line of the `fn` keyword (1-based).
    first_line: usize,
    /// The line of the closing brace.
    last_line: usize,
}

impl Function {
    fn lines(&self) -> usize {
        self.last_line - self.first_line + 1
    }
}

/// Every `fn name ... { ... }` in `code`. A declaration without a body (`fn f();` in a trait)
/// and a function-pointer type (`fn(u8) -> u8`) are not functions here.
fn functions(code: &str) -> Vec<Function> {
    let chars: Vec<char> = code.chars().collect();
    let mut found = Vec::new();
    for (start, word) in words(&chars) {
        if word != "fn" {
            continue;
        }
        let Some((name, after_name)) = next_word(&chars, start + 2) else {
            continue;
        };
        let Some(open) = body_start(&chars, after_name) else {
            continue;
        };
        let Some(close) = matching_brace(&chars, open) else {
            continue;
        };
        found.push(Function {
            name,
            first_line: line_of(&chars, start),
            last_line: line_of(&chars, close),
        });
    }
    found
}

/// The identifier right after `from` (spaces skipped), and the index past it.
fn next_word(chars: &[char], from: usize) -> Option<(String, usize)> {
    let start = from + chars[from..].iter().take_while(|c| c.is_whitespace()).count();
    let len = chars[start..].iter().take_while(|&&c| is_ident(c)).count();
    (len > 0).then(|| (chars[start..start + len].iter().collect(), start + len))
}

/// The `{` that opens the body after a signature, or `None` at a `;` first (no body). A `;`
/// inside `(...)` or `[...]` is part of the signature (`-> [u8; 4]`).
fn body_start(chars: &[char], from: usize) -> Option<usize> {
    let mut depth = 0i32;
    for (i, &c) in chars.iter().enumerate().skip(from) {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            '{' if depth == 0 => return Some(i),
            ';' if depth == 0 => return None,
            _ => {}
        }
    }
    None
}

/// The `}` that closes the `{` at `open`.
fn matching_brace(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0;
    for (i, &c) in chars.iter().enumerate().skip(open) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Every path that starts `crate::` (or `$crate::`), as (line, first segment). A group
/// `crate::{a, b::c}` gives each of `a` and `b`.
fn crate_paths(code: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = code.chars().collect();
    let mut found = Vec::new();
    for (start, word) in words(&chars) {
        let rest = &chars[start + word.len()..];
        if word != "crate" || !rest.starts_with(&[':', ':']) {
            continue;
        }
        let after = start + word.len() + 2;
        let line = line_of(&chars, start);
        if chars.get(after) == Some(&'{') {
            let close = matching_brace(&chars, after).unwrap_or(chars.len());
            for item in group_heads(&chars[after + 1..close]) {
                found.push((line, item));
            }
        } else if let Some((segment, _)) = next_word(&chars, after) {
            found.push((line, segment));
        }
    }
    found
}

/// The first segment of each item of a `use` group: `a, b::c, d::{e, f}` -> `a`, `b`, `d`.
fn group_heads(group: &[char]) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut at_item_start = true;
    for (i, &c) in group.iter().enumerate() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => at_item_start = true,
            c if at_item_start && is_ident(c) => {
                let len = group[i..].iter().take_while(|&&c| is_ident(c)).count();
                heads.push(group[i..i + len].iter().collect());
                at_item_start = false;
            }
            _ => {}
        }
    }
    heads
}

/// The lines where `unsafe` starts a block, a function, an impl, a trait or an extern block.
fn unsafe_lines(code: &str) -> Vec<usize> {
    let chars: Vec<char> = code.chars().collect();
    let mut found = Vec::new();
    for (start, word) in words(&chars) {
        if word != "unsafe" {
            continue;
        }
        let after = start + word.len();
        let next = after + chars[after..].iter().take_while(|c| c.is_whitespace()).count();
        let opens_block = chars.get(next) == Some(&'{');
        let following = next_word(&chars, after).map(|(w, _)| w);
        let declares = matches!(following.as_deref(), Some("fn" | "impl" | "trait" | "extern"));
        if opens_block || declares {
            found.push(line_of(&chars, start));
        }
    }
    found
}

/// Every identifier or keyword in `chars`, with its start index.
fn words(chars: &[char]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if is_ident(chars[i]) && (i == 0 || !is_ident(chars[i - 1])) {
            let len = chars[i..].iter().take_while(|&&c| is_ident(c)).count();
            out.push((i, chars[i..i + len].iter().collect()));
            i += len;
        } else {
            i += 1;
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn line_of(chars: &[char], index: usize) -> usize {
    1 + chars[..index].iter().filter(|&&c| c == '\n').count()
}

// ---------------------------------------------------------------------------------------------
// The scanner on inline samples.
// ---------------------------------------------------------------------------------------------

fn spans(src: &str) -> Vec<(String, usize)> {
    functions(&code_only(src))
        .into_iter()
        .map(|f| (f.name.clone(), f.lines()))
        .collect()
}

#[test]
fn scanner_ignores_braces_in_strings_chars_and_comments() {
    let src = r####"fn a() {
    let s = "}}} \" }";
    let c = '}';
    let e = '\'';
    let u = '\u{7d}';
    // }
    /* } /* nested } */ still a comment } */
    let r = r#"} " }"#;
}
fn b() {}
"####;
    assert_eq!(spans(src), vec![("a".to_string(), 9), ("b".to_string(), 1)]);
}

#[test]
fn scanner_reads_lifetimes_as_code() {
    let src =
        "fn longest<'a>(x: &'a str, y: &'a str) -> &'a str {\n    if x.len() > y.len() { x } else { y }\n}\n";
    assert_eq!(spans(src), vec![("longest".to_string(), 3)]);
}

#[test]
fn scanner_skips_declarations_and_function_pointer_types() {
    let src = "trait T {\n    fn f(&self) -> [u8; 4];\n    fn g(&self) {}\n}\nfn h(cb: fn(u8) -> u8) -> [u8; 2] {\n    [cb(1); 2]\n}\n";
    assert_eq!(spans(src), vec![("g".to_string(), 1), ("h".to_string(), 3)]);
}

#[test]
fn scanner_finds_crate_paths_in_code_only() {
    let src = "use crate::{executor::Task, reactor};\n/// see [`crate::http`]\nlet s = \"crate::green\";\nfn f() { crate::runtime::spawn(); }\n";
    let paths = crate_paths(&code_only(src));
    let expected = [(1, "executor"), (1, "reactor"), (4, "runtime")];
    let expected: Vec<(usize, String)> = expected.iter().map(|(l, m)| (*l, m.to_string())).collect();
    assert_eq!(paths, expected);
}

#[test]
fn scanner_finds_unsafe_code_not_unsafe_words() {
    let src = "#![deny(unsafe_code)]\n// unsafe { }\nlet s = \"unsafe fn\";\nunsafe impl Send for X {}\nfn f() { unsafe { g() } }\npub unsafe fn g() {}\n";
    assert_eq!(unsafe_lines(&code_only(src)), vec![4, 5, 6]);
}
