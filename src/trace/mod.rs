//! The event log every layer reports into.
//!
//! **Concept.** A coroutine runtime is a loop that nobody sees: tasks are polled, return
//! `Pending`, sleep in `epoll_wait`, get woken by a readable socket, are polled again. The trace
//! makes that loop visible. Every layer reports typed [`Event`]s (task spawned / woken / polled /
//! finished, loop ticks, reactor wait / wake-up, socket ready, timer added / fired) to a *sink*
//! installed on the current thread. With no sink installed (the default) a report costs one
//! thread-local flag check and the event is never even built.
//!
//! **Where.** `emit` is the single entry point (it takes a closure, so the event is only built
//! when tracing is on); it stamps each record (sequence number, time, runtime, thread) under
//! one process-wide lock. Sinks (`sinks.rs`): [`TextSink`] (human-readable lines; on stderr,
//! [`StderrSink`], turned on by `COROLAB_TRACE=1` when a runtime starts), [`JsonLinesSink`] (one
//! JSON object per line, `COROLAB_TRACE=json`), and [`Recorder`] (in memory, for tests and for
//! the fetch_pages timeline). The record types are in `event.rs`; `mode.rs` reads
//! `COROLAB_TRACE`, `labels.rs` decides when text lines carry `[rt N thread]`. [`replay`] rebuilds the
//! runtime's state after each record; [`timeline`] writes the self-contained HTML page that
//! shows a run and steps through those states (`COROLAB_TRACE=html:PATH`). Thread-local cells carry context between layers: the *wake cause* (the
//! reactor sets it with `with_cause` before it calls a waker; the executor reads it with
//! [`current_cause`]) and the *park reasons* (a leaf future that stores a waker says what for
//! with `park`; the executor takes them with `poll_ended` and puts them in `task_polled`).
//!
//! **In the debugger.** Break on `corolab::trace::emit_slow` (the out-of-line half of `emit`, which is
//! generic and inlined) to stop at every reported event (`print event`), or on
//! `corolab::trace::park_slow` to see each park reason as a leaf future reports it.
//!
//! # The record format
//!
//! Every record ([`Record`]) is one JSON object on one line (`COROLAB_TRACE=json`), written whole
//! with a single write under a process-wide lock, so traces from several threads never tear:
//!
//! ```text
//! {"seq":12,"t_us":803,"rt":1,"thread":"main","event":"task_polled","task":1,"outcome":"pending","waits":[{"kind":"io","token":4294967298,"fd":7,"side":"read"}]}
//! ```
//!
//! - `seq`: process-wide, strictly increasing in the order records were made (on any thread);
//!   `t_us`: microseconds on ONE process-wide clock, non-decreasing in `seq` order. Both are
//!   stamped under the lock that orders the writes, so a file's lines are in `seq` order.
//! - `rt`: the runtime's id (`Runtime::id`, 1 for the first runtime), 0 outside any runtime;
//!   `thread`: the OS thread's name. Text lines carry the same as a `[rt N thread]` label once
//!   several runtimes trace (or after [`label_lines`]).
//! - `event` names the [`Event`] variant in snake_case; its fields follow flat. Nested values
//!   (`cause`, the `waits` list) are objects tagged by `kind`.
//!
//! Enough is recorded to rebuild the runtime's state after every record: the run queue
//! (`task_woken` pushes on the back, `main_turn` takes task 0 out, `task_poll_started` any
//! other task), parked tasks and
//! what each waits for (`task_polled` with outcome `pending` and its `waits`), registered
//! sockets with readiness (`io_registered` starts readable+writable, `io_ready` sets,
//! `io_would_block` / `io_short_read` clear) and the wakers each holds (a `waits` entry of kind
//! `io` adds the task to that side's list; `io_ready` empties a ready side, `io_deregistered`
//! all), and pending timers (`timer_added` / `timer_reset` / `timer_cancelled` / `timer_fired`).
//! Loop turns are bracketed by `tick_started` / `tick_phase` / `tick_ended`. Chapter 10
//! (`docs/10-debugging.md`) documents every field (`tests/trace_format_doc.rs` fails when a
//! field, event, kind or value of `event.rs` is missing there).

mod event;
mod labels;
mod mode;
pub mod replay;
mod sinks;
pub mod timeline;

pub use event::{ChannelOp, Event, Interest, Phase, PollOutcome, Record, TaskOutcome, Wait, WakeCause};
pub use labels::label_lines;
pub(crate) use labels::several_runtimes;
use labels::{note_runtime, thread_name};
pub use mode::{TraceMode, install_from_env, mode_from_env, parse_mode};
pub use sinks::{JsonLinesSink, Recorder, StderrSink, TextSink, describe, describe_wait};

use std::cell::{Cell, RefCell};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// Something that receives trace records.
///
/// ```
/// # use corolab::trace::{self, Record, Sink};
/// # use std::{cell::Cell, rc::Rc};
/// // The smallest sink: it only counts. `record` is the one method to write.
/// struct Count(Rc<Cell<usize>>);
/// impl Sink for Count {
///     fn record(&mut self, _: &Record) { self.0.set(self.0.get() + 1) }
/// }
/// # let count = Rc::new(Cell::new(0));
/// trace::set_sink(Box::new(Count(count.clone())));
/// corolab::block_on(async {});
/// assert!(count.get() > 0);
/// ```
pub trait Sink {
    /// Called once per record, on the thread that produced it, under the process-wide trace
    /// lock (so a sink writing to a shared stream writes whole records).
    ///
    /// ```
    /// # use corolab::trace::{self, Event, Record, Sink};
    /// # use std::{cell::Cell, rc::Rc};
    /// struct Spawns(Rc<Cell<u32>>);
    /// impl Sink for Spawns {
    ///     fn record(&mut self, record: &Record) {
    ///         if let Event::TaskSpawned { .. } = record.event { self.0.set(self.0.get() + 1) }
    ///     }
    /// }
    /// # let spawns = Rc::new(Cell::new(0));
    /// # trace::set_sink(Box::new(Spawns(spawns.clone())));
    /// corolab::block_on(async { corolab::spawn(async {}).await.unwrap() });
    /// assert_eq!(spawns.get(), 1);
    /// ```
    fn record(&mut self, record: &Record);

    /// Called when a runtime on this thread ends (a sink that writes a file writes it now).
    ///
    /// ```
    /// # use corolab::trace::{self, Record, Sink};
    /// # use std::{cell::Cell, rc::Rc};
    /// struct Flushed(Rc<Cell<bool>>);
    /// impl Sink for Flushed {
    ///     fn record(&mut self, _: &Record) {}
    ///     fn flush(&mut self) { self.0.set(true) } // a file-writing sink writes here
    /// }
    /// # let flushed = Rc::new(Cell::new(false));
    /// # trace::set_sink(Box::new(Flushed(flushed.clone())));
    /// corolab::block_on(async {}); // the runtime ends: flush
    /// assert!(flushed.get());
    /// ```
    fn flush(&mut self) {}
}

/// At most this many park reasons are kept per poll (a `join_all` of 10,000 sleeps would
/// otherwise build a 10,000-entry list per poll).
const MAX_WAITS_PER_POLL: usize = 16;

thread_local! {
    static SINK: RefCell<Option<Box<dyn Sink>>> = const { RefCell::new(None) };
    static ENABLED: Cell<bool> = const { Cell::new(false) };
    static CAUSE: Cell<WakeCause> = const { Cell::new(WakeCause::Unknown) };
    static TASK: Cell<u64> = const { Cell::new(0) };
    static RUNTIME: Cell<u64> = const { Cell::new(0) };
    static WAITS: RefCell<Vec<Wait>> = const { RefCell::new(Vec::new()) };
    /// Did the task being polled wake itself (a `task_woken` of it inside its poll)?
    static SELF_WOKEN: Cell<bool> = const { Cell::new(false) };
}

/// The one trace clock of the process: started by the first sink installed.
static EPOCH: OnceLock<Instant> = OnceLock::new();
/// The last sequence number handed out; its lock orders stamping and writing.
static STAMP: Mutex<u64> = Mutex::new(0);

/// Is a sink installed on this thread? One thread-local read: this is the whole cost of
/// tracing when it is off.
///
/// ```
/// use corolab::trace::{self, Recorder};
/// assert!(!trace::enabled()); // the default: reporting an event costs this one check
/// let _recorder = Recorder::install();
/// assert!(trace::enabled());
/// # trace::clear_sink();
/// ```
#[inline]
pub fn enabled() -> bool {
    ENABLED.with(Cell::get)
}

/// Reports an event. The closure runs only when a sink is installed.
#[inline]
pub(crate) fn emit(make: impl FnOnce() -> Event) {
    if enabled() {
        emit_slow(None, make());
    }
}

/// Reports an event of runtime `rt` (the reactor uses this: a socket dropped after
/// `block_on` returned still belongs to its runtime).
#[inline]
pub(crate) fn emit_for(rt: u64, make: impl FnOnce() -> Event) {
    if enabled() {
        emit_slow(Some(rt), make());
    }
}

#[inline(never)]
fn emit_slow(rt: Option<u64>, event: Event) {
    let _ = SINK.try_with(|slot| {
        // A sink that reports from inside `record` would re-enter: drop such events.
        let Ok(mut slot) = slot.try_borrow_mut() else {
            return;
        };
        let Some(sink) = slot.as_mut() else { return };
        let rt = rt.unwrap_or_else(|| RUNTIME.with(Cell::get));
        if let Event::TaskWoken { task, .. } = event
            && task == TASK.with(Cell::get)
        {
            SELF_WOKEN.with(|w| w.set(true));
        }
        note_runtime(rt);
        let thread = thread_name();
        let mut last = STAMP.lock().unwrap_or_else(|e| e.into_inner());
        *last += 1;
        let record = Record {
            seq: *last,
            t_us: now_us(),
            rt,
            thread,
            event,
        };
        sink.record(&record);
    });
}

fn epoch() -> Instant {
    *EPOCH.get_or_init(Instant::now)
}

/// Now, in microseconds on the trace clock (the `t_us` of a record made now).
pub(crate) fn now_us() -> u64 {
    epoch().elapsed().as_micros() as u64
}

/// `at` on the trace clock, in microseconds (0 if it is before the clock started).
pub(crate) fn instant_us(at: Instant) -> u64 {
    at.saturating_duration_since(epoch()).as_micros() as u64
}

/// Installs `sink` for this thread, replacing (and returning) any previous one.
///
/// ```
/// use corolab::trace::{self, Event, Recorder};
/// let recorder = Recorder::default();
/// let previous = trace::set_sink(Box::new(recorder.clone())); // the clone stays with us
/// assert!(previous.is_none());
/// corolab::block_on(async {});
/// # trace::clear_sink();
/// assert!(recorder.events().contains(&Event::MainTurn));
/// ```
pub fn set_sink(sink: Box<dyn Sink>) -> Option<Box<dyn Sink>> {
    epoch();
    ENABLED.with(|e| e.set(true));
    SINK.with(|slot| slot.borrow_mut().replace(sink))
}

/// Removes this thread's sink; tracing is off again.
///
/// ```
/// use corolab::trace::{self, Recorder};
/// let recorder = Recorder::install();
/// assert!(trace::clear_sink().is_some()); // the recorder, handed back
/// corolab::block_on(async {}); // not traced
/// assert!(recorder.records().is_empty());
/// ```
pub fn clear_sink() -> Option<Box<dyn Sink>> {
    ENABLED.with(|e| e.set(false));
    SINK.with(|slot| slot.borrow_mut().take())
}

/// Tells this thread's sink that a runtime ended (`Runtime::block_on` calls it on the way out).
pub(crate) fn flush() {
    if enabled() {
        SINK.with(|slot| {
            if let Ok(mut slot) = slot.try_borrow_mut()
                && let Some(sink) = slot.as_mut()
            {
                sink.flush();
            }
        });
    }
}

/// Runs `f` with `cause` as this thread's current wake cause, then restores the old one.
/// The reactor wraps each `waker.wake()` in this so the executor can say why a task woke.
#[inline]
pub(crate) fn with_cause<R>(cause: WakeCause, f: impl FnOnce() -> R) -> R {
    if !enabled() {
        return f();
    }
    let _restore = CauseGuard(CAUSE.with(|c| c.replace(cause)));
    f()
}

/// Puts the previous wake cause back when dropped, also when `f` panics (a cause left behind
/// would label later wakes from plain code "by task N").
struct CauseGuard(WakeCause);

impl Drop for CauseGuard {
    fn drop(&mut self) {
        let _ = CAUSE.try_with(|c| c.set(self.0));
    }
}

/// The wake cause set by the innermost `with_cause` on this thread.
///
/// ```
/// use corolab::trace::{self, WakeCause};
/// # use std::{sync::{Arc, Mutex}, task::{Wake, Waker}};
/// // A waker that notes why it was woken.
/// struct Why(Mutex<Option<WakeCause>>);
/// impl Wake for Why {
///     fn wake(self: Arc<Self>) { *self.0.lock().unwrap() = Some(trace::current_cause()) }
/// }
/// # let _recorder = trace::Recorder::install();
/// # let why = Arc::new(Why(Mutex::new(None)));
/// let waker = Waker::from(why.clone());
/// corolab::block_on(async move { waker.wake() }); // woken inside the main future's poll
/// assert_eq!(*why.0.lock().unwrap(), Some(WakeCause::Task { by: 0 }));
/// ```
pub fn current_cause() -> WakeCause {
    CAUSE.with(Cell::get)
}

// ------------------------------------------------------------------ runtimes, polls, parks

/// Marks this thread as running runtime `id` until the guard is dropped (`Runtime::block_on`).
pub(crate) fn enter_runtime(id: u64) -> RuntimeGuard {
    RuntimeGuard {
        previous: RUNTIME.with(|r| r.replace(id)),
    }
}

/// Restores the previous runtime id when dropped.
pub(crate) struct RuntimeGuard {
    previous: u64,
}

impl Drop for RuntimeGuard {
    fn drop(&mut self) {
        let previous = self.previous;
        let _ = RUNTIME.try_with(|r| r.set(previous));
    }
}

/// Runs `f`, the poll of task `task`: records `task_poll_started`, makes wakes inside it say
/// "by task `task`", and starts an empty list of park reasons. The executor then reports the
/// end with [`poll_ended`].
#[inline]
pub(crate) fn polling<R>(task: u64, f: impl FnOnce() -> R) -> R {
    if !enabled() {
        return f();
    }
    emit(|| Event::TaskPollStarted { task });
    let _ = WAITS.try_with(|w| w.borrow_mut().clear());
    SELF_WOKEN.with(|w| w.set(false));
    let mut poll = PollGuard {
        task,
        previous: TASK.with(|t| t.replace(task)),
        returned: false,
    };
    let out = with_cause(WakeCause::Task { by: task }, f);
    poll.returned = true;
    out
}

/// Ends what [`polling`] started even if the poll unwinds: tasks are polled inside
/// `catch_unwind`, but a panicking `block_on` future unwinds through here. Without this its
/// `task_poll_started` had no `task_polled` (a replay never left the poll, the text sink
/// kept prefixing `|`) and the thread kept "polling task 0".
struct PollGuard {
    task: u64,
    previous: u64,
    returned: bool,
}

impl Drop for PollGuard {
    fn drop(&mut self) {
        let _ = TASK.try_with(|t| t.set(self.previous));
        if !self.returned {
            poll_ended(self.task, PollOutcome::Panicked);
        }
    }
}

/// The task being polled on this thread (0: the main future, or none). Only kept while
/// tracing is on.
///
/// ```
/// use corolab::trace;
/// let _recorder = trace::Recorder::install(); // without a sink, always 0
/// let ids = corolab::block_on(async {
///     let child = corolab::spawn(async { trace::current_task() }).await.unwrap();
///     (trace::current_task(), child)
/// });
/// assert_eq!(ids, (0, 1)); // main is task 0, the first spawned task is 1
/// ```
pub fn current_task() -> u64 {
    TASK.with(Cell::get)
}

/// Records `task_polled` for the poll [`polling`] ran. A `Pending` poll with no park reason
/// is `requeued` if the task woke itself during the poll, else `unknown`.
#[inline]
pub(crate) fn poll_ended(task: u64, outcome: PollOutcome) {
    if enabled() {
        poll_ended_slow(task, outcome);
    }
}

#[inline(never)]
fn poll_ended_slow(task: u64, outcome: PollOutcome) {
    let requeued = SELF_WOKEN.with(|w| w.replace(false));
    // `try_with`: a thread being torn down may still report (its list is then gone).
    let mut waits = WAITS
        .try_with(|w| std::mem::take(&mut *w.borrow_mut()))
        .unwrap_or_default();
    if outcome != PollOutcome::Pending {
        waits.clear();
    } else if waits.is_empty() {
        waits.push(if requeued { Wait::Requeued } else { Wait::Unknown });
    }
    emit(|| Event::TaskPolled { task, outcome, waits });
}

/// A leaf future stored its waker and is about to return `Pending`: say what it waits for.
/// Costs one thread-local check when tracing is off.
#[inline]
pub(crate) fn park(make: impl FnOnce() -> Wait) {
    if enabled() {
        park_slow(make());
    }
}

#[inline(never)]
fn park_slow(wait: Wait) {
    let _ = WAITS.try_with(|w| {
        let mut waits = w.borrow_mut();
        if waits.len() < MAX_WAITS_PER_POLL && !waits.contains(&wait) {
            waits.push(wait);
        }
    });
}

/// A number naming a shared object (a channel, a semaphore) while it lives: its address.
pub(crate) fn object_id<T: ?Sized>(object: *const T) -> u64 {
    object as *const () as usize as u64
}

/// Writes free text into the trace (a `note` record), e.g. what a task is about to do.
///
/// ```
/// use corolab::trace::{self, Event, Recorder};
/// let recorder = Recorder::install();
/// corolab::block_on(async { trace::note(|| "fetching page 1".to_string()) });
/// # trace::clear_sink();
/// let text = "fetching page 1".to_string();
/// assert!(recorder.events().contains(&Event::Note { task: 0, text }));
/// ```
#[inline]
pub fn note(text: impl FnOnce() -> String) {
    emit(|| Event::Note {
        task: current_task(),
        text: text(),
    });
}

/// Reports an explicit greenlet switch; `ids` gives `(from, to)` greenlet ids and runs only
/// when tracing is on.
#[inline]
pub(crate) fn greenlet_switch_with(ids: impl FnOnce() -> (u64, u64)) {
    emit(|| {
        let (from, to) = ids();
        Event::GreenletSwitch { from, to }
    });
}
