//! The replayed runtime state (`corolab::trace::replay`) of a fixed scenario, event by event,
//! and the agreement of the text trace and the timeline page about it.

mod scenario;

use corolab::trace::replay::Replay;
use corolab::trace::timeline::{layout, page_data};
use corolab::trace::{Event, Record, Sink, TextSink, WakeCause};

/// `line => state` for every record of the scenario, normalized (see `scenario::normalize`).
fn story(records: &[Record]) -> Vec<String> {
    let mut replay = Replay::new(records);
    let mut out = Vec::new();
    while let Some(i) = replay.step() {
        out.push(format!("{} => {}", replay.line(i), replay.state));
    }
    // One normalization for the whole story, so `fd A` is the same socket in every line.
    scenario::normalize(&out.join("\n"))
        .lines()
        .map(String::from)
        .collect()
}

/// The scenario, after each record: what happened => run queue | running task | parked tasks
/// and what each waits for | sockets (`rw` = readable, writable; `r:[1]` = its read side holds
/// task 1's waker) | pending timers (-> the task whose waker each holds).
const EXPECTED: &[&str] = &[
    "wake main (by block_on starting) => queue [0]",
    "tick 1 => queue [0]",
    "tick 1: run_ready_tasks => queue [0]",
    "main's turn: block_on polls it after this tick => queue []",
    "tick 1: fire_timers => queue []",
    "tick 1 ends => queue []",
    "poll main => queue [] | running 0",
    "register fd A (token 0x0) => queue [] | running 0 | fd A rw",
    "register fd B (token 0x1) => queue [] | running 0 | fd A rw | fd B rw",
    "spawn task 1 (reader) => queue [] | running 0 | fd A rw | fd B rw",
    "wake task 1 (reader) (by main) => queue [1] | running 0 | fd A rw | fd B rw",
    "spawn task 2 (writer) => queue [1] | running 0 | fd A rw | fd B rw",
    "wake task 2 (writer) (by main) => queue [1, 2] | running 0 | fd A rw | fd B rw",
    "main `-> Pending: waits for task 1 (reader) to finish => queue [1, 2] | parked 0 (task 1 (reader) to finish) | fd A rw | fd B rw",
    "tick 2 => queue [1, 2] | parked 0 (task 1 (reader) to finish) | fd A rw | fd B rw",
    "tick 2: run_ready_tasks => queue [1, 2] | parked 0 (task 1 (reader) to finish) | fd A rw | fd B rw",
    "poll task 1 (reader) => queue [2] | running 1 | parked 0 (task 1 (reader) to finish) | fd A rw | fd B rw",
    "fd B WouldBlock: wait until readable => queue [2] | running 1 | parked 0 (task 1 (reader) to finish) | fd A rw | fd B -w",
    "task 1 (reader) `-> Pending: waits for fd B readable => queue [2] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | fd A rw | fd B -w r:[1]",
    "poll task 2 (writer) => queue [] | running 2 | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | fd A rw | fd B -w r:[1]",
    "add timer 0x0 => queue [] | running 2 | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | fd A rw | fd B -w r:[1] | timer 0x0 -> 2",
    "task 2 (writer) `-> Pending: waits for timer 0x0 => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | parked 2 (timer 0x0) | fd A rw | fd B -w r:[1] | timer 0x0 -> 2",
    "tick 2: fire_timers => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | parked 2 (timer 0x0) | fd A rw | fd B -w r:[1] | timer 0x0 -> 2",
    "tick 2: wait_for_io => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | parked 2 (timer 0x0) | fd A rw | fd B -w r:[1] | timer 0x0 -> 2",
    "epoll_wait(timeout T ms) => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | parked 2 (timer 0x0) | fd A rw | fd B -w r:[1] | timer 0x0 -> 2",
    "epoll_wait returned 2 event(s) => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | parked 2 (timer 0x0) | fd A rw | fd B -w r:[1] | timer 0x0 -> 2",
    "tick 2: dispatch_io_events => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | parked 2 (timer 0x0) | fd A rw | fd B -w r:[1] | timer 0x0 -> 2",
    "fd A writable => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | parked 2 (timer 0x0) | fd A rw | fd B -w r:[1] | timer 0x0 -> 2",
    "fd B writable => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | parked 2 (timer 0x0) | fd A rw | fd B -w r:[1] | timer 0x0 -> 2",
    "tick 2 ends => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | parked 2 (timer 0x0) | fd A rw | fd B -w r:[1] | timer 0x0 -> 2",
    "tick 3 => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | parked 2 (timer 0x0) | fd A rw | fd B -w r:[1] | timer 0x0 -> 2",
    "tick 3: run_ready_tasks => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | parked 2 (timer 0x0) | fd A rw | fd B -w r:[1] | timer 0x0 -> 2",
    "tick 3: fire_timers => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | parked 2 (timer 0x0) | fd A rw | fd B -w r:[1] | timer 0x0 -> 2",
    "tick 3: wait_for_io => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | parked 2 (timer 0x0) | fd A rw | fd B -w r:[1] | timer 0x0 -> 2",
    "epoll_wait(timeout T ms) => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | parked 2 (timer 0x0) | fd A rw | fd B -w r:[1] | timer 0x0 -> 2",
    "epoll_wait returned 0 event(s) => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | parked 2 (timer 0x0) | fd A rw | fd B -w r:[1] | timer 0x0 -> 2",
    "tick 3: dispatch_io_events => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | parked 2 (timer 0x0) | fd A rw | fd B -w r:[1] | timer 0x0 -> 2",
    "tick 3 ends => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | parked 2 (timer 0x0) | fd A rw | fd B -w r:[1] | timer 0x0 -> 2",
    "tick 4 => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | parked 2 (timer 0x0) | fd A rw | fd B -w r:[1] | timer 0x0 -> 2",
    "tick 4: run_ready_tasks => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | parked 2 (timer 0x0) | fd A rw | fd B -w r:[1] | timer 0x0 -> 2",
    "tick 4: fire_timers => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | parked 2 (timer 0x0) | fd A rw | fd B -w r:[1] | timer 0x0 -> 2",
    "timer 0x0 fired => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | parked 2 (timer 0x0) | fd A rw | fd B -w r:[1]",
    "wake task 2 (writer) (by timer 0x0 fired) => queue [2] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | fd A rw | fd B -w r:[1]",
    "tick 4 ends => queue [2] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | fd A rw | fd B -w r:[1]",
    "tick 5 => queue [2] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | fd A rw | fd B -w r:[1]",
    "tick 5: run_ready_tasks => queue [2] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | fd A rw | fd B -w r:[1]",
    "poll task 2 (writer) => queue [] | running 2 | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | fd A rw | fd B -w r:[1]",
    "drop timer 0x0 => queue [] | running 2 | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | fd A rw | fd B -w r:[1]",
    "deregister fd A (token 0x0) => queue [] | running 2 | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | fd B -w r:[1]",
    "done task 2 (writer) (Completed) => queue [] | running 2 | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | fd B -w r:[1]",
    "task 2 (writer) `-> Ready => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | fd B -w r:[1]",
    "tick 5: fire_timers => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | fd B -w r:[1]",
    "tick 5: wait_for_io => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | fd B -w r:[1]",
    "epoll_wait(no timeout: nothing to do until I/O) => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | fd B -w r:[1]",
    "epoll_wait returned 1 event(s) => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | fd B -w r:[1]",
    "tick 5: dispatch_io_events => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | fd B -w r:[1]",
    "fd B readable+writable => queue [] | parked 0 (task 1 (reader) to finish) | parked 1 (fd B readable) | fd B rw",
    "wake task 1 (reader) (by fd B readable) => queue [1] | parked 0 (task 1 (reader) to finish) | fd B rw",
    "tick 5 ends => queue [1] | parked 0 (task 1 (reader) to finish) | fd B rw",
    "tick 6 => queue [1] | parked 0 (task 1 (reader) to finish) | fd B rw",
    "tick 6: run_ready_tasks => queue [1] | parked 0 (task 1 (reader) to finish) | fd B rw",
    "poll task 1 (reader) => queue [] | running 1 | parked 0 (task 1 (reader) to finish) | fd B rw",
    "fd B short read: no longer readable => queue [] | running 1 | parked 0 (task 1 (reader) to finish) | fd B -w",
    "deregister fd B (token 0x1) => queue [] | running 1 | parked 0 (task 1 (reader) to finish)",
    "done task 1 (reader) (Completed) => queue [] | running 1 | parked 0 (task 1 (reader) to finish)",
    "wake main (by task 1 (reader)) => queue [0] | running 1",
    "task 1 (reader) `-> Ready => queue [0]",
    "tick 6: fire_timers => queue [0]",
    "tick 6 ends => queue [0]",
    "tick 7 => queue [0]",
    "tick 7: run_ready_tasks => queue [0]",
    "main's turn: block_on polls it after this tick => queue []",
    "tick 7: fire_timers => queue []",
    "tick 7 ends => queue []",
    "poll main => queue [] | running 0",
    "main `-> Ready => queue []",
];

// Why: the page's ◀ ▶ panel shows these states; they must be what the runtime really did. The
// reader parks on its socket, the writer on a timer; the timer wakes the writer, whose write
// makes the socket readable, which wakes the reader, whose end wakes main.
#[test]
fn replay_rebuilds_the_state_after_every_event_of_a_fixed_scenario() {
    let records = scenario::record("reader");
    let actual = story(&records);
    for (i, (got, want)) in actual.iter().zip(EXPECTED).enumerate() {
        assert_eq!(got, want, "record {i}; whole story:\n{}", actual.join("\n"));
    }
    assert_eq!(
        actual.len(),
        EXPECTED.len(),
        "whole story:\n{}",
        actual.join("\n")
    );
}

/// The text sink's lines for `records`, without times and indentation.
fn text_lines(records: &[Record]) -> Vec<String> {
    let mut sink = TextSink::to_writer(Vec::new());
    for record in records {
        sink.record(record);
    }
    let text = String::from_utf8(sink.writer().clone()).unwrap();
    text.lines()
        .map(|l| l.split_once("] ").map_or(l, |(_, rest)| rest))
        // `[rt N thread]` labels appear once several runtimes traced in this process.
        .map(|l| match l.strip_prefix("[rt ") {
            Some(rest) => rest.split_once("] ").map_or(rest, |(_, line)| line),
            None => l,
        })
        .map(|l| l.trim_start().trim_start_matches("| ").to_string())
        .collect()
}

// Why: a student reads the text trace and the page side by side; they must tell the same
// story in the same order, and name the same cause for every wake.
#[test]
fn text_and_html_views_agree_on_order_and_cause() {
    let records = scenario::record("reader");
    let data = page_data(&records, "agreement");
    let page_lines: Vec<&str> = data["line"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(page_lines.len(), records.len());
    // Order: every text line is, in the same order, the line of one page record.
    let mut next = 0;
    for line in text_lines(&records) {
        let found = page_lines[next..].iter().position(|p| p.ends_with(line.as_str()));
        let Some(offset) = found else {
            panic!("text line {line:?} is not among the page's lines after #{next}: {page_lines:#?}");
        };
        next += offset + 1;
    }
    // Cause: each wake in the page carries the record's cause, and its arrow starts where
    // the cause happened (the readiness, the timer firing, or the waking task's lane).
    let layout = layout(&records);
    for (i, record) in records.iter().enumerate() {
        let Event::TaskWoken { cause, .. } = &record.event else {
            continue;
        };
        assert_eq!(
            data["rec"][i]["cause"],
            serde_json::to_value(cause).unwrap(),
            "record {i}"
        );
        let arrow = layout.arrows.iter().find(|a| a.to.1 == i);
        match cause {
            WakeCause::Io { token, .. } => {
                let (lane, at) = arrow.expect("an arrow from the readiness").from;
                assert!(matches!(records[at].event, Event::IoReady { token: t, .. } if t == *token));
                assert_eq!(layout.lanes[lane].kind, "socket");
            }
            WakeCause::Timer { timer } => {
                let (lane, at) = arrow.expect("an arrow from the timer").from;
                assert!(matches!(records[at].event, Event::TimerFired { timer: t, .. } if t == *timer));
                assert_eq!(layout.lanes[lane].label, "timers");
            }
            WakeCause::Task { by } => {
                let (lane, _) = arrow.expect("an arrow from the waking task").from;
                let label = Replay::new(&records).label(*by);
                assert!(layout.lanes[lane].label.starts_with(&label), "{label}");
            }
            _ => {}
        }
    }
}

/// Records made by hand, numbered in order.
fn records(events: Vec<Event>) -> Vec<Record> {
    let thread = "main".to_string();
    let make = |(i, event)| Record {
        seq: i as u64 + 1,
        t_us: i as u64,
        rt: 1,
        thread: thread.clone(),
        event,
    };
    events.into_iter().enumerate().map(make).collect()
}

// Why: the executor skips a finished task's queue entry without a record; the replay must not
// show a dead task waiting for its turn.
#[test]
fn a_task_that_finishes_while_queued_leaves_the_run_queue() {
    use corolab::trace::{PollOutcome, TaskOutcome};
    let records = records(vec![
        Event::TaskSpawned { task: 1, name: None },
        Event::TaskWoken {
            task: 1,
            cause: WakeCause::Task { by: 0 },
        },
        Event::TaskPollStarted { task: 1 },
        Event::TaskWoken {
            task: 1,
            cause: WakeCause::Task { by: 1 },
        },
        Event::TaskFinished {
            task: 1,
            outcome: TaskOutcome::Completed,
        },
        Event::TaskPolled {
            task: 1,
            outcome: PollOutcome::Ready,
            waits: vec![],
        },
    ]);
    let states = corolab::trace::replay::replay(&records);
    assert_eq!(states[3].run_queue, [1], "it woke itself while running");
    assert_eq!(states[3].running, Some(1));
    assert!(states[4].run_queue.is_empty() && states[4].tasks.is_empty());
    assert_eq!(states[5].running, None);
}

// Why: a park no future explained (a future outside corolab) is still shown with what ended
// it, marked as inferred rather than passed off as recorded.
#[test]
fn an_unexplained_park_shows_the_wake_that_ended_it_as_inferred() {
    use corolab::trace::replay::TaskStatus;
    use corolab::trace::{PollOutcome, Wait};
    let records = records(vec![
        Event::TaskSpawned { task: 1, name: None },
        Event::TaskWoken {
            task: 1,
            cause: WakeCause::Task { by: 0 },
        },
        Event::TaskPollStarted { task: 1 },
        Event::TaskPolled {
            task: 1,
            outcome: PollOutcome::Pending,
            waits: vec![Wait::Unknown],
        },
        Event::TaskWoken {
            task: 1,
            cause: WakeCause::Thread,
        },
    ]);
    let states = corolab::trace::replay::replay(&records);
    let TaskStatus::Parked { waits_for } = &states[3].tasks[&1].status else {
        panic!("{:?}", states[3]);
    };
    assert_eq!(waits_for.len(), 1);
    assert_eq!(waits_for[0].what, "another thread");
    assert!(waits_for[0].inferred);
    assert_eq!(states[4].tasks[&1].status, TaskStatus::Queued);
}

// Why: the panel lists pending timers in the order they will fire; a reset moves a timer, a
// cancel or a firing removes it, and each keeps the waker of the task that set it.
#[test]
fn pending_timers_stay_in_deadline_order_through_reset_and_cancel() {
    use corolab::trace::PollOutcome;
    let records = records(vec![
        Event::TaskPollStarted { task: 1 },
        Event::TimerAdded {
            timer: 7,
            deadline_us: 500,
        },
        Event::TaskPolled {
            task: 1,
            outcome: PollOutcome::Pending,
            waits: vec![],
        },
        Event::TaskPollStarted { task: 2 },
        Event::TimerAdded {
            timer: 8,
            deadline_us: 300,
        },
        Event::TimerReset {
            timer: 7,
            deadline_us: 100,
        },
        Event::TaskPolled {
            task: 2,
            outcome: PollOutcome::Pending,
            waits: vec![],
        },
        Event::TimerCancelled { timer: 8 },
        Event::TimerFired { timer: 7, late_us: 3 },
    ]);
    let states = corolab::trace::replay::replay(&records);
    let order = |i: usize| -> Vec<(u64, u64, Option<u64>)> {
        states[i]
            .timers
            .iter()
            .map(|t| (t.timer, t.deadline_us, t.task))
            .collect()
    };
    assert_eq!(order(4), [(8, 300, Some(2)), (7, 500, Some(1))]);
    assert_eq!(
        order(5),
        [(7, 100, Some(1)), (8, 300, Some(2))],
        "reset moves it, waker kept"
    );
    assert_eq!(order(7), [(7, 100, Some(1))]);
    assert!(states[8].timers.is_empty());
}

/// Applies one page delta to a page state, as `page.js` does (`applyDelta`).
fn apply(state: &mut serde_json::Value, delta: &serde_json::Value) {
    if let Some(queue) = delta.get("rq") {
        state["rq"] = queue.clone();
    }
    if let Some(cut) = delta.get("rqd").and_then(|c| c.as_u64()) {
        let mut queue: Vec<serde_json::Value> = state["rq"].as_array().unwrap()[cut as usize..].to_vec();
        queue.extend(delta["rqa"].as_array().unwrap().iter().cloned());
        state["rq"] = queue.into();
    }
    for key in ["run", "tick"] {
        if let Some(value) = delta.get(key) {
            state[key] = value.clone();
        }
    }
    for key in ["tk", "sk", "tm"] {
        for (id, value) in delta.get(key).and_then(|m| m.as_object()).into_iter().flatten() {
            let map = state[key].as_object_mut().unwrap();
            if value.is_null() {
                map.remove(id);
            } else {
                map.insert(id.clone(), value.clone());
            }
        }
    }
}

/// A replayed state in the page's shape.
fn page_shape(state: &corolab::trace::replay::State) -> serde_json::Value {
    let timers: serde_json::Map<String, serde_json::Value> = state
        .timers
        .iter()
        .map(|t| (t.timer.to_string(), serde_json::to_value(t).unwrap()))
        .collect();
    serde_json::json!({
        "rq": state.run_queue, "run": state.running, "tick": [state.tick, state.phase],
        "tk": state.tasks, "sk": state.sockets, "tm": timers,
    })
}

// Why: the page shows the states by applying the deltas embedded in it; a delta that misses
// a change would make the page's panel drift from what the replay (and the runtime) had.
#[test]
fn the_page_deltas_rebuild_every_replayed_state() {
    let records = scenario::record("reader");
    let data = page_data(&records, "deltas");
    let states = corolab::trace::replay::replay(&records);
    let mut state =
        serde_json::json!({"rq": [], "run": null, "tick": [0, null], "tk": {}, "sk": {}, "tm": {}});
    for (i, expected) in states.iter().enumerate() {
        apply(&mut state, &data["deltas"][i]);
        assert_eq!(
            state,
            page_shape(expected),
            "after record {i}: {:?}",
            records[i].event
        );
    }
}

/// Records a run in which `stale` finishes while its waker is kept elsewhere, and main then
/// calls that waker (as a socket or channel holding a dead task's waker would).
fn record_a_wake_after_the_task_finished() -> Vec<Record> {
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::task::{Poll, Waker};
    let recorder = corolab::trace::Recorder::install();
    corolab::Runtime::new().block_on(async {
        let kept: Rc<RefCell<Option<Waker>>> = Rc::default();
        let keep = kept.clone();
        let stale = corolab::spawn_named(
            "stale",
            std::future::poll_fn(move |cx| {
                *keep.borrow_mut() = Some(cx.waker().clone());
                Poll::Ready(())
            }),
        );
        stale.await.unwrap();
        kept.borrow_mut().take().unwrap().wake();
        corolab::yield_now().await;
    });
    corolab::trace::clear_sink();
    recorder.records()
}

// Why: a waker outlives its task (a socket, channel or timer may still hold it). The
// executor now merges such a wake away (`waking_a_finished_task_queues_and_traces_nothing`
// in tests/trace.rs), but traces written before that, or by hand, still record one: the
// replay must not show a finished task on the run queue (or anywhere) for the rest of the
// run. So the late wake the old executor recorded is put back into the recorded run.
#[test]
fn a_wake_after_a_task_finished_does_not_bring_it_back() {
    let mut records = record_a_wake_after_the_task_finished();
    let finished = records
        .iter()
        .position(|r| matches!(r.event, Event::TaskFinished { task: 1, .. }))
        .expect("task 1 finishes");
    let late_wake = records[finished..]
        .iter()
        .any(|r| matches!(r.event, Event::TaskWoken { task: 1, .. }));
    assert!(!late_wake, "the executor records no wake of a finished task");
    let mut wake = records[finished].clone();
    wake.event = Event::TaskWoken {
        task: 1,
        cause: WakeCause::Task { by: 0 },
    };
    records.insert(finished + 2, wake);
    for (seq, record) in records.iter_mut().enumerate() {
        record.seq = seq as u64 + 1;
    }
    let states = corolab::trace::replay::replay(&records);
    for (i, state) in states.iter().enumerate().skip(finished + 1) {
        assert!(
            !state.run_queue.contains(&1) && !state.tasks.contains_key(&1),
            "after record {i} ({:?}): {state}",
            records[i].event
        );
    }
    // Nor does its lane show it queued (up to the end of the run) after its end.
    let layout = layout(&records);
    let lane = layout
        .lanes
        .iter()
        .position(|l| l.label == "task 1 (stale)")
        .unwrap();
    let late = layout.bars.iter().find(|b| b.lane == lane && b.from > finished);
    assert!(late.is_none(), "{late:?}");
}

// Why: the main future leaves the run queue at its turn (`main_turn`), not when its poll
// starts; a wake between the two (a timer firing in the same tick) queues it again, and the
// executor polls it once more next tick: the replay must keep that entry.
#[test]
fn main_woken_again_after_its_turn_stays_queued_through_its_poll() {
    use corolab::trace::{Phase, PollOutcome};
    let records = records(vec![
        Event::TaskWoken {
            task: 0,
            cause: WakeCause::Start,
        },
        Event::TickStarted { tick: 1 },
        Event::MainTurn,
        Event::TickPhase {
            tick: 1,
            phase: Phase::FireTimers,
        },
        Event::TaskWoken {
            task: 0,
            cause: WakeCause::Timer { timer: 3 },
        },
        Event::TickEnded { tick: 1 },
        Event::TaskPollStarted { task: 0 },
        Event::TaskPolled {
            task: 0,
            outcome: PollOutcome::Pending,
            waits: vec![corolab::trace::Wait::Yield],
        },
        Event::TickStarted { tick: 2 },
        Event::MainTurn,
    ]);
    let states = corolab::trace::replay::replay(&records);
    assert!(states[2].run_queue.is_empty(), "{}", states[2]);
    assert_eq!(states[4].run_queue, [0], "{}", states[4]);
    assert_eq!(states[6].run_queue, [0], "its poll starts: {}", states[6]);
    assert_eq!(states[6].running, Some(0));
    assert_eq!(
        states[7].tasks[&0].status,
        corolab::trace::replay::TaskStatus::Queued,
        "{}",
        states[7]
    );
    assert!(states[9].run_queue.is_empty(), "{}", states[9]);
}

// Why: when a task finishes, its future is gone; a socket of someone else's (or a timer) that
// still holds its waker will wake nobody who is waiting. The panel must not list a finished
// task as a socket's or timer's waiter, and the page's deltas must carry that change too.
#[test]
fn a_finished_task_leaves_every_waker_list() {
    use corolab::trace::{Interest, PollOutcome, TaskOutcome, Wait};
    let records = records(vec![
        Event::IoRegistered { token: 9, fd: 5 },
        Event::TaskSpawned { task: 1, name: None },
        Event::TaskWoken {
            task: 1,
            cause: WakeCause::Task { by: 0 },
        },
        Event::TaskPollStarted { task: 1 },
        Event::TimerAdded {
            timer: 4,
            deadline_us: 1000,
        },
        Event::TaskPolled {
            task: 1,
            outcome: PollOutcome::Pending,
            waits: vec![
                Wait::Io {
                    token: 9,
                    fd: 5,
                    side: Interest::Read,
                },
                Wait::Timer {
                    timer: 4,
                    deadline_us: 1000,
                },
            ],
        },
        Event::TaskFinished {
            task: 1,
            outcome: TaskOutcome::Cancelled,
        },
    ]);
    let states = corolab::trace::replay::replay(&records);
    assert_eq!(states[5].sockets[&9].read_waiters, [1], "{}", states[5]);
    assert_eq!(states[5].timers[0].task, Some(1), "{}", states[5]);
    let last = &states[6];
    assert!(last.sockets[&9].read_waiters.is_empty(), "{last}");
    assert_eq!(last.timers.len(), 1, "the timer itself is still pending: {last}");
    assert_eq!(last.timers[0].task, None, "{last}");
    assert!(last.tasks.is_empty() && last.run_queue.is_empty(), "{last}");
    let data = page_data(&records, "deltas");
    let mut state =
        serde_json::json!({"rq": [], "run": null, "tick": [0, null], "tk": {}, "sk": {}, "tm": {}});
    for (i, expected) in states.iter().enumerate() {
        apply(&mut state, &data["deltas"][i]);
        assert_eq!(state, page_shape(expected), "after record {i}");
    }
}

// Why: timers due at the same moment fire in the order they were added or last reset (the
// reactor's heap orders by deadline, then sequence), not by their ids: the panel's "deadline
// order" must say which of two equal deadlines fires first.
#[test]
fn timers_with_equal_deadlines_stay_in_the_order_they_were_set() {
    let records = records(vec![
        Event::TimerAdded {
            timer: 9,
            deadline_us: 100,
        },
        Event::TimerAdded {
            timer: 3,
            deadline_us: 100,
        },
        Event::TimerAdded {
            timer: 5,
            deadline_us: 50,
        },
        Event::TimerReset {
            timer: 5,
            deadline_us: 100,
        },
    ]);
    let states = corolab::trace::replay::replay(&records);
    let ids = |i: usize| -> Vec<u64> { states[i].timers.iter().map(|t| t.timer).collect() };
    assert_eq!(ids(1), [9, 3]);
    assert_eq!(ids(2), [5, 9, 3]);
    assert_eq!(
        ids(3),
        [9, 3, 5],
        "a reset goes after the timers already due then"
    );
    // The page sorts its timers by `deadline_us`, then `set_at`: the same order.
    let set_at: Vec<usize> = states[3].timers.iter().map(|t| t.set_at).collect();
    assert!(set_at.is_sorted(), "{set_at:?}");
}
