//! Replaying a recorded trace: the runtime's state after every event.
//!
//! **Concept.** A trace is a list of things that happened; a student wants to know what the
//! runtime *looked like* at each moment: which tasks sat on the run queue and in what order,
//! which were parked and on what, which sockets were registered, how ready each one was and
//! whose waker it held, which timers were pending. [`Replay`] rebuilds exactly that by playing
//! the records forward, the way a debugger would show it if you stopped after each event. The
//! timeline page ([`super::timeline`]) embeds these states, so its ◀ ▶ buttons show a state
//! computed here, in Rust and under test, not guessed by the page's script.
//!
//! **Where.** [`Replay::new`] prepares, [`Replay::step`] applies one record to the [`State`]
//! (one small method per kind of record), and [`replay`] returns every state. The rules are the
//! ones `trace/mod.rs` documents: `task_woken` pushes on the back of the run queue (a
//! finished task's waker queues nothing), `task_poll_started` takes the task out (`main_turn`
//! for task 0), `task_polled` parks it with its `waits` (an `io` wait puts its waker on that
//! socket side), `task_finished` takes it off every list, `io_ready` sets readiness and
//! empties the ready sides' waker lists, `io_would_block` / `io_short_read` clear readiness,
//! `timer_added` / `timer_reset` / `timer_cancelled` / `timer_fired` keep the timer list. A park
//! whose reason no future recorded (`unknown`) is shown waiting for whatever woke it next,
//! marked [`Waiting::inferred`]. The state's types and its one-line `Display` are in
//! `replay/state.rs`.
//!
//! **In the debugger.** Break on `corolab::trace::replay::Replay::step` and print `self.state`
//! to walk a recorded run one event at a time.

mod state;

pub use state::{SocketState, State, TaskState, TaskStatus, TimerState, Waiting};

use super::{Event, Interest, PollOutcome, Record, Wait, WakeCause, describe, describe_wait};
use std::collections::{HashMap, HashSet};

/// Plays a trace forward one record at a time. See the module docs.
///
/// ```
/// use corolab::trace::{Recorder, replay::Replay};
/// # let recorder = Recorder::install();
/// # corolab::block_on(async { corolab::spawn(async {}).await.unwrap() });
/// # corolab::trace::clear_sink();
/// let records = recorder.records();
/// let mut replay = Replay::new(&records);
/// while let Some(i) = replay.step() {
///     println!("{:<24} => {}", replay.line(i), replay.state); // a debugger stopped after each event
/// }
/// assert!(replay.state.tasks.is_empty()); // at the end, every task has finished
/// ```
pub struct Replay<'a> {
    records: &'a [Record],
    next: usize,
    /// For each record: the task whose poll it happened in (`None`: between polls).
    poll_of: Vec<Option<u64>>,
    /// For each `task_polled -> pending` record with an unknown reason: what woke the task next.
    woken_by_next: HashMap<usize, WakeCause>,
    names: HashMap<u64, String>,
    /// Tasks that have finished (ids are never reused within a runtime).
    finished: HashSet<u64>,
    /// The state after the last record applied.
    pub state: State,
}

impl<'a> Replay<'a> {
    /// Prepares to replay `records` (one runtime's, in the order they were recorded).
    ///
    /// ```
    /// use corolab::trace::{Recorder, replay::Replay};
    /// # let recorder = Recorder::install();
    /// # corolab::block_on(async {});
    /// # corolab::trace::clear_sink();
    /// let records = recorder.records(); // one `block_on`: one runtime
    /// let replay = Replay::new(&records); // nothing applied yet: the state before the first record
    /// assert!(replay.state.tasks.is_empty() && replay.state.run_queue.is_empty());
    /// ```
    pub fn new(records: &'a [Record]) -> Replay<'a> {
        Replay {
            records,
            next: 0,
            poll_of: poll_owners(records),
            woken_by_next: next_wakes(records),
            names: HashMap::new(),
            finished: HashSet::new(),
            state: State::default(),
        }
    }

    /// The label of task `id`, as the text trace writes it.
    ///
    /// ```
    /// use corolab::trace::{Recorder, replay::Replay};
    /// # let recorder = Recorder::install();
    /// corolab::block_on(async { corolab::spawn_named("page 2", async {}).await.unwrap() });
    /// # corolab::trace::clear_sink();
    /// let records = recorder.records();
    /// let mut replay = Replay::new(&records);
    /// while replay.step().is_some() {} // the names come from the `task_spawned` records
    /// assert_eq!(replay.label(0), "main");
    /// assert_eq!(replay.label(1), "task 1 (page 2)");
    /// ```
    pub fn label(&self, id: u64) -> String {
        task_label(&self.names, id)
    }

    /// The task whose poll record `index` happened in (`None`: between polls). A poll's
    /// `task_poll_started` and `task_polled` belong to it.
    pub(crate) fn poll_of(&self, index: usize) -> Option<u64> {
        self.poll_of.get(index).copied().flatten()
    }

    /// The text line of record `index`: the words the `COROLAB_TRACE=1` sink prints for it.
    ///
    /// ```
    /// use corolab::trace::{Recorder, replay::Replay};
    /// # let recorder = Recorder::install();
    /// corolab::block_on(async { corolab::spawn(async {}).await.unwrap() });
    /// # corolab::trace::clear_sink();
    /// let records = recorder.records();
    /// let replay = Replay::new(&records);
    /// let lines: Vec<String> = (0..records.len()).map(|i| replay.line(i)).collect();
    /// assert!(lines.contains(&"spawn task 1".to_string()), "{lines:#?}");
    /// ```
    pub fn line(&self, index: usize) -> String {
        let text = describe(&self.records[index].event, &|id| self.label(id));
        let text = text.trim_start();
        match &self.records[index].event {
            // The text sink prints the task on the `poll` line above; alone, a line needs it.
            Event::TaskPolled { task, .. } => format!("{} {text}", self.label(*task)),
            _ => text.to_string(),
        }
    }

    /// Applies the next record. Returns its index, or `None` at the end of the trace.
    ///
    /// ```
    /// use corolab::trace::{Event, Recorder, replay::{Replay, TaskStatus}};
    /// # let recorder = Recorder::install();
    /// # corolab::block_on(async { corolab::spawn(async {}).await.unwrap() });
    /// # corolab::trace::clear_sink();
    /// let records = recorder.records();
    /// let mut replay = Replay::new(&records);
    /// while let Some(i) = replay.step() {
    ///     if let Event::TaskSpawned { task, .. } = records[i].event {
    ///         assert_eq!(replay.state.tasks[&task].status, TaskStatus::Queued); // a new task is queued
    ///     }
    /// }
    /// assert_eq!(replay.step(), None); // past the end, it stays there
    /// ```
    pub fn step(&mut self) -> Option<usize> {
        let index = self.next;
        let record = self.records.get(index)?;
        self.next += 1;
        match &record.event {
            Event::TaskSpawned { task, name } => self.on_spawned(*task, name.clone()),
            Event::TaskWoken { task, .. } => self.on_woken(*task),
            Event::MainTurn => self.take_from_queue(0),
            Event::TaskPollStarted { task } => self.on_poll_started(*task),
            Event::TaskPolled { task, outcome, waits } => self.on_polled(index, *task, *outcome, waits),
            Event::TaskFinished { task, .. } => self.on_finished(*task),
            Event::TickStarted { tick } => {
                self.state.tick = *tick;
                self.state.phase = None;
            }
            Event::TickPhase { tick, phase } => {
                self.state.tick = *tick;
                self.state.phase = Some(*phase);
            }
            Event::TickEnded { .. } => self.state.phase = None,
            Event::IoRegistered { token, fd } => self.on_registered(*token, *fd),
            Event::IoDeregistered { token, .. } => {
                self.state.sockets.remove(token);
            }
            Event::IoReady {
                token,
                readable,
                writable,
                error,
                ..
            } => self.on_ready(*token, *readable || *error, *writable || *error),
            Event::IoWouldBlock { token, interest, .. } => self.clear_ready(*token, *interest),
            Event::IoShortRead { token, .. } => self.clear_ready(*token, Interest::Read),
            Event::TimerAdded { timer, deadline_us } | Event::TimerReset { timer, deadline_us } => {
                self.on_timer_set(*timer, *deadline_us)
            }
            Event::TimerCancelled { timer } | Event::TimerFired { timer, .. } => {
                self.state.timers.retain(|t| t.timer != *timer)
            }
            Event::ReactorWait { .. }
            | Event::ReactorWoke { .. }
            | Event::GreenletSwitch { .. }
            | Event::Note { .. } => {}
        }
        Some(index)
    }

    /// The task leaves the run queue (its poll starts, or main's turn came).
    fn take_from_queue(&mut self, task: u64) {
        let queue = &mut self.state.run_queue;
        if let Some(pos) = queue.iter().position(|t| *t == task) {
            queue.remove(pos);
        }
    }

    fn on_spawned(&mut self, task: u64, name: Option<String>) {
        if let Some(name) = name {
            self.names.insert(task, name);
        }
        let label = self.label(task);
        let status = TaskStatus::Queued;
        self.state.tasks.insert(task, TaskState { label, status });
    }

    /// A wake queues the task, unless it has finished: a waker can outlive its task, and the
    /// executor skips a dead task's queue entry without a record.
    fn on_woken(&mut self, task: u64) {
        if self.finished.contains(&task) {
            return;
        }
        self.state.run_queue.push(task);
        let label = self.label(task);
        let status = TaskStatus::Queued;
        let entry = self
            .state
            .tasks
            .entry(task)
            .or_insert(TaskState { label, status });
        if self.state.running != Some(task) {
            entry.status = TaskStatus::Queued;
        }
    }

    /// A task's poll starts: it left the run queue. The main future left it earlier, at its
    /// `main_turn`; a wake since then has queued it again, and that entry stays.
    fn on_poll_started(&mut self, task: u64) {
        if task != 0 {
            self.take_from_queue(task);
        }
        self.state.running = Some(task);
        let label = self.label(task);
        let status = TaskStatus::Running;
        self.state
            .tasks
            .entry(task)
            .or_insert(TaskState { label, status })
            .status = TaskStatus::Running;
    }

    fn on_polled(&mut self, index: usize, task: u64, outcome: PollOutcome, waits: &[Wait]) {
        self.state.running = None;
        if outcome != PollOutcome::Pending {
            // `task_finished` follows; the main future (task 0) has none: its run ends.
            if task == 0 {
                self.state.tasks.remove(&0);
            } else if let Some(t) = self.state.tasks.get_mut(&task) {
                t.status = TaskStatus::Returned;
            }
            return;
        }
        for wait in waits {
            self.hold_waker(task, wait);
        }
        let waits_for = self.waits_for(index, waits);
        let queued = self.state.run_queue.contains(&task);
        if let Some(t) = self.state.tasks.get_mut(&task) {
            t.status = if queued {
                TaskStatus::Queued
            } else {
                TaskStatus::Parked { waits_for }
            };
        }
    }

    /// A socket or timer wait means that socket side (or timer) now holds `task`'s waker.
    fn hold_waker(&mut self, task: u64, wait: &Wait) {
        match wait {
            Wait::Io { token, side, .. } => {
                if let Some(socket) = self.state.sockets.get_mut(token) {
                    let waiters = match side {
                        Interest::Read => &mut socket.read_waiters,
                        Interest::Write => &mut socket.write_waiters,
                    };
                    if !waiters.contains(&task) {
                        waiters.push(task);
                    }
                }
            }
            Wait::Timer { timer, .. } => {
                if let Some(t) = self.state.timers.iter_mut().find(|t| t.timer == *timer) {
                    t.task = Some(task);
                }
            }
            _ => {}
        }
    }

    /// The waits in words; an unknown one is read off the task's next wake (and marked so).
    fn waits_for(&self, index: usize, waits: &[Wait]) -> Vec<Waiting> {
        let label = |id| self.label(id);
        let mut out: Vec<Waiting> = waits
            .iter()
            .filter(|w| **w != Wait::Unknown)
            .map(|w| Waiting {
                what: describe_wait(w, &label),
                inferred: false,
            })
            .collect();
        if out.is_empty()
            && let Some(cause) = self.woken_by_next.get(&index)
        {
            out.push(Waiting {
                what: cause_words(cause, &label),
                inferred: true,
            });
        }
        out
    }

    /// The task is gone, and so is its place in the run queue if it had one (the executor
    /// skips a finished task's entry without a record), and its name on every socket side and
    /// timer still holding its waker (calling that waker wakes nobody). Its own poll, if it
    /// ended in one, ends with the `task_polled` that follows.
    fn on_finished(&mut self, task: u64) {
        self.finished.insert(task);
        self.state.tasks.remove(&task);
        self.state.run_queue.retain(|t| *t != task);
        for socket in self.state.sockets.values_mut() {
            socket.read_waiters.retain(|t| *t != task);
            socket.write_waiters.retain(|t| *t != task);
        }
        for timer in self.state.timers.iter_mut().filter(|t| t.task == Some(task)) {
            timer.task = None;
        }
    }

    fn on_registered(&mut self, token: u64, fd: i32) {
        let socket = SocketState {
            fd,
            token,
            readable: true,
            writable: true,
            read_waiters: Vec::new(),
            write_waiters: Vec::new(),
        };
        self.state.sockets.insert(token, socket);
    }

    /// Readiness arrived: the bits are set and the wakers on those sides are taken (the
    /// `task_woken` records that follow say whom they woke). An error wakes both sides.
    fn on_ready(&mut self, token: u64, readable: bool, writable: bool) {
        if let Some(socket) = self.state.sockets.get_mut(&token) {
            if readable {
                socket.readable = true;
                socket.read_waiters.clear();
            }
            if writable {
                socket.writable = true;
                socket.write_waiters.clear();
            }
        }
    }

    /// `WouldBlock` (or a short read): that side is no longer ready.
    fn clear_ready(&mut self, token: u64, side: Interest) {
        if let Some(socket) = self.state.sockets.get_mut(&token) {
            match side {
                Interest::Read => socket.readable = false,
                Interest::Write => socket.writable = false,
            }
        }
    }

    /// A timer was added or moved: it is pending, in deadline order (after those already due
    /// then), holding the poller's waker.
    fn on_timer_set(&mut self, timer: u64, deadline_us: u64) {
        let set_at = self.next - 1;
        let timers = &mut self.state.timers;
        let task = match timers.iter().position(|t| t.timer == timer) {
            Some(pos) => timers.remove(pos).task,
            None => self.state.running,
        };
        let at = timers.partition_point(|t| t.deadline_us <= deadline_us);
        let state = TimerState {
            timer,
            deadline_us,
            task,
            set_at,
        };
        timers.insert(at, state);
    }
}

/// Every state of `records`, one per record (the state after it).
///
/// ```
/// use corolab::trace::{Recorder, replay::replay};
/// # let recorder = Recorder::install();
/// corolab::block_on(async { corolab::spawn(corolab::yield_now()).await.unwrap() });
/// # corolab::trace::clear_sink();
/// let records = recorder.records();
/// let states = replay(&records);
/// assert_eq!(states.len(), records.len()); // the state after each record
/// assert!(states.iter().any(|state| state.running == Some(1))); // task 1 was polled
/// ```
pub fn replay(records: &[Record]) -> Vec<State> {
    let mut replay = Replay::new(records);
    let mut states = Vec::with_capacity(records.len());
    while replay.step().is_some() {
        states.push(replay.state.clone());
    }
    states
}

/// `main`, `task 3 (page 2)` or `task 3`: the labels the text trace uses.
fn task_label(names: &HashMap<u64, String>, id: u64) -> String {
    match (id, names.get(&id)) {
        (0, _) => "main".to_string(),
        (_, Some(name)) => format!("task {id} ({name})"),
        (_, None) => format!("task {id}"),
    }
}

/// A wake cause as the thing waited for: `fd 7 readable`, `timer 0x3`, `task 2`.
pub(crate) fn cause_words(cause: &WakeCause, label: &dyn Fn(u64) -> String) -> String {
    match cause {
        WakeCause::Io { fd, interest, .. } => match interest {
            Interest::Read => format!("fd {fd} readable"),
            Interest::Write => format!("fd {fd} writable"),
        },
        WakeCause::Timer { timer } => format!("timer {timer:#x}"),
        WakeCause::Task { by } => label(*by),
        WakeCause::Thread => "another thread".to_string(),
        WakeCause::Yield => "the reactor's turn (yield_now)".to_string(),
        WakeCause::Budget => "the reactor's turn (budget used up)".to_string(),
        WakeCause::Start => "block_on to start".to_string(),
        WakeCause::Unknown => "something unrecorded".to_string(),
    }
}

/// For each record, the task whose poll it belongs to: from `task_poll_started` to
/// `task_polled`, both included.
fn poll_owners(records: &[Record]) -> Vec<Option<u64>> {
    let mut running = None;
    records
        .iter()
        .map(|record| match &record.event {
            Event::TaskPollStarted { task } => {
                running = Some(*task);
                running
            }
            Event::TaskPolled { task, .. } => {
                running = None;
                Some(*task)
            }
            _ => running,
        })
        .collect()
}

/// For each `pending` poll that recorded no reason, the cause of the task's next wake.
fn next_wakes(records: &[Record]) -> HashMap<usize, WakeCause> {
    let mut unexplained: HashMap<u64, usize> = HashMap::new();
    let mut out = HashMap::new();
    for (i, record) in records.iter().enumerate() {
        match &record.event {
            Event::TaskPolled {
                task,
                outcome: PollOutcome::Pending,
                waits,
            } if waits.iter().all(|w| *w == Wait::Unknown) => {
                unexplained.insert(*task, i);
            }
            Event::TaskWoken { task, cause } => {
                if let Some(poll) = unexplained.remove(task) {
                    out.insert(poll, *cause);
                }
            }
            _ => {}
        }
    }
    out
}
