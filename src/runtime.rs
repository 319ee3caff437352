//! The runtime: the loop that ties the executor and the reactor together.
//!
//! **Concept.** asyncio's event loop, spelled out. `block_on(main)` polls the main future, and
//! whenever nothing is ready it does one [`Runtime::tick`], made of four phases:
//!
//! 1. `run_ready_tasks`: poll the tasks that are on the run queue now (at most 61, and only up
//!    to the main future's turn, which `block_on` then takes);
//! 2. `fire_timers`: wake the tasks whose sleeps are due;
//! 3. `wait_for_io`: block in `epoll_wait`, for zero time if something is already runnable,
//!    else until the next timer deadline (rounded *up* to a millisecond), else forever (but
//!    a `tick` on a runtime where nothing could ever end that wait returns instead);
//! 4. `dispatch_io_events`: set readiness and wake the tasks waiting on those sockets, then
//!    requeue the tasks that called `yield_now`.
//!
//! Phases 3 and 4 are skipped while tasks are still runnable and fewer than
//! `MAX_POLLS_PER_TICK` polls have run since the reactor was last asked: an `epoll_wait` per
//! turn would cost a system call per task switch. tokio's current-thread runtime makes the
//! same trade (its "event interval" is also 61 polls).
//!
//! A thread-local *context* (current executor and reactor) is set while `block_on` runs: that
//! is how `spawn`, `sleep` and `TcpStream::connect` find the runtime without being passed one.
//!
//! **Where.** [`Runtime::block_on`] and [`Runtime::tick`] below; each phase is a method of its
//! own so a debugger can stop on it. When the main future finishes, every task still alive is
//! dropped (like `asyncio.run` cancelling leftovers) while the context is still set.
//!
//! **In the debugger.** `break corolab::runtime::Runtime::tick` stops once per loop turn;
//! `break corolab::runtime::Runtime::wait_for_io` right before the thread sleeps.
//! `print *self` or `{:?}` shows tasks, registrations and timers.

use crate::executor::{Executor, ExecutorStats, MAX_POLLS_PER_TICK, Unpark};
use crate::reactor::{Reactor, ReactorStats, ceil_to_millis};
use crate::trace::{self, Event, Phase};
use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// All counters of a runtime (see [`Runtime::stats`]).
///
/// # Examples
///
/// ```
/// let rt = corolab::Runtime::new();
/// rt.block_on(async { corolab::spawn(async {}).await.unwrap() });
/// let stats = rt.stats(); // a plain `Copy` struct: read the fields you need
/// assert_eq!(stats.tasks_spawned, 1);
/// assert_eq!(stats.timers_fired, 0); // nobody slept
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Futures polled (tasks plus the `block_on` future).
    pub polls: u64,
    /// Times a task was put on the run queue.
    pub wakes: u64,
    /// Calls to `epoll_wait`.
    pub reactor_waits: u64,
    /// I/O events returned by `epoll_wait`.
    pub io_events: u64,
    /// Timers that fired.
    pub timers_fired: u64,
    /// Tasks spawned.
    pub tasks_spawned: u64,
    /// Most tasks alive at once.
    pub peak_live_tasks: u64,
}

impl Stats {
    fn combine(e: ExecutorStats, r: ReactorStats) -> Stats {
        Stats {
            polls: e.polls,
            wakes: e.wakes,
            reactor_waits: r.reactor_waits,
            io_events: r.io_events,
            timers_fired: r.timers_fired,
            tasks_spawned: e.tasks_spawned,
            peak_live_tasks: e.peak_live_tasks,
        }
    }
}

/// Lets another thread interrupt `epoll_wait` (mio's eventfd waker).
struct ReactorUnpark(Arc<mio::Waker>);

impl Unpark for ReactorUnpark {
    fn unpark(&self) {
        let _ = self.0.wake();
    }
}

/// A single-threaded runtime. See the module docs.
///
/// # Examples
///
/// ```
/// let rt = corolab::Runtime::new();
/// // One runtime can run many main futures, one after another.
/// assert_eq!(rt.block_on(async { 1 }), 1);
/// assert_eq!(rt.block_on(async { 2 }), 2);
/// assert!(format!("{rt:?}").contains("live_tasks: 0")); // `{:?}` dumps its state
/// ```
pub struct Runtime {
    executor: Rc<Executor>,
    reactor: Rc<Reactor>,
    /// Polls since the reactor was last asked for events.
    polls_since_io: Cell<usize>,
    /// Ticks so far (numbers the `tick_started` trace records).
    ticks: Cell<u64>,
}

impl Runtime {
    /// Creates a runtime. Panics only if the OS refuses an epoll instance (see [`Runtime::try_new`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = corolab::Runtime::new(); // panics only if the OS refuses an epoll instance
    /// assert_eq!(rt.block_on(async { 6 * 7 }), 42);
    /// ```
    pub fn new() -> Runtime {
        Runtime::try_new().unwrap_or_else(|e| panic!("corolab: cannot create epoll instance: {e}"))
    }

    /// Creates a runtime, reporting OS errors (e.g. out of file descriptors).
    ///
    /// # Examples
    ///
    /// ```
    /// // An `io::Error` (say, out of file descriptors) instead of a panic.
    /// let rt = corolab::Runtime::try_new()?;
    /// assert_eq!(rt.block_on(async { "ok" }), "ok");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_new() -> std::io::Result<Runtime> {
        let reactor = Rc::new(Reactor::new()?);
        let unpark = Arc::new(ReactorUnpark(reactor.thread_waker()));
        let executor = Rc::new(Executor::new(unpark));
        Ok(Runtime {
            executor,
            reactor,
            polls_since_io: Cell::new(0),
            ticks: Cell::new(0),
        })
    }

    /// Runs `future` to completion on this thread, running spawned tasks, timers and I/O
    /// meanwhile. Tasks still alive when it returns are dropped.
    ///
    /// Panics if called from inside another `block_on` on the same thread (that would block
    /// the outer runtime's loop).
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::rc::Rc;
    /// let rt = corolab::Runtime::new();
    /// let guard = Rc::new(());
    /// let held = guard.clone();
    /// let answer = rt.block_on(async move {
    ///     corolab::spawn(async move { let _held = held; std::future::pending::<()>().await });
    ///     42 // main is done; the spawned task never is
    /// });
    /// assert_eq!(answer, 42);
    /// assert_eq!(Rc::strong_count(&guard), 1); // the leftover task was dropped
    /// ```
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        if Executor::current().is_some() {
            panic!("corolab: block_on called inside a running runtime; use .await or spawn instead");
        }
        trace::install_from_env();
        let _trace = trace::enter_runtime(self.id());
        let _reactor = Reactor::enter(self.reactor.clone());
        let _executor = Executor::enter(self.executor.clone());
        let _shutdown = ShutdownOnExit(&self.executor);
        let mut future = pin!(future);
        let waker = self.executor.main_waker();
        let mut cx = Context::from_waker(&waker);
        // A new main future has never been polled: queue its first turn.
        trace::with_cause(trace::WakeCause::Start, || waker.wake_by_ref());
        loop {
            if self.executor.take_main_ready()
                && let Poll::Ready(output) = self.executor.poll_main(future.as_mut(), &mut cx)
            {
                return output;
            }
            self.tick();
        }
    }

    /// One turn of the loop: the four phases in order (3 and 4 only when due, see above).
    ///
    /// Called by hand on a runtime with nothing to do, it returns instead of sleeping in
    /// `epoll_wait` forever: with no task alive, no timer, no socket registered and no waker
    /// of a `block_on` future in existence, nothing could ever end that wait (smol's
    /// `try_tick` and tokio's idle `block_on` never block on an empty runtime either). Inside
    /// `block_on` the main future's waker exists, so a pending main future still waits.
    /// Called from inside a poll (the `block_on` future or a task calling `rt.tick()`), it
    /// never waits without a timeout either: the future that called it is the one that would
    /// have to be woken, and it cannot be polled while it waits here.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = corolab::Runtime::new();
    /// rt.tick(); // nothing alive could end an `epoll_wait`: returns at once
    /// rt.block_on(async {
    ///     let task = corolab::spawn(async { 7 });
    ///     rt.tick(); // one loop turn by hand: phase 1 polls the new task
    ///     assert!(task.is_finished());
    /// });
    /// ```
    pub fn tick(&self) {
        self.run_ready_tasks();
        self.fire_timers();
        if self.io_is_due() {
            let timeout = self.io_timeout();
            if timeout.is_none() && (self.nothing_can_wake() || called_from_a_poll()) {
                self.end_tick();
                return;
            }
            self.wait_for_io(timeout);
            self.dispatch_io_events();
        }
        self.end_tick();
    }

    /// The tick is over (a `tick_ended` trace record); `tick_started` is phase 1's first.
    fn end_tick(&self) {
        let tick = self.ticks.get();
        trace::emit(|| Event::TickEnded { tick });
    }

    /// Could a wait with no timeout ever end? Not without tasks, timers, sockets, or a waker
    /// of the main future (which another thread might call).
    fn nothing_can_wake(&self) -> bool {
        self.executor.live_tasks() == 0
            && !self.executor.main_waker_exists()
            && self.reactor.registration_count() == 0
            && self.reactor.pending_timer_count() == 0
    }

    /// Phase 1: poll the tasks on the run queue.
    fn run_ready_tasks(&self) {
        let tick = self.ticks.get() + 1;
        self.ticks.set(tick);
        trace::emit(|| Event::TickStarted { tick });
        self.trace_phase(Phase::RunReadyTasks);
        let polls = self.executor.run_ready_tasks();
        self.polls_since_io.set(self.polls_since_io.get() + polls);
        if self.executor.main_turn_came() {
            // Phase 1 stopped at the main future's header: it has left the run queue.
            trace::emit(|| Event::MainTurn);
        }
    }

    /// Ask the reactor now? Yes when there is nothing else to do (then we block), when tasks
    /// wait for it (`yield_now`), or when enough polls have run since it was last asked.
    fn io_is_due(&self) -> bool {
        !self.executor.has_ready_work()
            || self.executor.has_yielded()
            || self.polls_since_io.get() >= MAX_POLLS_PER_TICK
    }

    /// Phase 2: wake sleepers whose deadline has come (no clock read when no timer is set).
    fn fire_timers(&self) {
        self.trace_phase(Phase::FireTimers);
        if self.reactor.next_timer_deadline().is_some() {
            self.reactor.fire_timers(Instant::now());
        }
    }

    /// How long phase 3 may sleep: zero if work is waiting, else until the next deadline.
    fn io_timeout(&self) -> Option<Duration> {
        if self.executor.has_ready_work() || self.executor.has_yielded() {
            return Some(Duration::ZERO);
        }
        self.reactor
            .next_timer_deadline()
            .map(|deadline| ceil_to_millis(deadline.saturating_duration_since(Instant::now())))
    }

    /// Phase 3: block in `epoll_wait`.
    fn wait_for_io(&self, timeout: Option<Duration>) {
        self.trace_phase(Phase::WaitForIo);
        if let Err(e) = self.reactor.wait_for_io(timeout) {
            panic!("corolab: epoll_wait failed: {e}");
        }
    }

    /// Phase 4: readiness -> wakers; then tasks that yielded go back on the run queue.
    fn dispatch_io_events(&self) {
        self.trace_phase(Phase::DispatchIoEvents);
        self.polls_since_io.set(0);
        self.reactor.dispatch_io_events();
        self.executor.wake_yielded();
    }

    /// Marks the start of one of this tick's phases in the trace.
    #[inline]
    fn trace_phase(&self, phase: Phase) {
        let tick = self.ticks.get();
        trace::emit(|| Event::TickPhase { tick, phase });
    }

    /// This runtime's id: unique in the process, 1 for the first runtime created (it is its
    /// reactor's id). Traces and cross-runtime errors name runtimes by it.
    ///
    /// # Examples
    ///
    /// ```
    /// let first = corolab::Runtime::new();
    /// let second = corolab::Runtime::new();
    /// assert!(first.id() >= 1);
    /// assert_ne!(first.id(), second.id()); // unique in the process
    /// ```
    pub fn id(&self) -> u64 {
        self.reactor.id()
    }

    /// Counters: polls, wakes, reactor waits, I/O events, timers fired, tasks, peak live tasks.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = corolab::Runtime::new();
    /// assert_eq!(rt.stats(), Default::default()); // nothing has run yet
    /// rt.block_on(async {});
    /// assert_eq!(rt.stats().polls, 1); // the main future, ready at its first poll
    /// ```
    pub fn stats(&self) -> Stats {
        Stats::combine(self.executor.stats(), self.reactor.stats())
    }
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime::new()
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("tasks", &*self.executor)
            .field("live_tasks", &self.executor.live_tasks())
            .field("reactor", &*self.reactor)
            .field("stats", &self.stats())
            .finish()
    }
}

/// Is a future of some runtime being polled on this thread right now (its budget is set)?
fn called_from_a_poll() -> bool {
    crate::executor::budget::remaining().is_some()
}

/// Drops leftover tasks when `block_on` returns or unwinds, while the context is still set.
struct ShutdownOnExit<'a>(&'a Executor);

impl Drop for ShutdownOnExit<'_> {
    fn drop(&mut self) {
        self.0.shutdown();
        trace::flush(); // `COROLAB_TRACE=html:PATH` writes its page now
    }
}

/// Creates a [`Runtime`] and runs `future` on it: the `asyncio.run` of corolab.
///
/// # Examples
///
/// ```
/// let sum = corolab::block_on(async {
///     let a = corolab::spawn(async { 1 });
///     let b = corolab::spawn(async { 2 });
///     a.await.unwrap() + b.await.unwrap()
/// });
/// assert_eq!(sum, 3);
/// ```
pub fn block_on<F: Future>(future: F) -> F::Output {
    Runtime::new().block_on(future)
}
