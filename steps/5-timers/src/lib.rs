//! Step 5: timers. A deadline heap beside the reactor, and `epoll_wait` sleeps until the next one.
//!
//! **Concept.** A sleeping task leaves `(deadline, waker)` in [`Timers`], a binary heap (定时器堆)
//! ordered by deadline, then by a sequence number, so equal deadlines fire in the order they
//! were set. Each turn of the loop ([`run`]) now has the four phases of corolab's
//! `Runtime::tick`: poll the ready tasks, fire the due timers, wait for I/O, dispatch events.
//! The wait's timeout comes from the next deadline ([`io_timeout`]): zero if a task is ready,
//! none (sleep until I/O) if no timer is set, and otherwise the time left **rounded up** to a
//! whole millisecond, because `epoll_wait` counts milliseconds: rounding down would wake a
//! little early, find nothing due, and spin on zero-length waits until the deadline.
//! Dropping a [`Sleep`] cancels its timer (取消): the heap entry stays, but finds no waker.
//! `Sleep` is `asyncio.sleep`: `await asyncio.sleep(1)` is `Sleep::until(..).await`.
//!
//! **Where.** [`Timers::insert`], [`Timers::next_due`], [`Timers::fire_timers`], [`io_timeout`],
//! [`run`]. The executor (step 3) and the reactor (step 4) are used as they are.
//!
//! **In the debugger.** `break step5_timers::Timers::fire_timers` stops once per turn;
//! `print self.heap` shows the pending deadlines with their sequence numbers.
//!
//! **What the real corolab adds here, and where.** The heap is `src/reactor/timers.rs` (with
//! cancellation by handle), the timeout is `Runtime::io_timeout` (`src/runtime.rs`) with
//! `ceil_to_millis` (`src/reactor/mod.rs`); `corolab::time::sleep` and `timeout` are `src/time.rs`.

use std::collections::{BinaryHeap, HashMap};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use std::{cell::RefCell, cmp::Reverse, future::Future, io, pin::Pin, rc::Rc};
pub use step4_reactor::{Executor, Handle, Reactor, Socket, set_wake_cause, trace};

/// The pending timers: a min-heap of `(deadline, id)`, and the waker of each live timer.
#[derive(Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
    wakers: HashMap<u64, Waker>,
    next_id: u64,
}

impl Timers {
    /// Sets a timer; ids (0, 1, ...) are also the sequence that orders equal deadlines.
    pub fn insert(&mut self, deadline: Instant, waker: Waker) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        trace::line(format!("add timer {id:#x}"));
        self.heap.push(Reverse((deadline, id)));
        self.wakers.insert(id, waker);
        id
    }

    /// Cancels timer `id` (its heap entry is skipped when it comes up).
    pub fn cancel(&mut self, id: u64) {
        trace::line(format!("drop timer {id:#x}"));
        self.wakers.remove(&id);
    }

    /// Replaces the waker of a live timer (a task may be polled with a new one).
    pub fn update(&mut self, id: u64, waker: &Waker) {
        if let Some(w) = self.wakers.get_mut(&id) {
            w.clone_from(waker);
        }
    }

    /// The earliest live deadline.
    pub fn next_deadline(&mut self) -> Option<Instant> {
        while let Some(Reverse((deadline, id))) = self.heap.peek() {
            if self.wakers.contains_key(id) {
                return Some(*deadline);
            }
            self.heap.pop(); // cancelled
        }
        None
    }

    /// Takes the earliest live timer whose deadline is `<= now` (so zero durations are due).
    pub fn next_due(&mut self, now: Instant) -> Option<(u64, Waker)> {
        // LAB(timer-heap) begin: skip cancelled entries; pop the top only if its deadline <= now
        let deadline = self.next_deadline()?;
        if deadline > now {
            return None;
        }
        let Reverse((_, id)) = self.heap.pop()?;
        Some((id, self.wakers.remove(&id)?))
        // LAB(timer-heap) end
    }

    /// Phase 2 of a turn: wakes every task whose timer is due, earliest (then oldest) first.
    pub fn fire_timers(&mut self, now: Instant) -> usize {
        let mut fired = 0;
        while let Some((id, waker)) = self.next_due(now) {
            trace::line(format!("  timer {id:#x} fired"));
            set_wake_cause(format!("timer {id:#x} fired"));
            waker.wake();
            fired += 1;
        }
        fired
    }
}

/// Phase 3's timeout: zero if a task is ready, else until the next deadline rounded *up* to
/// a millisecond, else `None` (no timer: sleep until I/O).
pub fn io_timeout(
    now: Instant,
    next_deadline: Option<Instant>,
    tasks_ready: bool,
) -> Option<Duration> {
    // LAB(epoll-timeout) begin: ZERO when tasks are ready; else ceil(deadline - now) to whole ms
    if tasks_ready {
        return Some(Duration::ZERO);
    }
    let left = next_deadline?.saturating_duration_since(now);
    Some(Duration::from_millis(left.as_nanos().div_ceil(1_000_000) as u64))
    // LAB(epoll-timeout) end
}

/// A future that completes at `deadline`: `asyncio.sleep`.
pub struct Sleep {
    deadline: Instant,
    timers: Rc<RefCell<Timers>>,
    id: Option<u64>,
}

impl Sleep {
    /// Sleeps until `deadline`.
    pub fn until(timers: &Rc<RefCell<Timers>>, deadline: Instant) -> Sleep {
        Sleep { deadline, timers: timers.clone(), id: None }
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(()); // Drop cancels the timer, if any
        }
        let id = match self.id {
            Some(id) => id,
            None => self.timers.borrow_mut().insert(self.deadline, cx.waker().clone()),
        };
        self.id = Some(id);
        self.timers.borrow_mut().update(id, cx.waker()); // the task may have a new waker
        trace::waits_for(format!("timer {id:#x}"));
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.timers.borrow_mut().cancel(id);
        }
    }
}

/// The executor, the reactor and the timers: what one thread needs to run tasks.
pub struct Runtime {
    /// Step 3's executor.
    pub executor: Executor,
    /// Step 4's reactor.
    pub reactor: Handle,
    /// This step's timers.
    pub timers: Rc<RefCell<Timers>>,
}

/// Runs until every task is done; each turn: run_ready_tasks, fire_timers, wait_for_io,
/// dispatch_io_events.
pub fn run(rt: &mut Runtime) -> io::Result<()> {
    let Runtime { executor, reactor, timers } = rt;
    loop {
        trace::phase("run_ready_tasks");
        executor.run_ready_tasks();
        trace::phase("fire_timers");
        timers.borrow_mut().fire_timers(Instant::now());
        if !executor.has_tasks() {
            return Ok(());
        }
        let next = timers.borrow_mut().next_deadline();
        let timeout = io_timeout(Instant::now(), next, executor.has_ready_tasks());
        if timeout.is_none() && !reactor.borrow().has_waiters() {
            return Err(io::Error::other(
                "every task waits, and not for I/O or a timer: it would hang",
            ));
        }
        trace::phase("wait_for_io");
        reactor.borrow_mut().wait_for_io(timeout)?;
        trace::phase("dispatch_io_events");
        reactor.borrow_mut().dispatch_io_events();
    }
}

/// The seeds' `asyncio.sleep` demo: three tasks say "One", sleep until the same deadline
/// (50 ms from now), say "Two". All three finish in about 50 ms, in the order they slept.
pub fn run_demo() -> io::Result<()> {
    let timers = Rc::new(RefCell::new(Timers::default()));
    let (executor, reactor) = (Executor::default(), Reactor::new()?);
    let mut rt = Runtime { executor, reactor, timers: timers.clone() };
    let started = Instant::now();
    for i in 1..=3 {
        let timers = timers.clone();
        rt.executor.spawn(async move {
            trace::say(format!("task {i}: One"));
            Sleep::until(&timers, started + Duration::from_millis(50)).await;
            trace::say(format!("task {i}: Two"));
        });
    }
    run(&mut rt)?;
    trace::say(format!("3 tasks slept 50 ms each, in {:.1} ms", trace::ms(started.elapsed())));
    Ok(())
}
