//! What the numbers were measured on, and the process readings the workloads need:
//! cores, CPU model, load average, peak RSS (`VmHWM`) and a process's CPU time.

use std::fs;
use std::time::Duration;

/// One line describing the machine: cores, CPU model, load average now.
pub fn describe() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let mem_gib = status_kib("/proc/meminfo", "MemTotal:").map_or(0.0, |k| k as f64 / 1024.0 / 1024.0);
    format!(
        "{cores} cores, {model}, {mem_gib:.0} GiB, {} {}; load average {}",
        std::env::consts::OS,
        std::env::consts::ARCH,
        load_average()
    )
}

/// The 1-minute load average (how busy the machine was: other engineers compile here too).
pub fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_string())
}

/// A `Key:   1234 kB` field of a /proc status-like file, in KiB.
fn status_kib(path: &str, key: &str) -> Option<u64> {
    let text = fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].split_whitespace().next()?.parse().ok()
}

/// Resident memory now, in bytes.
pub fn rss_bytes() -> u64 {
    status_kib("/proc/self/status", "VmRSS:").unwrap_or(0) * 1024
}

/// Peak resident memory of this process so far (`VmHWM`), in bytes.
pub fn peak_rss_bytes() -> u64 {
    status_kib("/proc/self/status", "VmHWM:").unwrap_or(0) * 1024
}

/// CPU time used so far by process `pid` (all its threads), in nanoseconds precision where
/// the kernel offers it (`/proc/PID/task/*/schedstat`), else in clock ticks (`/proc/PID/stat`).
pub fn cpu_time_of(pid: u32) -> Duration {
    schedstat_cpu_time(pid).unwrap_or_else(|| stat_cpu_time(pid))
}

fn schedstat_cpu_time(pid: u32) -> Option<Duration> {
    let mut total = 0u64;
    for task in fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let text = fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

fn stat_cpu_time(pid: u32) -> Duration {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return Duration::ZERO;
    };
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    let ticks: u64 = fields.get(11).and_then(|u| u.parse::<u64>().ok()).unwrap_or(0)
        + fields.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
    Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second())
}

#[allow(unsafe_code)] // one libc call; the bench crate is not the teaching crate
fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 { hz as f64 } else { 100.0 }
}

/// Raises the open-file limit to its hard maximum: brigade opens 1000 sockets per run.
#[allow(unsafe_code)]
pub fn raise_fd_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit write to / read from a valid rlimit struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
