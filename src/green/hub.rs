//! The hub: how a green thread becomes a task and how it waits.
//!
//! **Concept.** `GreenTask` is the future whose poll switches into a greenlet; [`park`] is how
//! the greenlet switches back out to the poll that ran it (the hub). Every green wait is
//! `park_until`: poll with the task's waker, and if `Pending`, park.
//!
//! **Where.** `GreenTask::poll`, `park`, `park_until`, `wait_for`, `CannotWait`, and
//! [`sleep`]; the handle and `spawn`/`run` are in `join.rs`.
//!
//! **In the debugger.** `break corolab::green::hub::park` stops each time a green thread
//! gives the hub its turn; `bt` there shows the green thread's own stack.

use crate::greenlet::Greenlet;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// What a green thread hands back to the poll that switched into it.
enum Signal {
    /// It must wait: it registered the poll's waker somewhere; poll returns `Pending`.
    Parked,
    /// Its function returned; the value is in the task's result slot.
    Finished,
}

/// The poll that is running a green thread right now: what the green thread
/// needs in order to wait (a waker to register, a greenlet to switch back to).
struct PollContext {
    /// The task's waker, from the `Context` of the current poll.
    waker: Waker,
    /// The greenlet that is running the executor's poll (usually the root
    /// greenlet, i.e. the thread's own stack). Parking switches to it.
    hub: Greenlet,
    /// Set by [`park`]: the greenlet to switch to on the next poll.
    parked: Option<Greenlet>,
}

thread_local! {
    /// Set by `GreenTask::poll` for the duration of one switch into a green thread.
    static POLL: RefCell<Option<PollContext>> = const { RefCell::new(None) };
}

/// Why a green-thread operation could not wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CannotWait {
    /// Not called from inside a green thread (but from async code or plain code).
    NotInGreenThread,
    /// The running greenlet was asked to exit (its green thread was
    /// cancelled): its stack is being unwound and no poll will ever switch
    /// back to it. This is a flag on the greenlet, so it holds even if the
    /// greenlet caught the exit panic.
    Cancelled,
    /// A panic is unwinding somewhere on this OS thread, maybe on another
    /// greenlet's stack that switched here from a destructor. Rust's panic
    /// count is per OS thread, not per greenlet: parking now would let every
    /// other task see `std::thread::panicking()` until we are resumed (and,
    /// for example, poison each `std::sync::Mutex` they unlock meanwhile).
    Panicking,
}

impl CannotWait {
    /// As an I/O error, for the socket functions.
    ///
    /// Not `ErrorKind::Interrupted`: std's I/O helpers (`read_to_end`,
    /// `write_all`, `io::copy`, ...) retry that kind forever, so a green
    /// socket used through them in a destructor would spin instead of failing.
    pub(crate) fn into_io(self) -> io::Error {
        match self {
            CannotWait::NotInGreenThread => io::Error::new(
                io::ErrorKind::Unsupported,
                "corolab::green I/O must run inside a green thread (green::spawn or green::run)",
            ),
            CannotWait::Cancelled => {
                io::Error::other("green thread is being cancelled: it cannot wait any more")
            }
            CannotWait::Panicking => io::Error::other(
                "a panic is unwinding on this thread: a green thread cannot wait until it is over",
            ),
        }
    }
}

/// Whether the running greenlet may switch to the hub and wait now.
fn check_can_wait() -> Result<(), CannotWait> {
    if Greenlet::current().is_exiting() {
        return Err(CannotWait::Cancelled);
    }
    if std::thread::panicking() {
        return Err(CannotWait::Panicking);
    }
    Ok(())
}

/// The waker of the poll currently running this green thread.
fn current_waker() -> Result<Waker, CannotWait> {
    check_can_wait()?;
    POLL.with(|p| p.borrow().as_ref().map(|ctx| ctx.waker.clone()))
        .ok_or(CannotWait::NotInGreenThread)
}

/// True when called from inside a green thread.
///
/// # Examples
///
/// ```
/// use corolab::green;
///
/// assert!(!green::in_green_thread()); // plain code
/// green::run(|| assert!(green::in_green_thread())).unwrap();
/// corolab::block_on(async { assert!(!green::in_green_thread()) }); // an async task
/// ```
pub fn in_green_thread() -> bool {
    POLL.with(|p| p.borrow().is_some())
}

/// Switches from the running green thread to the hub. Call it right after
/// something returned `Pending` with the waker from [`current_waker`]: the
/// poll that ran us returns `Pending`, and when that waker fires the executor
/// polls the task again, which switches back here.
///
/// This is the whole trick of gevent: a "blocking" call that would block
/// becomes a switch to the hub.
pub(crate) fn park() -> Result<(), CannotWait> {
    check_can_wait()?;
    let hub = POLL.with(|p| {
        let mut p = p.borrow_mut();
        let ctx = p.as_mut()?;
        ctx.parked = Some(Greenlet::current());
        Some(ctx.hub.clone())
    });
    let hub = hub.ok_or(CannotWait::NotInGreenThread)?;
    // Suspend here. The next poll of our task switches back with `()`.
    hub.switch::<Signal, ()>(Signal::Parked);
    Ok(())
}

/// The one "poll, else park" loop of every green wait: call `poll` with the
/// task's waker; if it is not ready (it registered that waker with the
/// reactor, a timer or a channel), switch to the hub, and try again when the
/// task is polled and switches back. Sockets, sleeps and joins all go through
/// here.
pub(crate) fn park_until<T>(mut poll: impl FnMut(&mut Context<'_>) -> Poll<T>) -> Result<T, CannotWait> {
    loop {
        let waker = current_waker()?;
        let mut cx = Context::from_waker(&waker);
        if let Poll::Ready(output) = poll(&mut cx) {
            return Ok(output);
        }
        park()?;
    }
}

/// Runs `future` to completion from inside a green thread, switching to the
/// hub each time it is `Pending`. The future is pinned on the green thread's
/// own stack.
pub(crate) fn wait_for<F: Future>(future: F) -> Result<F::Output, CannotWait> {
    let mut future = pin!(future);
    park_until(|cx| future.as_mut().poll(cx))
}

/// Restores the previous `POLL` value when a poll ends, even if the green
/// thread's panic is passing through.
struct RestorePoll(Option<PollContext>);

impl Drop for RestorePoll {
    fn drop(&mut self) {
        let previous = self.0.take();
        let ours = POLL.with(|p| std::mem::replace(&mut *p.borrow_mut(), previous));
        drop(ours); // outside the borrow: dropping handles may switch greenlets
    }
}

/// The future behind every green thread. Polling it switches into the
/// greenlet, which runs until it finishes or parks.
pub(super) struct GreenTask<T> {
    /// The function to run, until the first poll creates the greenlet.
    body: Option<Box<dyn FnOnce() -> T>>,
    /// The green thread's greenlet. Created on the first poll, so that its
    /// parent (who gets its return value or panic) is the hub.
    greenlet: Option<Greenlet>,
    /// The greenlet to switch to on the next poll (the one that parked).
    resume: Option<Greenlet>,
    /// Where the greenlet puts its return value.
    result: Rc<Cell<Option<T>>>,
}

impl<T: 'static> Future for GreenTask<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        let target = match this.resume.take() {
            Some(parked) => parked,
            None => this.start_greenlet(),
        };
        let context = PollContext {
            waker: cx.waker().clone(),
            hub: Greenlet::current(),
            parked: None,
        };
        let previous = POLL.with(|p| p.borrow_mut().replace(context));
        let restore = RestorePoll(previous);
        // Run the green thread until it parks or finishes. If it panicked,
        // the panic continues from this `switch`, and the executor turns it
        // into `JoinError::Panic`.
        let signal: Signal = target.switch(());
        let parked = POLL.with(|p| p.borrow_mut().as_mut().and_then(|ctx| ctx.parked.take()));
        drop(restore);
        match signal {
            Signal::Parked => {
                this.resume = Some(parked.unwrap_or(target));
                Poll::Pending
            }
            Signal::Finished => match this.result.take() {
                Some(value) => Poll::Ready(value),
                None => unreachable!("a finished green thread stored its result"),
            },
        }
    }
}

impl<T> Drop for GreenTask<T> {
    /// Cancellation (the task was aborted, or the runtime is shutting down
    /// while the green thread is parked): unwind its stacks now.
    ///
    /// Dropping our two handles is not enough when the green thread runs a
    /// nested greenlet: if that one parked (`resume`), its parent link holds
    /// the task's greenlet and the task's stack holds its handle, so neither
    /// handle would be the last and neither stack would ever be unwound. So
    /// we [`exit`](Greenlet::exit) them explicitly, innermost first: the
    /// greenlet that parked, then the task's own (which, while unwinding,
    /// drops the handles of any greenlets between the two).
    fn drop(&mut self) {
        let parked = self.resume.take();
        let own = self.greenlet.take();
        // If the parked greenlet's destructors panic, still unwind our own
        // stack before passing the panic on.
        let first = catch_unwind(AssertUnwindSafe(|| {
            if let Some(parked) = parked {
                parked.exit();
            }
        }));
        if let Some(own) = own {
            own.exit(); // nothing happens if `parked` was `own`: it is dead now
        }
        if let Err(payload) = first {
            resume_unwind(payload);
        }
    }
}

impl<T: 'static> GreenTask<T> {
    pub(super) fn new(f: impl FnOnce() -> T + 'static) -> GreenTask<T> {
        GreenTask {
            body: Some(Box::new(f)),
            greenlet: None,
            resume: None,
            result: Rc::new(Cell::new(None)),
        }
    }

    /// Creates the greenlet (first poll). Its parent is the running greenlet:
    /// the hub that polls us.
    fn start_greenlet(&mut self) -> Greenlet {
        let body = self.body.take().expect("a green thread is started once");
        let result = Rc::clone(&self.result);
        let greenlet = Greenlet::new(move |()| {
            result.set(Some(body()));
            Signal::Finished
        });
        self.greenlet = Some(greenlet.clone());
        greenlet
    }
}

/// Suspends the running green thread for `duration` while others run
/// (gevent's `sleep`): a `Sleep` future waited for with `wait_for`, which
/// switches to the hub until the reactor's timer wakes the task.
///
/// # Panics
/// When called outside a green thread; in async code use
/// `corolab::time::sleep(d).await`. It returns at once, without sleeping,
/// while the green thread is being cancelled or a panic is unwinding on this
/// OS thread (no green wait is possible then; see `CannotWait` in `hub.rs`).
///
/// # Examples
///
/// ```
/// use corolab::green;
/// use std::time::{Duration, Instant};
///
/// let start = Instant::now();
/// green::run(|| green::sleep(Duration::from_millis(20))).unwrap(); // blocking-looking
/// assert!(start.elapsed() >= Duration::from_millis(20));
/// ```
pub fn sleep(duration: Duration) {
    match wait_for(crate::time::sleep(duration)) {
        Ok(()) | Err(CannotWait::Cancelled | CannotWait::Panicking) => {}
        Err(CannotWait::NotInGreenThread) => {
            panic!(
                "green::sleep called outside a green thread; use corolab::time::sleep(d).await in async code"
            )
        }
    }
}
