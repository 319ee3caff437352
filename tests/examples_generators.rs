//! Runs the logic of the generator examples (without cargo or a subprocess)
//! by compiling the example files into this test as modules.

// Each example has its own `mod common;` (examples/common); included side by side here, that
// shared file is compiled once per example, which is harmless.
#![allow(clippy::duplicate_mod)]

#[path = "../examples/producer_consumer.rs"]
#[allow(dead_code)] // the example's `main` is not called here
mod producer_consumer;

use producer_consumer::Transcript;

/// The seed's printed output (002_0e1aa6bb08f66faa.txt), verbatim.
const SEED_LINES: [&str; 15] = [
    "[PRODUCER] Producing 1...",
    "[CONSUMER] Consuming 1...",
    "[PRODUCER] Consumer return: 200 OK",
    "[PRODUCER] Producing 2...",
    "[CONSUMER] Consuming 2...",
    "[PRODUCER] Consumer return: 200 OK",
    "[PRODUCER] Producing 3...",
    "[CONSUMER] Consuming 3...",
    "[PRODUCER] Consumer return: 200 OK",
    "[PRODUCER] Producing 4...",
    "[CONSUMER] Consuming 4...",
    "[PRODUCER] Consumer return: 200 OK",
    "[PRODUCER] Producing 5...",
    "[CONSUMER] Consuming 5...",
    "[PRODUCER] Consumer return: 200 OK",
];

#[test]
fn producer_consumer_section_1_prints_the_seed_lines_and_closes() {
    // Why: the example claims to reproduce the seed's output; this keeps the
    // claim true when the example or the generator changes.
    let out = Transcript::new(false);
    let closed = producer_consumer::section_1_generator(&out);
    assert_eq!(out.lines(), SEED_LINES);
    assert!(closed, "close() must finish the consumer");
}

#[test]
fn producer_consumer_section_2a_tasks_repeat_the_seed_conversation() {
    // Why: with a reply channel the two tasks must keep the seed's strict
    // rhythm; the lines are the same though every hop goes through the run queue.
    let out = Transcript::new(false);
    let stats = producer_consumer::section_2a_request_reply(&out);
    assert_eq!(out.lines(), SEED_LINES);
    assert_eq!(stats.tasks_spawned, 2);
    // Each of the 5 rounds needs at least one poll of each task.
    assert!(stats.polls >= 10, "polls = {}", stats.polls);
}

#[test]
fn producer_consumer_section_2b_producer_runs_ahead_at_most_the_capacity() {
    // Why: without a reply the channel's capacity is the only brake; the
    // consumer must still get 1..=5 in order, after each was produced, and the
    // producer may never be more than `capacity` items ahead.
    let capacity = 2;
    let out = Transcript::new(false);
    producer_consumer::section_2b_bounded_queue(&out, capacity);
    let lines = out.lines();
    let mut produced = 0;
    let mut consumed = Vec::new();
    for line in &lines {
        if let Some(rest) = line.strip_prefix("[PRODUCER] Producing ") {
            let n: usize = rest.trim_end_matches("...").parse().unwrap();
            assert_eq!(n, produced + 1, "producer order in {lines:?}");
            // items 1..n-1 are sent; at most `capacity` of them wait in the channel
            assert!(
                consumed.len() + capacity >= n - 1,
                "producer too far ahead: {lines:?}"
            );
            produced = n;
        } else if let Some(rest) = line.strip_prefix("[CONSUMER] Consuming ") {
            let n: usize = rest.trim_end_matches("...").parse().unwrap();
            assert!(n <= produced, "consumed {n} before it was produced: {lines:?}");
            consumed.push(n);
        }
    }
    assert_eq!(consumed, [1, 2, 3, 4, 5]);
    assert_eq!(
        lines.last().map(String::as_str),
        Some("[CONSUMER] channel closed, done")
    );
}

#[path = "../examples/state_machine.rs"]
#[allow(dead_code)] // the example's `main` is not called here
mod state_machine;

#[test]
fn state_machine_async_fn_and_hand_written_enum_say_the_same_lines() {
    // Why: the example claims the enum is what the compiler makes of the
    // async fn; identical lines and output on the same runtime back that up.
    let by_compiler = state_machine::run_async_fn(5);
    let by_hand = state_machine::run_by_hand(5);
    let expected = [
        "put the kettle on",
        "water boiled, steeping for 5 ms",
        "tea is ready",
    ];
    assert_eq!(by_compiler.lines, expected);
    assert_eq!(by_hand.lines, expected);
    assert_eq!(by_compiler.output, "green tea");
    assert_eq!(by_hand.output, by_compiler.output);
    // Two timers: at least one poll to start and one per timer.
    assert!(by_hand.polls >= 3, "polls = {}", by_hand.polls);
}

#[test]
fn state_machine_polled_after_done_panics() {
    // Why: the example says polling after Ready must panic rather than hang;
    // the hand-written future must do what it preaches.
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Waker};

    let mut tea = state_machine::MakeTea::new(state_machine::Log::default(), 1);
    assert_eq!(corolab::block_on(&mut tea), "green tea");
    assert!(matches!(tea, state_machine::MakeTea::Done));
    let mut cx = Context::from_waker(Waker::noop());
    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = Pin::new(&mut tea).poll(&mut cx);
    }));
    assert!(again.is_err());
}
