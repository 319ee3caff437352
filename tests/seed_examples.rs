//! The seed examples in quick mode: each test runs an example's own code (the files are
//! included as modules) and checks the fact that example exists to show. Timing checks are
//! generous ratios ("concurrent is below half of blocking"), never speed goals.

// Each example is its own crate with its own `mod common;` (examples/common); included side by
// side here, that shared file is compiled once per example, which is harmless.
#![allow(clippy::duplicate_mod)]

mod common;

#[allow(dead_code)]
#[path = "../examples/concurrent_sleep.rs"]
mod concurrent_sleep;
#[allow(dead_code)]
#[path = "../examples/gather.rs"]
mod gather;
#[allow(dead_code)]
#[path = "../examples/hello_coroutines.rs"]
mod hello_coroutines;
#[allow(dead_code)]
#[path = "../examples/many_tasks.rs"]
mod many_tasks;
#[allow(dead_code)]
#[path = "../examples/slow_server.rs"]
mod slow_server;

use common::with_deadline;
use concurrent_sleep::Wait;
use slow_server::View;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

/// Index of the first line starting with `prefix`; fails the test if there is none.
fn line_index(lines: &[String], prefix: &str) -> usize {
    lines
        .iter()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in {lines:#?}"))
}

/// Asserts that lines starting with each prefix appear, in this order.
fn assert_in_order(lines: &[String], prefixes: &[&str]) {
    let positions: Vec<usize> = prefixes.iter().map(|p| line_index(lines, p)).collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "expected {prefixes:?} in this order, got {lines:#?}"
    );
}

// Why: the seed's first lesson is that calling an async function runs nothing; if the body
// ran at creation, "task start" would come before "created the future".
#[test]
fn hello_future_runs_nothing_until_block_on_runs_it() {
    let lines = with_deadline(LIMIT, || {
        hello_coroutines::create_then_run(Duration::from_millis(20))
    });
    assert_in_order(
        &lines,
        &[
            "created the future",
            "start running it",
            "task start",
            "task end",
            "done running it (finished)",
        ],
    );
}

// Why: `on_done` is corolab's add_done_callback: it must run after the task ends, see its
// result, and run before the awaiting main future resumes.
#[test]
fn hello_on_done_callback_sees_the_result_right_after_the_task_ends() {
    let lines = with_deadline(LIMIT, || {
        hello_coroutines::spawn_with_callback(Duration::from_millis(20))
    });
    assert_in_order(
        &lines,
        &[
            "spawned the task: it has not started",
            "start running it",
            "task start",
            "task end",
            "callback called",
            "state: finished",
            "done running it (ok)",
        ],
    );
}

// Why: the await style must give the same result as the callback, after the task ends.
#[test]
fn hello_awaiting_the_handle_gives_the_result_after_the_task_ends() {
    let lines = with_deadline(LIMIT, || {
        hello_coroutines::spawn_then_await(Duration::from_millis(20))
    });
    assert_in_order(
        &lines,
        &[
            "spawned the task: it has not started",
            "task start",
            "task end",
            "awaited the handle, state: finished",
        ],
    );
}

// Why: the core claim of concurrent_sleep: awaited sleeps overlap, thread sleeps add up and
// freeze every other task (the ticker cannot tick until the thread is free again).
#[test]
fn concurrent_sleep_awaited_sleeps_overlap_and_thread_sleeps_freeze_the_ticker() {
    let nap = Duration::from_millis(100);
    let (awaited, blocking) = with_deadline(LIMIT, move || {
        (
            concurrent_sleep::run(Wait::AwaitSleep, nap),
            concurrent_sleep::run(Wait::ThreadSleep, nap),
        )
    });
    let tasks = concurrent_sleep::TASKS as u32;
    assert!(blocking.elapsed >= nap * tasks, "{blocking:?}");
    assert!(awaited.elapsed >= nap, "{awaited:?}");
    assert!(
        awaited.elapsed < blocking.elapsed / 2,
        "{awaited:?} vs {blocking:?}"
    );
    assert_eq!(blocking.ticks_while_working, 0, "{blocking:?}");
    assert!(blocking.longest_silence >= nap * tasks, "{blocking:?}");
    assert!(awaited.ticks_while_working >= 1, "{awaited:?}");
}

// Why: spawn_blocking is the fix the example recommends; it must bring the time back to about
// one sleep and keep the ticker alive.
#[test]
fn concurrent_sleep_spawn_blocking_is_fast_again_and_the_ticker_keeps_ticking() {
    let nap = Duration::from_millis(100);
    let fixed = with_deadline(LIMIT, move || concurrent_sleep::run(Wait::SpawnBlocking, nap));
    let blocking_minimum = nap * concurrent_sleep::TASKS as u32;
    assert!(fixed.elapsed >= nap, "{fixed:?}");
    assert!(fixed.elapsed < blocking_minimum / 2, "{fixed:?}");
    assert!(fixed.ticks_while_working >= 1, "{fixed:?}");
}

// Why: the seed's slow-server result: 50 concurrent requests to a server that waits on timers
// take about one delay, not 50; every request must get "hello world".
#[test]
fn slow_server_fifty_concurrent_requests_take_about_one_delay() {
    let delay = Duration::from_millis(200);
    let burst = with_deadline(LIMIT, move || slow_server::run(View::Timer, delay, 50).unwrap());
    assert_eq!(burst.ok, 50, "{burst:?}");
    assert!(burst.elapsed >= delay, "{burst:?}");
    assert!(burst.elapsed < delay * 5, "{burst:?}");
}

// Why: the seed's warning about Flask without threads: a handler that blocks the server's one
// thread serialises the requests, so N requests take about N delays.
#[test]
fn slow_server_blocking_handler_serialises_requests() {
    let delay = Duration::from_millis(100);
    let requests = 4;
    let burst = with_deadline(LIMIT, move || {
        slow_server::run(View::Blocking, delay, requests).unwrap()
    });
    assert_eq!(burst.ok, requests, "{burst:?}");
    assert!(burst.elapsed >= delay * requests as u32, "{burst:?}");
    assert!(burst.elapsed < delay * (requests as u32 + 3), "{burst:?}");
}

// Why: join_all (gather) returns results in the order given although the sleeps finish by
// duration, and it takes as long as the longest, not the sum.
#[test]
fn gather_join_all_keeps_the_given_order_while_sleeps_finish_by_duration() {
    let unit = Duration::from_millis(50);
    let gathered = with_deadline(LIMIT, move || gather::gather_sleeps(unit));
    assert_eq!(gathered.results, gather::DURATIONS.to_vec());
    assert_eq!(gathered.finished, vec![1, 2, 3]);
    assert!(gathered.elapsed >= unit * 3, "{gathered:?}");
    assert!(gathered.elapsed < unit * 6, "{gathered:?}");
}

// Why: select must return with the first to finish and cancel the loser (no timer left behind).
#[test]
fn gather_select_returns_the_first_and_cancels_the_other() {
    let unit = Duration::from_millis(50);
    let selected = with_deadline(LIMIT, move || gather::first_completed(unit));
    assert_eq!(selected.winner, 1);
    assert_eq!(selected.timers_left, 0);
    assert!(selected.elapsed < unit * 3, "{selected:?}");
}

// Why: timeout must let a fast future finish and give up on a slow one.
#[test]
fn gather_timeout_keeps_the_fast_sleep_and_drops_the_slow_one() {
    let unit = Duration::from_millis(50);
    let in_time = with_deadline(LIMIT, move || gather::with_timeouts(unit));
    assert_eq!(in_time, [true, false]);
}

// Why: "whoever returns first is handled first": answers from the slow server are handled in
// the order of their delays, not the order the requests were sent.
#[test]
fn gather_requests_are_handled_in_completion_order() {
    let unit = Duration::from_millis(100);
    let order = with_deadline(LIMIT, move || gather::requests_as_completed(unit).unwrap());
    assert_eq!(order, vec![1, 2, 3]);
}

// Why: a timeout around a request must give up before the slow answer arrives.
#[test]
fn gather_request_timeout_gives_up_on_a_slow_answer() {
    let unit = Duration::from_millis(50);
    let gave_up = with_deadline(LIMIT, move || gather::request_with_timeout(unit).unwrap());
    assert!(gave_up);
}

// Why: many_tasks must really have all N tasks asleep at once, finish them all, and read the
// memory figures it prints (on Linux, from /proc/self/status).
#[test]
fn many_tasks_small_n_all_alive_at_once_and_memory_reported() {
    let n = 2_000;
    let nap = Duration::from_millis(50);
    let measured = with_deadline(LIMIT, move || many_tasks::sleeping_tasks(n, nap));
    assert_eq!(measured.completed, n);
    assert_eq!(measured.peak_alive, n);
    assert!(measured.total_time >= nap, "{measured:?}");
    if cfg!(target_os = "linux") {
        assert!(measured.rss_per_item().is_some(), "{measured:?}");
    }
}

// Why: the thread side of the comparison must start, put to sleep and join every thread.
#[test]
fn many_tasks_thread_comparison_runs_every_thread() {
    let n = 20;
    let nap = Duration::from_millis(50);
    let measured = with_deadline(LIMIT, move || many_tasks::sleeping_threads(n, nap));
    assert_eq!(measured.spawn_error, None);
    assert_eq!(measured.completed, n);
    assert_eq!(measured.peak_alive, n);
    if cfg!(target_os = "linux") {
        assert!(measured.rss_per_item().is_some(), "{measured:?}");
        assert!(measured.address_space_growth.is_some(), "{measured:?}");
    }
}
