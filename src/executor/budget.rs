//! The cooperative budget: a task whose awaits are always ready still gives others a turn.
//!
//! A future returns `Pending` only when it must wait. A task looping over a channel it fills
//! itself, or reading a socket that always has data, never has to wait, so without help it
//! would keep the thread until it is done: timers fire late, other tasks and sockets starve.
//! So each poll of a task (and of the `block_on` future) gets a budget of [`BUDGET`] units.
//! The leaf futures (channel send and receive, oneshot, semaphore, TCP read, write and accept)
//! ask [`poll_proceed`] before they do their work and [`spend`] one unit each time they return
//! `Ready`. Once the budget is spent, `poll_proceed` wakes the task (trace cause
//! `WakeCause::Budget`) and answers `Pending`: the task goes to the back of the run queue and
//! the loop gives timers, sockets and the other tasks their turn. The next poll refills it.
//! This is tokio's design (its budget is also 128); the code here is our own.
//!
//! The budget is a `Cell<u64>` in a thread-local: no allocation, a swap and a write per poll,
//! one read and one write per leaf `Ready`. Outside a task's poll (a future polled by hand, a
//! test's counting waker) it holds `UNLIMITED`, more units than any program can spend, so the
//! leaves never ask "is there a budget at all?"; [`unconstrained`] sets it so for code that
//! polls futures with no task to yield to (a synchronous generator's body). An
//! `Option<u8>` ("no budget" or units left) reads more plainly but costs a branch in every
//! leaf: ping_pong executed 7% more instructions with it (docs/benchmarks.md).

use std::cell::Cell;
use std::task::{Context, Poll};

/// Units of work a task may do in one poll before it is made to yield.
pub const BUDGET: u8 = 128;

/// What [`LEFT`] holds outside a task's poll: more units than any program can spend (at one
/// a nanosecond, 584 years), so the leaves need no separate "unlimited" case.
const UNLIMITED: u64 = u64::MAX;

thread_local! {
    /// Units left: at most [`BUDGET`] while a task is being polled, [`UNLIMITED`] outside.
    static LEFT: Cell<u64> = const { Cell::new(UNLIMITED) };
}

/// Runs one poll (`f`) with a fresh budget, then puts back what was there before: unlimited
/// after a task's poll from the run loop, or the budget left to the poll this one is nested
/// in (a `Runtime::tick` called from inside the `block_on` future).
#[inline(always)] // out of line, the call around every poll cost more than the budget itself
pub(crate) fn with_budget<R>(f: impl FnOnce() -> R) -> R {
    let before = LEFT.with(|left| left.replace(BUDGET as u64));
    let _restore = Restore(before); // also when `f` unwinds (a panicking main future)
    f()
}

/// Runs `f` with no budget (tokio's `unconstrained`), then puts back the budget that was
/// left. For code that polls futures with no task to yield to, such as a synchronous
/// generator's body: a `Pending` forced by the surrounding task's budget would be mistaken
/// there for a real wait.
///
/// # Examples
///
/// ```
/// use corolab::executor::budget::{self, BUDGET};
///
/// corolab::block_on(async {
///     assert_eq!(budget::unconstrained(budget::remaining), None); // no limit inside
///     assert_eq!(budget::remaining(), Some(BUDGET), "the poll's budget is back");
/// });
/// ```
pub fn unconstrained<R>(f: impl FnOnce() -> R) -> R {
    let before = LEFT.with(|left| left.replace(UNLIMITED));
    let _restore = Restore(before);
    f()
}

/// Puts a saved budget back, also when the code run without one unwinds.
struct Restore(u64);

impl Drop for Restore {
    fn drop(&mut self) {
        LEFT.with(|left| left.set(self.0));
    }
}

/// Asked by a leaf future before it does any work: `Ready` if the task may go on, `Pending`
/// (after waking the task, so it is polled again soon) if its budget for this poll is spent.
///
/// # Examples
///
/// ```
/// use corolab::executor::budget::{self, BUDGET};
/// use std::task::{Context, Poll, Waker};
///
/// corolab::block_on(async {
///     let mut cx = Context::from_waker(Waker::noop());
///     assert_eq!(budget::poll_proceed(&mut cx), Poll::Ready(()));
///     (0..BUDGET).for_each(|_| budget::spend()); // 128 ready answers in this poll
///     assert_eq!(budget::poll_proceed(&mut cx), Poll::Pending, "time to yield");
/// });
/// ```
#[inline] // called from generic channel code compiled in the user's crate
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    // LAB(coop-budget) begin: read LEFT; 0 means spent: wake cx's waker with cause WakeCause::Budget and return Pending; otherwise Ready
    /// The rare path, out of line: inlined, it made every channel poll save more registers.
    #[cold]
    #[inline(never)]
    fn yield_spent(cx: &Context<'_>) -> Poll<()> {
        crate::trace::with_cause(crate::trace::WakeCause::Budget, || cx.waker().wake_by_ref());
        Poll::Pending
    }
    if LEFT.with(Cell::get) == 0 {
        return yield_spent(cx);
    }
    Poll::Ready(())
    // LAB(coop-budget) end
}

/// Called by a leaf future each time it returns `Ready`: one unit of the budget is used.
///
/// # Examples
///
/// ```
/// use corolab::executor::budget::{self, BUDGET};
///
/// corolab::block_on(async {
///     budget::spend();
///     budget::spend();
///     assert_eq!(budget::remaining(), Some(BUDGET - 2));
/// });
/// ```
#[inline] // called from generic channel code compiled in the user's crate
pub fn spend() {
    LEFT.with(|left| left.set(left.get().saturating_sub(1)));
}

/// Units left in the current poll (`None`: unlimited, not inside a task's poll).
///
/// # Examples
///
/// ```
/// use corolab::executor::budget::{self, BUDGET};
///
/// assert_eq!(budget::remaining(), None); // no task is being polled
/// corolab::block_on(async {
///     assert_eq!(budget::remaining(), Some(BUDGET)); // a fresh budget for each poll
/// });
/// ```
#[inline]
pub fn remaining() -> Option<u8> {
    u8::try_from(LEFT.with(Cell::get))
        .ok()
        .filter(|&left| left <= BUDGET)
}
