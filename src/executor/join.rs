//! `JoinHandle`: the caller's side of a spawned task.

use super::task::{output_ref, unbox_output};
use super::{DoneCallback, Executor, Stage, TaskEntry, TaskId, run_callbacks};
use crate::slab::Key;
use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Weak;
use std::task::{Context, Poll};

/// Why a task produced no value.
///
/// # Examples
///
/// ```
/// use corolab::{JoinError, spawn};
///
/// corolab::block_on(async {
///     let handle = spawn(async { panic!("boom") });
///     assert!(matches!(handle.await, Err(JoinError::Panic(msg)) if msg.contains("boom")));
///     assert_eq!(spawn(async { 1 }).await, Ok(1)); // the runtime goes on
/// });
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JoinError {
    /// The task panicked; the panic message is kept. The runtime and other tasks go on.
    Panic(String),
    /// The task was aborted, or dropped because its runtime shut down first.
    Cancelled,
    /// Only given to an `on_done` callback registered after `.await` on the handle already
    /// took the result: the task did finish, and the awaiting code got what it returned.
    OutputTaken,
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Panic(msg) => write!(f, "task panicked: {msg}"),
            JoinError::Cancelled => write!(f, "task was cancelled"),
            JoinError::OutputTaken => write!(f, "task finished; its result was already taken by .await"),
        }
    }
}

impl std::error::Error for JoinError {}

/// A handle to a spawned task. Awaiting it gives the task's result; dropping it *detaches*
/// the task (it keeps running, its result is thrown away).
///
/// # Examples
///
/// ```
/// # use std::{cell::Cell, rc::Rc};
/// corolab::block_on(async {
///     let ran = Rc::new(Cell::new(false));
///     let r2 = ran.clone();
///     drop(corolab::spawn(async move { r2.set(true) })); // detached, not cancelled
///     corolab::yield_now().await;
///     assert!(ran.get()); // it ran all the same
///     let handle = corolab::spawn(async { 1 + 2 });
///     assert_eq!(handle.await, Ok(3)); // awaiting gives the task's result
/// });
/// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// corolab::block_on(async {
    ///     let a = corolab::spawn(async {});
    ///     let b = corolab::spawn(async {});
    ///     assert_eq!((a.id(), b.id()), (1, 2)); // numbered from 1 in each runtime, as in the trace
    ///     assert_eq!(format!("{a:?}"), "JoinHandle { task: 1 }");
    /// });
    /// ```
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// Asks the task to stop: it is dropped before its next poll (or right after the current
    /// one, if it aborts itself) and its handle resolves to `Err(JoinError::Cancelled)`.
    /// A task that already finished keeps its result.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::{JoinError, spawn, time::sleep};
    /// use std::time::Duration;
    ///
    /// corolab::block_on(async {
    ///     let handle = spawn(sleep(Duration::from_secs(60)));
    ///     handle.abort(); // dropped at its next turn, timer and all
    ///     assert_eq!(handle.await, Err(JoinError::Cancelled));
    /// });
    /// ```
    pub fn abort(&self) {
        if let Some(executor) = self.executor.upgrade() {
            executor.abort(self.key);
        }
    }

    /// Has the task finished (returned, panicked or been cancelled)?
    ///
    /// # Examples
    ///
    /// ```
    /// corolab::block_on(async {
    ///     let handle = corolab::spawn(async {});
    ///     assert!(!handle.is_finished()); // spawned, not yet run
    ///     corolab::yield_now().await; // the task runs meanwhile
    ///     assert!(handle.is_finished()); // awaiting it now would not wait
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.executor
            .upgrade()
            .is_none_or(|executor| executor.is_finished(self.key))
    }

    /// Runs `callback` when the task finishes (right away if it already has), like asyncio's
    /// `add_done_callback`. The callback runs on the runtime thread, inside the executor, just
    /// after the task's last poll; the handle can still be awaited afterwards. A callback may
    /// register another one, on this task too: it runs right after. Registered after
    /// `(&mut handle).await` took the result, it still runs at once, and receives
    /// `Err(&JoinError::OutputTaken)`: the value has moved to the awaiting code.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    ///
    /// corolab::block_on(async {
    ///     let seen = Rc::new(Cell::new(0));
    ///     let s2 = seen.clone();
    ///     let handle = corolab::spawn(async { 5 });
    ///     handle.on_done(move |result| s2.set(*result.unwrap())); // asyncio's add_done_callback
    ///     assert_eq!(handle.await, Ok(5));
    ///     assert_eq!(seen.get(), 5);
    /// });
    /// ```
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
                Stage::Runnable(_) | Stage::Polling | Stage::Lent => {
                    match &mut entry.join_waker {
                        Some(w) if w.will_wake(cx.waker()) => {}
                        slot => *slot = Some(cx.waker().clone()),
                    }
                    crate::trace::park(|| crate::trace::Wait::Join { task: entry.id() });
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
            entry.is_finished()
        };
        if finished {
            self.release(key);
        }
    }

    pub(crate) fn abort(&self, key: Key) {
        let header = {
            let mut tasks = self.tasks.borrow_mut();
            let Some(entry) = tasks.get_mut(key) else { return };
            if entry.is_finished() {
                return;
            }
            entry.abort_requested = true;
            entry.header.clone()
        };
        futures_task::ArcWake::wake_by_ref(&header);
    }

    pub(crate) fn is_finished(&self, key: Key) -> bool {
        self.tasks.borrow().get(key).is_none_or(TaskEntry::is_finished)
    }

    /// Queues `callback` on the task; a finished task runs it now. After `.await` took the
    /// result, or once the task is gone, it runs at once with what can still be said.
    pub(crate) fn add_done_callback(&self, key: Key, callback: DoneCallback) {
        let verdict = {
            let mut tasks = self.tasks.borrow_mut();
            match tasks.get_mut(key) {
                None => Err((callback, JoinError::Cancelled)),
                Some(entry) if matches!(entry.stage, Stage::Taken) => Err((callback, JoinError::OutputTaken)),
                Some(entry) => {
                    let extras = entry.extras.get_or_insert_with(Default::default);
                    extras.on_done.push(callback);
                    Ok(matches!(entry.stage, Stage::Finished(_)))
                }
            }
        };
        match verdict {
            Ok(true) => self.run_done_callbacks(key), // finished: run it now
            Ok(false) => {} // runs when the task finishes (or after the callbacks running now)
            Err((callback, e)) => run_callbacks(vec![callback], &Err(e)),
        }
    }
}
