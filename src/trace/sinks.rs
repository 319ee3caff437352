//! The three sinks: human lines (stderr or any writer), JSON lines, and an in-memory recorder.

use super::{ChannelOp, Event, Interest, Phase, PollOutcome, Record, Sink, Wait, WakeCause};
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::rc::Rc;

/// Prints one human-readable line per event. A poll is a block: `poll task N` when it
/// starts, what happened inside it prefixed with `|`, and `-> Pending: waits for ...` when it
/// ends. Ticks and their phases get a line only when something happens in them. Lines are
/// labelled `[rt N thread]` once more than one runtime traces in the process (or from the
/// start, after [`super::label_lines`]).
pub struct TextSink<W: Write> {
    out: W,
    names: HashMap<(u64, u64), String>,
    /// Inside a poll block (between `task_poll_started` and `task_polled`)?
    in_poll: bool,
    /// The tick / phase line, printed before the next event that is not a tick marker.
    pending_tick: Option<String>,
    tick: u64,
    /// Has a line of the current tick been printed?
    tick_printed: bool,
}

/// `COROLAB_TRACE=1`: a [`TextSink`] on stderr.
pub type StderrSink = TextSink<std::io::Stderr>;

impl TextSink<std::io::Stderr> {
    /// A text sink writing to stderr.
    pub fn new() -> Self {
        TextSink::to_writer(std::io::stderr())
    }
}

impl Default for TextSink<std::io::Stderr> {
    fn default() -> Self {
        Self::new()
    }
}

impl<W: Write> TextSink<W> {
    /// A text sink writing to `out`.
    pub fn to_writer(out: W) -> Self {
        TextSink {
            out,
            names: HashMap::new(),
            in_poll: false,
            pending_tick: None,
            tick: 0,
            tick_printed: false,
        }
    }

    /// The writer (e.g. to read a buffer back in a test).
    pub fn writer(&self) -> &W {
        &self.out
    }

    fn task(&self, rt: u64, id: u64) -> String {
        match (id, self.names.get(&(rt, id))) {
            (0, _) => "main".to_string(),
            (_, Some(name)) => format!("task {id} ({name})"),
            (_, None) => format!("task {id}"),
        }
    }

    fn line(&mut self, record: &Record, text: &str) {
        let t = record.t_us as f64 / 1000.0;
        let label = if super::several_runtimes() {
            match record.rt {
                0 => format!("[{}] ", record.thread),
                rt => format!("[rt {rt} {}] ", record.thread),
            }
        } else {
            String::new()
        };
        // One write per line: the whole line is built first.
        let line = format!("[{t:>10.3} ms] {label}{text}\n");
        let _ = self.out.write_all(line.as_bytes());
    }
}

/// Renders one event as a line of plain English (used by [`TextSink`]).
pub fn describe(event: &Event, task_label: &dyn Fn(u64) -> String) -> String {
    match event {
        Event::TaskSpawned { task, .. } => format!("spawn {}", task_label(*task)),
        Event::TaskWoken { task, cause } => {
            format!(
                "wake {} (by {})",
                task_label(*task),
                wake_cause_words(cause, task_label)
            )
        }
        Event::MainTurn => "main's turn: block_on polls it after this tick".to_string(),
        Event::TaskPollStarted { task } => format!("poll {}", task_label(*task)),
        Event::TaskPolled { outcome, waits, .. } => poll_result_line(*outcome, waits, task_label),
        Event::TaskFinished { task, outcome } => {
            format!("done {} ({outcome:?})", task_label(*task))
        }
        Event::TickStarted { tick } => format!("tick {tick}"),
        Event::TickPhase { tick, phase } => format!("tick {tick}: {}", phase_name(*phase)),
        Event::TickEnded { tick } => format!("tick {tick} ends"),
        Event::ReactorWait { timeout_us } => reactor_wait_line(*timeout_us),
        Event::ReactorWoke { events } => format!("epoll_wait returned {events} event(s)"),
        Event::IoRegistered { token, fd } => format!("register fd {fd} (token {token:#x})"),
        Event::IoDeregistered { token, fd } => format!("deregister fd {fd} (token {token:#x})"),
        Event::IoReady {
            fd,
            readable,
            writable,
            error,
            ..
        } => io_ready_line(*fd, *readable, *writable, *error),
        Event::IoWouldBlock { fd, interest, .. } => {
            format!("fd {fd} WouldBlock: wait until {}", interest_word(*interest))
        }
        Event::IoShortRead { fd, .. } => format!("fd {fd} short read: no longer readable"),
        Event::TimerAdded { timer, .. } => format!("add timer {timer:#x}"),
        Event::TimerReset { timer, .. } => format!("reset timer {timer:#x}"),
        Event::TimerCancelled { timer } => format!("drop timer {timer:#x}"),
        Event::TimerFired { timer, late_us } => {
            format!("  timer {timer:#x} fired ({late_us} us late)")
        }
        Event::GreenletSwitch { from, to } => format!("greenlet switch {from} -> {to}"),
        Event::Note { text, .. } => format!("note: {text}"),
    }
}

/// Why a task was woken, after `by`: `fd 7 readable`, `timer 0x3 fired`, `task 2`.
fn wake_cause_words(cause: &WakeCause, task_label: &dyn Fn(u64) -> String) -> String {
    match cause {
        WakeCause::Io { fd, interest, .. } => format!("fd {fd} {}", interest_word(*interest)),
        WakeCause::Timer { timer } => format!("timer {timer:#x} fired"),
        WakeCause::Task { by } => task_label(*by),
        WakeCause::Thread => "another thread".to_string(),
        WakeCause::Yield => "its own yield_now, after the reactor's turn".to_string(),
        WakeCause::Budget => "its spent budget: a forced yield".to_string(),
        WakeCause::Start => "block_on starting".to_string(),
        WakeCause::Unknown => "unknown cause".to_string(),
    }
}

/// The line that ends a poll block: `` `-> Pending: waits for fd 7 readable ``.
fn poll_result_line(outcome: PollOutcome, waits: &[Wait], task_label: &dyn Fn(u64) -> String) -> String {
    let mut line = format!("`-> {outcome:?}");
    if !waits.is_empty() {
        let waits: Vec<String> = waits.iter().map(|w| describe_wait(w, task_label)).collect();
        line.push_str(": waits for ");
        line.push_str(&waits.join(", "));
    }
    line
}

/// The reactor is about to sleep in `epoll_wait`, for at most `timeout_us`.
fn reactor_wait_line(timeout_us: Option<u64>) -> String {
    match timeout_us {
        Some(us) => format!("epoll_wait(timeout {:.3} ms)", us as f64 / 1000.0),
        None => "epoll_wait(no timeout: nothing to do until I/O)".to_string(),
    }
}

/// One readiness event from `epoll_wait`: `  fd 7 readable+writable error/hangup`.
fn io_ready_line(fd: i32, readable: bool, writable: bool, error: bool) -> String {
    let what = match (readable, writable) {
        (true, true) => "readable+writable",
        (true, false) => "readable",
        (false, true) => "writable",
        (false, false) => "",
    };
    let error = if error { " error/hangup" } else { "" };
    format!("  fd {fd} {what}{error}")
}

/// What a parked task waits for, in a few words (`fd 7 readable`, `timer 0x3`, ...).
pub fn describe_wait(wait: &Wait, task_label: &dyn Fn(u64) -> String) -> String {
    match wait {
        Wait::Io { fd, side, .. } => format!("fd {fd} {}", interest_word(*side)),
        Wait::Timer { timer, .. } => format!("timer {timer:#x}"),
        // Channel and semaphore ids are addresses: in the JSON, not in the text.
        Wait::Channel {
            op: ChannelOp::Recv, ..
        } => "a value from a channel".to_string(),
        Wait::Channel {
            op: ChannelOp::Send, ..
        } => "room in a channel".to_string(),
        Wait::Semaphore { .. } => "a semaphore permit".to_string(),
        Wait::PoolSlot { host } => format!("a pooled connection to {host}"),
        Wait::Join { task } => format!("{} to finish", task_label(*task)),
        Wait::Blocking => "a spawn_blocking thread".to_string(),
        Wait::Yield => "the reactor's turn (yield_now)".to_string(),
        Wait::Budget => "the reactor's turn (budget used up)".to_string(),
        Wait::Requeued => "nothing: it woke itself".to_string(),
        Wait::Other { what } => what.clone(),
        Wait::Unknown => "an unknown reason".to_string(),
    }
}

fn interest_word(interest: Interest) -> &'static str {
    match interest {
        Interest::Read => "readable",
        Interest::Write => "writable",
    }
}

fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::RunReadyTasks => "run_ready_tasks",
        Phase::FireTimers => "fire_timers",
        Phase::WaitForIo => "wait_for_io",
        Phase::DispatchIoEvents => "dispatch_io_events",
    }
}

impl<W: Write> Sink for TextSink<W> {
    fn record(&mut self, record: &Record) {
        let rt = record.rt;
        match &record.event {
            Event::TaskSpawned {
                task,
                name: Some(name),
            } => {
                self.names.insert((rt, *task), name.clone());
            }
            Event::TickStarted { tick } | Event::TickPhase { tick, .. } => {
                self.tick_printed &= self.tick == *tick;
                self.tick = *tick;
                self.pending_tick = Some(describe(&record.event, &|_| String::new()));
                return;
            }
            Event::TickEnded { tick } => {
                // Shown only if the tick showed something and something follows outside it.
                self.pending_tick = self.tick_printed.then(|| format!("tick {tick} ends"));
                self.tick_printed = false;
                return;
            }
            _ => {}
        }
        if let Some(tick) = self.pending_tick.take() {
            self.line(record, &tick);
            self.tick_printed = true;
        }
        let text = describe(&record.event, &|id| self.task(rt, id));
        let text = match &record.event {
            Event::TaskPollStarted { .. } => {
                self.in_poll = true;
                format!("  {text}")
            }
            Event::TaskPolled { .. } => {
                self.in_poll = false;
                format!("    {text}")
            }
            _ if self.in_poll => format!("    | {}", text.trim_start()),
            Event::TaskWoken { .. } | Event::IoWouldBlock { .. } | Event::IoShortRead { .. } => {
                format!("    {text}")
            }
            _ => text,
        };
        self.line(record, &text);
    }
}

/// Writes one JSON object per record (`{"seq":..,"t_us":..,"rt":..,"thread":..,"event":..}`),
/// each line built whole and written with one `write_all`.
pub struct JsonLinesSink<W: Write> {
    out: W,
    line: Vec<u8>,
}

impl<W: Write> JsonLinesSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> Self {
        JsonLinesSink {
            out,
            line: Vec::new(),
        }
    }
}

impl<W: Write> Sink for JsonLinesSink<W> {
    fn record(&mut self, record: &Record) {
        self.line.clear();
        if serde_json::to_writer(&mut self.line, record).is_ok() {
            self.line.push(b'\n');
            let _ = self.out.write_all(&self.line);
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
