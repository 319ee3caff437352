//! The event log every layer reports into.
//!
//! **Concept.** A coroutine runtime is a loop that nobody sees: tasks are polled, return
//! `Pending`, sleep in `epoll_wait`, get woken by a readable socket, are polled again. The trace
//! makes that loop visible. Every layer reports typed [`Event`]s (task spawned / woken / polled /
//! finished, reactor wait / wake-up, socket ready, timer fired) to a *sink* installed on the
//! current thread. With no sink installed (the default) a report costs one thread-local flag
//! check and the event is never even built.
//!
//! **Where.** [`emit`] is the single entry point (it takes a closure, so the event is only built
//! when tracing is on). Sinks: [`StderrSink`] (human-readable lines, turned on by
//! `COROLAB_TRACE=1` when a runtime starts), [`JsonLinesSink`] (one JSON object per line, for
//! tools), and [`Recorder`] (in memory, for tests and for the fetch_pages timeline). Wake causes
//! travel through a thread-local "why is this wake happening" cell: the reactor sets it with
//! [`with_cause`] before it calls a waker, and the executor reads it with [`current_cause`].
//!
//! **In the debugger.** Break on `corolab::trace::emit_slow` (the out-of-line half of `emit`, which is
//! generic and inlined) to stop at every reported event, or
//! print `record.event` in `StderrSink::record` to see them one by one.

mod sinks;

pub use sinks::{JsonLinesSink, Recorder, StderrSink, describe};

use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::time::Instant;

/// Which direction of a socket an I/O event or a wait concerns.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Interest {
    /// Waiting for data (or a connection) to read.
    Read,
    /// Waiting for room in the send buffer (or a connect to finish).
    Write,
}

/// Why a task was woken.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WakeCause {
    /// The reactor saw readiness on a registered socket.
    Io {
        /// The mio token (slot and generation packed).
        token: u64,
        /// The file descriptor.
        fd: i32,
        /// Which direction became ready.
        interest: Interest,
    },
    /// A timer's deadline passed.
    Timer {
        /// The timer's id.
        timer: u64,
    },
    /// Another task (or the main future) called `wake` while being polled.
    Task {
        /// The task that was running (0 = the `block_on` future).
        by: u64,
    },
    /// A waker was used from another OS thread.
    Thread,
    /// The task called `yield_now` and the reactor has had its turn since.
    Yield,
    /// The task used up its cooperative budget (`executor::budget`) and was made to yield.
    Budget,
    /// The first turn of a new `block_on` future.
    Start,
    /// No layer said why (e.g. a wake from plain code outside any poll).
    Unknown,
}

/// How a poll ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PollOutcome {
    /// The future is not done and has arranged to be woken.
    Pending,
    /// The future finished.
    Ready,
    /// The future panicked.
    Panicked,
}

/// How a task ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskOutcome {
    /// It returned a value.
    Completed,
    /// It panicked; the panic is reported through its `JoinHandle`.
    Panicked,
    /// It was aborted, or dropped when the runtime shut down.
    Cancelled,
}

/// One thing that happened inside the runtime.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// `spawn` created a task.
    TaskSpawned {
        /// Task id (1, 2, 3, ... per runtime; 0 is the `block_on` future).
        task: u64,
        /// The name given with `spawn_named`.
        name: Option<String>,
    },
    /// A task was put on the run queue.
    TaskWoken {
        /// Task id.
        task: u64,
        /// Why.
        cause: WakeCause,
    },
    /// A task (or the main future, task 0) was polled.
    TaskPolled {
        /// Task id.
        task: u64,
        /// What the poll returned.
        outcome: PollOutcome,
    },
    /// A task ended and its slot was released.
    TaskFinished {
        /// Task id.
        task: u64,
        /// How it ended.
        outcome: TaskOutcome,
    },
    /// The reactor is about to block in `epoll_wait`.
    ReactorWait {
        /// The timeout in microseconds (`None`: wait until an event arrives).
        timeout_us: Option<u64>,
    },
    /// `epoll_wait` returned.
    ReactorWoke {
        /// How many events it returned.
        events: usize,
    },
    /// A socket was registered with the reactor.
    IoRegistered {
        /// The mio token.
        token: u64,
        /// The file descriptor.
        fd: i32,
    },
    /// A socket was deregistered (its owner was dropped).
    IoDeregistered {
        /// The mio token.
        token: u64,
        /// The file descriptor.
        fd: i32,
    },
    /// The kernel reported readiness for a socket.
    IoReady {
        /// The mio token.
        token: u64,
        /// The file descriptor (-1 if the token was stale).
        fd: i32,
        /// Readable (or read side closed).
        readable: bool,
        /// Writable (or write side closed).
        writable: bool,
        /// An error or hang-up was reported (`EPOLLERR`/`EPOLLHUP`): both directions wake.
        error: bool,
    },
    /// A task went back to waiting on a socket after an operation returned `WouldBlock`.
    IoWouldBlock {
        /// The mio token.
        token: u64,
        /// The file descriptor.
        fd: i32,
        /// Which direction it now waits for.
        interest: Interest,
    },
    /// A timer's deadline passed.
    TimerFired {
        /// The timer's id.
        timer: u64,
        /// How late it fired, in microseconds.
        late_us: u64,
    },
}

/// An event with the time it happened, in microseconds since the sink was installed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Record {
    /// Microseconds since the sink was installed.
    pub t_us: u64,
    /// What happened.
    #[serde(flatten)]
    pub event: Event,
}

/// Something that receives trace records.
pub trait Sink {
    /// Called once per record, on the thread that produced it.
    fn record(&mut self, record: &Record);
}

thread_local! {
    static SINK: RefCell<Option<(Instant, Box<dyn Sink>)>> = const { RefCell::new(None) };
    static ENABLED: Cell<bool> = const { Cell::new(false) };
    static CAUSE: Cell<WakeCause> = const { Cell::new(WakeCause::Unknown) };
}

/// Is a sink installed on this thread? One thread-local read: this is the whole cost of
/// tracing when it is off.
#[inline]
pub fn enabled() -> bool {
    ENABLED.with(Cell::get)
}

/// Reports an event. The closure runs only when a sink is installed.
#[inline]
pub fn emit(make: impl FnOnce() -> Event) {
    if enabled() {
        emit_slow(make());
    }
}

#[inline(never)]
fn emit_slow(event: Event) {
    SINK.with(|slot| {
        // A sink that reports from inside `record` would re-enter: drop such events.
        if let Ok(mut slot) = slot.try_borrow_mut()
            && let Some((start, sink)) = slot.as_mut()
        {
            let record = Record {
                t_us: start.elapsed().as_micros() as u64,
                event,
            };
            sink.record(&record);
        }
    });
}

/// Installs `sink` for this thread, replacing (and returning) any previous one.
pub fn set_sink(sink: Box<dyn Sink>) -> Option<Box<dyn Sink>> {
    ENABLED.with(|e| e.set(true));
    SINK.with(|slot| slot.borrow_mut().replace((Instant::now(), sink)))
        .map(|(_, old)| old)
}

/// Removes this thread's sink; tracing is off again.
pub fn clear_sink() -> Option<Box<dyn Sink>> {
    ENABLED.with(|e| e.set(false));
    SINK.with(|slot| slot.borrow_mut().take()).map(|(_, old)| old)
}

/// Installs a [`StderrSink`] if `COROLAB_TRACE=1` (or `stderr`) and no sink is installed yet.
/// `COROLAB_TRACE=json` installs a [`JsonLinesSink`] on stderr instead.
pub fn install_from_env() {
    if enabled() {
        return;
    }
    match std::env::var("COROLAB_TRACE").as_deref() {
        Ok("1") | Ok("stderr") => {
            set_sink(Box::new(StderrSink::new()));
        }
        Ok("json") => {
            set_sink(Box::new(JsonLinesSink::new(std::io::stderr())));
        }
        _ => {}
    }
}

/// Runs `f` with `cause` as this thread's current wake cause, then restores the old one.
/// The reactor wraps each `waker.wake()` in this so the executor can say why a task woke.
#[inline]
pub fn with_cause<R>(cause: WakeCause, f: impl FnOnce() -> R) -> R {
    if !enabled() {
        return f();
    }
    let old = CAUSE.with(|c| c.replace(cause));
    let out = f();
    CAUSE.with(|c| c.set(old));
    out
}

/// The wake cause set by the innermost [`with_cause`] on this thread.
pub fn current_cause() -> WakeCause {
    CAUSE.with(Cell::get)
}
