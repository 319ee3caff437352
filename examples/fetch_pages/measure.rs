//! What each strategy costs, read from Linux's `/proc` (no `unsafe`, no extra crates).
//!
//! - CPU time of one thread: `/proc/thread-self/schedstat`, first field, in nanoseconds.
//! - Memory: `VmRSS` (resident now) and `VmHWM` (peak resident, the "high-water mark") from
//!   `/proc/self/status`. Writing `5` to `/proc/self/clear_refs` resets the peak to the current
//!   size, so each strategy's peak can be measured on its own.
//!
//! On systems without these files every function returns 0 (the table then shows `-`).

use std::time::Duration;

/// CPU time used so far by the calling thread.
pub fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .map(Duration::from_nanos)
        .unwrap_or_default()
}

/// A `kB` field of `/proc/self/status`, e.g. `VmHWM`.
fn status_kb(field: &str) -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Resident memory of this process now, in KiB.
pub fn rss_kb() -> u64 {
    status_kb("VmRSS")
}

/// Peak resident memory of this process (since start or the last reset), in KiB.
pub fn peak_rss_kb() -> u64 {
    status_kb("VmHWM")
}

/// Resets the peak to the current resident size (Linux 4.0+); harmless if unsupported.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
