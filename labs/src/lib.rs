//! corolab-labs: graded labs made from corolab's own sources.
//!
//! **Concept.** Solution code is marked in place (`// LAB(name) begin: hint` ... `end`). From
//! those marks this tool writes a student handout with `todo!("hint")` in their place, grades
//! a student's copy by running the lab's tests (and a teacher's hidden ones), and checks in
//! CI that every lab can be solved and that every one of its tests fails on the stub.
//! `docs/teaching.md` is the teacher's guide.
//!
//! **Where.** [`catalogue`] lists the labs, [`marks`] reads and stubs regions, [`tree`] copies
//! sources, [`cargo`] runs tests, and [`handout`], [`grade`], [`check`] are the commands.
//!
//! **In the debugger.** `cargo run -p corolab-labs -- check --lab select-join` is the smallest
//! full run; break in `corolab_labs::check::run`.

pub mod cargo;
pub mod catalogue;
pub mod check;
pub mod grade;
pub mod handout;
pub mod marks;
pub mod tree;

use std::path::PathBuf;

/// The repository this tool was built in (the teacher's copy, or a student's handout).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The scratch folder for copies and their shared build folder: `target/labs-scratch/`.
pub fn scratch_root() -> PathBuf {
    repo_root().join("target").join("labs-scratch")
}

/// Holds `<scratch>.lock` for as long as it lives, so two runs never share a scratch copy
/// (one would rewrite the files under the other's `cargo test`).
pub struct ScratchLock {
    _file: std::fs::File,
}

/// Locks the scratch copy `dir`, waiting (and saying so) while another run holds it.
pub fn lock_scratch(dir: &std::path::Path) -> Result<ScratchLock, String> {
    let path = dir.with_extension("lock");
    let describe = |e: std::io::Error| format!("cannot lock {}: {e}", path.display());
    std::fs::create_dir_all(dir.parent().unwrap_or(dir)).map_err(describe)?;
    let file = std::fs::File::create(&path).map_err(describe)?;
    if file.try_lock().is_err() {
        eprintln!(
            "waiting for another corolab-labs run to release {}",
            path.display()
        );
        file.lock().map_err(describe)?;
    }
    Ok(ScratchLock { _file: file })
}
