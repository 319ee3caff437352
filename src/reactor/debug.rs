//! What `{:?}` on a reactor prints (and so the reactor part of `{:?}` on a `Runtime`): every
//! registration with its fd, readiness bits and waiting wakers, the live timers, the time to
//! the next deadline, and the counters.

use super::Reactor;
use std::fmt;
use std::time::Instant;

impl fmt::Debug for Reactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let io = self.io.borrow();
        let registrations: Vec<String> = io
            .iter()
            .map(|(key, s)| {
                format!(
                    "token {:#x} fd {} readiness {:#07b} waiting: read={} write={}",
                    key.to_u64(),
                    s.fd,
                    s.readiness,
                    s.read_wakers.len(),
                    s.write_wakers.len()
                )
            })
            .collect();
        let mut timers = self.timers.borrow_mut();
        let live = timers.entries.iter().filter(|(_, e)| !e.fired).count();
        let next = timers
            .next_deadline()
            .map(|d| d.saturating_duration_since(Instant::now()));
        f.debug_struct("Reactor")
            .field("registrations", &registrations)
            .field("pending_timers", &live)
            .field("next_timer_in", &next)
            .field("stats", &self.stats.get())
            .finish()
    }
}
