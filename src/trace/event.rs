//! The record format: what one trace line holds (see the format note in `trace/mod.rs`).

use serde::{Deserialize, Serialize};

/// Which direction of a socket an I/O event or a wait concerns.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interest {
    /// Waiting for data (or a connection) to read.
    Read,
    /// Waiting for room in the send buffer (or a connect to finish).
    Write,
}

/// Why a task was woken.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WakeCause {
    /// The reactor saw readiness on a registered socket.
    Io {
        /// The mio token (generation in the high 32 bits, slot in the low 32).
        token: u64,
        /// The file descriptor.
        fd: i32,
        /// Which direction became ready.
        interest: Interest,
    },
    /// A timer's deadline passed.
    Timer {
        /// The timer's id (its packed slab key, as in `timer_added`).
        timer: u64,
    },
    /// Another task (or the main future) called `wake` while being polled. Also the wake of
    /// a `JoinHandle` by an aborted task cancelled at its turn without a poll: that record
    /// comes right after the task's `task_finished`, outside any poll.
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
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskOutcome {
    /// It returned a value.
    Completed,
    /// It panicked; the panic is reported through its `JoinHandle`.
    Panicked,
    /// It was aborted, or dropped when the runtime shut down.
    Cancelled,
}

/// Which end of a channel a task waits at.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelOp {
    /// Waiting for a value (or for the senders to go away).
    Recv,
    /// Waiting for room in a bounded channel.
    Send,
}

/// What a task waits for after a poll returned `Pending` (its "park reason"). Leaf futures
/// report these with `trace::park` when they store a waker; the executor attaches them to
/// the `task_polled` record.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Wait {
    /// Its waker is stored in a socket's read or write waker list.
    Io {
        /// The mio token (generation in the high 32 bits, slot in the low 32).
        token: u64,
        /// The file descriptor.
        fd: i32,
        /// Which waker list: `read` or `write`.
        side: Interest,
    },
    /// Its waker is stored in a timer.
    Timer {
        /// The timer's id (as in `timer_added`).
        timer: u64,
        /// The deadline, in microseconds on the trace clock (same clock as `t_us`).
        deadline_us: u64,
    },
    /// A channel (`sync::channel`, `sync::oneshot`).
    Channel {
        /// The channel's id (stable while it lives; unique among live channels).
        channel: u64,
        /// `recv` or `send`.
        op: ChannelOp,
    },
    /// A semaphore permit (`sync::Semaphore`).
    Semaphore {
        /// The semaphore's id (stable while it lives).
        semaphore: u64,
    },
    /// A connection from an HTTP client's pool (all connections to that host are busy).
    PoolSlot {
        /// `host:port` of the pool queue.
        host: String,
    },
    /// Another task's result (`JoinHandle`).
    Join {
        /// The task awaited.
        task: u64,
    },
    /// A `spawn_blocking` closure running on a helper thread.
    Blocking,
    /// `yield_now`: queued again after the reactor's next turn.
    Yield,
    /// The cooperative budget ran out: the task was made to yield.
    Budget,
    /// It woke itself during the poll: it is already back on the run queue.
    Requeued,
    /// Something else, named (e.g. `server stop signal`, `green thread parked`).
    Other {
        /// What it waits for, in a few words.
        what: String,
    },
    /// No future on the way down said (a future outside corolab, or a missing `park` call).
    Unknown,
}

/// A phase of `Runtime::tick` (see `runtime.rs`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Phase 1: poll the tasks queued now.
    RunReadyTasks,
    /// Phase 2: wake sleepers whose deadline has come.
    FireTimers,
    /// Phase 3: block in `epoll_wait`.
    WaitForIo,
    /// Phase 4: readiness -> wakers, then tasks that yielded are requeued.
    DispatchIoEvents,
}

/// One thing that happened inside the runtime.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// `spawn` created a task (it is queued right after, with a `task_woken`).
    TaskSpawned {
        /// Task id (1, 2, 3, ... per runtime; 0 is the `block_on` future).
        task: u64,
        /// The name given with `spawn_named`.
        name: Option<String>,
    },
    /// A task was pushed on the back of the run queue (wakes of an already-queued task are
    /// not recorded: they change nothing).
    TaskWoken {
        /// Task id.
        task: u64,
        /// Why.
        cause: WakeCause,
    },
    /// The run queue reached the `block_on` future (task 0): it left the queue, and
    /// `block_on` polls it once this tick ends.
    MainTurn,
    /// A poll begins: the task left the run queue (task 0: it left at its `main_turn`). Everything until its `task_polled`
    /// happened inside this poll.
    TaskPollStarted {
        /// Task id.
        task: u64,
    },
    /// A poll ended (after the task's end was handled, when it finished).
    TaskPolled {
        /// Task id.
        task: u64,
        /// What the poll returned.
        outcome: PollOutcome,
        /// What it now waits for (non-empty exactly when `outcome` is `pending`; at most 16
        /// entries, in the order the futures reported them, duplicates dropped).
        waits: Vec<Wait>,
    },
    /// A task ended and its slot was released.
    TaskFinished {
        /// Task id.
        task: u64,
        /// How it ended.
        outcome: TaskOutcome,
    },
    /// A `Runtime::tick` begins.
    TickStarted {
        /// Tick number, 1, 2, 3, ... per runtime.
        tick: u64,
    },
    /// A phase of the tick begins (phases 3 and 4 are skipped when the reactor is not due).
    TickPhase {
        /// Tick number.
        tick: u64,
        /// Which phase.
        phase: Phase,
    },
    /// The tick ended.
    TickEnded {
        /// Tick number.
        tick: u64,
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
    /// A socket was registered with the reactor (readiness starts readable+writable).
    IoRegistered {
        /// The mio token.
        token: u64,
        /// The file descriptor.
        fd: i32,
    },
    /// A socket was deregistered (its owner was dropped); its wakers are dropped unwoken.
    IoDeregistered {
        /// The mio token.
        token: u64,
        /// The file descriptor.
        fd: i32,
    },
    /// The kernel reported readiness for a socket; the ready sides' waker lists are emptied
    /// (each waker is woken: the `task_woken` records follow those of the whole `epoll_wait`
    /// batch, each naming its socket in `cause`).
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
    /// An operation returned `WouldBlock`: that side's readiness was cleared.
    IoWouldBlock {
        /// The mio token.
        token: u64,
        /// The file descriptor.
        fd: i32,
        /// Which side.
        interest: Interest,
    },
    /// A read returned fewer bytes than asked: readable was cleared without a `WouldBlock`.
    IoShortRead {
        /// The mio token.
        token: u64,
        /// The file descriptor.
        fd: i32,
    },
    /// A timer was registered.
    TimerAdded {
        /// The timer's id (its packed slab key: generation high, slot low).
        timer: u64,
        /// The deadline, in microseconds on the trace clock.
        deadline_us: u64,
    },
    /// A timer was moved to a new deadline (it is pending again).
    TimerReset {
        /// The timer's id.
        timer: u64,
        /// The new deadline, in microseconds on the trace clock.
        deadline_us: u64,
    },
    /// A timer was dropped (fired or not); its waker, if any, is dropped unwoken.
    TimerCancelled {
        /// The timer's id.
        timer: u64,
    },
    /// A timer's deadline passed; its waker (if any) is woken next.
    TimerFired {
        /// The timer's id.
        timer: u64,
        /// How late it fired, in microseconds.
        late_us: u64,
    },
    /// An explicit greenlet (stackful coroutine) switch, `Greenlet::switch` / `try_switch`
    /// (the implicit return to the parent when a greenlet's body ends is not recorded).
    GreenletSwitch {
        /// The greenlet switched away from (ids are per thread, in creation order from 0;
        /// the thread's own stack gets one too, when first needed).
        from: u64,
        /// The greenlet switched to.
        to: u64,
    },
    /// Free text from program code (`trace::note`), e.g. "GET page 2".
    Note {
        /// The task being polled when the note was written (0: the main future or none).
        task: u64,
        /// The text.
        text: String,
    },
}

/// One trace record: an event with where and when it happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Process-wide sequence number: strictly increasing in the order records were made,
    /// across all threads. Gaps are records that went to other threads' sinks.
    pub seq: u64,
    /// Microseconds on the process-wide trace clock (started when the first sink was
    /// installed). Never decreases as `seq` increases.
    pub t_us: u64,
    /// The runtime (`Runtime::id`) the event belongs to; 0 when none (e.g. a greenlet switch
    /// outside any runtime).
    pub rt: u64,
    /// The name of the OS thread that made the record (`ThreadId(N)` if it has none).
    pub thread: String,
    /// What happened.
    #[serde(flatten)]
    pub event: Event,
}
