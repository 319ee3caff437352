//! The end of a task's life: finishing, cancelling, freeing its slot, and shutdown.
//!
//! `Executor::finish` stores a result, runs the `on_done` callbacks and wakes the waiter;
//! `Executor::release` frees the slot once nobody can read the result any more;
//! `Executor::shutdown` drops the tasks still alive when `block_on` returns.

use super::task::{BoxedTask, Stage, TaskEntry, TaskResult, drop_future, panic_message, run_callbacks};
use super::{Executor, JoinError, TaskId};
use crate::slab::Key;
use crate::trace::{self, Event, TaskOutcome, WakeCause};
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering;

/// Rounds of "drop the live tasks" at shutdown before tasks their destructors keep spawning
/// are leaked instead (see `Executor::leak_respawned`).
pub const SHUTDOWN_ROUNDS: usize = 64;

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
            Err(_) => TaskOutcome::Cancelled,
        };
        let (id, join_waker, has_callbacks) = {
            let mut tasks = self.tasks.borrow_mut();
            let Some(entry) = tasks.get_mut(key) else { return };
            entry.stage = Stage::Finished(result);
            // "Already queued" for good: a waker that outlives the task (kept by a channel, a
            // timer, a user) then wakes nothing, so the run queue and the trace never see it.
            entry.header.scheduled.store(true, Ordering::Release);
            (entry.id(), entry.join_waker.take(), entry.has_callbacks())
        };
        self.live_tasks.set(self.live_tasks.get() - 1);
        trace::emit(|| Event::TaskFinished { task: id, outcome });
        if has_callbacks {
            self.run_done_callbacks(key); // most tasks have none: skip the borrow and lookup
        }
        let detached = self.tasks.borrow().get(key).is_some_and(|e| !e.has_handle);
        if detached {
            self.release(key);
        }
        if let Some(waker) = join_waker {
            trace::with_cause(WakeCause::Task { by: id }, || waker.wake());
        }
    }

    /// Runs the done-callbacks of a finished task until none is left: a callback may register
    /// another (on this task too), which then runs in the next round. The result is lent out
    /// (`Stage::Lent`) while they run, so they may spawn, join or drop handles freely.
    pub(super) fn run_done_callbacks(&self, key: Key) {
        loop {
            let (id, callbacks, result) = {
                let mut tasks = self.tasks.borrow_mut();
                let Some(entry) = tasks.get_mut(key) else { return };
                if !matches!(entry.stage, Stage::Finished(_)) {
                    return; // not finished, taken, or lent to callbacks running further up
                }
                let callbacks = entry.take_callbacks();
                if callbacks.is_empty() {
                    return;
                }
                let Stage::Finished(result) = std::mem::replace(&mut entry.stage, Stage::Lent) else {
                    unreachable!("checked above")
                };
                (entry.id(), callbacks, result)
            };
            run_callbacks(callbacks, &result);
            if let Some(unread) = self.give_back_result(key, result) {
                drop_reported(id, unread);
            }
            // Someone polled the handle while the result was lent: it may take it now.
            let waker = self
                .tasks
                .borrow_mut()
                .get_mut(key)
                .and_then(|e| e.join_waker.take());
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    /// Puts a lent result back; hands it back to the caller if the task's slot is gone (its
    /// handle was dropped while the callbacks ran), so it can be dropped safely.
    fn give_back_result(&self, key: Key, result: TaskResult) -> Option<TaskResult> {
        let mut tasks = self.tasks.borrow_mut();
        match tasks.get_mut(key) {
            Some(entry) if matches!(entry.stage, Stage::Lent) => {
                entry.stage = Stage::Finished(result);
                None
            }
            _ => Some(result),
        }
    }

    pub(super) fn take_result(&self, key: Key) -> Option<TaskResult> {
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
            let id = entry.id();
            let TaskEntry { header, stage, .. } = entry;
            // An unread output may run any code when dropped, even panic: no borrow held, and
            // a panic is contained and reported.
            drop_reported(id, stage);
            self.spare_headers.give_back(header);
        }
    }

    /// Drops every task still alive (used when `block_on` returns). Finished tasks keep their
    /// output until their `JoinHandle` takes or drops it, so a handle awaited in a later
    /// `block_on` on the same runtime still gets it. Tasks dropped here may spawn or wake
    /// others from their destructors; those are dropped in the next round, for at most
    /// [`SHUTDOWN_ROUNDS`] rounds (see `leak_respawned`).
    pub(crate) fn shutdown(&self) {
        for round in 0..=SHUTDOWN_ROUNDS {
            let live = self.live_keys();
            if live.is_empty() {
                break;
            }
            if round == SHUTDOWN_ROUNDS {
                self.leak_respawned(live);
                break;
            }
            for key in live {
                self.drop_live_task(key);
            }
        }
        self.run_queue.borrow_mut().clear();
        self.main_ready.set(false);
        self.main_header.scheduled.store(false, Ordering::Relaxed);
        self.yielded.clear();
        let injected = self.take_injected();
        drop(injected);
    }

    fn live_keys(&self) -> Vec<Key> {
        self.tasks
            .borrow()
            .iter()
            .filter(|(_, e)| matches!(e.stage, Stage::Runnable(_) | Stage::Polling))
            .map(|(key, _)| key)
            .collect()
    }

    /// At shutdown, after [`SHUTDOWN_ROUNDS`] rounds in which every task dropped spawned new
    /// ones (a destructor that respawns its task, say): dropping these would go on forever,
    /// and dropping them anywhere else would run that destructor outside a runtime, where its
    /// `spawn` panics inside a panic's unwinding (an abort). So they are removed, reported
    /// cancelled, and leaked (neither run nor dropped), and stderr says so.
    fn leak_respawned(&self, live: Vec<Key>) {
        let count = live.len();
        for key in live {
            let Some(entry) = self.tasks.borrow_mut().remove(key) else {
                continue;
            };
            self.live_tasks.set(self.live_tasks.get().saturating_sub(1));
            trace::emit(|| Event::TaskFinished {
                task: entry.id(),
                outcome: TaskOutcome::Cancelled,
            });
            std::mem::forget(entry);
        }
        eprintln!(
            "corolab: at shutdown, tasks kept spawning new tasks from their destructors for \
             {SHUTDOWN_ROUNDS} rounds; the {count} spawned last are leaked, never run nor dropped"
        );
    }

    /// At shutdown: removes one live task, reports it cancelled and drops it (a panic in its
    /// destructors is contained).
    fn drop_live_task(&self, key: Key) {
        let Some(mut entry) = self.tasks.borrow_mut().remove(key) else {
            return;
        };
        self.live_tasks.set(self.live_tasks.get().saturating_sub(1));
        trace::emit(|| Event::TaskFinished {
            task: entry.id(),
            outcome: TaskOutcome::Cancelled,
        });
        run_callbacks(entry.take_callbacks(), &Err(JoinError::Cancelled));
        let _ = catch_unwind(AssertUnwindSafe(move || drop(entry)));
    }

    /// Drops every entry left (finished outputs nobody took), when the executor goes away.
    pub(super) fn drop_all_entries(&self) {
        let entries = self.tasks.borrow_mut().drain();
        for entry in entries {
            drop_reported(entry.id(), entry);
        }
    }
}

/// Drops what a task left behind (an unread output, or a lent result whose slot is gone),
/// containing a panic from its `Drop` and reporting it on stderr like a panicking `on_done`.
fn drop_reported<T>(id: TaskId, leftover: T) {
    if let Err(p) = catch_unwind(AssertUnwindSafe(move || drop(leftover))) {
        eprintln!(
            "corolab: the output of task {id} panicked while being dropped: {}",
            panic_message(&*p)
        );
    }
}
