//! Lanes, bars, marks and arrows: what the timeline page draws, computed from the records.
//!
//! **Concept.** Drawing is the page's job, but *what* to draw is decided here, in Rust and
//! under test: which lane a record belongs to, where a task's "queued", "polled" and "parked"
//! bars begin and end, and which earlier record caused a wake (the arrow's tail).
//!
//! **Where.** [`layout`] plays the records through a [`Replay`] and hands each to
//! `Builder::record`, which sorts it into `task_record`, `socket_record` or `loop_record`.
//! Bars and marks refer to records by index, so the page can place them by time or by order.
//!
//! **In the debugger.** Break on `corolab::trace::timeline::layout` and step into
//! `Builder::record` to see one record become bars, marks and arrows.

use super::super::replay::{Replay, TaskStatus, cause_words};
use super::super::{Event, PollOutcome, Record, WakeCause};
use serde::Serialize;
use std::collections::HashMap;

/// A horizontal lane of the picture.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lane {
    /// `reactor`, `timers`, `task` or `socket`.
    pub kind: &'static str,
    /// The label drawn at its left.
    pub label: String,
}

/// A bar on a lane, from one record to another (indices into the records).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bar {
    /// Lane index.
    pub lane: usize,
    /// First record.
    pub from: usize,
    /// Last record.
    pub to: usize,
    /// `run`, `park`, `queue`, `wait` (epoll_wait) or `open` (a registered socket).
    pub kind: &'static str,
    /// A few words shown on hover.
    pub text: String,
}

/// A mark on a lane at one record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mark {
    /// Lane index.
    pub lane: usize,
    /// The record.
    pub at: usize,
    /// `ready`, `wouldblock`, `fire`, `spawn`, `done`, `wake`, `note` or `register`.
    pub kind: &'static str,
}

/// An arrow from a mark on one lane to another: readiness -> wake, wake -> poll.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Arrow {
    /// Lane and record it starts at.
    pub from: (usize, usize),
    /// Lane and record it ends at.
    pub to: (usize, usize),
}

/// Everything the page draws.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Layout {
    /// Lanes, top to bottom.
    pub lanes: Vec<Lane>,
    /// Bars.
    pub bars: Vec<Bar>,
    /// Marks.
    pub marks: Vec<Mark>,
    /// Arrows.
    pub arrows: Vec<Arrow>,
    /// For each record, the lane it belongs to (the one its details are shown for).
    pub lane_of: Vec<usize>,
}

const LOOP: usize = 0;
const REACTOR: usize = 1;
const TIMERS: usize = 2;

/// Builds the layout of `records` (one runtime's, in order).
pub fn layout(records: &[Record]) -> Layout {
    Builder::new(records).build()
}

struct Builder<'a> {
    records: &'a [Record],
    replay: Replay<'a>,
    out: Layout,
    task_lane: HashMap<u64, usize>,
    socket_lane: HashMap<u64, usize>,
    /// Open bars: task -> (kind, since record, text).
    task_bar: HashMap<u64, (&'static str, usize, String)>,
    socket_open: HashMap<u64, usize>,
    last_ready: HashMap<u64, usize>,
    last_fired: HashMap<u64, usize>,
    /// A task's wake waiting for its poll: task -> (lane, record) of the wake.
    wake_pending: HashMap<u64, usize>,
    wait_since: Option<usize>,
    tick_since: Option<(usize, u64)>,
}

impl<'a> Builder<'a> {
    fn new(records: &'a [Record]) -> Builder<'a> {
        let mut out = Layout::default();
        out.lanes.push(Lane {
            kind: "loop",
            label: "loop (Runtime::tick)".into(),
        });
        out.lanes.push(Lane {
            kind: "reactor",
            label: "reactor (epoll_wait)".into(),
        });
        out.lanes.push(Lane {
            kind: "timers",
            label: "timers".into(),
        });
        Builder {
            records,
            replay: Replay::new(records),
            out,
            task_lane: HashMap::new(),
            socket_lane: HashMap::new(),
            task_bar: HashMap::new(),
            socket_open: HashMap::new(),
            last_ready: HashMap::new(),
            last_fired: HashMap::new(),
            wake_pending: HashMap::new(),
            wait_since: None,
            tick_since: None,
        }
    }

    fn build(mut self) -> Layout {
        while let Some(i) = self.replay.step() {
            let owner = self.replay.poll_of(i);
            let lane = self.record(i, owner);
            self.out.lane_of.push(lane);
        }
        self.close_all();
        self.out
    }

    fn lane_for_task(&mut self, task: u64) -> usize {
        if let Some(lane) = self.task_lane.get(&task) {
            return *lane;
        }
        let lane = self.out.lanes.len();
        self.out.lanes.push(Lane {
            kind: "task",
            label: self.replay.label(task),
        });
        self.task_lane.insert(task, lane);
        lane
    }

    fn mark(&mut self, lane: usize, at: usize, kind: &'static str) {
        self.out.marks.push(Mark { lane, at, kind });
    }

    /// Ends the task's open bar (if any) at `at` and opens `next` (if any).
    fn task_state(&mut self, task: u64, at: usize, next: Option<(&'static str, String)>) {
        let lane = self.lane_for_task(task);
        if let Some((kind, from, text)) = self.task_bar.remove(&task) {
            self.out.bars.push(Bar {
                lane,
                from,
                to: at,
                kind,
                text,
            });
        }
        if let Some((kind, text)) = next {
            self.task_bar.insert(task, (kind, at, text));
        }
    }

    fn poll_started(&mut self, at: usize, task: u64) {
        self.task_state(task, at, Some(("run", "polled".into())));
        if let Some(wake) = self.wake_pending.remove(&task) {
            let lane = self.lane_for_task(task);
            self.out.arrows.push(Arrow {
                from: (lane, wake),
                to: (lane, at),
            });
        }
    }

    /// Draws record `i`; returns its lane.
    fn record(&mut self, i: usize, owner: Option<u64>) -> usize {
        let event = &self.records[i].event;
        match event {
            Event::TaskSpawned { .. }
            | Event::TaskWoken { .. }
            | Event::MainTurn
            | Event::TaskPollStarted { .. }
            | Event::TaskPolled { .. }
            | Event::TaskFinished { .. } => self.task_record(i, event, owner),
            Event::IoRegistered { .. }
            | Event::IoDeregistered { .. }
            | Event::IoReady { .. }
            | Event::IoWouldBlock { .. }
            | Event::IoShortRead { .. } => self.socket_record(i, event),
            _ => self.loop_record(i, event, owner),
        }
    }

    /// A task's record: its lane's bars and marks.
    fn task_record(&mut self, i: usize, event: &Event, owner: Option<u64>) -> usize {
        match event {
            Event::TaskSpawned { task, .. } => {
                let lane = self.lane_for_task(*task);
                self.mark(lane, i, "spawn");
                if let Some(from) = owner.map(|t| self.lane_for_task(t)) {
                    self.out.arrows.push(Arrow {
                        from: (from, i),
                        to: (lane, i),
                    });
                }
                lane
            }
            Event::TaskWoken { task, cause } => self.woken(i, *task, cause),
            Event::TaskPollStarted { task } => {
                self.poll_started(i, *task);
                self.lane_for_task(*task)
            }
            Event::TaskPolled { task, outcome, .. } => {
                let next = match outcome {
                    PollOutcome::Pending if self.replay.state.run_queue.contains(task) => {
                        Some(("queue", "woke itself: queued again".to_string()))
                    }
                    PollOutcome::Pending => Some(("park", self.park_text(*task))),
                    _ => None,
                };
                self.task_state(*task, i, next);
                self.lane_for_task(*task)
            }
            Event::TaskFinished { task, .. } => {
                self.task_state(*task, i, None);
                let lane = self.lane_for_task(*task);
                self.mark(lane, i, "done");
                lane
            }
            _ => {
                // `main_turn`: the main future's turn came.
                let lane = self.lane_for_task(0);
                self.mark(lane, i, "turn");
                lane
            }
        }
    }

    /// A socket's record: its lane (made at registration), the band while it is registered,
    /// and marks for readiness, `WouldBlock` and short reads.
    fn socket_record(&mut self, i: usize, event: &Event) -> usize {
        let (token, kind) = match event {
            Event::IoRegistered { token, fd } => {
                let lane = self.out.lanes.len();
                self.out.lanes.push(Lane {
                    kind: "socket",
                    label: format!("fd {fd} (token {token:#x})"),
                });
                self.socket_lane.insert(*token, lane);
                self.socket_open.insert(*token, i);
                (*token, "register")
            }
            Event::IoDeregistered { token, .. } => {
                self.close_socket(*token, i);
                (*token, "deregister")
            }
            Event::IoReady { token, .. } => {
                self.last_ready.insert(*token, i);
                (*token, "ready")
            }
            Event::IoWouldBlock { token, .. } | Event::IoShortRead { token, .. } => (*token, "wouldblock"),
            _ => return REACTOR,
        };
        let lane = self.socket_lane.get(&token).copied().unwrap_or(REACTOR);
        self.mark(lane, i, kind);
        lane
    }

    /// The loop's, the reactor's and the timers' records (and notes, on the task writing them).
    fn loop_record(&mut self, i: usize, event: &Event, owner: Option<u64>) -> usize {
        let (lane, mark) = match event {
            Event::TickStarted { tick } => {
                self.tick_since = Some((i, *tick));
                (LOOP, None)
            }
            Event::TickEnded { .. } => {
                self.close_tick(i);
                (LOOP, None)
            }
            Event::ReactorWait { .. } => {
                self.wait_since = Some(i);
                (REACTOR, None)
            }
            Event::ReactorWoke { events } => {
                self.close_wait(i, *events);
                (REACTOR, None)
            }
            Event::TimerFired { timer, .. } => {
                self.last_fired.insert(*timer, i);
                (TIMERS, Some("fire"))
            }
            Event::TimerAdded { .. } | Event::TimerReset { .. } => (TIMERS, Some("timer_set")),
            Event::TimerCancelled { .. } => (TIMERS, Some("timer_drop")),
            Event::GreenletSwitch { .. } => (LOOP, Some("switch")),
            Event::Note { .. } => (owner.map_or(LOOP, |t| self.lane_for_task(t)), Some("note")),
            _ => (LOOP, None), // `tick_phase`: shown in the state panel
        };
        if let Some(kind) = mark {
            self.mark(lane, i, kind);
        }
        lane
    }

    fn close_tick(&mut self, at: usize) {
        if let Some((from, tick)) = self.tick_since.take() {
            let kind = if tick % 2 == 0 { "tick" } else { "tick2" };
            let text = format!("tick {tick}");
            let bar = Bar {
                lane: LOOP,
                from,
                to: at,
                kind,
                text,
            };
            self.out.bars.push(bar);
        }
    }

    fn close_wait(&mut self, at: usize, events: usize) {
        if let Some(from) = self.wait_since.take() {
            let text = self.wait_text(from, events);
            let bar = Bar {
                lane: REACTOR,
                from,
                to: at,
                kind: "wait",
                text,
            };
            self.out.bars.push(bar);
        }
    }

    /// A wake: the task's park bar ends, a queue bar starts, and an arrow comes from its cause.
    /// A finished task's waker (kept by someone) queues nothing: only the mark is drawn.
    fn woken(&mut self, i: usize, task: u64, cause: &WakeCause) -> usize {
        let lane = self.lane_for_task(task);
        let running = self.replay.state.running == Some(task);
        let queues = !running && self.replay.state.tasks.contains_key(&task);
        if queues {
            let text = format!(
                "queued (woken by {})",
                cause_words(cause, &|t| self.replay.label(t))
            );
            self.task_state(task, i, Some(("queue", text)));
        }
        self.mark(lane, i, "wake");
        let from = match cause {
            WakeCause::Io { token, .. } => self
                .last_ready
                .get(token)
                .map(|at| (self.socket_lane.get(token).copied().unwrap_or(REACTOR), *at)),
            WakeCause::Timer { timer } => self.last_fired.get(timer).map(|at| (TIMERS, *at)),
            WakeCause::Task { by } if *by != task => Some((self.lane_for_task(*by), i)),
            _ => None,
        };
        if let Some(from) = from {
            self.out.arrows.push(Arrow { from, to: (lane, i) });
        }
        if queues {
            self.wake_pending.insert(task, i);
        }
        lane
    }

    fn park_text(&self, task: u64) -> String {
        match self.replay.state.tasks.get(&task).map(|t| &t.status) {
            Some(TaskStatus::Parked { waits_for }) if !waits_for.is_empty() => {
                let what: Vec<String> = waits_for
                    .iter()
                    .map(|w| {
                        if w.inferred {
                            format!("{} (inferred)", w.what)
                        } else {
                            w.what.clone()
                        }
                    })
                    .collect();
                format!("parked: waits for {}", what.join(", "))
            }
            _ => "parked (reason not recorded)".to_string(),
        }
    }

    fn wait_text(&self, from: usize, events: usize) -> String {
        let timeout = match &self.records[from].event {
            Event::ReactorWait { timeout_us: Some(us) } => format!("timeout {:.3} ms", *us as f64 / 1000.0),
            _ => "no timeout".to_string(),
        };
        format!("epoll_wait ({timeout}) -> {events} event(s)")
    }

    fn close_socket(&mut self, token: u64, at: usize) {
        if let (Some(from), Some(lane)) = (self.socket_open.remove(&token), self.socket_lane.get(&token)) {
            self.out.bars.push(Bar {
                lane: *lane,
                from,
                to: at,
                kind: "open",
                text: "registered with epoll".into(),
            });
        }
    }

    /// Bars still open at the end of the trace run to its last record.
    fn close_all(&mut self) {
        let end = self.records.len().saturating_sub(1);
        let tasks: Vec<u64> = self.task_bar.keys().copied().collect();
        for task in tasks {
            self.task_state(task, end, None);
        }
        let tokens: Vec<u64> = self.socket_open.keys().copied().collect();
        for token in tokens {
            self.close_socket(token, end);
        }
        self.out.bars.sort_by_key(|b| (b.lane, b.from));
    }
}
