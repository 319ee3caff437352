//! The thread-local context: which executor runs on this thread, and which task it is polling.
//!
//! `block_on` sets it (`Executor::enter`); `spawn`, `yield_now` and the fast path of a wake
//! find the executor through it without being passed one.

use super::waker::TaskHeader;
use super::{Executor, TaskId};
use crate::trace;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

thread_local! {
    static CURRENT: RefCell<Option<Rc<Executor>>> = const { RefCell::new(None) };
}

impl Executor {
    /// Makes `executor` this thread's current executor until the returned guard is dropped.
    pub(crate) fn enter(executor: Rc<Executor>) -> EnterGuard {
        let previous = CURRENT.with(|c| c.borrow_mut().replace(executor));
        EnterGuard { previous }
    }

    /// This thread's current executor, if inside `block_on`.
    pub(crate) fn current() -> Option<Rc<Executor>> {
        CURRENT.with(|c| c.try_borrow().ok().and_then(|c| c.clone()))
    }

    /// Runs `f` with this thread's current executor, without cloning the `Rc`.
    pub(crate) fn with_current<R>(f: impl FnOnce(&Executor) -> R) -> Option<R> {
        CURRENT
            .try_with(|c| c.try_borrow().ok().and_then(|c| c.as_deref().map(f)))
            .ok()
            .flatten()
    }

    /// The fast path of a wake: if `header`'s executor runs on this thread, queue it here.
    #[inline] // every wake; see `Reactor::next_timer_deadline` for why it says so
    pub(super) fn schedule_if_current(header: &Arc<TaskHeader>) -> bool {
        CURRENT
            .try_with(|c| {
                let Ok(c) = c.try_borrow() else { return false };
                match c.as_ref() {
                    Some(ex) if Arc::ptr_eq(&ex.shared, &header.shared) => {
                        ex.push_ready(header.clone(), trace::current_cause);
                        true
                    }
                    _ => false,
                }
            })
            .unwrap_or(false)
    }
}

/// Restores the previous current executor when dropped.
pub struct EnterGuard {
    previous: Option<Rc<Executor>>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// The task being polled, as the trace knows it (`trace::polling` sets it; 0 when tracing is
/// off or for the main future), so a spawn's wake can say "by task id".
pub(super) fn current_poller() -> TaskId {
    trace::current_task()
}
