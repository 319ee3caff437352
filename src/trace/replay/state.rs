//! The state a replay rebuilds: the run queue, the tasks, the sockets and the timers after one
//! record, and the one-line [`Display`](std::fmt::Display) the tests compare.

use crate::trace::Phase;
use serde::Serialize;
use std::collections::BTreeMap;

/// What a task is doing at one moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TaskStatus {
    /// On the run queue: it will be polled when its turn comes.
    Queued,
    /// Being polled right now.
    Running,
    /// Its last poll returned `Ready` (or panicked) and no `task_finished` has said so yet.
    Returned,
    /// Returned `Pending`: it runs again only when something wakes it.
    Parked {
        /// What it waits for.
        waits_for: Vec<Waiting>,
    },
}

/// One thing a parked task waits for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Waiting {
    /// In words: `fd 7 readable`, `timer 0x3`, `task 2 (page 1) to finish`.
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
    /// The task whose waker it holds (the one that set it, or last polled it).
    pub task: Option<u64>,
    /// The index of the record that added it or last reset it: timers with equal deadlines
    /// fire in this order (the reactor's heap orders by deadline, then sequence number).
    pub set_at: usize,
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
    /// The loop turn (`Runtime::tick`) under way, 0 before the first.
    pub tick: u64,
    /// Its phase, while one is under way.
    pub phase: Option<Phase>,
}

impl std::fmt::Display for State {
    /// One line: `queue [1, 2] | running 0 | parked 1 (fd 5 readable) | fd 5 -w r:[1] | timer 0x0 -> 2`
    /// (`rw`: readable and writable; `r:[1]`: the read side holds task 1's waker).
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
            write!(f, " | timer {:#x}", timer.timer)?;
            if let Some(task) = timer.task {
                write!(f, " -> {task}")?;
            }
        }
        Ok(())
    }
}
