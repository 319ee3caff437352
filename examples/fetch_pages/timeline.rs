//! `--trace` and `--timeline`: the runtime's event log, made readable.
//!
//! [`Timeline`] is a `corolab::trace::Sink` that keeps every runtime event in memory, in the
//! order they happened, together with notes the fetching tasks write about themselves ("GET
//! page 2", "response complete"). [`render_text`] turns that into a causal story (poll ->
//! WouldBlock -> Pending; epoll_wait; fd readable -> wake -> poll); [`chrome_json`] into the
//! Chrome trace-event format that Perfetto (<https://ui.perfetto.dev>) and `chrome://tracing`
//! open: one track per task with its waits as bars, and a reactor track with the `epoll_wait`
//! calls as bars and I/O readiness as marks.

use super::strategies::NoteFn;
use corolab::trace::{self, Event, Interest, PollOutcome, Record, Sink, WakeCause};
use serde_json::{Value, json};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::rc::Rc;
use std::time::Instant;

/// One line of the log: a runtime event, or a task's own note.
#[derive(Clone, Debug)]
pub enum Entry {
    /// Reported by the runtime.
    Event(Record),
    /// Reported by a fetching task (its name, e.g. `page 2`, and what it did).
    Note {
        /// Microseconds since the timeline was installed.
        t_us: u64,
        /// The task's name.
        task: String,
        /// What it said.
        text: String,
    },
}

impl Entry {
    fn t_us(&self) -> u64 {
        match self {
            Entry::Event(record) => record.t_us,
            Entry::Note { t_us, .. } => *t_us,
        }
    }
}

/// An in-memory trace sink that also takes notes. Clones share the log.
#[derive(Clone)]
pub struct Timeline {
    start: Instant,
    entries: Rc<RefCell<Vec<Entry>>>,
}

impl Sink for Timeline {
    fn record(&mut self, record: &Record) {
        self.entries.borrow_mut().push(Entry::Event(record.clone()));
    }
}

impl Timeline {
    /// Installs a new timeline as this thread's trace sink and returns a handle to it.
    pub fn install() -> Timeline {
        let timeline = Timeline {
            start: Instant::now(),
            entries: Rc::default(),
        };
        trace::set_sink(Box::new(timeline.clone()));
        timeline
    }

    /// The callback the fetching tasks use to add notes.
    pub fn note_fn(&self) -> NoteFn {
        let timeline = self.clone();
        Rc::new(move |task: &str, text: &str| {
            let t_us = timeline.start.elapsed().as_micros() as u64;
            timeline.entries.borrow_mut().push(Entry::Note {
                t_us,
                task: task.to_string(),
                text: text.to_string(),
            });
        })
    }

    /// Everything logged so far.
    pub fn entries(&self) -> Vec<Entry> {
        self.entries.borrow().clone()
    }
}

/// Printed before the timeline, so it can be read without knowing corolab.
pub const LEGEND: &str = "\
How to read this (times in ms since the run started):
  spawn task N (page P)          a task (a coroutine) was created; it runs only when polled
  poll task N                    the runtime runs the task until it must wait...
    | fd F WouldBlock: park ...  ...a socket had no data (or no room) yet, so the task stops here
    `-> Pending                  ...and gives the thread back; it stays parked until woken
    `-> Ready                    the task finished
  epoll_wait(timeout T)          nothing to run: the thread sleeps in the kernel until a socket
                                 is ready or the next timer is due
  epoll_wait returned N event(s) N sockets became ready
  fd F readable                  the kernel says socket F has data...
    -> wake task N: its fd F ... ...so exactly the task parked on it goes back in the run queue
  (page P) ...                   what the task itself says it is doing
Sockets are shown by file descriptor (fd). main is the block_on future that spawned the tasks.
";

/// Task names from the `TaskSpawned` events (task id -> name).
fn task_names(entries: &[Entry]) -> HashMap<u64, String> {
    entries
        .iter()
        .filter_map(|e| match e {
            Entry::Event(Record {
                event:
                    Event::TaskSpawned {
                        task,
                        name: Some(name),
                    },
                ..
            }) => Some((*task, name.clone())),
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
/// The runtime reports a poll when it *ends*, so whatever happened inside a poll (sockets
/// registered, `WouldBlock`, notes, tasks spawned or woken by the task) is collected and
/// printed under the poll line.
pub fn render_text(entries: &[Entry]) -> String {
    let names = task_names(entries);
    let mut out = String::new();
    let mut inside: Vec<(u64, String)> = Vec::new();
    let mut last_finished = None;
    let ms = |t_us: u64| t_us as f64 / 1000.0;
    for entry in entries {
        let t = entry.t_us();
        let event = match entry {
            Entry::Note { task, text, .. } => {
                inside.push((t, format!("({task}) {text}")));
                continue;
            }
            Entry::Event(record) => &record.event,
        };
        match event {
            Event::TaskSpawned { task, .. } => inside.push((t, format!("spawn {}", label(&names, *task)))),
            Event::IoRegistered { fd, .. } => {
                inside.push((t, format!("fd {fd}: new socket, registered with epoll")))
            }
            Event::IoDeregistered { fd, .. } => inside.push((t, format!("fd {fd}: closed, deregistered"))),
            Event::IoWouldBlock { fd, interest, .. } => inside.push((
                t,
                format!("fd {fd} WouldBlock: park until it is {}", readiness(*interest)),
            )),
            Event::TaskWoken {
                task,
                cause: WakeCause::Task { by },
            } => {
                let line = if task == by {
                    format!(
                        "{} wakes itself (it will be polled once more)",
                        label(&names, *task)
                    )
                } else {
                    format!("wake {} (by {})", label(&names, *task), label(&names, *by))
                };
                inside.push((t, line));
            }
            Event::TaskPolled { task, outcome } => {
                let first = inside.first().map_or(t, |(t, _)| *t);
                let _ = writeln!(out, "{:>9.3}  poll {}", ms(first), label(&names, *task));
                for (_, line) in inside.drain(..) {
                    let _ = writeln!(out, "             | {line}");
                }
                let result = match outcome {
                    PollOutcome::Pending => "Pending",
                    PollOutcome::Ready => "Ready",
                    PollOutcome::Panicked => "panicked",
                };
                let _ = writeln!(out, "             `-> {result}");
            }
            other => {
                // A loop phase (not inside any poll): print what was pending, then the event.
                for (t, line) in inside.drain(..) {
                    let _ = writeln!(out, "{:>9.3}  {line}", ms(t));
                }
                if let Some(line) = describe_phase(other, &names, last_finished) {
                    let _ = writeln!(out, "{:>9.3}  {line}", ms(t));
                }
                last_finished = match other {
                    Event::TaskFinished { task, .. } => Some(*task),
                    _ => None,
                };
            }
        }
    }
    for (t, line) in inside {
        let _ = writeln!(out, "{:>9.3}  {line}", ms(t));
    }
    out
}

/// Lines for the events outside polls (`None`: nothing worth a line).
///
/// `last_finished` is the task whose `TaskFinished` came just before: a wake with no known
/// cause right after it is that task's `JoinHandle` waking whoever awaits it.
fn describe_phase(event: &Event, names: &HashMap<u64, String>, last_finished: Option<u64>) -> Option<String> {
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
        Event::TimerFired { timer, late_us } => format!("  timer {timer} fired ({late_us} us late)"),
        Event::TaskWoken { task, cause } => {
            let task = label(names, *task);
            match cause {
                WakeCause::Io { fd, interest, .. } => {
                    format!("    -> wake {task}: its fd {fd} is {}", readiness(*interest))
                }
                WakeCause::Timer { timer } => format!("    -> wake {task}: its timer {timer} fired"),
                WakeCause::Thread => format!("  wake {task} (from another thread)"),
                WakeCause::Yield => format!("  wake {task} (it yielded; the reactor has had its turn)"),
                WakeCause::Budget => format!("  wake {task} (its budget ran out: a forced yield)"),
                WakeCause::Start => format!("  wake {task} (block_on starts it)"),
                WakeCause::Task { by } => format!("  wake {task} (by {})", label(names, *by)),
                WakeCause::Unknown => match last_finished {
                    Some(done) => format!("    -> wake {task} (it awaits {})", label(names, done)),
                    None => format!("  wake {task}"),
                },
            }
        }
        Event::TaskFinished { task, outcome } => format!("done {} ({outcome:?})", label(names, *task)),
        other => trace::describe(other, &|id| label(names, id)),
    })
}

/// A wait bar is named after what ended it.
fn wait_name(cause: &WakeCause, names: &HashMap<u64, String>) -> String {
    match cause {
        WakeCause::Io { fd, interest, .. } => format!("waits for fd {fd} {}", readiness(*interest)),
        WakeCause::Timer { timer } => format!("waits for timer {timer}"),
        WakeCause::Task { by } => format!("waits for {}", label(names, *by)),
        WakeCause::Thread => "waits for another thread".to_string(),
        WakeCause::Yield => "yielded to the reactor".to_string(),
        WakeCause::Budget => "made to yield (budget spent)".to_string(),
        WakeCause::Start => "waits to start".to_string(),
        WakeCause::Unknown => "waits (for a task's result)".to_string(),
    }
}

/// Track (Chrome "thread id") of the reactor; tasks use their own id.
const REACTOR_TRACK: u64 = 1_000_000;

/// The timeline in Chrome trace-event JSON.
///
/// Each task is a track: a bar for its whole life, inside it a bar for every wait (from the
/// poll that returned `Pending` to the wake, named after what it waited for), and marks for
/// its polls and notes. The reactor track shows each `epoll_wait` as a bar and each socket
/// readiness or timer as a mark.
pub fn chrome_json(entries: &[Entry]) -> String {
    let names = task_names(entries);
    let task_by_name: HashMap<&str, u64> = names.iter().map(|(id, n)| (n.as_str(), *id)).collect();
    let mut events: Vec<Value> = vec![
        json!({"ph": "M", "pid": 1, "tid": 0, "name": "process_name", "args": {"name": "fetch_pages coroutines"}}),
        json!({"ph": "M", "pid": 1, "tid": REACTOR_TRACK, "name": "thread_name", "args": {"name": "reactor (epoll)"}}),
        json!({"ph": "M", "pid": 1, "tid": 0, "name": "thread_name", "args": {"name": "main (block_on)"}}),
    ];
    let bar = |tid: u64, name: String, start: u64, end: u64, args: Value| json!({"ph": "X", "pid": 1, "tid": tid, "name": name, "ts": start, "dur": end.saturating_sub(start).max(1), "args": args});
    let mark = |tid: u64, name: String, ts: u64| json!({"ph": "i", "s": "t", "pid": 1, "tid": tid, "name": name, "ts": ts});
    let mut spawned_at: HashMap<u64, u64> = HashMap::new();
    let mut waiting_since: HashMap<u64, u64> = HashMap::new();
    let mut would_block: Vec<(u64, String)> = Vec::new();
    let mut wait_started: Option<(u64, Option<u64>)> = None;
    let mut end = 0;
    for entry in entries {
        let t = entry.t_us();
        end = end.max(t);
        let record = match entry {
            Entry::Note { task, text, .. } => {
                let tid = task_by_name.get(task.as_str()).copied().unwrap_or(0);
                events.push(mark(tid, text.clone(), t));
                continue;
            }
            Entry::Event(record) => record,
        };
        match &record.event {
            Event::TaskSpawned { task, .. } => {
                spawned_at.insert(*task, t);
                let name = label(&names, *task);
                events.push(
                    json!({"ph": "M", "pid": 1, "tid": task, "name": "thread_name", "args": {"name": name}}),
                );
            }
            Event::IoWouldBlock { fd, interest, .. } => {
                // Inside a poll; whose poll is known only when it ends.
                would_block.push((
                    t,
                    format!("fd {fd} WouldBlock: park until {}", readiness(*interest)),
                ));
            }
            Event::TaskPolled { task, outcome } => {
                for (at, what) in would_block.drain(..) {
                    events.push(mark(*task, what, at));
                }
                events.push(mark(*task, format!("poll -> {outcome:?}"), t));
                if *outcome == PollOutcome::Pending {
                    waiting_since.insert(*task, t);
                }
            }
            Event::TaskWoken { task, cause } => {
                if let Some(since) = waiting_since.remove(task) {
                    events.push(bar(
                        *task,
                        wait_name(cause, &names),
                        since,
                        t,
                        json!({"woken_by": cause}),
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
                events.push(mark(REACTOR_TRACK, format!("timer {timer} fired"), t))
            }
            Event::IoRegistered { .. } | Event::IoDeregistered { .. } => {}
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
    json!({"traceEvents": events, "displayTimeUnit": "ms"}).to_string()
}
