//! Chapter 10 documents every field of the JSON trace format: each record field, each event
//! with each of its fields, each `cause` and `waits` kind with its fields, and every value the
//! small enums (outcomes, phases, sides) can take. The samples below are one of each variant;
//! the `match`es without a `_` arm stop compiling when a variant is added, so a new event
//! cannot be left out of the samples (and so out of this check).

use corolab::trace::{ChannelOp, Event, Interest, Phase, PollOutcome, Record, TaskOutcome, Wait, WakeCause};
use serde_json::Value;

fn chapter() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/10-debugging.md")).unwrap()
}

/// One of every event (the `match` in `event_sample_is_exhaustive` keeps this complete).
fn sample_events() -> Vec<Event> {
    vec![
        Event::TaskSpawned {
            task: 1,
            name: Some("n".into()),
        },
        Event::TaskWoken {
            task: 1,
            cause: WakeCause::Start,
        },
        Event::MainTurn,
        Event::TaskPollStarted { task: 1 },
        Event::TaskPolled {
            task: 1,
            outcome: PollOutcome::Pending,
            waits: vec![Wait::Yield],
        },
        Event::TaskFinished {
            task: 1,
            outcome: TaskOutcome::Completed,
        },
        Event::TickStarted { tick: 1 },
        Event::TickPhase {
            tick: 1,
            phase: Phase::RunReadyTasks,
        },
        Event::TickEnded { tick: 1 },
        Event::ReactorWait { timeout_us: Some(1) },
        Event::ReactorWoke { events: 1 },
        Event::IoRegistered { token: 1, fd: 3 },
        Event::IoDeregistered { token: 1, fd: 3 },
        Event::IoReady {
            token: 1,
            fd: 3,
            readable: true,
            writable: false,
            error: false,
        },
        Event::IoWouldBlock {
            token: 1,
            fd: 3,
            interest: Interest::Read,
        },
        Event::IoShortRead { token: 1, fd: 3 },
        Event::TimerAdded {
            timer: 1,
            deadline_us: 5,
        },
        Event::TimerReset {
            timer: 1,
            deadline_us: 5,
        },
        Event::TimerCancelled { timer: 1 },
        Event::TimerFired { timer: 1, late_us: 0 },
        Event::GreenletSwitch { from: 0, to: 1 },
        Event::Note {
            task: 0,
            text: "t".into(),
        },
    ]
}

#[allow(dead_code)]
fn event_sample_is_exhaustive(event: &Event) {
    match event {
        Event::TaskSpawned { .. }
        | Event::TaskWoken { .. }
        | Event::MainTurn
        | Event::TaskPollStarted { .. }
        | Event::TaskPolled { .. }
        | Event::TaskFinished { .. }
        | Event::TickStarted { .. }
        | Event::TickPhase { .. }
        | Event::TickEnded { .. }
        | Event::ReactorWait { .. }
        | Event::ReactorWoke { .. }
        | Event::IoRegistered { .. }
        | Event::IoDeregistered { .. }
        | Event::IoReady { .. }
        | Event::IoWouldBlock { .. }
        | Event::IoShortRead { .. }
        | Event::TimerAdded { .. }
        | Event::TimerReset { .. }
        | Event::TimerCancelled { .. }
        | Event::TimerFired { .. }
        | Event::GreenletSwitch { .. }
        | Event::Note { .. } => {}
    }
}

fn sample_causes() -> Vec<WakeCause> {
    vec![
        WakeCause::Io {
            token: 1,
            fd: 3,
            interest: Interest::Read,
        },
        WakeCause::Timer { timer: 1 },
        WakeCause::Task { by: 1 },
        WakeCause::Thread,
        WakeCause::Yield,
        WakeCause::Budget,
        WakeCause::Start,
        WakeCause::Unknown,
    ]
}

#[allow(dead_code)]
fn cause_sample_is_exhaustive(cause: &WakeCause) {
    match cause {
        WakeCause::Io { .. }
        | WakeCause::Timer { .. }
        | WakeCause::Task { .. }
        | WakeCause::Thread
        | WakeCause::Yield
        | WakeCause::Budget
        | WakeCause::Start
        | WakeCause::Unknown => {}
    }
}

fn sample_waits() -> Vec<Wait> {
    vec![
        Wait::Io {
            token: 1,
            fd: 3,
            side: Interest::Read,
        },
        Wait::Timer {
            timer: 1,
            deadline_us: 5,
        },
        Wait::Channel {
            channel: 1,
            op: ChannelOp::Recv,
        },
        Wait::Semaphore { semaphore: 1 },
        Wait::PoolSlot { host: "h:1".into() },
        Wait::Join { task: 1 },
        Wait::Blocking,
        Wait::Yield,
        Wait::Budget,
        Wait::Requeued,
        Wait::Other { what: "w".into() },
        Wait::Unknown,
    ]
}

#[allow(dead_code)]
fn wait_sample_is_exhaustive(wait: &Wait) {
    match wait {
        Wait::Io { .. }
        | Wait::Timer { .. }
        | Wait::Channel { .. }
        | Wait::Semaphore { .. }
        | Wait::PoolSlot { .. }
        | Wait::Join { .. }
        | Wait::Blocking
        | Wait::Yield
        | Wait::Budget
        | Wait::Requeued
        | Wait::Other { .. }
        | Wait::Unknown => {}
    }
}

/// The JSON name of a unit enum value (`"pending"`).
fn name_of(value: impl serde::Serialize) -> String {
    serde_json::to_value(value).unwrap().as_str().unwrap().to_string()
}

/// The keys of a JSON object except `skip`, in order.
fn keys(value: &Value, skip: &str) -> Vec<String> {
    value
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| *k != skip)
        .cloned()
        .collect()
}

/// The row of the events table whose first cell names `event` (`| `a`, `b` | ... |`).
fn event_row<'a>(chapter: &'a str, event: &str) -> &'a str {
    let cell = format!("`{event}`");
    chapter
        .lines()
        .find(|line| {
            line.starts_with("| `")
                && line
                    .split('|')
                    .nth(1)
                    .is_some_and(|first| first.split(',').any(|name| name.trim() == cell))
        })
        .unwrap_or_else(|| panic!("chapter 10 has no row for the event `{event}`"))
}

/// The paragraph of chapter 10 that starts with `start`, its lines joined with spaces.
fn paragraph(chapter: &str, start: &str) -> String {
    let at = chapter
        .find(start)
        .unwrap_or_else(|| panic!("chapter 10 lost its paragraph {start:?}"));
    let rest = &chapter[at..];
    rest[..rest.find("\n\n").unwrap_or(rest.len())].replace('\n', " ")
}

/// What the paragraph says about `kind`: the parenthesis right after `` `kind` `` (or "" when
/// the kind is only named).
fn kind_text<'a>(paragraph: &'a str, kind: &str, what: &str) -> &'a str {
    let name = format!("`{kind}`");
    let ends: Vec<usize> = paragraph
        .match_indices(&name)
        .map(|(at, _)| at + name.len())
        .collect();
    let at = ends
        .iter()
        .find(|&&end| paragraph[end..].starts_with(" ("))
        .or(ends.first())
        .copied()
        .unwrap_or_else(|| panic!("chapter 10 does not name the {what} kind `{kind}`"));
    let rest = &paragraph[at..];
    if !rest.starts_with(" (") {
        return "";
    }
    let mut depth = 0;
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &rest[..=i];
                }
            }
            _ => {}
        }
    }
    rest
}

// Why: chapter 10 is the reference for everyone who reads a JSON trace (the timeline page,
// students with jq); a field added to `event.rs` without a word in the chapter is a field
// nobody can interpret. Every record field, event, field and value must be named there.
#[test]
fn chapter_10_names_every_field_of_the_json_trace_format() {
    let chapter = chapter();
    let record = Record {
        seq: 1,
        t_us: 2,
        rt: 1,
        thread: "main".into(),
        event: Event::MainTurn,
    };
    let record = serde_json::to_value(&record).unwrap();
    for field in keys(&record, "") {
        let row = format!("| `{field}` |");
        assert!(chapter.contains(&row), "chapter 10's record table lacks {row}");
    }
    for event in sample_events() {
        let json = serde_json::to_value(&event).unwrap();
        let name = json["event"].as_str().unwrap().to_string();
        let row = event_row(&chapter, &name);
        for field in keys(&json, "event") {
            assert!(
                row.contains(&format!("`{field}`")),
                "chapter 10's row for `{name}` does not name its field `{field}`: {row}"
            );
        }
    }
    let causes = paragraph(&chapter, "A `cause` object has a `kind`");
    for cause in sample_causes() {
        let json = serde_json::to_value(cause).unwrap();
        let kind = json["kind"].as_str().unwrap();
        let text = kind_text(&causes, kind, "cause");
        for field in keys(&json, "kind") {
            assert!(
                text.contains(&format!("`{field}`")),
                "chapter 10 does not name the field `{field}` of the cause kind `{kind}`"
            );
        }
    }
    let waits = paragraph(&chapter, "A `waits` entry");
    for wait in sample_waits() {
        let json = serde_json::to_value(&wait).unwrap();
        let kind = json["kind"].as_str().unwrap();
        let text = kind_text(&waits, kind, "waits");
        for field in keys(&json, "kind") {
            assert!(
                text.contains(&format!("`{field}`")),
                "chapter 10 does not name the field `{field}` of the waits kind `{kind}`"
            );
        }
    }
}

// Why: the values of the small enums are part of the format too (`"outcome":"panicked"`); each
// must be named where its field is documented.
#[test]
fn chapter_10_names_every_value_of_the_trace_enums() {
    let chapter = chapter();
    let check = |place: &str, where_: &str, values: Vec<String>| {
        for value in values {
            assert!(
                place.contains(&format!("`{value}`")),
                "chapter 10 does not name the value `{value}` in {where_}"
            );
        }
    };
    let polled = event_row(&chapter, "task_polled");
    check(
        polled,
        "task_polled",
        [PollOutcome::Pending, PollOutcome::Ready, PollOutcome::Panicked]
            .map(name_of)
            .to_vec(),
    );
    let finished = event_row(&chapter, "task_finished");
    check(
        finished,
        "task_finished",
        [
            TaskOutcome::Completed,
            TaskOutcome::Panicked,
            TaskOutcome::Cancelled,
        ]
        .map(name_of)
        .to_vec(),
    );
    let phase = event_row(&chapter, "tick_phase");
    check(
        phase,
        "tick_phase",
        [
            Phase::RunReadyTasks,
            Phase::FireTimers,
            Phase::WaitForIo,
            Phase::DispatchIoEvents,
        ]
        .map(name_of)
        .to_vec(),
    );
    let sides = [Interest::Read, Interest::Write].map(name_of).to_vec();
    check(
        event_row(&chapter, "io_would_block"),
        "io_would_block",
        sides.clone(),
    );
    let waits = paragraph(&chapter, "A `waits` entry");
    check(kind_text(&waits, "io", "waits"), "the io wait", sides);
    check(
        kind_text(&waits, "channel", "waits"),
        "the channel wait",
        [ChannelOp::Recv, ChannelOp::Send].map(name_of).to_vec(),
    );
}
