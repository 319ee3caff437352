//! The free functions a task calls: `spawn`, `spawn_named`, `yield_now`.
//!
//! They find the executor through the thread-local set by `block_on` (see `Executor::enter`).

use super::{Executor, JoinHandle};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

pub(super) fn current_or_panic(what: &str) -> Rc<Executor> {
    Executor::current().unwrap_or_else(|| {
        panic!("corolab::{what} called outside a runtime: call it from inside Runtime::block_on (or corolab::block_on)")
    })
}

/// Starts `future` as a new task on the current runtime and returns a handle to its result.
/// The future need not be `Send`. Panics (with a clear message) outside `block_on`.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// corolab::block_on(async {
///     let shared = Rc::new(5); // not `Send`: fine, every task stays on this thread
///     let s2 = shared.clone();
///     let handle = corolab::spawn(async move { *s2 * 2 });
///     assert_eq!(handle.await, Ok(10));
/// });
/// ```
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    current_or_panic("spawn").spawn_task(None, future)
}

/// Like [`spawn`], with a name that appears in the trace and in `Debug` output.
///
/// # Examples
///
/// ```
/// corolab::block_on(async {
///     let handle = corolab::spawn_named("adder", async { 40 + 2 }); // the trace says "task 1 (adder)"
///     assert_eq!(handle.await, Ok(42));
/// });
/// ```
pub fn spawn_named<F>(name: impl Into<String>, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    current_or_panic("spawn_named").spawn_task(Some(name.into()), future)
}

/// Gives other tasks, timers and sockets a turn: the task is parked until the reactor has
/// checked for I/O once, then queued again (asyncio's `await asyncio.sleep(0)`).
///
/// # Examples
///
/// ```
/// use std::{cell::Cell, rc::Rc};
///
/// corolab::block_on(async {
///     let ran = Rc::new(Cell::new(false));
///     let r2 = ran.clone();
///     let task = corolab::spawn(async move { r2.set(true) });
///     corolab::yield_now().await; // the queued task (and the reactor) run before we resume
///     assert!(ran.get());
///     task.await.unwrap();
/// });
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// Future returned by [`yield_now`].
///
/// # Examples
///
/// ```
/// use std::{future::Future, pin::Pin, task::{Context, Poll, Waker}};
/// let mut turn = corolab::yield_now(); // a `YieldNow`: nothing happens until polled
/// let mut cx = Context::from_waker(Waker::noop());
/// assert_eq!(Pin::new(&mut turn).poll(&mut cx), Poll::Pending); // gives the turn away once
/// assert_eq!(Pin::new(&mut turn).poll(&mut cx), Poll::Ready(()));
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        if Executor::with_current(|executor| executor.defer_until_after_io(cx.waker())).is_none() {
            cx.waker().wake_by_ref(); // polled outside a runtime: just ask to be polled again
        }
        crate::trace::park(|| crate::trace::Wait::Yield);
        Poll::Pending
    }
}
