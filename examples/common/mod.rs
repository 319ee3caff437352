//! Small helpers shared by the examples: the `HH:MM:SS` clock the seeds print, the one
//! command-line flag parser ([`Args`], with range checks), quiet exit when stdout is a closed
//! pipe, memory readings. (The examples' HTTP servers are `corolab_server`.)
//!
//! Each example pulls this in with `mod common;`, so an example may use only part of it.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The time of day as `HH:MM:SS`, like the seeds' `time.strftime('%H:%M:%S')`.
///
/// The seeds print local time; this prints **UTC**, computed from `SystemTime` so no time-zone
/// code is needed. Only the differences between lines matter.
pub fn now() -> String {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    let seconds_today = since_epoch.as_secs() % 86_400;
    format!(
        "{:02}:{:02}:{:02}",
        seconds_today / 3600,
        seconds_today % 3600 / 60,
        seconds_today % 60
    )
}

/// Seconds with two decimals, the way the summaries print durations (`2.00 s`).
pub fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What one command-line flag of an example takes after its name.
#[derive(Clone, Copy, Debug)]
pub enum Takes {
    /// Nothing: a switch such as `--quick`.
    Nothing,
    /// A whole number from `min` to `max` (`1_000` may be written with underscores);
    /// `why` says where the bounds come from, for the error message.
    Number { min: u64, max: u64, why: &'static str },
    /// Any text: a URL, a file name, a comma-separated list.
    Text,
}

/// One flag an example accepts. Each example lists its flags in one `const FLAGS: &[Flag]`.
#[derive(Clone, Copy, Debug)]
pub struct Flag {
    pub name: &'static str,
    pub takes: Takes,
}

impl Flag {
    /// A switch: present or not.
    pub const fn switch(name: &'static str) -> Flag {
        Flag {
            name,
            takes: Takes::Nothing,
        }
    }

    /// A whole number from `min` to `max`; `why` explains the bounds.
    pub const fn number(name: &'static str, min: u64, max: u64, why: &'static str) -> Flag {
        Flag {
            name,
            takes: Takes::Number { min, max, why },
        }
    }

    /// A text value.
    pub const fn text(name: &'static str) -> Flag {
        Flag {
            name,
            takes: Takes::Text,
        }
    }
}

/// Why [`Args::from_words`] did not return arguments.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    /// `--help` or `-h`: print the usage on stdout and exit 0.
    Help,
    /// Bad input: print this message and the usage on stderr and exit 2.
    Bad(String),
}

/// The command line of an example, checked against its [`Flag`]s: every number is in range,
/// every flag known. This is the one flag parser of all the examples.
#[derive(Debug)]
pub struct Args {
    /// The flags given, in order, with their values (`None` for switches).
    given: Vec<(&'static str, Option<String>)>,
}

impl Args {
    /// Reads `std::env::args` against `flags`. `--help` prints `usage` on stdout and exits 0;
    /// anything wrong prints the problem and `usage` on stderr and exits with status 2 (bad
    /// input gets a message, never a panic or a silent fix-up).
    pub fn parse(flags: &[Flag], usage: &str) -> Args {
        match Args::from_words(std::env::args().skip(1), flags) {
            Ok(args) => args,
            Err(Stop::Help) => print_usage_and_exit(usage),
            Err(Stop::Bad(problem)) => exit_with_usage(&problem, usage),
        }
    }

    /// Checks `words` (the command line without the program name) against `flags`.
    pub fn from_words(words: impl IntoIterator<Item = String>, flags: &[Flag]) -> Result<Args, Stop> {
        let mut given = Vec::new();
        let mut words = words.into_iter();
        while let Some(word) = words.next() {
            if word == "--help" || word == "-h" {
                return Err(Stop::Help);
            }
            let Some(flag) = flags.iter().find(|f| f.name == word) else {
                return Err(Stop::Bad(format!("unknown argument {word:?}")));
            };
            let value = match flag.takes {
                Takes::Nothing => None,
                takes => Some(take_value(flag.name, takes, words.next())?),
            };
            given.push((flag.name, value));
        }
        Ok(Args { given })
    }

    /// Is the switch `name` (e.g. `--quick`) present?
    pub fn flag(&self, name: &str) -> bool {
        self.given.iter().any(|(n, _)| *n == name)
    }

    /// The value of the text flag `name`, if given (the last one wins).
    pub fn text(&self, name: &str) -> Option<&str> {
        self.given
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// The value of the number flag `name`, if given; already checked against its bounds.
    pub fn number(&self, name: &str) -> Option<u64> {
        self.text(name).and_then(parse_whole_number)
    }

    /// [`Args::number`] as a `usize` (a count of tasks, requests, threads).
    pub fn count(&self, name: &str) -> Option<usize> {
        self.number(name).and_then(|n| usize::try_from(n).ok())
    }
}

/// The value after flag `name`, checked against what the flag takes.
fn take_value(name: &str, takes: Takes, value: Option<String>) -> Result<String, Stop> {
    let wanted = match takes {
        Takes::Number { min, max, .. } => format!("a whole number from {min} to {max}"),
        _ => "a value".to_string(),
    };
    let Some(value) = value else {
        return Err(Stop::Bad(format!("{name} needs {wanted}")));
    };
    if let Takes::Number { min, max, why } = takes {
        match parse_whole_number(&value) {
            Some(n) if (min..=max).contains(&n) => {}
            _ => {
                return Err(Stop::Bad(format!(
                    "{name} must be a whole number from {min} to {max} ({why}), got {value:?}"
                )));
            }
        }
    }
    Ok(value)
}

/// `1000` or `1_000`; no sign, no exponent, no fraction.
fn parse_whole_number(text: &str) -> Option<u64> {
    let digits = text.replace('_', "");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The first line of every example's `main`: stdout closing early ends the example quietly
/// ([`exit_quietly_on_broken_pipe`]), and the command line is checked against `flags`
/// ([`Args::parse`]).
pub fn start(flags: &[Flag], usage: &str) -> Args {
    exit_quietly_on_broken_pipe();
    Args::parse(flags, usage)
}

/// `--help`: the usage goes to stdout (it was asked for), and the exit status is 0.
pub fn print_usage_and_exit(usage: &str) -> ! {
    println!("{usage}");
    std::process::exit(0)
}

/// Bad input: the problem and the usage go to stderr, and the exit status is 2.
pub fn exit_with_usage(problem: &str, usage: &str) -> ! {
    eprintln!("error: {problem}\n\n{usage}");
    std::process::exit(2)
}

/// Makes `cargo run --example NAME | head` end quietly. Rust ignores SIGPIPE, so once the
/// reader is gone every `println!` gets `BrokenPipe` and panics ("failed printing to stdout"),
/// and the example would die with a panic message and exit 101. This panic hook recognises
/// exactly that panic and exits with status 0 instead, as `cat` or `ls` do when `head` has
/// read enough; every other panic is reported as before. Call it first thing in `main`.
pub fn exit_quietly_on_broken_pipe() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if is_broken_stdout(info.payload()) {
            std::process::exit(0);
        }
        report(info);
    }));
}

/// Is this panic payload std's "failed printing to stdout: Broken pipe"?
pub fn is_broken_stdout(payload: &(dyn std::any::Any + Send)) -> bool {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("");
    let broken_pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe).to_string();
    message.starts_with("failed printing to stdout")
        && (message.contains("Broken pipe") || message.contains(&broken_pipe))
}

/// A line from `/proc/self/status` in bytes, e.g. `VmRSS` (resident memory now) or `VmHWM`
/// (the peak of `VmRSS`, the "high-water mark"). `None` where `/proc` is missing (not Linux).
pub fn proc_status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status
        .lines()
        .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))?;
    // The line looks like "VmRSS:	    5232 kB".
    let kib: u64 = line[field.len() + 1..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// Bytes in a human unit: `812 B`, `3.4 KiB`, `31.2 MiB`.
pub fn human_bytes(bytes: f64) -> String {
    if bytes < 1024.0 {
        format!("{bytes:.0} B")
    } else if bytes < 1024.0 * 1024.0 {
        format!("{:.1} KiB", bytes / 1024.0)
    } else {
        format!("{:.1} MiB", bytes / (1024.0 * 1024.0))
    }
}

/// Benchmark-like examples call this first: with `COROLAB_TRACE` on, writing the trace costs
/// far more than the work they time, so their numbers would measure the trace. Returns
/// whether tracing is on (the caller may then do less work).
pub fn warn_if_tracing(what: &str) -> bool {
    let on = corolab::trace::mode_from_env() != corolab::trace::TraceMode::Off;
    if on {
        // Not `eprintln!`: a broken stderr must not crash a traced run.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "note: COROLAB_TRACE is on: writing the trace costs far more than {what}, so the \
             numbers below measure the trace, not corolab (unset COROLAB_TRACE to measure)"
        );
    }
    on
}
