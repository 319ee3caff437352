//! The executor: a run queue of tasks and the code that polls them.
//!
//! **Concept.** A *task* is a future the executor owns and polls until it is done. Polling runs
//! the future until it must wait; it then returns `Poll::Pending` after handing a `Waker` to
//! whatever it waits on (a socket, a timer, a channel). When that thing is ready it calls
//! `wake()`, which puts the task back on the FIFO run queue. The executor just pops tasks off
//! the queue and polls them. It never busy-loops: a task that is not woken is never polled.
//!
//! **Where.** [`spawn`] puts a new task in the task slab and on the run queue;
//! `Executor::run_ready_tasks` polls the tasks that were queued when it started (at most
//! [`MAX_POLLS_PER_TICK`]), so a task that wakes itself runs again only in the next turn of
//! the loop, and the loop asks the reactor at least once every `MAX_POLLS_PER_TICK` polls;
//! [`yield_now`] goes further and waits until the reactor has been asked. The `block_on`
//! future takes its turn in the same FIFO queue. `poll_task` polls one task inside
//! `catch_unwind`. Wakers point at a
//! `TaskHeader` (see `waker.rs`), built with futures-task's `ArcWake` and `waker_ref`, so no
//! waker is allocated per poll or per wake. [`JoinHandle`] (in `join.rs`) reads a task's result;
//! `task.rs` holds what the slab stores per task, `spawn.rs` the free functions tasks call,
//! `finish.rs` the end of a task's life (finish, release, shutdown), `bookkeeping.rs` the
//! recycled headers and the yield list, and [`budget`] the cooperative budget that makes a
//! task whose awaits are always ready yield after 128 of them.
//!
//! **In the debugger.** `break corolab::executor::Executor::poll_task` stops before every poll;
//! `print header.ptr.pointer.data.id.v.value` says which task (the id sits inside an `Arc`
//! and an atomic). `{:?}` on a `Runtime` dumps every task and its stage.

mod blocking;
pub mod blocking_pool;
mod bookkeeping;
pub mod budget;
mod context;
mod finish;
mod join;
mod spawn;
mod task;
mod waker;

pub use blocking::spawn_blocking;
use bookkeeping::{HeaderPool, YieldList};
pub use context::EnterGuard;
use context::current_poller;
pub use finish::SHUTDOWN_ROUNDS;
pub use join::{JoinError, JoinHandle};
use spawn::current_or_panic;
pub use spawn::{YieldNow, spawn, spawn_named, yield_now};
use task::{
    BoxedTask, DoneCallback, Stage, TaskEntry, TaskExtras, drop_future, panic_message, run_callbacks,
};
pub use waker::Unpark;

use crate::slab::{Key, Slab};
use crate::trace::{self, Event, PollOutcome, WakeCause};
use futures_task::waker_ref;
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use waker::{MAIN_KEY, Shared, TaskHeader};

/// At most this many polls per `Executor::run_ready_tasks`; the run loop also checks the
/// reactor at least once per this many polls, so a flood of ready tasks (or one task that
/// keeps waking itself) cannot keep timers and sockets waiting.
pub const MAX_POLLS_PER_TICK: usize = 61;

/// A task's id: 1, 2, 3, ... in spawn order (0 is the `block_on` future in traces).
pub type TaskId = u64;

/// What one poll of a task gave: its output, `Pending`, or the payload of a panic.
type PollResult = std::thread::Result<Poll<Box<dyn Any>>>;

/// Counters kept by the executor (see `Runtime::stats` for all of them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ExecutorStats {
    /// Futures polled (tasks and the `block_on` future).
    pub polls: u64,
    /// Times a task was put on the run queue.
    pub wakes: u64,
    /// Tasks spawned.
    pub tasks_spawned: u64,
    /// Most tasks alive at once.
    pub peak_live_tasks: u64,
}

/// A single-threaded executor. Normally used through `Runtime`; see the module docs.
pub(crate) struct Executor {
    /// Every task, by slab key: its future or its result (see `task.rs`).
    tasks: RefCell<Slab<TaskEntry>>,
    /// Headers of the tasks to poll, first in, first out. A wake pushes at the back.
    run_queue: RefCell<VecDeque<Arc<TaskHeader>>>,
    /// The `block_on` future's header. It waits in the run queue like any task, so the main
    /// future gets its turn in FIFO order too: never ahead of tasks woken before it.
    main_header: Arc<TaskHeader>,
    /// Set when the run queue reached `main_header`: `block_on` should poll its future.
    main_ready: Cell<bool>,
    /// What other threads may touch: the injector queue of remote wakes.
    shared: Arc<Shared>,
    /// Tasks that called `yield_now`, woken after the reactor's next turn.
    yielded: YieldList,
    /// Headers of finished tasks, reused by the next spawns.
    spare_headers: HeaderPool,
    next_id: Cell<TaskId>,
    live_tasks: Cell<u64>,
    stats: Cell<ExecutorStats>,
}

impl Executor {
    /// An executor that calls `unpark` when a task is woken from another thread.
    pub(crate) fn new(unpark: Arc<dyn Unpark>) -> Executor {
        let shared = Arc::new(Shared {
            injector: Mutex::new(Some(Vec::new())),
            notified: AtomicBool::new(false),
            unpark,
        });
        Executor {
            main_header: Arc::new(TaskHeader {
                shared: shared.clone(),
                key: MAIN_KEY.into(),
                id: 0.into(),
                scheduled: AtomicBool::new(false),
            }),
            main_ready: Cell::new(false),
            shared,
            run_queue: RefCell::new(VecDeque::new()),
            yielded: YieldList::default(),
            tasks: RefCell::new(Slab::default()),
            spare_headers: HeaderPool::default(),
            next_id: Cell::new(1),
            live_tasks: Cell::new(0),
            stats: Cell::new(ExecutorStats::default()),
        }
    }

    /// Queues `header`; `cause` runs only when tracing is on (so a wake costs one flag check).
    fn push_ready(&self, header: Arc<TaskHeader>, cause: impl FnOnce() -> WakeCause) {
        self.bump(|s| s.wakes += 1);
        if trace::enabled() {
            waker::trace_woken(header.id.load(Ordering::Relaxed), cause());
        }
        self.run_queue.borrow_mut().push_back(header);
    }

    fn bump(&self, f: impl FnOnce(&mut ExecutorStats)) {
        let mut s = self.stats.get();
        f(&mut s);
        self.stats.set(s);
    }

    /// Counters so far.
    pub(crate) fn stats(&self) -> ExecutorStats {
        self.stats.get()
    }

    /// Tasks spawned and not yet finished.
    pub(crate) fn live_tasks(&self) -> u64 {
        self.live_tasks.get()
    }

    /// Creates a task from `future` and queues it. See [`spawn`].
    pub(crate) fn spawn_task<F>(self: &Rc<Self>, name: Option<String>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        if trace::enabled() {
            let name = name.clone();
            trace::emit(|| Event::TaskSpawned { task: id, name });
        }
        // The future is boxed with a small wrapper that hands its output back as `dyn Any`; the
        // header is recycled from finished tasks. See `task::box_task` for where the output goes.
        let boxed: BoxedTask = task::box_task(future);
        let header = self.spare_headers.take_or_new(&self.shared);
        let extras = name.map(|name| {
            Box::new(TaskExtras {
                name: Some(name.into_boxed_str()),
                on_done: Vec::new(),
            })
        });
        let key = self.tasks.borrow_mut().insert(TaskEntry {
            header: header.clone(),
            stage: Stage::Runnable(boxed),
            join_waker: None,
            extras,
            has_handle: true,
            abort_requested: false,
        });
        header.key.store(key.to_u64(), Ordering::Relaxed);
        header.id.store(id, Ordering::Relaxed);
        header.scheduled.store(true, Ordering::Relaxed);
        let live = self.live_tasks.get() + 1;
        self.live_tasks.set(live);
        self.bump(|s| {
            s.tasks_spawned += 1;
            s.peak_live_tasks = s.peak_live_tasks.max(live);
        });
        self.push_ready(header, || WakeCause::Task { by: current_poller() });
        JoinHandle::new(key, id, Rc::downgrade(self))
    }

    /// Parks a waker until `Executor::wake_yielded` runs (after the next reactor turn).
    pub(crate) fn defer_until_after_io(&self, waker: &Waker) {
        self.yielded.push(waker);
    }

    /// Are tasks waiting for the reactor's turn to pass (they called `yield_now`)?
    pub(crate) fn has_yielded(&self) -> bool {
        !self.yielded.is_empty()
    }

    /// Wakes every task that yielded; the run loop calls this after `dispatch_io_events`.
    pub(crate) fn wake_yielded(&self) {
        if !self.yielded.is_empty() {
            trace::with_cause(WakeCause::Yield, || self.yielded.wake_all());
        }
    }

    /// Is there anything to poll right now (queued tasks, a woken main future, remote wakes)?
    pub(crate) fn has_ready_work(&self) -> bool {
        !self.run_queue.borrow().is_empty()
            || self.main_ready.get()
            || self.shared.notified.load(Ordering::Acquire)
    }

    /// Phase 1 of a tick: move remote wakes onto the run queue, then poll the tasks that are
    /// queued now (tasks woken during this phase wait for the next tick). Stops early when
    /// the `block_on` future's turn comes. Returns the number of polls.
    pub(crate) fn run_ready_tasks(&self) -> usize {
        self.drain_remote_wakes();
        let ready_now = self.run_queue.borrow().len().min(MAX_POLLS_PER_TICK);
        for done in 0..ready_now {
            let Some(header) = self.run_queue.borrow_mut().pop_front() else {
                return done;
            };
            if Arc::ptr_eq(&header, &self.main_header) {
                header.scheduled.store(false, Ordering::Release);
                self.main_ready.set(true);
                return done + 1; // block_on polls it now, before the tasks queued after it
            }
            self.poll_task(header);
        }
        ready_now
    }

    /// Moves headers queued by other threads onto our run queue, in the order they arrived.
    fn drain_remote_wakes(&self) {
        if !self.shared.notified.swap(false, Ordering::AcqRel) {
            return;
        }
        for header in self.take_injected() {
            self.push_ready(header, || WakeCause::Thread);
        }
    }

    fn take_injected(&self) -> Vec<Arc<TaskHeader>> {
        let mut injector = self.shared.injector.lock().unwrap_or_else(|e| e.into_inner());
        injector.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Has the main future's turn come (its header left the run queue), not yet taken?
    pub(crate) fn main_turn_came(&self) -> bool {
        self.main_ready.get()
    }

    /// Takes the "main future's turn has come" flag: true means `block_on` polls it now.
    pub(crate) fn take_main_ready(&self) -> bool {
        self.main_ready.replace(false)
    }

    /// Does any waker of the `block_on` future exist (inside `block_on`, or kept by someone)?
    pub(crate) fn main_waker_exists(&self) -> bool {
        Arc::strong_count(&self.main_header) > 1
    }

    /// The waker handed to the `block_on` future.
    pub(crate) fn main_waker(&self) -> Waker {
        futures_task::waker(self.main_header.clone())
    }

    /// Polls the `block_on` future once, counting and tracing it like a task (id 0).
    pub(crate) fn poll_main<F: Future + ?Sized>(
        &self,
        future: Pin<&mut F>,
        cx: &mut Context<'_>,
    ) -> Poll<F::Output> {
        self.bump(|s| s.polls += 1);
        let poll = trace::polling(0, || budget::with_budget(|| future.poll(cx)));
        let outcome = if poll.is_ready() {
            PollOutcome::Ready
        } else {
            PollOutcome::Pending
        };
        trace::poll_ended(0, outcome);
        poll
    }

    /// Polls one task: take its future out of the slab, poll it, then put it back or finish
    /// the task. The best breakpoint in the crate (chapter 10): `header` says which task.
    fn poll_task(&self, header: Arc<TaskHeader>) {
        let key = Key::from_u64(header.key.load(Ordering::Relaxed));
        let Some((id, mut future, aborted)) = self.take_future(key, &header) else {
            return; // finished or cancelled since it was woken: nothing to do
        };
        if aborted {
            self.cancel(key, id, future);
            return;
        }
        let result = self.poll_future(id, &header, &mut future);
        self.after_poll(key, id, future, result);
    }

    /// Takes a queued task's future out of the slab (its stage becomes `Polling`), so the task
    /// may spawn, wake itself or drop handles while it runs without finding the slab borrowed.
    /// Also says whether an abort was requested. `None`: nothing to poll.
    fn take_future(&self, key: Key, header: &Arc<TaskHeader>) -> Option<(TaskId, BoxedTask, bool)> {
        let mut tasks = self.tasks.borrow_mut();
        let entry = tasks.get_mut(key)?;
        if !Arc::ptr_eq(&entry.header, header) {
            return None; // the slot now holds another task
        }
        match std::mem::replace(&mut entry.stage, Stage::Polling) {
            Stage::Runnable(future) => {
                // From here on, a wake queues the task again (it may wake itself while polled).
                header.scheduled.store(false, Ordering::Release);
                let aborted = std::mem::replace(&mut entry.abort_requested, false);
                Some((entry.id(), future, aborted))
            }
            other => {
                entry.stage = other; // finished: `scheduled` stays set (see `finish`)
                None
            }
        }
    }

    /// Polls a task's future once, inside `catch_unwind`, with a waker pointing at `header`
    /// (borrowed: no allocation per poll) and a fresh cooperative budget (`budget.rs`). Counts
    /// the poll; the trace brackets it (`task_poll_started` here, `task_polled` in `poll_task`
    /// once its end is handled).
    fn poll_future(&self, id: TaskId, header: &Arc<TaskHeader>, future: &mut BoxedTask) -> PollResult {
        self.bump(|s| s.polls += 1);
        let waker = waker_ref(header);
        let mut cx = Context::from_waker(&waker);
        trace::polling(id, || {
            budget::with_budget(|| catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx))))
        })
    }

    /// After a poll: `Pending` puts the future back (or cancels it, if it was aborted while
    /// running); `Ready` or a panic drops the future and finishes the task.
    fn after_poll(&self, key: Key, id: TaskId, future: BoxedTask, result: PollResult) {
        // Only the trace needs the outcome once `result` is consumed below.
        let outcome = if trace::enabled() {
            Some(match &result {
                Ok(Poll::Pending) => PollOutcome::Pending,
                Ok(Poll::Ready(_)) => PollOutcome::Ready,
                Err(_) => PollOutcome::Panicked,
            })
        } else {
            None
        };
        match result {
            Ok(Poll::Pending) => {
                let mut tasks = self.tasks.borrow_mut();
                match tasks.get_mut(key) {
                    Some(entry) if entry.abort_requested => {
                        // It aborted itself (or was aborted) while being polled.
                        entry.abort_requested = false;
                        drop(tasks);
                        self.cancel(key, id, future);
                    }
                    Some(entry) => entry.stage = Stage::Runnable(future),
                    None => {}
                }
            }
            Ok(Poll::Ready(output)) => {
                let result = drop_future(id, future).map(|()| output);
                self.finish(key, result);
            }
            Err(payload) => {
                // Dropping a future that panicked may panic again; the first panic is reported.
                let _ = drop_future(id, future);
                self.finish(key, Err(JoinError::Panic(panic_message(&*payload))));
            }
        }
        // Reported after the end was handled, so a finished task's `task_finished` and the
        // wake of its `JoinHandle` belong to this poll in the trace.
        if let Some(outcome) = outcome {
            trace::poll_ended(id, outcome);
        }
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        // Close the injector so wakers that outlive us cannot queue into it any more.
        let leftover = self
            .shared
            .injector
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        drop(leftover);
        // Finished outputs nobody took (kept across `block_on` calls) go now.
        self.drop_all_entries();
    }
}

impl fmt::Debug for Executor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tasks = self.tasks.borrow();
        let mut list = f.debug_list();
        for (_, e) in tasks.iter() {
            let stage = match e.stage {
                Stage::Runnable(_) if e.header.scheduled.load(Ordering::Relaxed) => "queued",
                Stage::Runnable(_) => "waiting",
                Stage::Polling => "polling",
                Stage::Finished(_) => "finished (result unread)",
                Stage::Lent => "finished (on_done callbacks running)",
                Stage::Taken => "finished",
            };
            list.entry(&format_args!(
                "task {} {:?}: {stage}",
                e.id(),
                e.name().unwrap_or("")
            ));
        }
        list.finish()
    }
}

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    // Why: the task slab is the executor's biggest memory cost per task (the sleepers
    // benchmark); a field added carelessly would grow every task by a cache line's worth.
    #[test]
    fn task_entry_stays_within_one_cache_line() {
        assert!(std::mem::size_of::<super::TaskEntry>() <= 64);
    }
}
