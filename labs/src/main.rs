//! The `corolab-labs` command: `list`, `handout DIR`, `grade DIR [--extra-tests DIR]`, `check`.
//!
//! **Concept.** A thin front door: parse the arguments, call the command, turn its result
//! into an exit code (0 done, 1 a lab incomplete or a check failed, 2 bad usage).
//!
//! **Where.** `main` and `parse`; the commands live in the library (`corolab_labs::*`).
//!
//! **In the debugger.** `cargo run -p corolab-labs -- grade DIR --lab select-join`.

use corolab_labs::cargo::{OwnedTarget, Runner, Selection};
use corolab_labs::catalogue::{self, LABS, Lab};
use corolab_labs::{check, grade, handout, repo_root, scratch_root, tree};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage:
  corolab-labs list                         the lab table (docs/teaching.md)
  corolab-labs handout DIR [--lab NAME]...  write a student repository to DIR
  corolab-labs grade DIR [--extra-tests DIR] [--lab NAME]... [--restore-tests] [--verbose]
                                            score a student's copy (exit 1 if a lab is incomplete);
                                            --restore-tests grades with the teacher's visible tests
  corolab-labs check [--lab NAME]...        prove every lab solvable and its tests non-vacuous
  corolab-labs probe --lab NAME -p PKG (--test T | --lib)...
                                            which tests of these binaries fail on NAME's stub
options: --timeout SECONDS bounds each test binary's run (default 60)";

/// Parsed command line.
struct Args {
    command: String,
    dir: Option<PathBuf>,
    extra: Option<PathBuf>,
    labs: Vec<&'static Lab>,
    timeout: Duration,
    verbose: bool,
    restore_tests: bool,
    package: Option<String>,
    targets: Vec<OwnedTarget>,
}

fn parse(mut raw: impl Iterator<Item = String>) -> Result<Args, String> {
    let command = raw.next().ok_or("no command")?;
    let mut args = Args {
        command,
        dir: None,
        extra: None,
        labs: Vec::new(),
        timeout: Duration::from_secs(60),
        verbose: false,
        restore_tests: false,
        package: None,
        targets: Vec::new(),
    };
    while let Some(arg) = raw.next() {
        let mut value = |flag: &str| raw.next().ok_or(format!("{flag} needs a value"));
        match arg.as_str() {
            "--lab" => {
                let name = value("--lab")?;
                let lab = catalogue::find(&name)
                    .ok_or(format!("no lab called `{name}` (see `corolab-labs list`)"))?;
                args.labs.push(lab);
            }
            "--extra-tests" => args.extra = Some(PathBuf::from(value("--extra-tests")?)),
            "--timeout" => {
                let secs = value("--timeout")?
                    .parse::<u64>()
                    .map_err(|e| format!("--timeout: {e}"))?;
                args.timeout = Duration::from_secs(secs);
            }
            "--verbose" => args.verbose = true,
            "--restore-tests" => args.restore_tests = true,
            "-p" => args.package = Some(value("-p")?),
            "--test" => args.targets.push(OwnedTarget::Test(value("--test")?)),
            "--lib" => args.targets.push(OwnedTarget::Lib),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            _ if args.dir.is_none() => args.dir = Some(PathBuf::from(arg)),
            _ => return Err(format!("unexpected argument {arg}")),
        }
    }
    Ok(args)
}

fn runner(args: &Args) -> Runner {
    Runner {
        target_dir: scratch_root().join("target"),
        run_timeout: args.timeout,
    }
}

fn chosen(args: &Args, default: Vec<&'static Lab>) -> Vec<&'static Lab> {
    if args.labs.is_empty() {
        default
    } else {
        args.labs.clone()
    }
}

/// A handout inside the repository would be copied into the next handout and every check.
fn refuse_inside_repo(dir: &std::path::Path) -> Result<(), String> {
    let repo = repo_root().canonicalize().map_err(|e| e.to_string())?;
    let absolute = std::path::absolute(dir).map_err(|e| e.to_string())?;
    let mut probe = absolute.clone();
    while !probe.exists() && probe.pop() {}
    let real = probe
        .canonicalize()
        .map_err(|e| e.to_string())?
        .join(absolute.strip_prefix(&probe).unwrap_or(&absolute));
    if real.starts_with(&repo) && !real.starts_with(repo.join("target")) {
        return Err(format!(
            "{} is inside the repository: write the handout somewhere else",
            dir.display()
        ));
    }
    Ok(())
}

fn cmd_handout(args: &Args) -> Result<ExitCode, String> {
    let dir = args.dir.as_ref().ok_or("handout needs a folder")?;
    let labs = chosen(args, LABS.iter().collect());
    refuse_inside_repo(dir)?;
    let files = handout::handout_files(&repo_root(), &labs)?;
    handout::write(dir, &files)?;
    println!(
        "wrote {} files with {} lab(s) to {}; see LABS/README.md",
        files.len(),
        labs.len(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn cmd_grade(args: &Args) -> Result<ExitCode, String> {
    let dir = args.dir.as_ref().ok_or("grade needs a folder")?;
    let student =
        tree::read_files(dir, |_| true).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let handed_out: Vec<&'static Lab> = match student.get(handout::MANIFEST) {
        Some(bytes) => {
            let names = tree::list_lines(&String::from_utf8_lossy(bytes));
            LABS.iter().filter(|l| names.contains(l.name)).collect()
        }
        None => LABS.iter().collect(),
    };
    let labs = chosen(args, handed_out);
    let hidden = match &args.extra {
        Some(extra) => grade::hidden_tests(extra, &student, &labs)?,
        None => grade::Hidden::default(),
    };
    let teacher = handout::solution_files(&repo_root())?;
    let edited = grade::edited_tests(&teacher, &student, &labs);
    let mut files = student;
    for rel in &edited {
        if args.restore_tests {
            println!(
                "restored {rel} from {} (it differs from the teacher's copy)",
                repo_root().display()
            );
            files.insert(rel.clone(), teacher[rel].clone());
        } else {
            println!(
                "warning: {rel} differs from the teacher's copy (--restore-tests grades with the original)"
            );
        }
    }
    files.extend(hidden.files.clone());
    let copy = scratch_root().join("grade");
    let _lock = corolab_labs::lock_scratch(&copy)?;
    tree::sync(&files, &copy).map_err(|e| format!("{}: {e}", copy.display()))?;
    let scores = grade::grade_tree(&runner(args), &copy, &labs, &hidden);
    grade::print_table(&scores, args.verbose);
    Ok(if scores.iter().all(grade::Score::complete) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn cmd_check(args: &Args) -> Result<ExitCode, String> {
    let labs = chosen(args, LABS.iter().collect());
    let hidden = repo_root().join("labs").join("hidden-sample");
    let _lock = corolab_labs::lock_scratch(&scratch_root().join("check"))?;
    let problems = check::run(
        &repo_root(),
        &hidden,
        &scratch_root().join("check"),
        &runner(args),
        &labs,
    );
    if problems.is_empty() {
        println!("check: ok");
        return Ok(ExitCode::SUCCESS);
    }
    for p in &problems {
        eprintln!("check: {p}");
    }
    Ok(ExitCode::FAILURE)
}

fn cmd_probe(args: &Args) -> Result<ExitCode, String> {
    let [lab] = args.labs.as_slice() else {
        return Err("probe needs one --lab".into());
    };
    let package = args.package.clone().ok_or("probe needs -p PKG")?;
    if args.targets.is_empty() {
        return Err("probe needs --test NAME or --lib".into());
    }
    let sels: Vec<Selection> = args
        .targets
        .iter()
        .map(|t| Selection {
            package: package.clone(),
            target: t.clone(),
            names: None,
        })
        .collect();
    let _lock = corolab_labs::lock_scratch(&scratch_root().join("check"))?;
    let guards = check::probe(
        &repo_root(),
        &scratch_root().join("check"),
        &runner(args),
        lab,
        &sels,
    )?;
    for g in &guards {
        println!("{g}");
    }
    println!(
        "{} test(s) pass on the solution and fail on the stub of {}",
        guards.len(),
        lab.name
    );
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let result = parse(std::env::args().skip(1)).and_then(|args| match args.command.as_str() {
        "list" => {
            print!("{}", catalogue::markdown_table());
            Ok(ExitCode::SUCCESS)
        }
        "handout" => cmd_handout(&args),
        "grade" => cmd_grade(&args),
        "check" => cmd_check(&args),
        "probe" => cmd_probe(&args),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown command `{other}`")),
    });
    result.unwrap_or_else(|e| {
        eprintln!("corolab-labs: {e}\n{USAGE}");
        ExitCode::from(2)
    })
}
