//! What the executor stores per task: the entry in the task slab and its stage.
//!
//! A task's future is boxed (one allocation per task) and type-erased: its output is boxed as
//! `dyn Any` when it finishes (free for `()`), and `JoinHandle<T>` downcasts it back to `T`.

use super::{JoinError, TaskHeader, TaskId};
use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::Waker;

/// Boxes a task's future with a wrapper whose output is the task's result as `dyn Any`.
///
/// Where does the result live? For a zero-sized output (`()`, the common case) it is boxed when
/// the task finishes, which allocates nothing. For any other output a slot is allocated *now*,
/// at spawn, and filled when the task finishes: finishing a task never calls malloc. That
/// matters more than it looks: with 100,000 timers, a small allocation at completion time
/// could make glibc consolidate the free lists of every task freed so far, a stall of several
/// milliseconds (the timers benchmark's p99 went from 1.2 ms to 5-20 ms).
pub(super) fn box_task<F>(future: F) -> BoxedTask
where
    F: Future + 'static,
    F::Output: 'static,
{
    if std::mem::size_of::<F::Output>() == 0 {
        Box::pin(async move { Box::new(future.await) as Box<dyn Any> })
    } else {
        let mut slot: Box<Option<F::Output>> = Box::new(None);
        Box::pin(async move {
            *slot = Some(future.await);
            slot as Box<dyn Any>
        })
    }
}

/// Takes the typed result out of what `box_task`'s wrapper returned.
pub(super) fn unbox_output<T: 'static>(output: Box<dyn Any>) -> Option<T> {
    if std::mem::size_of::<T>() == 0 {
        output.downcast::<T>().ok().map(|b| *b)
    } else {
        output.downcast::<Option<T>>().ok().and_then(|b| *b)
    }
}

/// Borrows the typed result (for `on_done` callbacks).
pub(super) fn output_ref<T: 'static>(output: &dyn Any) -> Option<&T> {
    if std::mem::size_of::<T>() == 0 {
        output.downcast_ref::<T>()
    } else {
        output.downcast_ref::<Option<T>>().and_then(Option::as_ref)
    }
}

pub(super) type BoxedTask = Pin<Box<dyn Future<Output = Box<dyn Any>>>>;
/// What a finished task leaves: its output (as `dyn Any`) or why it has none.
pub(super) type TaskResult = Result<Box<dyn Any>, JoinError>;
pub(super) type DoneCallback = Box<dyn FnOnce(&TaskResult)>;

/// Where a task is in its life.
pub(super) enum Stage {
    /// Waiting in the queue or for a wake.
    Runnable(BoxedTask),
    /// Being polled right now (its future is on the poller's stack).
    Polling,
    /// Done; the result waits for the `JoinHandle`.
    Finished(TaskResult),
    /// Done; the result is lent to the `on_done` callbacks running right now.
    Lent,
    /// Done and the result was taken.
    Taken,
}

/// A task as the executor stores it: 64 bytes, so a slab of a million tasks stays compact.
/// The id lives in the header; rarely used parts (a name, done-callbacks) live in `extras`.
pub(super) struct TaskEntry {
    pub(super) header: Arc<TaskHeader>,
    pub(super) stage: Stage,
    pub(super) join_waker: Option<Waker>,
    pub(super) extras: Option<Box<TaskExtras>>,
    pub(super) has_handle: bool,
    pub(super) abort_requested: bool,
}

/// The parts of a task most tasks never use.
#[derive(Default)]
pub(super) struct TaskExtras {
    pub(super) name: Option<Box<str>>,
    pub(super) on_done: Vec<DoneCallback>,
}

impl TaskEntry {
    pub(super) fn id(&self) -> TaskId {
        self.header.id.load(Ordering::Relaxed)
    }

    pub(super) fn name(&self) -> Option<&str> {
        self.extras.as_ref().and_then(|x| x.name.as_deref())
    }

    /// Has the task finished (whether or not its result is still there)?
    pub(super) fn is_finished(&self) -> bool {
        matches!(self.stage, Stage::Finished(_) | Stage::Lent | Stage::Taken)
    }

    /// Whether any `on_done` callback waits (a cheap check, so most finishes skip the loop).
    #[inline]
    pub(super) fn has_callbacks(&self) -> bool {
        self.extras.as_ref().is_some_and(|x| !x.on_done.is_empty())
    }

    pub(super) fn take_callbacks(&mut self) -> Vec<DoneCallback> {
        self.extras
            .as_mut()
            .map(|x| std::mem::take(&mut x.on_done))
            .unwrap_or_default()
    }
}

/// Drops a task's future; a panic inside its destructors becomes `JoinError::Panic`.
pub(super) fn drop_future(id: TaskId, future: BoxedTask) -> Result<(), JoinError> {
    catch_unwind(AssertUnwindSafe(move || drop(future))).map_err(|p| {
        JoinError::Panic(format!(
            "task {id} panicked while being dropped: {}",
            panic_message(&*p)
        ))
    })
}

/// Runs done-callbacks; one that panics is reported on stderr and does not stop the others
/// (nor the run loop, which is what would be unwinding).
pub(super) fn run_callbacks(callbacks: Vec<DoneCallback>, result: &TaskResult) {
    for callback in callbacks {
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| callback(result))) {
            eprintln!(
                "corolab: a JoinHandle::on_done callback panicked: {}",
                panic_message(&*p)
            );
        }
    }
}

pub(super) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "task panicked with a non-string payload".to_string()
    }
}
