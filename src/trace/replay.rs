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
//! **Where.** [`Replay::new`] looks over the whole trace once (to know, for an event inside a
//! poll, which task that poll belongs to: the runtime reports a poll when it *ends*), then
//! [`Replay::step`] applies one record to the [`State`]. [`replay`] returns every state.
//! What the trace does not say is inferred and marked so ([`Wait::inferred`],
//! [`TimerState::inferred`]): a task parked without a recorded reason is shown waiting for
//! whatever woke it next.
//!
//! **In the debugger.** Break on `corolab::trace::replay::Replay::step` and print `self.state`
//! to walk a recorded run one event at a time.

use super::{Event, Interest, PollOutcome, Record, WakeCause, describe};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// What a task is doing at one moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TaskStatus {
    /// On the run queue: it will be polled when its turn comes.
    Queued,
    /// Being polled right now.
    Running,
    /// Its last poll returned `Ready`: it is finishing (its `TaskFinished` comes next).
    Returned,
    /// Returned `Pending`: it runs again only when something wakes it.
    Parked {
        /// What it waits for.
        waits_for: Vec<Wait>,
    },
}

/// One thing a parked task waits for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Wait {
    /// In words: `fd 7 readable`, `timer 3`, `task 2`.
    pub what: String,
    /// True when the trace did not record it and it was read off the wake that ended the park.
    pub inferred: bool,
}

/// A task that exists (spawned, not finished).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TaskState {
    /// Its label: `main`, `task 3 (page 2)`.
    pub label: String,
    /// Queued, running or parked.
    #[serde(flatten)]
    pub status: TaskStatus,
}

/// A socket registered with the reactor, as the reactor sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SocketState {
    /// The file descriptor.
    pub fd: i32,
    /// The mio token (slot and generation packed).
    pub token: u64,
    /// The reactor believes a read would not block.
    pub readable: bool,
    /// The reactor believes a write would not block.
    pub writable: bool,
    /// Tasks whose waker the socket holds for its read side.
    pub read_waiters: Vec<u64>,
    /// Tasks whose waker the socket holds for its write side.
    pub write_waiters: Vec<u64>,
}

/// A timer that has not fired yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimerState {
    /// The timer's id.
    pub timer: u64,
    /// Its deadline, in the trace's microseconds.
    pub deadline_us: u64,
    /// The task it will wake.
    pub task: Option<u64>,
    /// True when the trace did not record the timer being set (it is known from its firing).
    pub inferred: bool,
}

/// The runtime's state after one event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct State {
    /// Task ids on the run queue, front first (0 is the `block_on` future).
    pub run_queue: Vec<u64>,
    /// The task being polled, if any.
    pub running: Option<u64>,
    /// Every live task by id.
    pub tasks: BTreeMap<u64, TaskState>,
    /// Registered sockets by token.
    pub sockets: BTreeMap<u64, SocketState>,
    /// Pending timers, earliest deadline first.
    pub timers: Vec<TimerState>,
}

impl std::fmt::Display for State {
    /// One line: `queue [1, 2] | running main | parked 1 (fd 5 readable) | fd 5 -w r:1 | timer 1 -> 2`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "queue {:?}", self.run_queue)?;
        if let Some(task) = self.running {
            write!(f, " | running {task}")?;
        }
        for (id, task) in &self.tasks {
            if let TaskStatus::Parked { waits_for } = &task.status {
                let what: Vec<String> = waits_for
                    .iter()
                    .map(|w| format!("{}{}", w.what, if w.inferred { "?" } else { "" }))
                    .collect();
                write!(f, " | parked {id} ({})", what.join(", "))?;
            }
        }
        for socket in self.sockets.values() {
            let r = if socket.readable { 'r' } else { '-' };
            let w = if socket.writable { 'w' } else { '-' };
            write!(f, " | fd {} {r}{w}", socket.fd)?;
            for (side, waiters) in [("r", &socket.read_waiters), ("w", &socket.write_waiters)] {
                if !waiters.is_empty() {
                    write!(f, " {side}:{waiters:?}")?;
                }
            }
        }
        for timer in &self.timers {
            write!(f, " | timer {} -> {:?}", timer.timer, timer.task)?;
        }
        Ok(())
    }
}

/// Plays a trace forward one record at a time. See the module docs.
pub struct Replay<'a> {
    records: &'a [Record],
    next: usize,
    /// For each record: the task whose poll it happened in (`None`: between polls).
    poll_of: Vec<Option<u64>>,
    /// For each `TaskPolled -> Pending` record: what woke that task next (for inferred waits).
    woken_by_next: HashMap<usize, WakeCause>,
    /// Timers known only from their firing: timer id -> (index of the poll that set it, task).
    inferred_timers: HashMap<usize, Vec<TimerState>>,
    names: HashMap<u64, String>,
    finished: Vec<u64>,
    /// The state after the last record applied.
    pub state: State,
}

impl<'a> Replay<'a> {
    /// Prepares to replay `records` (one runtime's, in the order they were recorded).
    pub fn new(records: &'a [Record]) -> Replay<'a> {
        let poll_of = poll_owners(records);
        let (woken_by_next, inferred_timers) = look_ahead(records);
        Replay {
            records,
            next: 0,
            poll_of,
            woken_by_next,
            inferred_timers,
            names: HashMap::new(),
            finished: Vec::new(),
            state: State::default(),
        }
    }

    /// The label of task `id`, as the text trace writes it.
    pub fn label(&self, id: u64) -> String {
        task_label(&self.names, id)
    }

    /// The task whose poll record `index` happened in (`None`: between polls).
    pub fn poll_of(&self, index: usize) -> Option<u64> {
        self.poll_of.get(index).copied().flatten()
    }

    /// The text line of record `index`: the same words the `COROLAB_TRACE=1` sink prints.
    pub fn line(&self, index: usize) -> String {
        describe(&self.records[index].event, &|id| self.label(id))
            .trim_start()
            .to_string()
    }

    /// Applies the next record. Returns its index, or `None` at the end of the trace.
    pub fn step(&mut self) -> Option<usize> {
        let index = self.next;
        let record = self.records.get(index)?;
        self.next += 1;
        self.enter_poll(index);
        match &record.event {
            Event::TaskSpawned { task, name } => self.on_spawned(*task, name.clone()),
            Event::TaskWoken { task, .. } => self.on_woken(*task),
            Event::TaskPolled { task, outcome, .. } => self.on_polled(index, *task, *outcome),
            Event::TaskFinished { task, .. } => self.on_finished(*task),
            Event::ReactorWait { .. } | Event::ReactorWoke { .. } => {}
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
            Event::IoWouldBlock { token, interest, .. } => self.on_would_block(*token, *interest),
            Event::TimerFired { timer, .. } => self.state.timers.retain(|t| t.timer != *timer),
        }
        Some(index)
    }

    /// If record `index` is the first of a poll, that task leaves the run queue and runs.
    fn enter_poll(&mut self, index: usize) {
        let owner = self.poll_of[index];
        if owner == self.state.running {
            return;
        }
        self.state.running = owner;
        if let Some(task) = owner {
            self.take_from_queue(task);
            if let Some(t) = self.state.tasks.get_mut(&task) {
                t.status = TaskStatus::Running;
            }
        }
    }

    /// The queue is popped from the front: entries of finished tasks ahead of `task` are
    /// skipped by the executor without a trace, so they go too.
    fn take_from_queue(&mut self, task: u64) {
        let queue = &mut self.state.run_queue;
        if let Some(pos) = queue.iter().position(|t| *t == task) {
            let finished = &self.finished;
            let mut i = 0;
            queue.retain(|t| {
                let keep = i > pos || (i < pos && !finished.contains(t));
                i += 1;
                keep
            });
        }
    }

    fn on_spawned(&mut self, task: u64, name: Option<String>) {
        if let Some(name) = name {
            self.names.insert(task, name);
        }
        let label = self.label(task);
        self.state.tasks.insert(
            task,
            TaskState {
                label,
                status: TaskStatus::Queued,
            },
        );
    }

    fn on_woken(&mut self, task: u64) {
        self.state.run_queue.push(task);
        let label = self.label(task);
        let entry = self.state.tasks.entry(task).or_insert(TaskState {
            label,
            status: TaskStatus::Queued,
        });
        if self.state.running != Some(task) {
            entry.status = TaskStatus::Queued;
        }
    }

    fn on_polled(&mut self, index: usize, task: u64, outcome: PollOutcome) {
        self.state.running = None;
        if outcome != PollOutcome::Pending {
            // `TaskFinished` follows; the main future (task 0) has none: the run ends.
            if task == 0 {
                self.state.tasks.remove(&0);
            } else if let Some(t) = self.state.tasks.get_mut(&task) {
                t.status = TaskStatus::Returned;
            }
            return;
        }
        let queued_again = self.state.run_queue.contains(&task);
        let waits_for = self.waits_for(index, task);
        if let Some(timers) = self.inferred_timers.get(&index) {
            self.state.timers.extend(timers.iter().cloned());
            self.state.timers.sort_by_key(|t| (t.deadline_us, t.timer));
        }
        if let Some(t) = self.state.tasks.get_mut(&task) {
            t.status = if queued_again {
                TaskStatus::Queued
            } else {
                TaskStatus::Parked { waits_for }
            };
        }
    }

    /// What `task`, which just returned `Pending` at record `index`, waits for.
    fn waits_for(&self, index: usize, task: u64) -> Vec<Wait> {
        let mut waits: Vec<Wait> = Vec::new();
        for socket in self.state.sockets.values() {
            for (side, waiters) in [
                ("readable", &socket.read_waiters),
                ("writable", &socket.write_waiters),
            ] {
                if waiters.contains(&task) {
                    waits.push(Wait {
                        what: format!("fd {} {side}", socket.fd),
                        inferred: false,
                    });
                }
            }
        }
        if waits.is_empty()
            && let Some(cause) = self.woken_by_next.get(&index)
        {
            waits.push(Wait {
                what: cause_words(cause, &|id| self.label(id)),
                inferred: true,
            });
        }
        waits
    }

    fn on_finished(&mut self, task: u64) {
        self.state.tasks.remove(&task);
        self.finished.push(task);
        if self.state.running == Some(task) {
            self.state.running = None;
        }
        for socket in self.state.sockets.values_mut() {
            socket.read_waiters.retain(|t| *t != task);
            socket.write_waiters.retain(|t| *t != task);
        }
    }

    fn on_registered(&mut self, token: u64, fd: i32) {
        self.state.sockets.insert(
            token,
            SocketState {
                fd,
                token,
                readable: true,
                writable: true,
                read_waiters: Vec::new(),
                write_waiters: Vec::new(),
            },
        );
    }

    /// Readiness arrived: the bits are set and the wakers on those sides are taken (the
    /// `TaskWoken` records that follow say whom they woke). An error wakes both sides.
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

    /// An operation returned `WouldBlock` inside a poll: that side is not ready, and the
    /// polling task's waker is now stored on it.
    fn on_would_block(&mut self, token: u64, interest: Interest) {
        let running = self.state.running;
        if let Some(socket) = self.state.sockets.get_mut(&token) {
            let (ready, waiters) = match interest {
                Interest::Read => (&mut socket.readable, &mut socket.read_waiters),
                Interest::Write => (&mut socket.writable, &mut socket.write_waiters),
            };
            *ready = false;
            if let Some(task) = running
                && !waiters.contains(&task)
            {
                waiters.push(task);
            }
        }
    }
}

/// Every state of `records`, one per record (the state after it).
pub fn replay(records: &[Record]) -> Vec<State> {
    let mut replay = Replay::new(records);
    let mut states = Vec::with_capacity(records.len());
    while replay.step().is_some() {
        states.push(replay.state.clone());
    }
    states
}

/// `main`, `task 3 (page 2)` or `task 3`: the labels the text trace uses.
pub fn task_label(names: &HashMap<u64, String>, id: u64) -> String {
    match (id, names.get(&id)) {
        (0, _) => "main".to_string(),
        (_, Some(name)) => format!("task {id} ({name})"),
        (_, None) => format!("task {id}"),
    }
}

/// A wake cause as the thing waited for: `fd 7 readable`, `timer 3`, `task 2`.
pub fn cause_words(cause: &WakeCause, label: &dyn Fn(u64) -> String) -> String {
    match cause {
        WakeCause::Io { fd, interest, .. } => match interest {
            Interest::Read => format!("fd {fd} readable"),
            Interest::Write => format!("fd {fd} writable"),
        },
        WakeCause::Timer { timer } => format!("timer {timer}"),
        WakeCause::Task { by } => label(*by),
        WakeCause::Thread => "another thread".to_string(),
        WakeCause::Yield => "the reactor's turn (yield_now)".to_string(),
        WakeCause::Start => "block_on to start".to_string(),
        WakeCause::Unknown => "something unrecorded".to_string(),
    }
}

/// For each record, the task whose poll it belongs to.
///
/// The runtime reports `TaskPolled` when a poll ends, so a poll is the run of records since
/// the last loop phase that ends with it. Phase records (epoll, readiness, timers, and the
/// wakes they cause, a task finishing and the wake of its `JoinHandle`) are between polls.
fn poll_owners(records: &[Record]) -> Vec<Option<u64>> {
    let mut owners = vec![None; records.len()];
    let mut open: Option<usize> = None;
    let mut last_finished: Option<u64> = None;
    for (i, record) in records.iter().enumerate() {
        let between = match &record.event {
            Event::TaskPolled { task, .. } => {
                for owner in &mut owners[open.unwrap_or(i)..=i] {
                    *owner = Some(*task);
                }
                open = None;
                last_finished = None;
                continue;
            }
            Event::TaskWoken {
                cause: WakeCause::Task { by },
                ..
            } => last_finished == Some(*by),
            Event::TaskWoken { .. }
            | Event::TaskFinished { .. }
            | Event::ReactorWait { .. }
            | Event::ReactorWoke { .. }
            | Event::IoReady { .. }
            | Event::TimerFired { .. } => true,
            Event::TaskSpawned { .. }
            | Event::IoRegistered { .. }
            | Event::IoDeregistered { .. }
            | Event::IoWouldBlock { .. } => false,
        };
        last_finished = match &record.event {
            Event::TaskFinished { task, .. } => Some(*task),
            Event::TaskWoken { .. } if between => last_finished,
            _ => None,
        };
        if between {
            open = None;
        } else if open.is_none() {
            open = Some(i);
        }
    }
    owners
}

type LookAhead = (HashMap<usize, WakeCause>, HashMap<usize, Vec<TimerState>>);

/// For each `Pending` poll, the cause of the task's next wake; and each timer that fires,
/// attached to the poll that (we infer) set it: the last `Pending` poll of the task it woke.
fn look_ahead(records: &[Record]) -> LookAhead {
    let mut last_pending: HashMap<u64, usize> = HashMap::new();
    let mut woken_by_next = HashMap::new();
    let mut timers: HashMap<usize, Vec<TimerState>> = HashMap::new();
    let mut fired: Option<(u64, u64)> = None;
    for (i, record) in records.iter().enumerate() {
        match &record.event {
            Event::TaskPolled {
                task,
                outcome: PollOutcome::Pending,
                ..
            } => {
                last_pending.insert(*task, i);
            }
            Event::TaskWoken { task, cause } => {
                if let Some(poll) = last_pending.remove(task) {
                    woken_by_next.insert(poll, *cause);
                    if let (WakeCause::Timer { timer }, Some((id, deadline))) = (cause, fired)
                        && *timer == id
                    {
                        timers.entry(poll).or_default().push(TimerState {
                            timer: id,
                            deadline_us: deadline,
                            task: Some(*task),
                            inferred: true,
                        });
                    }
                }
            }
            Event::TimerFired { timer, late_us } => {
                fired = Some((*timer, record.t_us.saturating_sub(*late_us)));
                continue;
            }
            _ => {}
        }
        if !matches!(record.event, Event::TaskWoken { .. }) {
            fired = None;
        }
    }
    (woken_by_next, timers)
}
