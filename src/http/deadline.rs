//! How long may the next wait last? The same rule for both clients.
//!
//! **Concept.** Two clocks run during a request: the per-operation limit
//! (`connect_timeout`, or `read_timeout` for each read and write) and the
//! whole-request budget (`request_timeout`). Each wait gets the shorter of
//! the two, and remembers which one it was, so that a timeout can say whether
//! the server was silent ([`Phase::Read`]) or the request simply took too long
//! ([`Phase::Total`]).
//!
//! **Where.** [`bounded_wait`], called before every lookup, connect, read and
//! write of all three clients (through `exchange.rs` and `connect.rs`); the
//! answer is a [`Wait`].
//!
//! **In the debugger.** Break in [`bounded_wait`] and compare `left` with `limit`.

use std::time::{Duration, Instant};

use super::error::{Error, Phase};

/// How long one operation may wait, and what to call it if it times out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Wait {
    pub(crate) limit: Duration,
    pub(crate) phase: Phase,
}

impl Wait {
    /// The typed error for `err`, an I/O error of this operation (a timeout
    /// becomes `Timeout(phase)`).
    pub(crate) fn error(self, err: std::io::Error) -> Error {
        Error::from_io(err, self.phase)
    }
}

/// The wait for one operation: `limit` (reported as `phase` on timeout), or
/// what is left until `deadline` if that is shorter (reported as
/// [`Phase::Total`]). Fails at once with `Timeout(Total)` if nothing is left.
pub(crate) fn bounded_wait(limit: Duration, phase: Phase, deadline: Instant) -> Result<Wait, Error> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(Error::Timeout(Phase::Total));
    }
    if left < limit {
        Ok(Wait {
            limit: left,
            phase: Phase::Total,
        })
    } else {
        Ok(Wait {
            limit: limit.max(Duration::from_millis(1)),
            phase,
        })
    }
}
