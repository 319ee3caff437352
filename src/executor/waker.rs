//! Task headers: the small, thread-safe part of a task that a `Waker` points at.
//!
//! A spawned future need not be `Send`, so it can never sit behind an `Arc` that other threads
//! touch. The waker therefore points at a separate [`TaskHeader`] that holds only atomics: the
//! task's slab key, its id, and a `scheduled` flag. Waking pushes the header onto the run queue
//! (same thread) or onto the injector queue and pokes the reactor (another thread).

use super::Executor;
use crate::trace::{self, Event, WakeCause};
use futures_task::ArcWake;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// How the executor asks the thread blocked in the reactor to wake up. The runtime implements
/// it with mio's `Waker` (an eventfd registered with epoll); the executor knows nothing more.
pub trait Unpark: Send + Sync {
    /// Makes a blocked `wait_for_io` return soon.
    fn unpark(&self);
}

/// The part of an executor other threads may touch.
pub(crate) struct Shared {
    /// Tasks woken from other threads, waiting to be moved onto the run queue. `None` once the
    /// executor is gone: a late wake then drops its header instead of queueing it in a queue
    /// nobody drains (the header points back at this queue, so that would leak both).
    pub(crate) injector: Mutex<Option<Vec<Arc<TaskHeader>>>>,
    /// Set when the injector has news; cleared by the executor.
    pub(crate) notified: AtomicBool,
    pub(crate) unpark: Arc<dyn Unpark>,
}

impl Shared {
    /// Called on a foreign thread: queue the news, and poke the reactor unless someone already
    /// did since the executor last looked. The poke is an eventfd write, so a runtime that is
    /// just about to block in `epoll_wait` returns at once: no wakeup is lost.
    pub(crate) fn notify_from_other_thread(&self) {
        if !self.notified.swap(true, Ordering::AcqRel) {
            self.unpark.unpark();
        }
    }
}

/// Key stored in the header of the `block_on` future, which has no slab entry: when the run
/// queue reaches it, the executor hands control back to `block_on` to poll its future.
pub(crate) const MAIN_KEY: u64 = u64::MAX;

/// What a task's `Waker` points at.
pub(crate) struct TaskHeader {
    pub(crate) shared: Arc<Shared>,
    /// Packed slab key of the task currently using this header.
    pub(crate) key: AtomicU64,
    /// Task id (for the trace).
    pub(crate) id: AtomicU64,
    /// True while the task sits in a queue: a task woken N times before it runs is polled once.
    pub(crate) scheduled: AtomicBool,
}

impl ArcWake for TaskHeader {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        if arc_self.scheduled.swap(true, Ordering::AcqRel) {
            return; // already queued: one poll will see this wake too
        }
        if !Executor::schedule_if_current(arc_self) {
            let mut injector = arc_self.shared.injector.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(queue) = injector.as_mut() {
                queue.push(arc_self.clone());
                drop(injector);
                arc_self.shared.notify_from_other_thread();
            }
        }
    }
}

pub(crate) fn trace_woken(id: u64, cause: WakeCause) {
    trace::emit(|| Event::TaskWoken { task: id, cause });
    if cause == WakeCause::Budget && id == trace::current_task() {
        // `budget::poll_proceed` made the task being polled yield: that is why it is Pending.
        trace::park(|| trace::Wait::Budget);
    }
}
