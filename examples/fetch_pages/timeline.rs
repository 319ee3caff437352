//! `--trace` and `--timeline`: the runtime's event log, made readable.
//!
//! [`Timeline`] is a `corolab::trace::Sink` that keeps every runtime record in memory, in the
//! order they happened, together with notes the fetching tasks write about themselves ("GET
//! page 2", "response complete") as `trace::note` records on the same clock. [`render_text`]
//! turns that into a causal story (poll -> WouldBlock -> Pending; epoll_wait; fd readable ->
//! wake -> poll); [`html`] into corolab's self-contained timeline page
//! (`corolab::trace::timeline`: lanes, arrows, and a step-through of the runtime's state);
//! [`chrome_json`] into the Chrome trace-event format: one track per task with its waits as
//! bars, and a reactor track with the `epoll_wait` calls as bars and I/O readiness as marks.
//! Open that JSON offline in Chromium's DevTools (Performance tab, "Load profile"), or in
//! Perfetto's web UI.

use super::strategies::NoteFn;
use corolab::trace::{self, Event, Interest, PollOutcome, Record, Sink, Wait, WakeCause};
use serde_json::{Value, json};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::rc::Rc;

/// One line of the log: a runtime record (notes are `Event::Note` records, on the same clock).
pub type Entry = Record;

/// A handle to the in-memory log of the installed timeline sink.
#[derive(Clone)]
pub struct Timeline {
    entries: Rc<RefCell<Vec<Entry>>>,
}

/// The sink itself: keeps every record, and passes it on to `also` (`COROLAB_TRACE=json`).
struct TimelineSink {
    entries: Rc<RefCell<Vec<Entry>>>,
    also: Option<Box<dyn Sink>>,
}

impl Sink for TimelineSink {
    fn record(&mut self, record: &Record) {
        self.entries.borrow_mut().push(record.clone());
        if let Some(also) = &mut self.also {
            also.record(record);
        }
    }
}

impl Timeline {
    /// Installs a new timeline as this thread's trace sink and returns a handle to it.
    #[allow(dead_code)] // used by tests/fetch_pages.rs, which includes this file
    pub fn install() -> Timeline {
        Timeline::install_with(None)
    }

    /// Like [`Timeline::install`], also passing every record to `also`.
    pub fn install_with(also: Option<Box<dyn Sink>>) -> Timeline {
        let entries = Rc::default();
        trace::set_sink(Box::new(TimelineSink {
            entries: Rc::clone(&entries),
            also,
        }));
        Timeline { entries }
    }

    /// The callback the fetching tasks use to add notes: a `trace::note` record, so notes
    /// and runtime events share one clock and one sequence.
    pub fn note_fn(&self) -> NoteFn {
        Rc::new(|_task: &str, text: &str| trace::note(|| text.to_string()))
    }

    /// Everything logged so far.
    pub fn entries(&self) -> Vec<Entry> {
        self.entries.borrow().clone()
    }
}

/// Printed before the timeline, so it can be read without knowing corolab.
pub const LEGEND: &str = "\
How to read this (times in ms since the trace clock started):
  -- tick N                      one turn of the runtime's loop (Runtime::tick) begins
  spawn task N (page P)          a task (a coroutine) was created; it runs only when polled
  poll task N                    the runtime runs the task until it must wait...
    | fd F WouldBlock: park ...  ...a socket had no data (or no room) yet, so the task stops here
    `-> Pending: waits for X     ...and gives the thread back; it stays parked until X wakes it
    `-> Ready                    the task finished
  epoll_wait(timeout T)          nothing to run: the thread sleeps in the kernel until a socket
                                 is ready or the next timer is due
  epoll_wait returned N event(s) N sockets became ready
  fd F readable                  the kernel says socket F has data...
    -> wake task N: its fd F ... ...so exactly the task parked on it goes back in the run queue
  (page P) ...                   what the task itself says it is doing
Lines marked | happened inside the poll above them (a wake there was caused by that task).
Sockets are shown by file descriptor (fd). main is the block_on future that spawned the tasks.
";

/// Task names from the `TaskSpawned` events (task id -> name).
fn task_names(entries: &[Entry]) -> HashMap<u64, String> {
    entries
        .iter()
        .filter_map(|e| match &e.event {
            Event::TaskSpawned {
                task,
                name: Some(name),
            } => Some((*task, name.clone())),
            _ => None,
        })
        .collect()
}

fn label(names: &HashMap<u64, String>, task: u64) -> String {
    match (task, names.get(&task)) {
        (0, _) => "main".to_string(),
        (_, Some(name)) => format!("task {task} ({name})"),
        (_, None) => format!("task {task}"),
    }
}

fn readiness(interest: Interest) -> &'static str {
    match interest {
        Interest::Read => "readable",
        Interest::Write => "writable",
    }
}

/// The causal timeline as text (see [`LEGEND`]).
///
/// A poll is a block: its `poll` line when it starts, what happened inside it (sockets
/// registered, `WouldBlock`, notes, tasks spawned or woken by the task, its end) under it,
/// and what it returned and now waits for when it ends. Everything else is a loop phase.
pub fn render_text(entries: &[Entry]) -> String {
    let names = task_names(entries);
    let mut out = String::new();
    let mut polling: Option<u64> = None;
    let mut pending_tick: Option<(u64, u64)> = None;
    let ms = |t_us: u64| t_us as f64 / 1000.0;
    for record in entries {
        let t = record.t_us;
        match &record.event {
            Event::TickStarted { tick } => {
                pending_tick = Some((t, *tick));
                continue;
            }
            Event::TickPhase { .. } | Event::TickEnded { .. } => continue,
            _ => {}
        }
        if let Some((at, tick)) = pending_tick.take() {
            let _ = writeln!(out, "{:>9.3}  -- tick {tick}", ms(at));
        }
        match (&record.event, polling) {
            (Event::TaskPollStarted { task }, _) => {
                polling = Some(*task);
                let _ = writeln!(out, "{:>9.3}  poll {}", ms(t), label(&names, *task));
            }
            (Event::TaskPolled { outcome, waits, .. }, _) => {
                polling = None;
                let _ = writeln!(out, "             `-> {}", poll_result(*outcome, waits, &names));
            }
            (event, Some(task)) => {
                if let Some(line) = describe_inside(event, task, &names) {
                    let _ = writeln!(out, "             | {line}");
                }
            }
            (event, None) => {
                if let Some(line) = describe_phase(event, &names) {
                    let _ = writeln!(out, "{:>9.3}  {line}", ms(t));
                }
            }
        }
    }
    out
}

/// `Pending: waits for fd 7 readable, timer 0x3` or `Ready`.
fn poll_result(outcome: PollOutcome, waits: &[Wait], names: &HashMap<u64, String>) -> String {
    let result = match outcome {
        PollOutcome::Pending => "Pending",
        PollOutcome::Ready => "Ready",
        PollOutcome::Panicked => "panicked",
    };
    if waits.is_empty() {
        return result.to_string();
    }
    let waits: Vec<String> = waits
        .iter()
        .map(|w| trace::describe_wait(w, &|id| label(names, id)))
        .collect();
    format!("{result}: waits for {}", waits.join(", "))
}

/// A line for something that happened inside `task`'s poll (`None`: not worth a line).
fn describe_inside(event: &Event, task: u64, names: &HashMap<u64, String>) -> Option<String> {
    Some(match event {
        Event::TaskSpawned { task, .. } => format!("spawn {}", label(names, *task)),
        Event::IoRegistered { fd, .. } => format!("fd {fd}: new socket, registered with epoll"),
        Event::IoDeregistered { fd, .. } => format!("fd {fd}: closed, deregistered"),
        Event::IoWouldBlock { fd, interest, .. } => {
            format!("fd {fd} WouldBlock: park until it is {}", readiness(*interest))
        }
        Event::IoShortRead { fd, .. } => format!("fd {fd}: short read, the next read will park"),
        Event::TaskWoken {
            task: woken,
            cause: WakeCause::Task { .. },
        } if *woken == task => format!(
            "{} wakes itself (it will be polled once more)",
            label(names, task)
        ),
        Event::TaskWoken { task: woken, cause } => {
            format!("wake {} (by {})", label(names, *woken), cause_words(cause, names))
        }
        Event::TaskFinished { task, outcome } => format!("done {} ({outcome:?})", label(names, *task)),
        Event::Note { text, .. } => match names.get(&task) {
            Some(name) => format!("({name}) {text}"),
            None => text.clone(),
        },
        Event::TimerAdded { .. } | Event::TimerReset { .. } | Event::TimerCancelled { .. } => return None,
        other => trace::describe(other, &|id| label(names, id))
            .trim_start()
            .to_string(),
    })
}

fn cause_words(cause: &WakeCause, names: &HashMap<u64, String>) -> String {
    match cause {
        WakeCause::Task { by } => label(names, *by),
        WakeCause::Io { fd, interest, .. } => format!("fd {fd} {}", readiness(*interest)),
        WakeCause::Timer { timer } => format!("timer {timer:#x}"),
        WakeCause::Thread => "another thread".into(),
        WakeCause::Yield => "its yield_now".into(),
        WakeCause::Budget => "its spent budget (a forced yield)".into(),
        WakeCause::Start => "block_on starting".into(),
        WakeCause::Unknown => "an unknown cause".into(),
    }
}

/// Lines for the events outside polls (`None`: nothing worth a line).
fn describe_phase(event: &Event, names: &HashMap<u64, String>) -> Option<String> {
    Some(match event {
        Event::ReactorWait { timeout_us: None } => {
            "epoll_wait(no timeout): nothing to do until a socket is ready".into()
        }
        Event::ReactorWait { timeout_us: Some(0) } => {
            "epoll_wait(timeout 0): a quick look, tasks are waiting to run".into()
        }
        Event::ReactorWait { timeout_us: Some(us) } => {
            format!(
                "epoll_wait(timeout {:.1} ms): sleep until a socket is ready or a timer is due",
                *us as f64 / 1000.0
            )
        }
        Event::ReactorWoke { events } => format!("epoll_wait returned {events} event(s)"),
        Event::IoReady {
            fd,
            readable,
            writable,
            ..
        } => match (readable, writable) {
            (true, true) => format!("  fd {fd} readable+writable"),
            (true, false) => format!("  fd {fd} readable"),
            (false, true) => format!("  fd {fd} writable"),
            (false, false) => format!("  fd {fd} error/hangup"),
        },
        Event::TimerFired { timer, late_us } => format!("  timer {timer:#x} fired ({late_us} us late)"),
        Event::TaskWoken { task, cause } => {
            let task = label(names, *task);
            match cause {
                WakeCause::Io { fd, interest, .. } => {
                    format!("    -> wake {task}: its fd {fd} is {}", readiness(*interest))
                }
                WakeCause::Timer { timer } => format!("    -> wake {task}: its timer {timer:#x} fired"),
                WakeCause::Thread => format!("  wake {task} (from another thread)"),
                WakeCause::Yield => format!("  wake {task} (it yielded; the reactor has had its turn)"),
                WakeCause::Budget => format!("  wake {task} (its budget ran out: a forced yield)"),
                WakeCause::Start => format!("  wake {task} (block_on starts it)"),
                WakeCause::Task { by } => format!("  wake {task} (by {})", label(names, *by)),
                WakeCause::Unknown => format!("  wake {task} (no layer said why)"),
            }
        }
        Event::TaskFinished { task, outcome } => format!("done {} ({outcome:?})", label(names, *task)),
        Event::TimerAdded { .. } | Event::TimerReset { .. } | Event::TimerCancelled { .. } => return None,
        Event::IoShortRead { .. } => return None,
        other => trace::describe(other, &|id| label(names, id)),
    })
}

/// The self-contained timeline page (`corolab::trace::timeline`) of the records, and how many
/// records it holds.
pub fn html(entries: &[Entry], title: &str) -> (String, usize) {
    (trace::timeline::html(entries, title), entries.len())
}

/// A wait bar is named after what the task waited for (or, failing that, what ended it).
fn wait_name(waits: &[Wait], cause: &WakeCause, names: &HashMap<u64, String>) -> String {
    if let Some(first) = waits.first().filter(|w| **w != Wait::Unknown) {
        return format!(
            "waits for {}",
            trace::describe_wait(first, &|id| label(names, id))
        );
    }
    format!("waits for {}", cause_words(cause, names))
}

/// Track (Chrome "thread id") of the reactor; tasks use their own id.
const REACTOR_TRACK: u64 = 1_000_000;

/// The timeline in Chrome trace-event JSON (see [`chrome_json_counted`]).
#[allow(dead_code)] // used by tests/fetch_pages.rs, which includes this file
pub fn chrome_json(entries: &[Entry]) -> String {
    chrome_json_counted(entries).0
}

/// The timeline in Chrome trace-event JSON, and how many trace events it holds.
///
/// Each task is a track: a bar for its whole life, inside it a bar for every wait (from the
/// poll that returned `Pending` to the wake, named after what it waited for), and marks for
/// its polls and notes. The reactor track shows each `epoll_wait` as a bar and each socket
/// readiness or timer as a mark.
pub fn chrome_json_counted(entries: &[Entry]) -> (String, usize) {
    let names = task_names(entries);
    let mut events: Vec<Value> = vec![
        json!({"ph": "M", "pid": 1, "tid": 0, "name": "process_name", "args": {"name": "fetch_pages coroutines"}}),
        json!({"ph": "M", "pid": 1, "tid": REACTOR_TRACK, "name": "thread_name", "args": {"name": "reactor (epoll)"}}),
        json!({"ph": "M", "pid": 1, "tid": 0, "name": "thread_name", "args": {"name": "main (block_on)"}}),
    ];
    let bar = |tid: u64, name: String, start: u64, end: u64, args: Value| json!({"ph": "X", "pid": 1, "tid": tid, "name": name, "ts": start, "dur": end.saturating_sub(start).max(1), "args": args});
    let mark = |tid: u64, name: String, ts: u64| json!({"ph": "i", "s": "t", "pid": 1, "tid": tid, "name": name, "ts": ts});
    let mut spawned_at: HashMap<u64, u64> = HashMap::new();
    let mut waiting_since: HashMap<u64, (u64, Vec<Wait>)> = HashMap::new();
    let mut polling: Option<u64> = None;
    let mut wait_started: Option<(u64, Option<u64>)> = None;
    let mut end = 0;
    for record in entries {
        let t = record.t_us;
        end = end.max(t);
        match &record.event {
            Event::Note { task, text } => events.push(mark(*task, text.clone(), t)),
            Event::TaskSpawned { task, .. } => {
                spawned_at.insert(*task, t);
                let name = label(&names, *task);
                events.push(
                    json!({"ph": "M", "pid": 1, "tid": task, "name": "thread_name", "args": {"name": name}}),
                );
            }
            Event::IoWouldBlock { fd, interest, .. } => {
                let what = format!("fd {fd} WouldBlock: park until {}", readiness(*interest));
                events.push(mark(polling.unwrap_or(0), what, t));
            }
            Event::TaskPollStarted { task } => polling = Some(*task),
            Event::TaskPolled { task, outcome, waits } => {
                polling = None;
                events.push(mark(*task, format!("poll -> {outcome:?}"), t));
                if *outcome == PollOutcome::Pending {
                    waiting_since.insert(*task, (t, waits.clone()));
                }
            }
            Event::TaskWoken { task, cause } => {
                if let Some((since, waits)) = waiting_since.remove(task) {
                    events.push(bar(
                        *task,
                        wait_name(&waits, cause, &names),
                        since,
                        t,
                        json!({"woken_by": cause, "waited_for": waits}),
                    ));
                }
            }
            Event::TaskFinished { task, outcome } => {
                let start = spawned_at.remove(task).unwrap_or(0);
                events.push(bar(
                    *task,
                    label(&names, *task),
                    start,
                    t,
                    json!({"outcome": outcome}),
                ));
            }
            Event::ReactorWait { timeout_us } => wait_started = Some((t, *timeout_us)),
            Event::ReactorWoke { events: n } => {
                if let Some((start, timeout_us)) = wait_started.take() {
                    let args = json!({"events": n, "timeout_us": timeout_us});
                    events.push(bar(
                        REACTOR_TRACK,
                        format!("epoll_wait -> {n} event(s)"),
                        start,
                        t,
                        args,
                    ));
                }
            }
            Event::IoReady {
                fd,
                readable,
                writable,
                ..
            } => {
                let what = match (readable, writable) {
                    (true, true) => "readable+writable",
                    (true, false) => "readable",
                    (false, true) => "writable",
                    (false, false) => "error/hangup",
                };
                events.push(mark(REACTOR_TRACK, format!("fd {fd} {what}"), t));
            }
            Event::TimerFired { timer, .. } => {
                events.push(mark(REACTOR_TRACK, format!("timer {timer:#x} fired"), t))
            }
            _ => {}
        }
    }
    // Tasks still alive at the end (none after a complete run) get bars up to the last event.
    for (task, start) in spawned_at {
        events.push(bar(
            task,
            label(&names, task),
            start,
            end,
            json!({"outcome": "still running"}),
        ));
    }
    let count = events.len();
    (
        json!({"traceEvents": events, "displayTimeUnit": "ms"}).to_string(),
        count,
    )
}
