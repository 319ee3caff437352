//! The trace sinks.

use corolab::trace::{self, Event, JsonLinesSink, Recorder};
use corolab::{Runtime, spawn_named};
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);
impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// Why: tools read the JSON lines sink; every line must be one valid JSON object with a time and
// an event name, and task names must appear.
#[test]
fn json_lines_sink_writes_one_parseable_object_per_event() {
    let out = Shared::default();
    trace::set_sink(Box::new(JsonLinesSink::new(out.clone())));
    Runtime::new().block_on(async {
        spawn_named("worker", async {}).await.unwrap();
    });
    trace::clear_sink();
    let text = String::from_utf8(out.0.borrow().clone()).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.len() >= 4, "{text}");
    assert!(lines.iter().all(|v| v["t_us"].is_u64() && v["event"].is_string()));
    assert!(text.contains(r#""name":"worker""#), "{text}");
}

// Why: tracing must be off unless asked for: without a sink, nothing is recorded or built.
#[test]
fn no_sink_means_nothing_is_recorded() {
    let recorder = Recorder::install();
    trace::clear_sink();
    Runtime::new().block_on(async {
        corolab::spawn(async {}).await.unwrap();
    });
    assert!(recorder.events().is_empty());
    assert!(!trace::enabled());
}

// Why: the task lifecycle in the trace is spawn -> woken -> polled -> finished, in that order.
#[test]
fn task_lifecycle_events_come_in_order() {
    let recorder = Recorder::install();
    Runtime::new().block_on(async {
        spawn_named("t", async {}).await.unwrap();
    });
    trace::clear_sink();
    let events = recorder.events();
    let kinds: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::TaskSpawned { task: 1, .. } => Some("spawned"),
            Event::TaskWoken { task: 1, .. } => Some("woken"),
            Event::TaskPollStarted { task: 1 } => Some("poll started"),
            Event::TaskPolled { task: 1, .. } => Some("polled"),
            Event::TaskFinished { task: 1, .. } => Some("finished"),
            _ => None,
        })
        .collect();
    // The end of a task belongs to the poll that finished it: `task_finished` comes inside
    // the poll's bracket, before `task_polled`.
    assert_eq!(kinds, ["spawned", "woken", "poll started", "finished", "polled"]);
}
