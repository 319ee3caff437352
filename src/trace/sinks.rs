//! The three sinks: human lines on stderr, JSON lines, and an in-memory recorder.

use super::{Event, Interest, Record, Sink, WakeCause};
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::rc::Rc;

/// Prints one human-readable line per event on stderr (`COROLAB_TRACE=1`).
#[derive(Default)]
pub struct StderrSink {
    names: HashMap<u64, String>,
}

impl StderrSink {
    /// A sink with no task names known yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn task(&self, id: u64) -> String {
        match (id, self.names.get(&id)) {
            (0, _) => "main".to_string(),
            (_, Some(name)) => format!("task {id} ({name})"),
            (_, None) => format!("task {id}"),
        }
    }
}

/// Renders one event as a line of plain English (used by [`StderrSink`]).
pub fn describe(event: &Event, task_label: &dyn Fn(u64) -> String) -> String {
    match event {
        Event::TaskSpawned { task, .. } => format!("spawn {}", task_label(*task)),
        Event::TaskWoken { task, cause } => {
            let why = match cause {
                WakeCause::Io { fd, interest, .. } => format!("fd {fd} {}", interest_word(*interest)),
                WakeCause::Timer { timer } => format!("timer {timer} fired"),
                WakeCause::Task { by: 0 } => "the main future".to_string(),
                WakeCause::Task { by } => format!("task {by}"),
                WakeCause::Thread => "another thread".to_string(),
                WakeCause::Yield => "its own yield_now, after the reactor's turn".to_string(),
                WakeCause::Budget => "its spent budget: a forced yield".to_string(),
                WakeCause::Start => "block_on starting".to_string(),
                WakeCause::Unknown => "unknown cause".to_string(),
            };
            format!("  wake {} (by {why})", task_label(*task))
        }
        Event::TaskPolled { task, outcome } => {
            format!("  poll {} -> {outcome:?}", task_label(*task))
        }
        Event::TaskFinished { task, outcome } => {
            format!("done {} ({outcome:?})", task_label(*task))
        }
        Event::ReactorWait { timeout_us } => match timeout_us {
            Some(us) => format!("epoll_wait(timeout {:.3} ms)", *us as f64 / 1000.0),
            None => "epoll_wait(no timeout: nothing to do until I/O)".to_string(),
        },
        Event::ReactorWoke { events } => format!("epoll_wait returned {events} event(s)"),
        Event::IoRegistered { token, fd } => format!("register fd {fd} (token {token:#x})"),
        Event::IoDeregistered { token, fd } => format!("deregister fd {fd} (token {token:#x})"),
        Event::IoReady {
            fd,
            readable,
            writable,
            error,
            ..
        } => {
            let what = match (readable, writable) {
                (true, true) => "readable+writable",
                (true, false) => "readable",
                (false, true) => "writable",
                (false, false) => "",
            };
            let error = if *error { " error/hangup" } else { "" };
            format!("  fd {fd} {what}{error}")
        }
        Event::IoWouldBlock { fd, interest, .. } => {
            format!("  fd {fd} WouldBlock: wait until {}", interest_word(*interest))
        }
        Event::TimerFired { timer, late_us } => {
            format!("timer {timer} fired ({late_us} us late)")
        }
    }
}

fn interest_word(interest: Interest) -> &'static str {
    match interest {
        Interest::Read => "readable",
        Interest::Write => "writable",
    }
}

impl Sink for StderrSink {
    fn record(&mut self, record: &Record) {
        if let Event::TaskSpawned {
            task,
            name: Some(name),
        } = &record.event
        {
            self.names.insert(*task, name.clone());
        }
        let line = describe(&record.event, &|id| self.task(id));
        let t = record.t_us as f64 / 1000.0;
        let _ = writeln!(std::io::stderr().lock(), "[{t:>10.3} ms] {line}");
    }
}

/// Writes one JSON object per event (`{"t_us":..,"event":"task_polled",...}`).
pub struct JsonLinesSink<W: Write> {
    out: W,
}

impl<W: Write> JsonLinesSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> Self {
        JsonLinesSink { out }
    }
}

impl<W: Write> Sink for JsonLinesSink<W> {
    fn record(&mut self, record: &Record) {
        if serde_json::to_writer(&mut self.out, record).is_ok() {
            let _ = self.out.write_all(b"\n");
        }
    }
}

/// Keeps every record in memory. Clone it to keep a handle after installing it.
#[derive(Clone, Default)]
pub struct Recorder {
    records: Rc<RefCell<Vec<Record>>>,
}

impl Recorder {
    /// Creates a recorder, installs it as this thread's sink and returns a handle to it.
    pub fn install() -> Recorder {
        let recorder = Recorder::default();
        super::set_sink(Box::new(recorder.clone()));
        recorder
    }

    /// All records so far.
    pub fn records(&self) -> Vec<Record> {
        self.records.borrow().clone()
    }

    /// All events so far (records without their times).
    pub fn events(&self) -> Vec<Event> {
        self.records.borrow().iter().map(|r| r.event.clone()).collect()
    }

    /// Forgets everything recorded so far.
    pub fn clear(&self) {
        self.records.borrow_mut().clear();
    }
}

impl Sink for Recorder {
    fn record(&mut self, record: &Record) {
        self.records.borrow_mut().push(record.clone());
    }
}
