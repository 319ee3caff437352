//! `JoinHandle`: the caller's side of a spawned task.

use super::task::{output_ref, unbox_output};
use super::{DoneCallback, Executor, Stage, TaskId, run_callbacks};
use crate::slab::Key;
use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Weak;
use std::task::{Context, Poll};

/// Why a task produced no value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JoinError {
    /// The task panicked; the panic message is kept. The runtime and other tasks go on.
    Panic(String),
    /// The task was aborted, or dropped because its runtime shut down first.
    Cancelled,
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Panic(msg) => write!(f, "task panicked: {msg}"),
            JoinError::Cancelled => write!(f, "task was cancelled"),
        }
    }
}

impl std::error::Error for JoinError {}

/// A handle to a spawned task. Awaiting it gives the task's result; dropping it *detaches*
/// the task (it keeps running, its result is thrown away).
#[must_use = "dropping a JoinHandle detaches the task; await it to get its result"]
pub struct JoinHandle<T> {
    key: Key,
    id: TaskId,
    executor: Weak<Executor>,
    _output: PhantomData<T>,
}

impl<T: 'static> JoinHandle<T> {
    pub(crate) fn new(key: Key, id: TaskId, executor: Weak<Executor>) -> Self {
        JoinHandle {
            key,
            id,
            executor,
            _output: PhantomData,
        }
    }

    /// The task's id, as shown in the trace.
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// Asks the task to stop: it is dropped before its next poll (or right after the current
    /// one, if it aborts itself) and its handle resolves to `Err(JoinError::Cancelled)`.
    /// A task that already finished keeps its result.
    pub fn abort(&self) {
        if let Some(executor) = self.executor.upgrade() {
            executor.abort(self.key);
        }
    }

    /// Has the task finished (returned, panicked or been cancelled)?
    pub fn is_finished(&self) -> bool {
        self.executor
            .upgrade()
            .is_none_or(|executor| executor.is_finished(self.key))
    }

    /// Runs `callback` when the task finishes (right away if it already has), like asyncio's
    /// `add_done_callback`. The callback runs on the runtime thread, inside the executor, just
    /// after the task's last poll; the handle can still be awaited afterwards.
    pub fn on_done(&self, callback: impl FnOnce(Result<&T, &JoinError>) + 'static) {
        let Some(executor) = self.executor.upgrade() else {
            callback(Err(&JoinError::Cancelled));
            return;
        };
        executor.add_done_callback(
            self.key,
            Box::new(move |result: &Result<Box<dyn Any>, JoinError>| match result {
                Ok(output) => match output_ref::<T>(&**output) {
                    Some(value) => callback(Ok(value)),
                    None => unreachable!("task output has the JoinHandle's type"),
                },
                Err(e) => callback(Err(e)),
            }),
        );
    }
}

impl<T: 'static> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(executor) = self.executor.upgrade() else {
            return Poll::Ready(Err(JoinError::Cancelled));
        };
        executor.poll_join(self.key, cx).map(|result| {
            result.map(|output| match unbox_output::<T>(output) {
                Some(value) => value,
                None => unreachable!("task output has the JoinHandle's type"),
            })
        })
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if let Some(executor) = self.executor.upgrade() {
            executor.detach(self.key);
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").field("task", &self.id).finish()
    }
}

/// The executor's side of `JoinHandle`: reading results, detaching, aborting.
impl Executor {
    pub(crate) fn poll_join(&self, key: Key, cx: &mut Context<'_>) -> Poll<Result<Box<dyn Any>, JoinError>> {
        {
            let mut tasks = self.tasks.borrow_mut();
            let Some(entry) = tasks.get_mut(key) else {
                return Poll::Ready(Err(JoinError::Cancelled));
            };
            match entry.stage {
                Stage::Finished(_) => {}
                Stage::Taken => return Poll::Ready(Err(JoinError::Cancelled)),
                Stage::Runnable(_) | Stage::Polling => {
                    match &mut entry.join_waker {
                        Some(w) if w.will_wake(cx.waker()) => {}
                        slot => *slot = Some(cx.waker().clone()),
                    }
                    let task = entry.id();
                    crate::trace::park(|| crate::trace::Wait::Join { task });
                    return Poll::Pending;
                }
            }
        }
        let result = self.take_result(key).unwrap_or(Err(JoinError::Cancelled));
        Poll::Ready(result)
    }

    pub(crate) fn detach(&self, key: Key) {
        let finished = {
            let mut tasks = self.tasks.borrow_mut();
            let Some(entry) = tasks.get_mut(key) else { return };
            entry.has_handle = false;
            matches!(entry.stage, Stage::Finished(_) | Stage::Taken)
        };
        if finished {
            self.release(key);
        }
    }

    pub(crate) fn abort(&self, key: Key) {
        let header = {
            let mut tasks = self.tasks.borrow_mut();
            let Some(entry) = tasks.get_mut(key) else { return };
            if matches!(entry.stage, Stage::Finished(_) | Stage::Taken) {
                return;
            }
            entry.abort_requested = true;
            entry.header.clone()
        };
        futures_task::ArcWake::wake_by_ref(&header);
    }

    pub(crate) fn is_finished(&self, key: Key) -> bool {
        self.tasks
            .borrow()
            .get(key)
            .is_none_or(|e| matches!(e.stage, Stage::Finished(_) | Stage::Taken))
    }

    pub(crate) fn add_done_callback(&self, key: Key, callback: DoneCallback) {
        let mut callback = Some(callback);
        {
            let mut tasks = self.tasks.borrow_mut();
            if let Some(entry) = tasks.get_mut(key)
                && matches!(entry.stage, Stage::Runnable(_) | Stage::Polling)
            {
                let extras = entry.extras.get_or_insert_with(Default::default);
                extras.on_done.extend(callback.take());
            }
        }
        // Already finished: run it now, with the stored result.
        if let Some(callback) = callback
            && let Some(result) = self.take_result(key)
        {
            run_callbacks(vec![callback], &result);
            if let Some(entry) = self.tasks.borrow_mut().get_mut(key) {
                entry.stage = Stage::Finished(result);
            }
        }
    }
}
