//! The course in `docs/` may only cite names that exist, and may only show Rust that is compiled.
//!
//! The convention (also written down in `docs/README.md`, "Conventions for chapter authors"):
//!
//! 1. **Paths.** A code span that starts with `src/`, `examples/`, `tests/`, `benches/`,
//!    `scripts/`, `docs/` or `.ci/` names a file or folder that must exist (`*` globs allowed:
//!    `tests/http_*.rs` must match at least one file). A bare file name such as `slab.rs` must
//!    exist somewhere in the tree.
//! 2. **Rust paths.** A code span that is a whole path `A::B` (optionally ending in `()`), such as
//!    `Runtime::tick` or `corolab::time::sleep`, is resolved segment by segment against the
//!    source in `src/`, `examples/`, `tests/` and `server/` (`corolab_server::...` starts at
//!    `server/src/lib.rs`, as `corolab::...` starts at `src/lib.rs`): modules (files, folders, inline `mod`), items
//!    (`fn`, `struct`, `enum`, `trait`, `type`, `const`, `static`, re-exports) and, below a type,
//!    its methods (`fn`) or variants. A path whose first segment is not corolab's must start
//!    with a known outside name (`std`, `mio`, `Future`, `Poll`, ... see [`EXTERNAL`]).
//!    Every `corolab::...` (and `corolab_server::...`) path anywhere in a chapter, even in a `text` block (gdb commands,
//!    backtraces), is resolved the same way.
//! 3. **Functions.** A code span `name()` (empty parentheses, no dots) is a corolab function:
//!    some `fn name` must exist. Write man pages as `epoll_wait(2)` and Python as `c.send(n)`.
//! 4. **Code blocks.** Every fenced block has a language tag. A Rust block is allowed only if
//!    (a) the chapter is compiled as doctests (some file in `src/` has
//!    `include_str!("…/docs/<chapter>.md")`), or (b) its first line is `// file: <path>` and the
//!    rest is a verbatim excerpt of that file (lines compared trimmed; `// ...` skips lines),
//!    or (c) it only holds mdBook `{{#include <path>}}` lines. Anything else is tagged `text`.
//! 5. **Links.** A relative Markdown link must point at an existing file, except the chapters
//!    other branches are still writing ([`PENDING_CHAPTERS`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Outside names a Rust path may start with. Only consulted when the first segment is not a
/// corolab module, type or function, so corolab's own `Interest` or `Event` are still checked.
const EXTERNAL: &[&str] = &[
    // crates
    "std",
    "core",
    "alloc",
    "mio",
    "socket2",
    "futures_task",
    "futures",
    "libc",
    "httparse",
    "serde",
    "serde_json",
    "proptest",
    "async_executor",
    "async_io",
    "async_channel",
    "tokio",
    "smol",
    "async_std",
    "hyper",
    "gdb", // std modules
    "io",
    "fmt",
    "mem",
    "ptr",
    "thread",
    "panic",
    "mpsc",
    "atomic",
    "cmp",
    "iter",
    "ops",
    "pin",
    "task",
    "os", // std types and traits
    "Future",
    "IntoFuture",
    "Poll",
    "Context",
    "Waker",
    "RawWaker",
    "Wake",
    "ArcWake",
    "Pin",
    "Box",
    "Rc",
    "Arc",
    "Weak",
    "Cell",
    "RefCell",
    "UnsafeCell",
    "Vec",
    "VecDeque",
    "BinaryHeap",
    "HashMap",
    "String",
    "Option",
    "Result",
    "Duration",
    "Instant",
    "SystemTime",
    "Ordering",
    "AtomicBool",
    "AtomicU64",
    "AtomicUsize",
    "Mutex",
    "ErrorKind",
    "Iterator",
    "IntoIterator",
    "Drop",
    "Send",
    "Sync",
    "Unpin",
    "Clone",
    "Copy",
    "Default",
    "Debug",
    "Display",
    "From",
    "Into",
    "Fn",
    "FnOnce",
    "FnMut",
    "Self",
    "PhantomData",
    "NonNull",
    "ManuallyDrop",
    "MaybeUninit",
    "Coroutine",
    "CoroutineState",
    "Token",
    "Events",
    "Registry",
    "SockRef",
    "Socket",
    "RawFd",
    "AsRawFd", // primitive types
    "usize",
    "isize",
    "u8",
    "u16",
    "u32",
    "u64",
    "i32",
    "i64",
    "f64",
    "bool",
    "char",
    "str",
];

/// Chapters other engineers write on their branches; links to them may dangle until merged.
/// Once a file exists it is checked like every other chapter.
const PENDING_CHAPTERS: &[&str] = &[];

const PATH_ROOTS: &[&str] = &[
    "src/",
    "examples/",
    "tests/",
    "benches/",
    "scripts/",
    "docs/",
    ".ci/",
    "server/",
];

// ------------------------------------------------------------------------------ source index

/// One Rust file of the crate, boiled down to the names it defines.
struct SourceFile {
    /// Path relative to the crate root, with `/` separators.
    rel: String,
    /// Names after `fn`.
    fns: BTreeSet<String>,
    /// Names after `struct`, `enum`, `trait`, `type`, `union`.
    types: BTreeSet<String>,
    /// Every item name (fns, types, consts, statics, mods, macros) and every re-exported name.
    items: BTreeSet<String>,
    /// Names of inline modules (`mod x {`).
    inline_mods: BTreeSet<String>,
    /// Types this file implements something for (`impl ... Name`).
    impl_types: BTreeSet<String>,
    /// Every identifier outside `//` comments (for enum variants and associated consts).
    words: BTreeSet<String>,
}

/// Every file in the tree, plus the parsed Rust files.
struct Index {
    all_files: BTreeSet<String>,
    all_dirs: BTreeSet<String>,
    rust: Vec<SourceFile>,
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn identifiers(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !is_ident_char(c)).filter(|w| {
        w.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
    })
}

/// The identifier right after `keyword ` in `line`, for each occurrence, with the next char.
fn after_keyword<'a>(line: &'a str, keyword: &str) -> Vec<(&'a str, Option<char>)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = line[from..].find(keyword) {
        let start = from + pos;
        from = start + keyword.len();
        let before_ok = line[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !is_ident_char(c));
        let rest = &line[from..];
        if !before_ok || !rest.starts_with(' ') {
            continue;
        }
        let rest = rest.trim_start();
        let name: String = rest.chars().take_while(|&c| is_ident_char(c)).collect();
        if !name.is_empty() {
            let next = rest[name.len()..].chars().next();
            out.push((&rest[..name.len()], next));
        }
    }
    out
}

/// The type an `impl` header is for: `<T> Trait for a::Type<T> {` gives `Type`.
fn impl_self_type(header: &str) -> Option<String> {
    let mut rest = header.trim_start();
    if rest.starts_with('<') {
        // Skip the generic parameters, which may nest (`<F: Fn() -> Vec<u8>>`).
        let mut depth = 0;
        let end = rest.char_indices().find_map(|(i, c)| {
            match c {
                '<' => depth += 1,
                '>' if !rest[..i].ends_with('-') => depth -= 1,
                _ => {}
            }
            (depth == 0).then_some(i + 1)
        })?;
        rest = rest[end..].trim_start();
    }
    let rest = rest.split(" where").next().unwrap_or(rest);
    let ty = rest.rsplit_once(" for ").map_or(rest, |(_, ty)| ty).trim_start();
    let path: String = ty.chars().take_while(|&c| is_ident_char(c) || c == ':').collect();
    let last = path.rsplit("::").next()?.to_string();
    (!last.is_empty()).then_some(last)
}

fn strip_line_comment(line: &str) -> &str {
    match line.find("//") {
        Some(pos) => &line[..pos],
        None => line,
    }
}

impl SourceFile {
    fn parse(rel: String, text: &str) -> SourceFile {
        let mut f = SourceFile {
            rel,
            fns: BTreeSet::new(),
            types: BTreeSet::new(),
            items: BTreeSet::new(),
            inline_mods: BTreeSet::new(),
            impl_types: BTreeSet::new(),
            words: BTreeSet::new(),
        };
        let mut in_use: Option<bool> = None; // Some(is_pub) while inside a `use` statement
        for raw in text.lines() {
            let line = strip_line_comment(raw);
            f.words.extend(identifiers(line).map(String::from));
            for (name, next) in after_keyword(line, "fn") {
                if matches!(next, Some('(') | Some('<')) {
                    f.fns.insert(name.into());
                    f.items.insert(name.into());
                }
            }
            for kw in ["struct", "enum", "trait", "type", "union"] {
                for (name, next) in after_keyword(line, kw) {
                    if matches!(next, None | Some(' ' | '<' | '{' | ';' | '(' | ':' | '=')) {
                        f.types.insert(name.into());
                        f.items.insert(name.into());
                    }
                }
            }
            for kw in ["const", "static"] {
                for (name, next) in after_keyword(line, kw) {
                    if next == Some(':') {
                        f.items.insert(name.into());
                    }
                }
            }
            for (name, next) in after_keyword(line, "mod") {
                match next {
                    Some(';') => {
                        f.items.insert(name.into());
                    }
                    Some(' ' | '{') => {
                        f.items.insert(name.into());
                        f.inline_mods.insert(name.into());
                    }
                    _ => {}
                }
            }
            if let Some(rest) = line.trim_start().strip_prefix("macro_rules!") {
                f.items.extend(identifiers(rest).take(1).map(String::from));
            }
            let trimmed = line.trim_start();
            let trimmed = trimmed.strip_prefix("unsafe ").unwrap_or(trimmed);
            if let Some(rest) = trimmed.strip_prefix("impl")
                && rest.starts_with(['<', ' '])
                && let Some(self_type) = impl_self_type(rest)
            {
                f.impl_types.insert(self_type);
            }
            if in_use.is_none() && (trimmed.starts_with("pub use ") || trimmed.starts_with("pub(crate) use "))
            {
                in_use = Some(true);
            }
            if in_use == Some(true) {
                f.items.extend(
                    identifiers(line)
                        .filter(|w| *w != "pub" && *w != "use")
                        .map(String::from),
                );
            }
            if in_use.is_some() && line.contains(';') {
                in_use = None;
            }
        }
        f
    }

    /// Is this file (part of) module `m`? `src/reactor/timers.rs` is in `reactor` and `timers`;
    /// `examples/debugger_demo.rs` is the crate `debugger_demo`.
    fn in_module(&self, m: &str) -> bool {
        let mut parts: Vec<&str> = self.rel.split('/').collect();
        if parts.first() == Some(&"server") {
            // The `corolab-server` member is laid out like the root crate.
            parts.remove(0);
        }
        let file = parts.pop().unwrap_or_default();
        let stem = file.strip_suffix(".rs").unwrap_or(file);
        let top_level_crate = matches!(parts.as_slice(), ["examples"] | ["tests"] | ["benches"]);
        stem == m && (top_level_crate || parts.first() == Some(&"src"))
            || parts.iter().skip(1).any(|p| *p == m)
            || self.inline_mods.contains(m)
    }

    fn defines_type(&self, t: &str) -> bool {
        self.types.contains(t) || self.impl_types.contains(t)
    }
}

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn walk(root: &Path, dir: &Path, files: &mut BTreeSet<String>, dirs: &mut BTreeSet<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "target" || name == ".git" {
            continue;
        }
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if path.is_dir() {
            dirs.insert(rel);
            walk(root, &path, files, dirs);
        } else {
            files.insert(rel);
        }
    }
}

impl Index {
    fn build() -> Index {
        let root = crate_root();
        let mut all_files = BTreeSet::new();
        let mut all_dirs = BTreeSet::new();
        walk(&root, &root, &mut all_files, &mut all_dirs);
        let rust = all_files
            .iter()
            .filter(|f| f.ends_with(".rs") && PATH_ROOTS.iter().any(|r| f.starts_with(r)))
            .filter(|f| !f.starts_with("tests/doc_names.rs")) // our own fixtures hold made-up names
            .filter_map(|f| {
                let text = std::fs::read_to_string(root.join(f)).ok()?;
                Some(SourceFile::parse(f.clone(), &text))
            })
            .collect();
        Index {
            all_files,
            all_dirs,
            rust,
        }
    }

    fn module_files(&self, m: &str) -> Vec<&SourceFile> {
        self.rust.iter().filter(|f| f.in_module(m)).collect()
    }

    fn type_files(&self, t: &str) -> Vec<&SourceFile> {
        self.rust.iter().filter(|f| f.defines_type(t)).collect()
    }

    fn fn_exists(&self, name: &str) -> bool {
        self.rust.iter().any(|f| f.fns.contains(name))
    }

    /// The chapters compiled as doctests through `include_str!` somewhere in `src/`.
    fn doctested_chapters(&self) -> BTreeSet<String> {
        let root = crate_root();
        let mut out = BTreeSet::new();
        for f in self.rust.iter().filter(|f| f.rel.starts_with("src/")) {
            let Ok(text) = std::fs::read_to_string(root.join(&f.rel)) else {
                continue;
            };
            for piece in text.split("include_str!(\"").skip(1) {
                let target = piece.split('"').next().unwrap_or_default();
                if let Some(pos) = target.rfind("docs/") {
                    out.insert(target[pos + 5..].to_string());
                }
            }
        }
        out
    }
}

// ------------------------------------------------------------------------------ resolving names

enum Scope<'a> {
    /// The top: any corolab module, type or function (or, if none, an outside name).
    Anywhere,
    /// Right below `corolab::` (or `corolab_server::`): what that crate's `lib.rs` declares or
    /// re-exports.
    CrateRoot(&'static str),
    Module(Vec<&'a SourceFile>),
    Type(Vec<&'a SourceFile>),
    /// Below a function or a variant nothing more can be named.
    Leaf,
}

impl Index {
    /// The scope a name found in `files` opens: a module, a type, or nothing further.
    fn descend(&self, name: &str) -> Scope<'_> {
        let modules = self.module_files(name);
        if !modules.is_empty() {
            return Scope::Module(modules);
        }
        let types = self.type_files(name);
        if !types.is_empty() {
            return Scope::Type(types);
        }
        Scope::Leaf
    }

    /// Resolves a Rust path such as `corolab::reactor::Reactor::wait_for_io` or `Runtime::tick`.
    fn check_rust_path(&self, name: &str) -> Result<(), String> {
        let path = name.strip_suffix("()").unwrap_or(name);
        let (mut scope, rest) = if let Some(rest) = path.strip_prefix("corolab_server::") {
            (Scope::CrateRoot("server/src/lib.rs"), rest)
        } else {
            match path
                .strip_prefix("corolab::")
                .or_else(|| path.strip_prefix("crate::"))
            {
                Some(rest) => (Scope::CrateRoot("src/lib.rs"), rest),
                None => (Scope::Anywhere, path),
            }
        };
        for (i, seg) in rest.split("::").enumerate() {
            if seg.is_empty() || !seg.chars().all(is_ident_char) {
                return Err(format!("`{name}`: malformed path segment {seg:?}"));
            }
            scope = match scope {
                Scope::Anywhere => {
                    let next = self.descend(seg);
                    match next {
                        Scope::Leaf if self.fn_exists(seg) => Scope::Leaf,
                        Scope::Leaf if EXTERNAL.contains(&seg) => return Ok(()),
                        Scope::Leaf => {
                            return Err(format!(
                                "`{name}`: `{seg}` is no corolab module, type or function \
                                 (if it is std's or a crate's, write the full path or add it to EXTERNAL)"
                            ));
                        }
                        found => found,
                    }
                }
                Scope::CrateRoot(lib_rs) => {
                    let lib: Vec<&SourceFile> = self.rust.iter().filter(|f| f.rel == lib_rs).collect();
                    if !lib.iter().any(|f| f.items.contains(seg)) {
                        return Err(format!("`{name}`: {lib_rs} declares or re-exports no `{seg}`"));
                    }
                    self.descend(seg)
                }
                Scope::Module(files) => {
                    if !files.iter().any(|f| f.items.contains(seg)) {
                        let where_ = files
                            .iter()
                            .map(|f| f.rel.as_str())
                            .collect::<Vec<_>>()
                            .join(", ");
                        return Err(format!("`{name}`: no item `{seg}` in {where_}"));
                    }
                    self.descend(seg)
                }
                Scope::Type(files) => {
                    let is_fn = files.iter().any(|f| f.fns.contains(seg));
                    let is_variant = seg.starts_with(|c: char| c.is_ascii_uppercase())
                        && files.iter().any(|f| f.words.contains(seg));
                    if !is_fn && !is_variant {
                        let where_ = files
                            .iter()
                            .map(|f| f.rel.as_str())
                            .collect::<Vec<_>>()
                            .join(", ");
                        return Err(format!("`{name}`: no method or variant `{seg}` in {where_}"));
                    }
                    Scope::Leaf
                }
                Scope::Leaf => {
                    return Err(format!(
                        "`{name}`: segment {} (`{seg}`) is below a function or variant",
                        i + 1
                    ));
                }
            };
        }
        Ok(())
    }

    fn check_fn_call(&self, name: &str) -> Result<(), String> {
        let f = name.strip_suffix("()").unwrap_or(name);
        if self.fn_exists(f) {
            Ok(())
        } else {
            Err(format!("`{name}`: no `fn {f}` in src/, examples/ or tests/"))
        }
    }

    fn check_file_path(&self, path: &str) -> Result<(), String> {
        let p = path.trim_end_matches('/');
        if p.contains('*') {
            let (dir, pattern) = p.rsplit_once('/').unwrap_or(("", p));
            let found = self.all_files.iter().any(|f| {
                f.rsplit_once('/')
                    .is_some_and(|(d, file)| d == dir && glob_match(pattern, file))
            });
            return if found {
                Ok(())
            } else {
                Err(format!("`{path}`: no file matches"))
            };
        }
        if self.all_files.contains(p) || self.all_dirs.contains(p) {
            Ok(())
        } else {
            Err(format!("`{path}`: no such file or folder"))
        }
    }

    fn check_bare_file(&self, file: &str) -> Result<(), String> {
        let found = self
            .all_files
            .iter()
            .any(|f| f == file || f.ends_with(&format!("/{file}")));
        if found {
            Ok(())
        } else {
            Err(format!("`{file}`: no file of that name in the tree"))
        }
    }

    /// A quote: the first line names a file (`// file: path`, or `# file: path` in a non-Rust
    /// block), and the rest of the block must appear in that file, in order. Lines are compared
    /// trimmed, blank lines are ignored, and a line `// ...` (or `# ...`) skips any number of lines.
    fn check_quote(&self, header: &str, body: &[&str]) -> Result<(), String> {
        let path = header
            .trim_start_matches("// file:")
            .trim_start_matches("# file:")
            .trim();
        if !self.all_files.contains(path) {
            return Err(format!("quote from `{path}`: no such file"));
        }
        let text = std::fs::read_to_string(crate_root().join(path)).map_err(|e| format!("`{path}`: {e}"))?;
        let file: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        let mut chunks: Vec<Vec<&str>> = vec![Vec::new()];
        for line in body.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
            if line == "// ..." || line == "# ..." {
                chunks.push(Vec::new());
            } else if let Some(last) = chunks.last_mut() {
                last.push(line);
            }
        }
        let mut from = 0;
        for chunk in chunks.iter().filter(|c| !c.is_empty()) {
            let found = (from..file.len()).find(|&start| {
                file.len() - start >= chunk.len() && chunk.iter().zip(&file[start..]).all(|(a, b)| a == b)
            });
            match found {
                Some(start) => from = start + chunk.len(),
                None => {
                    return Err(format!(
                        "quote from `{path}` is not (or no longer) in the file, starting at {:?}",
                        chunk[0]
                    ));
                }
            }
        }
        Ok(())
    }
}

fn glob_match(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            text.starts_with(head)
                && (0..=text.len() - head.len()).any(|i| {
                    text.is_char_boundary(head.len() + i) && glob_match(tail, &text[head.len() + i..])
                })
        }
    }
}

// ------------------------------------------------------------------------------ reading Markdown

#[derive(Default)]
struct Report {
    /// Every name checked, for the "did we check anything at all" guard.
    checked: Vec<String>,
    problems: Vec<String>,
}

fn is_rust_path(s: &str) -> bool {
    let s = s.strip_suffix("()").unwrap_or(s);
    s.contains("::")
        && s.split("::").all(|seg| {
            seg.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && seg.chars().all(is_ident_char)
        })
}

fn is_fn_call(s: &str) -> bool {
    s.strip_suffix("()").is_some_and(|f| {
        f.chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            && f.chars().all(is_ident_char)
    })
}

fn is_repo_path(s: &str) -> bool {
    PATH_ROOTS.iter().any(|r| s.starts_with(r)) && !s.contains(char::is_whitespace)
}

fn is_bare_file(s: &str) -> bool {
    s.strip_suffix(".rs")
        .is_some_and(|stem| !stem.is_empty() && stem.chars().all(is_ident_char))
}

/// Every `corolab::a::b` path inside `text` (stops at the first character that is not part of
/// a path, so `{closure#0}`, generics and arguments are left out).
fn corolab_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for prefix in ["corolab::", "corolab_server::"] {
        let mut from = 0;
        while let Some(pos) = text[from..].find(prefix) {
            let start = from + pos;
            from = start + prefix.len();
            if text[..start].chars().next_back().is_some_and(is_ident_char) {
                continue;
            }
            let end = text[start..]
                .find(|c: char| !(is_ident_char(c) || c == ':'))
                .map_or(text.len(), |e| start + e);
            let path = text[start..end].trim_end_matches(':');
            if path.len() > prefix.len() - 2 {
                out.push(path.to_string());
            }
        }
    }
    out
}

fn inline_code_spans(line: &str) -> Vec<&str> {
    let mut spans = Vec::new();
    let mut parts = line.split('`');
    parts.next();
    while let (Some(inside), Some(_)) = (parts.next(), parts.next()) {
        spans.push(inside);
    }
    spans
}

fn markdown_links(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = line[from..].find("](") {
        let start = from + pos + 2;
        let Some(len) = line[start..].find(')') else { break };
        out.push(&line[start..start + len]);
        from = start + len;
    }
    out
}

const RUSTDOC_TAGS: &[&str] = &[
    "rust",
    "no_run",
    "ignore",
    "should_panic",
    "compile_fail",
    "test_harness",
    "edition2015",
    "edition2018",
    "edition2021",
    "edition2024",
];

impl Index {
    /// Checks one chapter. `doctested` says whether its Rust blocks are compiled by rustdoc.
    fn check_markdown(&self, chapter: &str, text: &str, doctested: bool, report: &mut Report) {
        let problem = |line_no: usize, msg: String| report_problem(chapter, line_no, msg);
        let mut problems = Vec::new();
        let mut checked = Vec::new();
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            let trimmed = line.trim_start();
            if let Some(info) = trimmed.strip_prefix("```") {
                let fence_start = i + 1;
                let mut body = Vec::new();
                i += 1;
                while i < lines.len() && !lines[i].trim_start().starts_with("```") {
                    body.push(lines[i]);
                    i += 1;
                }
                i += 1; // the closing fence
                let tags: Vec<&str> = info
                    .split([',', ' '])
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .collect();
                let is_rust = tags.is_empty() || tags.iter().any(|t| RUSTDOC_TAGS.contains(t));
                let first = body
                    .iter()
                    .map(|l| l.trim())
                    .find(|l| !l.is_empty())
                    .unwrap_or_default();
                let is_quote = first.starts_with("// file:") || first.starts_with("# file:");
                if is_quote {
                    let rest: Vec<&str> = body
                        .iter()
                        .skip_while(|l| l.trim() != first)
                        .skip(1)
                        .copied()
                        .collect();
                    checked.push(first.to_string());
                    if let Err(e) = self.check_quote(first, &rest) {
                        problems.push(problem(fence_start, e));
                    }
                }
                if !is_rust {
                    for path in body.iter().flat_map(|l| corolab_paths(l)) {
                        checked.push(path.clone());
                        if let Err(e) = self.check_rust_path(&path) {
                            problems.push(problem(fence_start, e));
                        }
                    }
                    continue;
                }
                if is_quote {
                    continue; // checked above
                }
                if body
                    .iter()
                    .all(|l| l.trim().is_empty() || l.trim().starts_with("{{#"))
                {
                    for l in body.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
                        let target = l
                            .split_whitespace()
                            .nth(1)
                            .unwrap_or_default()
                            .trim_end_matches("}}");
                        let target = target.split(':').next().unwrap_or_default();
                        let resolved = normalize(&format!("docs/{target}"));
                        checked.push(resolved.clone());
                        if !self.all_files.contains(&resolved) {
                            problems.push(problem(
                                fence_start,
                                format!("include of missing file `{resolved}`"),
                            ));
                        }
                    }
                } else if tags.is_empty() && !doctested {
                    problems.push(problem(
                        fence_start,
                        "code block without a language tag: tag it `text` (or `python`, `console`, ...)"
                            .into(),
                    ));
                } else if tags.contains(&"ignore") {
                    problems.push(problem(
                        fence_start,
                        "`ignore` Rust blocks are never compiled".into(),
                    ));
                } else if !doctested {
                    problems.push(problem(
                        fence_start,
                        "Rust block that nothing compiles: quote it with `// file: <path>`, move it \
                         into examples/ or tests/ and cite it, or include the chapter as doctests"
                            .into(),
                    ));
                }
                continue;
            }
            let line_no = i + 1;
            for span in inline_code_spans(line) {
                let span = span.trim();
                let result = if is_repo_path(span) {
                    Some(self.check_file_path(span))
                } else if is_bare_file(span) {
                    Some(self.check_bare_file(span))
                } else if is_rust_path(span) {
                    Some(self.check_rust_path(span))
                } else if is_fn_call(span) {
                    Some(self.check_fn_call(span))
                } else {
                    None
                };
                if let Some(result) = result {
                    checked.push(span.to_string());
                    if let Err(e) = result {
                        problems.push(problem(line_no, e));
                    }
                }
                // `break corolab::x::y` inside a longer span is checked too.
                if !is_rust_path(span) {
                    for path in corolab_paths(span) {
                        checked.push(path.clone());
                        if let Err(e) = self.check_rust_path(&path) {
                            problems.push(problem(line_no, e));
                        }
                    }
                }
            }
            for target in markdown_links(line) {
                let target = target.split('#').next().unwrap_or_default();
                if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let resolved = normalize(&format!("docs/{target}"));
                checked.push(resolved.clone());
                let exists = self.all_files.contains(&resolved)
                    || self.all_dirs.contains(resolved.trim_end_matches('/'));
                let pending = PENDING_CHAPTERS.iter().any(|p| resolved == format!("docs/{p}"));
                if !exists && !pending {
                    problems.push(problem(line_no, format!("link to missing `{resolved}`")));
                }
            }
            i += 1;
        }
        report.checked.extend(checked);
        report.problems.extend(problems);
    }
}

fn report_problem(chapter: &str, line: usize, msg: String) -> String {
    format!("docs/{chapter}:{line}: {msg}")
}

/// `docs/../src/x.rs` -> `src/x.rs`.
fn normalize(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            p => out.push(p),
        }
    }
    let joined = out.join("/");
    if path.ends_with('/') {
        format!("{joined}/")
    } else {
        joined
    }
}

fn check_all_docs(index: &Index) -> Report {
    let mut report = Report::default();
    let doctested = index.doctested_chapters();
    let docs = crate_root().join("docs");
    let mut chapters: Vec<PathBuf> = std::fs::read_dir(&docs)
        .expect("docs/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    chapters.sort();
    for path in chapters {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&path).expect("chapter is readable");
        index.check_markdown(&name, &text, doctested.contains(&name), &mut report);
    }
    report
}

// ------------------------------------------------------------------------------ the tests

/// Runs the checker on a made-up chapter and returns its problems.
fn problems_in(markdown: &str) -> Vec<String> {
    let index = Index::build();
    let mut report = Report::default();
    index.check_markdown("fixture.md", markdown, false, &mut report);
    report.problems
}

// Why: the issue's definition of done: every function or file a chapter names exists.
#[test]
fn every_name_the_docs_cite_exists() {
    let index = Index::build();
    let report = check_all_docs(&index);
    assert!(
        report.problems.is_empty(),
        "the docs cite names that do not exist:\n{}",
        report.problems.join("\n")
    );
    println!("{} names, paths, links and quotes checked", report.checked.len());
    // A checker that finds nothing to check proves nothing.
    assert!(
        report.checked.len() > 100,
        "only {} names checked",
        report.checked.len()
    );
    for must in [
        "corolab::runtime::Runtime::tick",
        "Executor::poll_task",
        "src/reactor/mod.rs",
    ] {
        assert!(report.checked.iter().any(|c| c == must), "{must} was not checked");
    }
}

// Why: a checker that accepts anything is worse than none; made-up names must be caught.
#[test]
fn checker_rejects_made_up_names() {
    let cases = [
        "`Reactor::frobnicate`",
        "`corolab::reactor::Reactor::wait_for_iox`",
        "`corolab::nothing_here::Reactor`",
        "`corolab_server::orders::NoSuchApi`",
        "gdb: `break corolab_server::conn::Connection::read_requestt`",
        "`Frobnicator::run`",
        "`frobnicate_all_the_things()`",
        "`src/reactor/no_such_file.rs`",
        "`tests/no_such_*.rs`",
        "`no_such_file.rs`",
        "gdb: `break corolab::executor::Executor::poll_taskk`",
        "```text\n(gdb) break corolab::reactor::Reactor::dispatch_io_eventz\n```",
        "`Event::NoSuchVariant`",
        "`Runtime::tick::deeper`",
        "[a chapter that nobody writes](13-nothing.md)",
    ];
    for case in cases {
        let problems = problems_in(case);
        assert_eq!(
            problems.len(),
            1,
            "expected one problem for {case:?}, got {problems:?}"
        );
    }
}

// Why: the convention must not get in the way of real names, std names or prose.
#[test]
fn checker_accepts_real_std_and_prose_names() {
    let text = "\
`Runtime::tick`, `corolab::runtime::Runtime::tick`, `Reactor::wait_for_io`, `spawn()`,
`corolab::sync::oneshot::channel`, `corolab::spawn`, `Event::TaskWoken`, `Interest::Read`,
`TcpStream::poll_read`, `Sleep::poll`, `Key::to_u64`, `src/reactor/`, `src/slab.rs`, `slab.rs`,
`tests/reactor.rs`, `tests/*.rs`, `examples/debugger_demo.rs`, `debugger_demo::read_one_message`,
`Future::poll`, `Poll::Pending`, `std::thread::spawn`, `mio::Interest::READABLE`,
`io::ErrorKind::WouldBlock`, `corolab_server::orders::OrderApi`, `server/src/conn.rs`,
`corolab_server::spawn_on_thread`, `asyncio.gather`, `c.send(n)`, `epoll_wait(2)`, `Pin<&mut Self>`,
[chapter 3](03-executor.md), [chapter 7](07-http-client.md), [tokio](https://tokio.rs).

```text
(gdb) break corolab::executor::Executor::poll_task
#3  corolab::runtime::Runtime::block_on<debugger_demo::demo::{async_fn_env#0}> ()
```
";
    assert_eq!(problems_in(text), Vec::<String>::new());
}

// Why: Rust shown in the course must be compiled somewhere, or it rots unnoticed.
#[test]
fn checker_rejects_untagged_and_uncompiled_rust_blocks() {
    assert_eq!(problems_in("```\nplain\n```").len(), 1, "untagged");
    assert_eq!(
        problems_in("```rust\nfn made_up() {}\n```").len(),
        1,
        "free-standing rust"
    );
    assert_eq!(
        problems_in("```rust,ignore\nlet x = 1;\n```").len(),
        1,
        "ignored rust"
    );
    assert!(problems_in("```text\nanything\n```").is_empty());
    assert!(problems_in("```python\nawait asyncio.sleep(1)\n```").is_empty());
}

// Why: a quoted excerpt must match its file line for line, so a refactor that changes the code
// makes the chapter fail instead of silently lying.
#[test]
fn quoted_code_must_match_its_file() {
    let good = "```rust\n// file: src/runtime.rs\npub fn tick(&self) {\n    self.run_ready_tasks();\n// ...\n    self.dispatch_io_events();\n}\n```";
    assert_eq!(problems_in(good), Vec::<String>::new());
    let edited = "```rust\n// file: src/runtime.rs\npub fn tick(&self) {\n    self.run_everything();\n}\n```";
    assert_eq!(problems_in(edited).len(), 1);
    let wrong_file = "```rust\n// file: src/nope.rs\nfn x() {}\n```";
    assert_eq!(problems_in(wrong_file).len(), 1);
}

// Why: globs and `..` in links are how chapters cite files; the helpers must get them right.
#[test]
fn glob_and_normalize_helpers() {
    assert!(glob_match("http_*.rs", "http_pool.rs"));
    assert!(!glob_match("http_*.rs", "https.txt"));
    assert_eq!(normalize("docs/../src/slab.rs"), "src/slab.rs");
    assert_eq!(normalize("docs/./03-executor.md"), "docs/03-executor.md");
}
