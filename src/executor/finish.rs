//! The end of a task's life: finishing, cancelling, freeing its slot, and shutdown.
//!
//! `Executor::finish` stores a result, runs the `on_done` callbacks and wakes the waiter;
//! `Executor::release` frees the slot once nobody can read the result any more;
//! `Executor::shutdown` drops the tasks still alive when `block_on` returns.

use super::task::{BoxedTask, Stage, TaskEntry, drop_future, run_callbacks};
use super::{Executor, JoinError, TaskId};
use crate::slab::Key;
use crate::trace::{self, Event, TaskOutcome, WakeCause};
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering;

impl Executor {
    /// Drops an aborted task's future and reports `Cancelled` (or the panic its drop raised).
    pub(super) fn cancel(&self, key: Key, id: TaskId, future: BoxedTask) {
        let result = drop_future(id, future).and(Err(JoinError::Cancelled));
        self.finish(key, result);
    }

    /// Stores a finished task's result, runs its done-callbacks and wakes its `JoinHandle`.
    pub(super) fn finish(&self, key: Key, result: Result<Box<dyn Any>, JoinError>) {
        let outcome = match &result {
            Ok(_) => TaskOutcome::Completed,
            Err(JoinError::Panic(_)) => TaskOutcome::Panicked,
            Err(JoinError::Cancelled) => TaskOutcome::Cancelled,
        };
        let (id, callbacks, join_waker) = {
            let mut tasks = self.tasks.borrow_mut();
            let Some(entry) = tasks.get_mut(key) else { return };
            entry.stage = Stage::Finished(result);
            (entry.id(), entry.take_callbacks(), entry.join_waker.take())
        };
        self.live_tasks.set(self.live_tasks.get() - 1);
        trace::emit(|| Event::TaskFinished { task: id, outcome });
        if !callbacks.is_empty() {
            // Take the result out while the callbacks run, so they may spawn or join freely.
            let result = self.take_result(key);
            if let Some(result) = result {
                run_callbacks(callbacks, &result);
                if let Some(entry) = self.tasks.borrow_mut().get_mut(key) {
                    entry.stage = Stage::Finished(result);
                }
            }
        }
        let detached = self.tasks.borrow().get(key).is_some_and(|e| !e.has_handle);
        if detached {
            self.release(key);
        }
        if let Some(waker) = join_waker {
            trace::with_cause(WakeCause::Task { by: id }, || waker.wake());
        }
    }

    pub(super) fn take_result(&self, key: Key) -> Option<Result<Box<dyn Any>, JoinError>> {
        let mut tasks = self.tasks.borrow_mut();
        let entry = tasks.get_mut(key)?;
        match std::mem::replace(&mut entry.stage, Stage::Taken) {
            Stage::Finished(result) => Some(result),
            other => {
                entry.stage = other;
                None
            }
        }
    }

    /// Frees a task's slot; its header is reused if no waker clone is left anywhere.
    pub(super) fn release(&self, key: Key) {
        let entry = self.tasks.borrow_mut().remove(key);
        if let Some(entry) = entry {
            let TaskEntry { header, stage, .. } = entry;
            drop(stage); // may run arbitrary drops (an unread output): no borrow held
            self.spare_headers.give_back(header);
        }
    }

    /// Drops every task (used when `block_on` returns). Tasks dropped here may spawn or wake
    /// others from their destructors; those are dropped in the next round.
    pub(crate) fn shutdown(&self) {
        loop {
            let entries = self.tasks.borrow_mut().drain();
            if entries.is_empty() {
                break;
            }
            for mut entry in entries {
                if matches!(entry.stage, Stage::Runnable(_) | Stage::Polling) {
                    self.live_tasks.set(self.live_tasks.get().saturating_sub(1));
                    trace::emit(|| Event::TaskFinished {
                        task: entry.id(),
                        outcome: TaskOutcome::Cancelled,
                    });
                    run_callbacks(entry.take_callbacks(), &Err(JoinError::Cancelled));
                }
                let _ = catch_unwind(AssertUnwindSafe(move || drop(entry)));
            }
        }
        self.run_queue.borrow_mut().clear();
        self.main_ready.set(false);
        self.main_header.scheduled.store(false, Ordering::Relaxed);
        self.yielded.clear();
        let injected = self.take_injected();
        drop(injected);
    }
}
