//! The executor's bookkeeping, kept apart so `Executor` reads as the concept: a pool of
//! recycled task headers, and the list of tasks that called `yield_now`.

use super::waker::{Shared, TaskHeader};
use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Waker;

/// At most this many finished tasks' headers are kept for reuse (so a burst of a million
/// tasks does not pin a million headers for the runtime's whole life).
const MAX_SPARE_HEADERS: usize = 1024;

/// Headers of finished tasks, reused by the next spawns (one allocation saved per spawn).
#[derive(Default)]
pub(super) struct HeaderPool {
    spare: RefCell<Vec<Arc<TaskHeader>>>,
}

impl HeaderPool {
    /// A recycled header, or a new one for `shared`'s executor.
    pub(super) fn take_or_new(&self, shared: &Arc<Shared>) -> Arc<TaskHeader> {
        self.spare.borrow_mut().pop().unwrap_or_else(|| {
            Arc::new(TaskHeader {
                shared: shared.clone(),
                key: Default::default(),
                id: Default::default(),
                scheduled: AtomicBool::new(false),
            })
        })
    }

    /// Keeps `header` for reuse if no waker clone is left anywhere and the pool has room.
    pub(super) fn give_back(&self, header: Arc<TaskHeader>) {
        if Arc::strong_count(&header) == 1 && self.spare.borrow().len() < MAX_SPARE_HEADERS {
            header.scheduled.store(false, Ordering::Relaxed);
            self.spare.borrow_mut().push(header);
        }
    }
}

/// Tasks that called `yield_now`: woken only after the reactor has had its turn.
#[derive(Default)]
pub(super) struct YieldList {
    waiting: RefCell<Vec<Waker>>,
    /// An empty Vec swapped with `waiting` at each wake-up, so no Vec is allocated per turn.
    spare: Cell<Vec<Waker>>,
}

impl YieldList {
    pub(super) fn push(&self, waker: &Waker) {
        self.waiting.borrow_mut().push(waker.clone());
    }

    pub(super) fn is_empty(&self) -> bool {
        self.waiting.borrow().is_empty()
    }

    /// Wakes every waiting task (no borrow is held while the wakers run).
    pub(super) fn wake_all(&self) {
        if self.is_empty() {
            return;
        }
        let mut batch = self.spare.take();
        std::mem::swap(&mut batch, &mut *self.waiting.borrow_mut());
        for waker in batch.drain(..) {
            waker.wake();
        }
        self.spare.set(batch);
    }

    /// Forgets every waiting task (at shutdown).
    pub(super) fn clear(&self) {
        let waiting = std::mem::take(&mut *self.waiting.borrow_mut());
        drop(waiting);
    }
}
