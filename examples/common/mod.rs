//! Small helpers shared by the seed examples: the `HH:MM:SS` clock the seeds print, command-line
//! flags, memory readings. (The examples' HTTP servers are `corolab_server`.)
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

/// The command line of an example: `--flag` switches and `--name value` numbers.
pub struct Args {
    words: Vec<String>,
}

impl Args {
    /// Reads `std::env::args`, accepting only the `switches` and `numbers` listed. Anything
    /// else prints `usage` and exits with status 2 (bad input gets a message, not a panic).
    pub fn parse(switches: &[&str], numbers: &[&str], usage: &str) -> Args {
        let words: Vec<String> = std::env::args().skip(1).collect();
        let mut i = 0;
        while i < words.len() {
            let word = words[i].as_str();
            if numbers.contains(&word) {
                i += 1; // the value is checked by `Args::number`
            } else if word == "--help" || word == "-h" {
                println!("{usage}");
                std::process::exit(0);
            } else if !switches.contains(&word) {
                exit_with_usage(&format!("unknown argument {word:?}"), usage);
            }
            i += 1;
        }
        let args = Args { words };
        for name in numbers {
            args.number(name, usage);
        }
        args
    }

    /// Is the switch `name` (e.g. `--quick`) present?
    pub fn flag(&self, name: &str) -> bool {
        self.words.iter().any(|w| w == name)
    }

    /// The positive number after `name` (e.g. `--requests 1000`), if the option was given.
    pub fn number(&self, name: &str, usage: &str) -> Option<usize> {
        let at = self.words.iter().position(|w| w == name)?;
        let value = self.words.get(at + 1).map(String::as_str).unwrap_or("");
        match value.replace('_', "").parse::<usize>() {
            Ok(n) if n > 0 => Some(n),
            _ => exit_with_usage(&format!("{name} needs a positive number, got {value:?}"), usage),
        }
    }
}

fn exit_with_usage(problem: &str, usage: &str) -> ! {
    eprintln!("error: {problem}\n\n{usage}");
    std::process::exit(2)
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
