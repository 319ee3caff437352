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
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    current_or_panic("spawn").spawn_task(None, future)
}

/// Like [`spawn`], with a name that appears in the trace and in `Debug` output.
pub fn spawn_named<F>(name: impl Into<String>, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    current_or_panic("spawn_named").spawn_task(Some(name.into()), future)
}

/// Gives other tasks, timers and sockets a turn: the task is parked until the reactor has
/// checked for I/O once, then queued again (asyncio's `await asyncio.sleep(0)`).
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// Future returned by [`yield_now`].
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
