//! `JoinHandle`: the caller's side of a spawned task.

use super::{Executor, TaskId};
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
                Ok(output) => match output.downcast_ref::<T>() {
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
            result.map(|output| match output.downcast::<T>() {
                Ok(value) => *value,
                Err(_) => unreachable!("task output has the JoinHandle's type"),
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
