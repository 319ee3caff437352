//! Source trees: listing a repository's files and mirroring them into a scratch folder.
//!
//! **Concept.** Every command works on a *copy*: `handout` writes one for students, `check` and
//! `grade` build one in a scratch folder and run `cargo test` there. The scratch folder has a
//! fixed path and [`sync`] rewrites only the files whose bytes changed, so cargo sees the
//! same package paths and the same modification times and recompiles only what a stub
//! touched (a shared `CARGO_TARGET_DIR` does the rest).
//!
//! **Where.** [`list_files`] asks git for the files of a repository (or walks a folder that
//! is not one, such as a handout); [`sync`] makes a folder hold exactly a given set of files.
//!
//! **In the debugger.** Break in `sync` and print `written` to see what a step changed.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A set of files: path relative to the tree root (with `/`) -> contents.
pub type Files = BTreeMap<String, Vec<u8>>;

/// Folders a copy never contains: build output and version control.
fn skipped_dir(name: &str) -> bool {
    name == "target" || name == ".git"
}

/// Relative paths of the files in `root`: git's list (tracked plus untracked, not ignored) in
/// a repository, otherwise every file below `root` except `target/` and `.git/`.
pub fn list_files(root: &Path) -> io::Result<Vec<String>> {
    let git = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .output();
    let inside_repo = root.join(".git").exists();
    if let Ok(out) = git
        && out.status.success()
        && inside_repo
    {
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut files: Vec<String> = text
            .split('\0')
            .filter(|p| !p.is_empty() && root.join(p).is_file())
            .map(str::to_string)
            .collect();
        files.sort();
        files.dedup();
        return Ok(files);
    }
    let mut files = Vec::new();
    walk(root, root, &mut files)?;
    files.sort();
    Ok(files)
}

fn walk(root: &Path, dir: &Path, files: &mut Vec<String>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_dir() {
            if !skipped_dir(&name) {
                walk(root, &path, files)?;
            }
        } else if let Ok(rel) = path.strip_prefix(root) {
            files.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// Reads the files of `root` whose relative path passes `keep`.
pub fn read_files(root: &Path, keep: impl Fn(&str) -> bool) -> io::Result<Files> {
    let mut files = Files::new();
    for rel in list_files(root)?.into_iter().filter(|r| keep(r)) {
        let bytes = std::fs::read(root.join(&rel))?;
        files.insert(rel, bytes);
    }
    Ok(files)
}

/// Makes `dest` hold exactly `files` (plus any `target/` folder): writes a file only if its
/// bytes differ, removes files that are not in the set. Returns how many files it wrote.
pub fn sync(files: &Files, dest: &Path) -> io::Result<usize> {
    std::fs::create_dir_all(dest)?;
    let mut existing = Vec::new();
    walk(dest, dest, &mut existing)?;
    for rel in existing.iter().filter(|r| !files.contains_key(*r)) {
        std::fs::remove_file(dest.join(rel))?;
    }
    let mut written = 0;
    for (rel, bytes) in files {
        let path = dest.join(rel);
        if std::fs::read(&path).ok().as_deref() == Some(bytes.as_slice()) {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, bytes)?;
        written += 1;
    }
    remove_empty_dirs(dest)?;
    Ok(written)
}

/// Removes folders left empty by [`sync`] (never `dest` itself or a `target/`).
fn remove_empty_dirs(dir: &Path) -> io::Result<bool> {
    let mut empty = true;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_dir() && !skipped_dir(&name) && remove_empty_dirs(&entry.path())? {
            std::fs::remove_dir(entry.path())?;
        } else {
            empty = false;
        }
    }
    Ok(empty)
}

/// The package a file belongs to: the `name` of the nearest `Cargo.toml` above it (in `files`).
pub fn package_of(files: &Files, rel: &str) -> Option<String> {
    let mut dir = PathBuf::from(rel);
    while dir.pop() {
        let manifest = dir.join("Cargo.toml").to_string_lossy().replace('\\', "/");
        if let Some(bytes) = files.get(&manifest) {
            return package_name(&String::from_utf8_lossy(bytes));
        }
        if dir.as_os_str().is_empty() {
            break;
        }
    }
    None
}

/// The `name = "..."` of a manifest's `[package]` table.
pub fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package && let Some(value) = line.strip_prefix("name") {
            let value = value.trim_start().strip_prefix('=')?.trim();
            return Some(value.trim_matches('"').to_string());
        }
    }
    None
}

/// The lines of a plain list file (`#` comments and blank lines skipped).
pub fn list_lines(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("corolab-labs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn sync_writes_only_changed_files_and_removes_the_rest() {
        let dir = scratch("sync");
        let mut files = Files::new();
        files.insert("a.txt".into(), b"one".to_vec());
        files.insert("deep/b.txt".into(), b"two".to_vec());
        assert_eq!(sync(&files, &dir).unwrap(), 2);
        assert_eq!(
            sync(&files, &dir).unwrap(),
            0,
            "unchanged files are not rewritten"
        );
        files.remove("deep/b.txt");
        files.insert("a.txt".into(), b"uno".to_vec());
        assert_eq!(sync(&files, &dir).unwrap(), 1);
        assert!(!dir.join("deep").exists(), "an emptied folder is removed");
        assert_eq!(std::fs::read(dir.join("a.txt")).unwrap(), b"uno");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_belongs_to_the_nearest_manifest() {
        let mut files = Files::new();
        files.insert(
            "Cargo.toml".into(),
            b"[package]\nname = \"corolab\"\n[workspace]\n".to_vec(),
        );
        files.insert(
            "steps/x/Cargo.toml".into(),
            b"[package]\nname = \"step-x\"\n[dependencies]\nname = 1\n".to_vec(),
        );
        assert_eq!(package_of(&files, "tests/a.rs").as_deref(), Some("corolab"));
        assert_eq!(
            package_of(&files, "steps/x/tests/t.rs").as_deref(),
            Some("step-x")
        );
    }
}
