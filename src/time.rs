//! Sleeping and timeouts.
//!
//! **Concept.** `sleep(d)` does not block the thread: it registers a deadline with the reactor
//! and returns `Pending`. The run loop sleeps in `epoll_wait` only until the *earliest*
//! deadline, so five tasks sleeping 2 s each finish together after 2 s. Like a Python
//! coroutine object, a `Sleep` does nothing until first polled; dropping it cancels the timer.
//!
//! **Where.** [`Sleep`]'s `poll` registers the timer on first poll (`Reactor::add_timer`) and
//! afterwards asks `Reactor::poll_timer`; `Drop` calls `Reactor::remove_timer`. A `Sleep`
//! first polled in one runtime and awaited in another moves its timer there (`move_timer`).
//! [`timeout`] polls the inner future and a `Sleep` side by side.
//!
//! **In the debugger.** `break corolab::reactor::Reactor::fire_timers`; the trace shows
//! `timer N fired (X us late)` followed by the wake of the task that slept.

use crate::reactor::{Reactor, TimerKey};
use std::fmt;
use std::future::Future;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

pub use std::time::Instant;

/// `now + duration`, clamped to about 30 years ahead so a huge duration (`Duration::MAX`)
/// means "practically never" instead of an overflow panic.
///
/// # Examples
///
/// ```
/// use corolab::time::deadline_after;
/// use std::time::{Duration, Instant};
/// let soon = deadline_after(Duration::from_secs(1));
/// assert!(soon > Instant::now());
/// let never = deadline_after(Duration::MAX); // clamped: no overflow panic
/// assert!(never > soon);
/// ```
pub fn deadline_after(duration: Duration) -> Instant {
    const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);
    let now = Instant::now();
    now.checked_add(duration.min(FAR_FUTURE)).unwrap_or(now)
}

/// Waits until `duration` has passed (measured from the call).
///
/// # Examples
///
/// ```
/// use corolab::time::sleep;
/// use std::time::{Duration, Instant};
/// let start = Instant::now();
/// corolab::block_on(sleep(Duration::from_millis(10)));
/// assert!(start.elapsed() >= Duration::from_millis(10)); // never early
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(deadline_after(duration))
}

/// Waits until `deadline`. A deadline in the past (or now) fires on the next loop turn.
///
/// # Examples
///
/// ```
/// use corolab::time::sleep_until;
/// use std::time::{Duration, Instant};
/// let deadline = Instant::now() + Duration::from_millis(5);
/// corolab::block_on(sleep_until(deadline));
/// assert!(Instant::now() >= deadline);
/// corolab::block_on(sleep_until(deadline)); // already past: fires on the next turn
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        timer: None,
    }
}

/// Future returned by [`sleep`] and [`sleep_until`]. It is `Unpin`, so it can be polled by
/// hand with `Pin::new(&mut sleep).poll(cx)`.
///
/// # Examples
///
/// ```
/// use corolab::time::sleep;
/// use std::{future::Future, pin::Pin, task::{Context, Poll, Waker}};
/// use std::time::Duration;
/// corolab::block_on(async {
///     let mut nap = sleep(Duration::ZERO);
///     let mut cx = Context::from_waker(Waker::noop());
///     // Unpin: poll it by hand. The first poll only registers the timer.
///     assert_eq!(Pin::new(&mut nap).poll(&mut cx), Poll::Pending);
///     nap.await; // the timer fires on the next loop turn
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: Instant,
    timer: Option<(Rc<Reactor>, TimerKey)>,
}

impl Sleep {
    /// When this sleep ends.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::time::sleep;
    /// use std::time::{Duration, Instant};
    /// let nap = sleep(Duration::from_secs(60)); // measured from this call, not from the first poll
    /// assert!(nap.deadline() > Instant::now() + Duration::from_secs(59));
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// A `Sleep` awaited in a runtime other than the one that first polled it forgets the old
    /// runtime's timer; `poll` registers the same deadline with the runtime running now. A
    /// deadline is just an `Instant`, so it means the same thing in any runtime: the sleep
    /// works instead of waiting in a reactor nobody runs (a deadline already past fires on
    /// the new runtime's next turn).
    fn move_timer(&mut self) {
        if let Some((old, key)) = self.timer.take() {
            old.remove_timer(key);
        }
    }

    /// Moves the deadline (the sleep can be awaited again afterwards).
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::time::{deadline_after, sleep};
    /// use std::time::Duration;
    /// corolab::block_on(async {
    ///     let mut nap = sleep(Duration::from_secs(60));
    ///     let soon = deadline_after(Duration::from_millis(5));
    ///     nap.reset(soon); // much sooner now
    ///     assert_eq!(nap.deadline(), soon);
    ///     nap.await;
    /// });
    /// ```
    pub fn reset(&mut self, deadline: Instant) {
        self.deadline = deadline;
        if let Some((reactor, key)) = &self.timer {
            reactor.reset_timer(*key, deadline);
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some((reactor, key)) = &self.timer {
            if Reactor::current_id().is_none_or(|current| current == reactor.id()) {
                return reactor.poll_timer(*key, cx);
            }
            // First polled in another runtime: move the timer to this one (see `move_timer`).
            self.move_timer();
        }
        let reactor = Reactor::current().unwrap_or_else(|e| panic!("corolab::time::sleep: {e}"));
        let key = reactor.add_timer(self.deadline, cx.waker());
        self.timer = Some((reactor, key));
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some((reactor, key)) = self.timer.take() {
            reactor.remove_timer(key);
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("registered", &self.timer.is_some())
            .finish()
    }
}

/// The error of [`timeout`]: the time ran out first.
///
/// # Examples
///
/// ```
/// use corolab::time::{Elapsed, sleep, timeout};
/// use std::time::Duration;
/// corolab::block_on(async {
///     let late = timeout(Duration::from_millis(10), sleep(Duration::from_secs(60))).await;
///     let err: Elapsed = late.unwrap_err();
///     assert_eq!(err, Elapsed(Duration::from_millis(10))); // carries the duration given
///     assert_eq!(err.to_string(), "deadline of 10ms elapsed");
/// });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed(pub Duration);

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "deadline of {:?} elapsed", self.0)
    }
}

impl std::error::Error for Elapsed {}

/// Runs `future` for at most `duration`. If time runs out first, `future` is dropped
/// (cancelled) and the result is `Err(Elapsed)`. The future is polled first, so one that is
/// ready at once wins even with a zero duration.
///
/// # Examples
///
/// ```
/// use corolab::time::{sleep, timeout};
/// use std::time::Duration;
/// corolab::block_on(async {
///     let quick = timeout(Duration::ZERO, async { 7 }).await;
///     assert_eq!(quick, Ok(7)); // polled first: ready at once wins even with zero time
///     let slow = timeout(Duration::from_millis(10), sleep(Duration::from_secs(60))).await;
///     assert!(slow.is_err()); // the sleep was dropped: its timer is gone too
/// });
/// ```
pub async fn timeout<F: Future>(duration: Duration, future: F) -> Result<F::Output, Elapsed> {
    let deadline = deadline_after(duration);
    let mut future = pin!(future);
    let mut sleep = sleep_until(deadline);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match Pin::new(&mut sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed(duration))),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}
