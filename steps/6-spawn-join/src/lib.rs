//! Step 6: spawn and join. Tasks start tasks, wait for their results, and can be cancelled.
//!
//! **Concept.** While [`block_on`] runs, a thread-local **context** holds the runtime's parts,
//! so code deep inside a task calls [`spawn`], [`sleep`] or [`reactor`] without being handed
//! a runtime (asyncio's `get_running_loop()`). A task spawned from inside a poll cannot enter
//! the executor, which is busy polling, so it waits in the context's inbox until the poll
//! ends; the loop then hands it over. [`spawn`] returns a [`JoinHandle`]: a future for the
//! task's output (`asyncio.create_task` + `await task`). The task stores its output in the
//! shared slot and wakes whoever awaits the handle. [`JoinHandle::abort`] is cancellation
//! (取消): the task is not polled again and its future is *dropped*, and dropping is what
//! cancels everything inside it: a `Socket` deregisters from epoll, a `Sleep` cancels its
//! timer. When the main future ends, every task still alive is dropped the same way, like
//! `asyncio.run` cancelling leftovers.
//!
//! **Where.** [`block_on`] is the loop of step 5 plus the inbox; [`spawn`], [`JoinHandle`].
//! The fair turn (FIFO, at most 61 polls) is step 3's `Executor::run_ready_tasks`: a task
//! that never stops yielding cannot starve timers or sockets.
//!
//! **In the debugger.** `break step6_spawn_join::spawn` stops in the spawning task; `bt`
//! shows which one. `print *state` in `JoinHandle::poll` shows whether the output is there.
//!
//! **What the real corolab adds here, and where.** `spawn()` and `JoinHandle` are
//! `src/executor/spawn.rs` and `src/executor/join.rs` (panics are caught and reported through
//! the handle, `JoinHandle::abort` works from anywhere); the context is set by
//! `Runtime::block_on` in `src/runtime.rs`, which also skips `epoll_wait` while tasks are
//! runnable (`MAX_POLLS_PER_TICK`).

use std::cell::RefCell;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use std::{future::Future, future::poll_fn, io, pin::Pin, rc::Rc};
pub use step5_timers::{
    Executor, Handle, Reactor, Runtime, Sleep, Socket, Timers, io_timeout, trace,
};

type Inbox = Rc<RefCell<Vec<Pin<Box<dyn Future<Output = ()>>>>>>;

/// What `spawn`, `sleep` and `reactor` find while `block_on` runs.
#[derive(Clone)]
struct RuntimeContext {
    inbox: Inbox,
    reactor: Handle,
    timers: Rc<RefCell<Timers>>,
}

thread_local! {
    static CONTEXT: RefCell<Option<RuntimeContext>> = const { RefCell::new(None) };
}

fn context() -> RuntimeContext {
    let cx = CONTEXT.with_borrow(|cx| cx.clone());
    cx.expect("no runtime: call this inside step6_spawn_join::block_on")
}

/// The running reactor (for `Socket::new`).
pub fn reactor() -> Handle {
    context().reactor
}

/// Sleeps for `duration` on the running runtime's timers.
pub fn sleep(duration: Duration) -> Sleep {
    Sleep::until(&context().timers, Instant::now() + duration)
}

/// What a task and its handle share: the output once there, and who waits for it.
struct JoinState<T> {
    output: Option<T>,
    waiter: Option<Waker>,
    task: Option<Waker>,
    aborted: bool,
}

/// Awaiting it gives the task's output. Dropping it lets the task run on, detached.
pub struct JoinHandle<T> {
    state: Rc<RefCell<JoinState<T>>>,
}

/// Starts `future` as a new task (from anywhere inside `block_on`) and returns its handle.
pub fn spawn<T: 'static>(future: impl Future<Output = T> + 'static) -> JoinHandle<T> {
    let state =
        Rc::new(RefCell::new(JoinState { output: None, waiter: None, task: None, aborted: false }));
    let shared = state.clone();
    let mut future = Box::pin(future);
    let task = poll_fn(move |cx| {
        if shared.borrow().aborted {
            return Poll::Ready(()); // the executor now drops `future`: that cancels it
        }
        shared.borrow_mut().task = Some(cx.waker().clone()); // for abort
        let output = std::task::ready!(future.as_mut().poll(cx));
        let mut state = shared.borrow_mut();
        state.output = Some(output);
        if let Some(waiter) = state.waiter.take() {
            waiter.wake();
        }
        Poll::Ready(())
    });
    context().inbox.borrow_mut().push(Box::pin(task));
    JoinHandle { state }
}

impl<T> Future for JoinHandle<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut state = self.state.borrow_mut();
        match state.output.take() {
            Some(output) => Poll::Ready(output),
            None => {
                state.waiter = Some(cx.waker().clone());
                trace::waits_for("a task to finish".into());
                Poll::Pending
            }
        }
    }
}

impl<T> JoinHandle<T> {
    /// Cancels the task: it is not polled again, and its future is dropped at its next turn.
    /// Awaiting an aborted handle would never finish, so `abort` takes the handle.
    pub fn abort(self) {
        let mut state = self.state.borrow_mut();
        state.aborted = true;
        if let Some(task) = state.task.take() {
            task.wake();
        }
    }
}

/// Runs `main` to completion on a new runtime, with the context set; returns its output.
pub fn block_on<T: 'static>(main: impl Future<Output = T> + 'static) -> io::Result<T> {
    let timers = Rc::new(RefCell::new(Timers::default()));
    let (executor, reactor) = (Executor::default(), Reactor::new()?);
    let mut rt = Runtime { executor, reactor: reactor.clone(), timers: timers.clone() };
    let inbox = Inbox::default();
    CONTEXT.set(Some(RuntimeContext { inbox: inbox.clone(), reactor, timers }));
    let main = spawn(main);
    let result = run_until(&mut rt, &inbox, &main);
    drop(rt); // every task still alive is dropped (cancelled) here, inside the context
    CONTEXT.set(None);
    result.map(|()| main.state.borrow_mut().output.take().expect("main finished"))
}

/// Step 5's turn, plus the inbox: adopt spawned tasks, run_ready_tasks, fire_timers,
/// wait_for_io, dispatch_io_events; until `main` has its output.
fn run_until<T>(rt: &mut Runtime, inbox: &Inbox, main: &JoinHandle<T>) -> io::Result<()> {
    let Runtime { executor, reactor, timers } = rt;
    loop {
        trace::phase("run_ready_tasks");
        for task in inbox.take() {
            executor.spawn(task);
        }
        executor.run_ready_tasks();
        if main.state.borrow().output.is_some() {
            return Ok(());
        }
        trace::phase("fire_timers");
        timers.borrow_mut().fire_timers(Instant::now());
        if !inbox.borrow().is_empty() {
            continue; // start the new tasks before sleeping
        }
        let next = timers.borrow_mut().next_deadline();
        let timeout = io_timeout(Instant::now(), next, executor.has_ready_tasks());
        if timeout.is_none() && !reactor.borrow().has_waiters() {
            return Err(io::Error::other("main waits, and not for I/O or a timer: it would hang"));
        }
        trace::phase("wait_for_io");
        reactor.borrow_mut().wait_for_io(timeout)?;
        trace::phase("dispatch_io_events");
        reactor.borrow_mut().dispatch_io_events();
    }
}

/// Main spawns three tasks that sleep 90, 30 and 60 ms and return a number; it joins them in
/// spawn order, so it gets 1, 2, 3 although they finish in the order 2, 3, 1.
pub fn run_demo() -> io::Result<()> {
    let total = block_on(async {
        let handles: Vec<JoinHandle<u64>> = [(1, 90), (2, 30), (3, 60)]
            .into_iter()
            .map(|(n, ms)| {
                spawn(async move {
                    sleep(Duration::from_millis(ms)).await;
                    trace::say(format!("child {n} done after {ms} ms"));
                    n
                })
            })
            .collect();
        let mut total = 0;
        for handle in handles {
            let n = handle.await;
            trace::say(format!("main joined child {n}"));
            total += n;
        }
        total
    })?;
    trace::say(format!("main's output: {total}"));
    Ok(())
}
