//! The trace sinks.

use corolab::trace::{self, Event, JsonLinesSink, PollOutcome, Record, Recorder, TextSink, Wait, WakeCause};
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

/// A writer shared by threads that appends each `write` call whole (like stderr's `write(2)`),
/// so a record written in pieces by two threads at once would tear.
#[derive(Clone, Default)]
struct SharedAcrossThreads(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
impl Write for SharedAcrossThreads {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Some tasks that yield, sleep and wake each other: enough traffic to interleave threads.
async fn busy_tasks(tasks: usize, rounds: usize) {
    let handles: Vec<_> = (0..tasks)
        .map(|i| {
            spawn_named(format!("busy {i}"), async move {
                for _ in 0..rounds {
                    corolab::yield_now().await;
                    corolab::time::sleep(std::time::Duration::ZERO).await;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap();
    }
}

fn parse_records(text: &str) -> Vec<Record> {
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str::<Record>(line)
                .unwrap_or_else(|e| panic!("line {} does not parse ({e}): {line}", i + 1))
        })
        .collect()
}

// Why: `COROLAB_TRACE=json` with two runtimes on two threads (slow_server, gather) tore lines
// apart, and two clocks made time run backwards. Every record must be one whole line, and a
// file's lines must be in `seq` order with `t_us` never decreasing.
#[test]
fn json_lines_from_runtimes_on_many_threads_are_whole_and_in_order() {
    let out = SharedAcrossThreads::default();
    let threads: Vec<_> = (0..6)
        .map(|i| {
            let out = out.clone();
            std::thread::Builder::new()
                .name(format!("tracer {i}"))
                .spawn(move || {
                    trace::set_sink(Box::new(JsonLinesSink::new(out)));
                    let rt = Runtime::new();
                    rt.block_on(busy_tasks(8, 20));
                    trace::clear_sink();
                    rt.id()
                })
                .unwrap()
        })
        .collect();
    let ids: Vec<u64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let records = parse_records(&text);
    assert!(records.len() > 6 * 8 * 20, "only {} records", records.len());
    for pair in records.windows(2) {
        assert!(
            pair[0].seq < pair[1].seq,
            "seq out of order: {:?} then {:?}",
            pair[0],
            pair[1]
        );
        assert!(
            pair[0].t_us <= pair[1].t_us,
            "time ran backwards: {:?} then {:?}",
            pair[0],
            pair[1]
        );
    }
    for (i, id) in ids.iter().enumerate() {
        let mine: Vec<&Record> = records.iter().filter(|r| r.rt == *id).collect();
        assert!(!mine.is_empty(), "no records of runtime {id}");
        assert!(
            mine.iter().all(|r| r.thread == format!("tracer {i}")),
            "runtime {id} on another thread"
        );
    }
}

// Why: tools (and the timeline) read the records back; a field that serialises but does not
// parse back would lose data silently.
#[test]
fn every_record_parses_back_into_the_same_record() {
    let recorder = Recorder::install();
    Runtime::new().block_on(scenario_with_every_kind_of_wait());
    trace::clear_sink();
    for record in recorder.records() {
        let line = serde_json::to_string(&record).unwrap();
        let back: Record = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(back, record, "{line}");
    }
}

// Why: with several runtimes tracing, unlabelled text lines cannot be told apart (the client's
// and the in-process server's lines were mixed). Once a second runtime traces, lines say
// `[rt N thread]`.
#[test]
fn text_lines_are_labelled_once_a_second_runtime_traces() {
    let out = SharedAcrossThreads::default();
    let run = |name: &str, out: SharedAcrossThreads| {
        std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                trace::set_sink(Box::new(TextSink::to_writer(out)));
                let rt = Runtime::new();
                rt.block_on(busy_tasks(2, 2));
                trace::clear_sink();
                rt.id()
            })
            .unwrap()
            .join()
            .unwrap()
    };
    let _first = run("first tracer", SharedAcrossThreads::default());
    let second = run("second tracer", out.clone());
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let label = format!("] [rt {second} second tracer] ");
    assert!(!text.is_empty());
    for line in text.lines() {
        assert!(line.contains(&label), "unlabelled line {line:?} in:\n{text}");
    }
}

/// Sleeps, channels, a oneshot, a semaphore, a join, a yield, spawn_blocking and TCP.
async fn scenario_with_every_kind_of_wait() {
    use corolab::net::{TcpListener, TcpStream};
    use corolab::sync::{Semaphore, channel, oneshot};
    use std::time::Duration;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = spawn_named("server", async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 5];
        let n = stream.read(&mut buf).await.unwrap();
        stream.write_all(&buf[..n]).await.unwrap();
    });
    let (tx, mut rx) = channel::<u8>(1);
    let (one_tx, one_rx) = oneshot::<u8>();
    let semaphore = std::rc::Rc::new(Semaphore::new(1));
    let held = semaphore.clone().acquire_owned().await;
    let waiter = {
        let semaphore = semaphore.clone();
        spawn_named("waiter", async move {
            let _permit = semaphore.acquire().await;
            let v = rx.recv().await.unwrap();
            one_tx.send(v).unwrap();
        })
    };
    corolab::yield_now().await;
    corolab::time::sleep(Duration::from_millis(2)).await;
    drop(held);
    tx.send(7).await.unwrap();
    assert_eq!(one_rx.await.unwrap(), 7);
    waiter.await.unwrap();
    let answer = corolab::spawn_blocking(|| {
        std::thread::sleep(Duration::from_millis(5)); // still running when first polled
        41 + 1
    })
    .await;
    assert_eq!(answer.unwrap(), 42);
    let client = TcpStream::connect(addr).await.unwrap();
    corolab::time::sleep(Duration::from_millis(2)).await;
    client.write_all(b"hello").await.unwrap();
    let mut buf = [0u8; 5];
    let n = client.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"hello");
    server.await.unwrap();
}

// Why: "200 of 300 Pending polls show no reason". Every poll that returns Pending must say
// what the task now waits for; this scenario parks on every kind of leaf future corolab has.
#[test]
fn every_pending_poll_says_what_it_waits_for() {
    let recorder = Recorder::install();
    Runtime::new().block_on(scenario_with_every_kind_of_wait());
    trace::clear_sink();
    let mut kinds = std::collections::BTreeSet::new();
    for record in recorder.records() {
        if let Event::TaskPolled { task, outcome, waits } = &record.event {
            match outcome {
                PollOutcome::Pending => {
                    assert!(!waits.is_empty(), "task {task}: Pending with no reason");
                    assert!(
                        !waits.contains(&Wait::Unknown),
                        "task {task}: Pending, reason unknown"
                    );
                    kinds.extend(
                        waits
                            .iter()
                            .map(|w| format!("{w:?}").split([' ', '{']).next().unwrap().to_string()),
                    );
                }
                _ => assert!(waits.is_empty(), "task {task}: {outcome:?} with waits {waits:?}"),
            }
        }
    }
    for kind in ["Io", "Timer", "Channel", "Semaphore", "Join", "Yield", "Blocking"] {
        assert!(kinds.contains(kind), "no {kind} wait in the scenario: {kinds:?}");
    }
}

// Why: `wake main (by task 1)` was printed inside the *next* poll block. A wake caused by a
// task must lie inside that task's poll (between its `task_poll_started` and `task_polled`),
// including the JoinHandle wake when a task finishes.
#[test]
fn each_wake_by_a_task_lies_inside_that_tasks_poll() {
    let recorder = Recorder::install();
    Runtime::new().block_on(scenario_with_every_kind_of_wait());
    trace::clear_sink();
    let mut polling: Option<u64> = None;
    let mut join_wakes = 0;
    for record in recorder.records() {
        match record.event {
            Event::TaskPollStarted { task } => {
                assert_eq!(polling, None, "poll of {task} started inside another poll");
                polling = Some(task);
            }
            Event::TaskPolled { task, .. } => {
                assert_eq!(polling, Some(task), "task_polled without its start");
                polling = None;
            }
            Event::TaskWoken {
                task,
                cause: WakeCause::Task { by },
            } => {
                assert_eq!(polling, Some(by), "wake of {task} by {by} outside {by}'s poll");
                join_wakes += usize::from(task == 0);
            }
            // The cooperative budget makes the task being polled wake itself.
            Event::TaskWoken {
                task,
                cause: WakeCause::Budget,
            } => assert_eq!(polling, Some(task), "budget wake of {task} outside its own poll"),
            Event::TaskWoken { task, cause } => {
                assert_eq!(polling, None, "wake of {task} ({cause:?}) inside a poll");
            }
            _ => {}
        }
    }
    assert!(
        join_wakes >= 2,
        "the main future awaited tasks; {join_wakes} wakes of main by tasks"
    );
}

// Why: `COROLAB_TRACE` values other than the known ones must not be silently ignored
// (`install_from_env` warns once); the parser is the single place that knows them.
#[test]
fn trace_modes_parse_and_unknown_values_are_refused() {
    use corolab::trace::{TraceMode, parse_mode};
    assert_eq!(parse_mode("1"), Some(TraceMode::Text));
    assert_eq!(parse_mode("stderr"), Some(TraceMode::Text));
    assert_eq!(parse_mode("json"), Some(TraceMode::Json));
    assert_eq!(parse_mode(""), Some(TraceMode::Off));
    assert_eq!(parse_mode("0"), Some(TraceMode::Off));
    assert_eq!(parse_mode("yes"), None);
    assert_eq!(parse_mode("JSON"), None);
}

// Why: a task the cooperative budget made to yield returns Pending with nothing to wait for;
// the trace must say it was the budget (not leave the reason unknown).
#[test]
fn a_budget_forced_yield_says_budget() {
    let recorder = Recorder::install();
    Runtime::new().block_on(async {
        spawn_named("busy", async {
            let (tx, mut rx) = corolab::sync::channel::<u32>(1);
            for i in 0..300 {
                tx.send(i).await.unwrap();
                assert_eq!(rx.recv().await, Some(i));
            }
        })
        .await
        .unwrap();
    });
    trace::clear_sink();
    let budget_parks = recorder
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::TaskPolled { task: 1, waits, .. } if waits == &[Wait::Budget]))
        .count();
    assert!(
        budget_parks >= 2,
        "300 sends and receives spend the budget of 128 at least twice"
    );
}

// Why: every record must say which runtime it belongs to, even one made after `block_on`
// returned (a socket that outlived it is deregistered when dropped).
#[test]
fn every_record_names_its_runtime_even_after_block_on_returns() {
    let recorder = Recorder::install();
    let rt = Runtime::new();
    let listener = rt.block_on(async {
        let listener = corolab::net::TcpListener::bind("127.0.0.1:0").unwrap();
        corolab::yield_now().await;
        listener
    });
    drop(listener);
    trace::clear_sink();
    let records = recorder.records();
    assert!(
        records
            .iter()
            .any(|r| matches!(r.event, Event::IoDeregistered { .. }))
    );
    for record in &records {
        assert_eq!(record.rt, rt.id(), "{record:?}");
        assert_eq!(
            record.thread,
            std::thread::current().name().unwrap(),
            "{record:?}"
        );
    }
}

// Why: a panicking `block_on` future unwinds through `trace::polling` (tasks are polled inside
// `catch_unwind`, the main future is not). Its `task_poll_started` then had no `task_polled`,
// so a replay never left the poll and the text sink printed every later line with `|`; and the
// thread kept "main" as its wake cause, so later wakes from plain code said "by main".
#[test]
fn a_panicking_main_future_still_ends_its_poll_in_the_trace() {
    let recorder = Recorder::install();
    let rt = Runtime::new();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async { panic!("the main future panics on purpose") })
    }));
    assert!(caught.is_err());
    assert_eq!(trace::current_cause(), WakeCause::Unknown);
    assert_eq!(trace::current_task(), 0);
    rt.block_on(async { corolab::spawn(async {}).await.unwrap() });
    trace::clear_sink();
    let events = recorder.events();
    let first_poll_end = events
        .iter()
        .find(|e| matches!(e, Event::TaskPolled { .. }))
        .expect("the panicking poll ended");
    assert_eq!(
        first_poll_end,
        &Event::TaskPolled {
            task: 0,
            outcome: PollOutcome::Panicked,
            waits: vec![]
        }
    );
    let mut polling = None;
    for event in &events {
        match event {
            Event::TaskPollStarted { task } => {
                assert_eq!(
                    polling, None,
                    "poll of {task} started inside another poll: {events:#?}"
                );
                polling = Some(*task);
            }
            Event::TaskPolled { task, .. } => {
                assert_eq!(polling, Some(*task), "task_polled without its start: {events:#?}");
                polling = None;
            }
            _ => {}
        }
    }
}

// Why: "a wake by task N lies inside N's poll" has one exception, and chapter 10 names it: an
// aborted task is cancelled at its turn without being polled, and the wake of its JoinHandle
// then says "by" that task. It must come right after that task's `task_finished` (cancelled),
// so a reader (or the replay) can tell what caused it.
#[test]
fn a_cancelled_tasks_join_wake_comes_right_after_its_task_finished() {
    use std::future::Future;
    use std::time::Duration;
    let recorder = Recorder::install();
    Runtime::new().block_on(async {
        let handle = corolab::spawn(corolab::time::sleep(Duration::from_secs(10)));
        let handle = Rc::new(RefCell::new(handle));
        let aborter = handle.clone();
        let _aborter = corolab::spawn(async move {
            corolab::time::sleep(Duration::from_millis(1)).await;
            aborter.borrow().abort();
        });
        let joined = std::future::poll_fn(|cx| std::pin::Pin::new(&mut *handle.borrow_mut()).poll(cx)).await;
        assert!(joined.is_err());
    });
    trace::clear_sink();
    let events = recorder.events();
    let mut polling = None;
    let mut checked = 0;
    for (i, event) in events.iter().enumerate() {
        match event {
            Event::TaskPollStarted { task } => polling = Some(*task),
            Event::TaskPolled { .. } => polling = None,
            Event::TaskWoken {
                cause: WakeCause::Task { by },
                ..
            } if polling != Some(*by) => {
                assert_eq!(
                    events[i - 1],
                    Event::TaskFinished {
                        task: *by,
                        outcome: corolab::trace::TaskOutcome::Cancelled
                    },
                    "a wake by task {by} outside its poll, not right after its cancellation: {events:#?}"
                );
                checked += 1;
            }
            _ => {}
        }
    }
    assert_eq!(
        checked, 1,
        "the JoinHandle of the aborted task was woken once: {events:#?}"
    );
}

// Why: a greenlet whose function returns switches back to its parent without any `switch`
// call. Only explicit switches were traced, so a trace of a greenlet run showed control
// entering it and never coming back.
#[test]
fn a_finished_greenlet_returning_to_its_parent_is_traced_as_a_switch() {
    use corolab::greenlet::Greenlet;
    let recorder = Recorder::install();
    let double = Greenlet::new(|x: u32| x * 2);
    assert_eq!(double.switch::<u32, u32>(21), 42);
    let switches: Vec<(u64, u64)> = recorder
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::GreenletSwitch { from, to } => Some((from, to)),
            _ => None,
        })
        .collect();
    trace::clear_sink();
    // Ids are given in creation order, and the thread's root greenlet is made when first
    // needed (here: at the switch), so the child may well have the smaller id.
    let [(from, to), back] = switches[..] else {
        panic!("expected two switches, got {switches:?}");
    };
    assert_ne!(from, to);
    assert_eq!(back, (to, from), "into the greenlet, then back when it returned");
}

// Why: a waker can outlive its task (a channel, a timer or a user keeps a clone). Waking it
// after the task finished queued the dead task's header: the trace said `wake task 1` for a
// task that no longer existed, and the loop popped a header only to find nothing to poll.
// A finished task now counts as "already queued" for good, so the wake is merged away.
#[test]
fn waking_a_finished_task_queues_and_traces_nothing() {
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::task::{Poll, Waker};
    let recorder = Recorder::install();
    let kept: Rc<RefCell<Option<Waker>>> = Rc::default();
    let polls_after = corolab::block_on({
        let kept = kept.clone();
        async move {
            let slot = kept.clone();
            let task = corolab::spawn(corolab::future::poll_fn(move |cx| {
                *slot.borrow_mut() = Some(cx.waker().clone()); // outlives the task
                Poll::Ready(())
            }));
            task.await.unwrap();
            let finished_at = recorder.records().len();
            kept.borrow().as_ref().unwrap().wake_by_ref();
            corolab::yield_now().await;
            recorder.records()[finished_at..].to_vec()
        }
    });
    trace::clear_sink();
    let woken: Vec<_> = polls_after
        .iter()
        .filter(|r| {
            matches!(
                r.event,
                Event::TaskWoken { task: 1, .. } | Event::TaskPollStarted { task: 1 }
            )
        })
        .collect();
    assert!(
        woken.is_empty(),
        "the finished task 1 was woken or polled again: {woken:?}"
    );
}
