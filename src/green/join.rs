//! Starting green threads and waiting for them: `spawn`, `run`, `JoinHandle`, `joinall`.
//!
//! **Concept.** A green thread is an executor task, so its handle wraps the task's
//! `JoinHandle`: async code `.await`s it, a green thread `.join()`s it (a green wait, so the
//! hub runs others meanwhile).
//!
//! **Where.** [`spawn`] wraps `f` in a `GreenTask` (in `hub.rs`); [`JoinHandle::join`] is
//! `wait_for` on the handle; [`run`] is `block_on` of the first green thread.
//!
//! **In the debugger.** These are generic: `info functions green::join::` lists the
//! instances of `join` and `spawn` to break on; `print self.task` holds the trace's task id.

use super::hub::{CannotWait, GreenTask, wait_for};
use crate::executor::{self, JoinError};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Handle to a green thread: `.join()` it from another green thread, or
/// `.await` it from async code (it is a `Future`).
///
/// # Examples
///
/// ```
/// use corolab::green;
/// use std::time::Duration;
///
/// green::run(|| {
///     assert!(green::in_green_thread());
///     let worker = green::spawn(|| 6 * 7);
///     assert_eq!(worker.join(), Ok(42));
///     let sleeper = green::spawn(|| green::sleep(Duration::from_secs(60)));
///     green::sleep(Duration::from_millis(1)); // let it start and park
///     assert!(!sleeper.is_finished());
///     let _id = sleeper.id();
///     sleeper.abort(); // its stack is unwound
///     assert!(sleeper.join().is_err());
/// })
/// .unwrap();
/// assert!(!green::in_green_thread());
/// ```
#[must_use = "dropping a JoinHandle detaches the green thread; join or await it to get its result"]
pub struct JoinHandle<T> {
    task: Pin<Box<executor::JoinHandle<T>>>,
}

impl<T: 'static> JoinHandle<T> {
    /// Waits for the green thread to finish, switching to the hub meanwhile.
    /// Call it from a green thread; from async code, `.await` the handle.
    ///
    /// # Errors
    /// The green thread's `JoinError`; and `JoinError::Cancelled` at once,
    /// without waiting, if the calling green thread cannot wait any more (it
    /// is itself being cancelled, or a panic is unwinding on this thread).
    ///
    /// # Panics
    /// When called outside a green thread (it could not wait without blocking
    /// the whole runtime).
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::green;
    ///
    /// let answer = green::run(|| {
    ///     let worker = green::spawn(|| 6 * 7);
    ///     worker.join() // parks this green thread until the worker is done
    /// })
    ///     .unwrap();
    /// assert_eq!(answer, Ok(42));
    /// ```
    pub fn join(self) -> Result<T, JoinError> {
        match wait_for(self) {
            Ok(result) => result,
            Err(CannotWait::Cancelled | CannotWait::Panicking) => Err(JoinError::Cancelled),
            Err(CannotWait::NotInGreenThread) => {
                panic!("green::JoinHandle::join called outside a green thread; use .await in async code")
            }
        }
    }

    /// Cancels the green thread: its stack is unwound (destructors run) and
    /// the handle resolves to `Err(JoinError::Cancelled)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::green;
    ///
    /// use corolab::JoinError;
    /// use std::time::Duration;
    ///
    /// let result = green::run(|| {
    ///     let sleeper = green::spawn(|| green::sleep(Duration::from_secs(60)));
    ///     sleeper.abort();
    ///     sleeper.join()
    /// })
    ///     .unwrap();
    /// assert_eq!(result, Err(JoinError::Cancelled)); // no 60 s wait
    /// ```
    pub fn abort(&self) {
        self.task.abort();
    }

    /// Has the green thread finished?
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::green;
    ///
    /// use std::time::Duration;
    ///
    /// green::run(|| {
    ///     let quick = green::spawn(|| ());
    ///     assert!(!quick.is_finished()); // spawned, not yet run
    ///     green::sleep(Duration::from_millis(1)); // give the hub a turn
    ///     assert!(quick.is_finished());
    /// })
    ///     .unwrap();
    /// ```
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// The task id of the green thread, as shown in the trace.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::green;
    ///
    /// green::run(|| {
    ///     let a = green::spawn(|| ());
    ///     let b = green::spawn(|| ());
    ///     assert_ne!(a.id(), b.id()); // `poll task N` in the trace
    /// })
    ///     .unwrap();
    /// ```
    pub fn id(&self) -> executor::TaskId {
        self.task.id()
    }
}

impl<T: 'static> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.task.as_mut().poll(cx)
    }
}

impl<T: 'static> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("green::JoinHandle")
            .field("task", &self.task.id())
            .finish()
    }
}

/// Starts `f` as a green thread on the current runtime (gevent's `spawn`).
/// It first runs when the executor polls its task; from then on, every green
/// wait inside it (socket, sleep, join) switches back to the hub.
///
/// # Panics
/// Outside `block_on` (like [`crate::spawn`]). If the kernel refuses to map
/// the green thread's stack (see `greenlet::DEFAULT_STACK_SIZE`), the green
/// thread itself panics and its handle yields `JoinError::Panic`.
///
/// # Examples
///
/// ```
/// use corolab::green;
/// use std::{cell::RefCell, rc::Rc};
///
/// let order = green::run(|| {
///     let log = Rc::new(RefCell::new(Vec::new()));
///     let child_log = Rc::clone(&log);
///     let child = green::spawn(move || child_log.borrow_mut().push("child"));
///     log.borrow_mut().push("parent"); // the child has not run yet
///     child.join().unwrap(); // this green thread waits: now the child runs
///     log.take()
/// })
/// .unwrap();
/// assert_eq!(order, ["parent", "child"]);
/// ```
pub fn spawn<T: 'static>(f: impl FnOnce() -> T + 'static) -> JoinHandle<T> {
    JoinHandle {
        task: Box::pin(executor::spawn_named("green", GreenTask::new(f))),
    }
}

/// Waits for all `handles` in order and returns their results (gevent's
/// `joinall`). The green threads run concurrently meanwhile, so the total
/// time is that of the slowest, not the sum. Call it from a green thread.
///
/// # Panics
/// When called outside a green thread (see [`JoinHandle::join`]).
///
/// # Examples
///
/// ```
/// use corolab::green;
/// use std::time::Duration;
///
/// let results = green::run(|| {
///     let naps = [30, 10, 20].map(|ms| green::spawn(move || {
///         green::sleep(Duration::from_millis(ms));
///         ms
///     }));
///     green::joinall(naps) // in handle order, whichever finished first
/// })
/// .unwrap();
/// assert_eq!(results, [Ok(30), Ok(10), Ok(20)]);
/// ```
pub fn joinall<T: 'static>(handles: impl IntoIterator<Item = JoinHandle<T>>) -> Vec<Result<T, JoinError>> {
    handles.into_iter().map(JoinHandle::join).collect()
}

/// Starts a runtime, runs `f` as its first green thread and returns its
/// result: the gevent-style entry point, inside which everything is
/// blocking-looking code.
///
/// # Examples
///
/// ```
/// use corolab::green;
/// use std::time::{Duration, Instant};
///
/// let start = Instant::now();
/// let results = green::run(|| {
///     let jobs: Vec<_> = (0..5_u64)
///         .map(|i| green::spawn(move || { green::sleep(Duration::from_millis(50)); i }))
///         .collect();
///     green::joinall(jobs)
/// })
/// .unwrap();
/// assert_eq!(results, vec![Ok(0), Ok(1), Ok(2), Ok(3), Ok(4)]);
/// assert!(start.elapsed() < Duration::from_millis(200)); // the sleeps overlapped
/// ```
///
/// # Errors
/// `JoinError::Panic` if `f` panicked.
///
/// # Panics
/// Inside another runtime's `block_on`.
pub fn run<T: 'static>(f: impl FnOnce() -> T + 'static) -> Result<T, JoinError> {
    crate::block_on(async move { spawn(f).await })
}
