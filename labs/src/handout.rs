//! `handout DIR`: the student's repository, made from the real sources.
//!
//! **Concept.** A handout is the repository as it is, minus what only a teacher keeps (the
//! hidden tests and this tool's own tests), with each handed-out lab's marked regions replaced
//! by `todo!("hint")`, plus a `LABS/` folder: one README per lab and `LABS/handed-out.txt`,
//! which tells `grade` what to grade. Nothing is hand-copied, so a handout cannot drift from
//! the code the course explains.
//!
//! **Where.** [`solution_files`] reads the repository, [`stub_labs`] rewrites the marked
//! files, [`handout_files`] adds the READMEs, [`write()`] puts the result in a folder.
//!
//! **In the debugger.** Break in `stub_labs` and print `file` for each rewritten file.

use crate::catalogue::{Lab, Target};
use crate::marks;
use crate::tree::{self, Files};
use std::path::Path;

/// Folders of the teacher's repository that never go to students.
pub const TEACHER_ONLY: &[&str] = &["labs/hidden-sample/", "labs/tests/", "LABS/"];

/// Where a handout lists the labs it contains.
pub const MANIFEST: &str = "LABS/handed-out.txt";

/// The repository's files, without the teacher-only folders: every lab solved.
pub fn solution_files(repo: &Path) -> Result<Files, String> {
    tree::read_files(repo, |rel| !TEACHER_ONLY.iter().any(|t| rel.starts_with(t)))
        .map_err(|e| format!("cannot read {}: {e}", repo.display()))
}

/// Replaces the regions of `labs` in `files` by stubs. Every lab must stub at least one region,
/// and only in the files the catalogue lists for it.
pub fn stub_labs(files: &mut Files, labs: &[&Lab]) -> Result<(), String> {
    let names: Vec<&str> = labs.iter().map(|l| l.name).collect();
    let mut touched = std::collections::BTreeSet::new();
    for lab in labs {
        let mut regions = 0;
        for file in lab.files {
            let Some(bytes) = files.get(*file) else {
                return Err(format!("lab {}: {file} does not exist", lab.name));
            };
            let found =
                marks::find_regions(&String::from_utf8_lossy(bytes)).map_err(|e| format!("{file}: {e}"))?;
            regions += found.iter().filter(|r| r.lab == lab.name).count();
            touched.insert(*file);
        }
        if regions == 0 {
            return Err(format!(
                "lab {}: no LAB({}) marks in {:?}",
                lab.name, lab.name, lab.files
            ));
        }
    }
    for file in touched {
        let text = String::from_utf8_lossy(&files[file]).into_owned();
        let (new, _) = marks::stub(&text, &names).map_err(|e| format!("{file}: {e}"))?;
        files.insert(file.to_string(), new.into_bytes());
    }
    Ok(())
}

/// The whole handout for `labs`: stubbed sources, a README per lab, the manifest.
pub fn handout_files(repo: &Path, labs: &[&Lab]) -> Result<Files, String> {
    let mut files = solution_files(repo)?;
    stub_labs(&mut files, labs)?;
    let mut index = String::from(
        "# Labs\n\nEach lab below replaced some real corolab code with `todo!(\"hint\")`. \
         Write it back, then run its tests.\nGrade yourself with \
         `cargo run -p corolab-labs -- grade .` (add `--lab NAME` for one lab).\n\n",
    );
    let mut manifest = String::from("# labs in this handout (read by `corolab-labs grade`)\n");
    for lab in labs {
        index.push_str(&format!("- [{}]({}.md): {}\n", lab.name, lab.name, lab.title));
        manifest.push_str(&format!("{}\n", lab.name));
        let readme = lab_readme(lab, &files);
        files.insert(format!("LABS/{}.md", lab.name), readme.into_bytes());
    }
    files.insert("LABS/README.md".into(), index.into_bytes());
    files.insert(MANIFEST.into(), manifest.into_bytes());
    Ok(files)
}

/// One lab's README, with the place of every `todo!` in the handout.
fn lab_readme(lab: &Lab, files: &Files) -> String {
    let mut out = format!(
        "# Lab `{}`: {}\n\nChapter: [{}](../docs/{}) · prerequisites: {} · about {} minutes · {} points\n\n\
         **Goal.** {}\n\n## Where to write\n\n",
        lab.name,
        lab.title,
        lab.chapter.trim_end_matches(".md"),
        lab.chapter,
        lab.prerequisites,
        lab.minutes,
        lab.points,
        lab.goal
    );
    let announce = format!("// LAB({}): your code goes here", lab.name);
    for file in lab.files {
        let text = files
            .get(*file)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        for (n, _) in lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.trim_start().starts_with(&announce))
        {
            let hint = lines.get(n + 1).map(|l| l.trim()).unwrap_or_default();
            out.push_str(&format!("- `{file}` line {}: `{hint}`\n", n + 2));
        }
    }
    out.push_str("\n## How it is graded\n\nThese tests fail now and pass once the lab is done:\n\n");
    for group in lab.tests {
        let target = match group.target {
            Target::Lib => "--lib".to_string(),
            Target::Test(t) => format!("--test {t}"),
        };
        out.push_str(&format!(
            "```console\ncargo test -p {} {target} -- --exact {}\n```\n\n",
            group.package,
            group.names.join(" ")
        ));
    }
    out.push_str(
        "Your teacher may run more (hidden) tests. A passing grade says these behaviours work; \
         it does not prove the code has no other bug. Do not edit the tests: they are what \
         is graded.\n",
    );
    out
}

/// Writes `files` into `dir`, which must not exist yet or be empty (or an earlier handout).
pub fn write(dir: &Path, files: &Files) -> Result<(), String> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !empty && !dir.join(MANIFEST).exists() {
            return Err(format!(
                "{} exists and is not empty (nor an earlier handout): choose a new folder",
                dir.display()
            ));
        }
    }
    tree::sync(files, dir)
        .map(|_| ())
        .map_err(|e| format!("cannot write {}: {e}", dir.display()))
}
