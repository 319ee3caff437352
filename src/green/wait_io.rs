//! `wait_io`: the one bounded wait every green socket operation runs.
//!
//! **Concept.** Try the socket with the task's waker; if it is not ready, also poll a timer
//! with the same waker, so whichever fires first (readiness or the deadline) wakes the task;
//! then park. A zero timeout is refused, as std refuses it.
//!
//! **Where.** `wait_io` (one `park_until` loop) and `check_timeout`, used by `tcp.rs`.
//!
//! **In the debugger.** `info functions green::wait_io::wait_io` lists its instances; `print
//! timeout` there shows the bound of the wait in progress.

use super::hub::{CannotWait, park_until};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Tries `attempt` until it is ready, switching to the hub in between; gives
/// up with `TimedOut` once `timeout` has passed.
///
/// This is what every green socket operation runs, one step of
/// [`park_until`]'s loop per wake-up:
/// 1. call the `poll_*` function with the task's waker: it does the syscall,
///    and on `WouldBlock` registers the waker with the reactor and returns
///    `Pending`;
/// 2. if there is a deadline, poll a `Sleep` with the same waker, so
///    whichever comes first (readiness or the timer) wakes the task;
/// 3. neither ready: `park_until` switches to the hub, and calls us again when
///    switched back.
pub(super) fn wait_io<R>(
    timeout: Option<Duration>,
    mut attempt: impl FnMut(&mut Context<'_>) -> Poll<io::Result<R>>,
) -> io::Result<R> {
    let mut deadline = timeout.map(|t| crate::time::sleep_until(crate::time::deadline_after(t)));
    let step = |cx: &mut Context<'_>| {
        if let Poll::Ready(result) = attempt(cx) {
            return Poll::Ready(result);
        }
        let timed_out = deadline
            .as_mut()
            .is_some_and(|timer| Pin::new(timer).poll(cx).is_ready());
        if timed_out {
            Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "green socket operation timed out",
            )))
        } else {
            Poll::Pending
        }
    };
    park_until(step).map_err(CannotWait::into_io)?
}

pub(super) fn check_timeout(timeout: Option<Duration>) -> io::Result<()> {
    if timeout == Some(Duration::ZERO) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a zero timeout is not allowed",
        ));
    }
    Ok(())
}
