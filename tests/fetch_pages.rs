//! The fetch_pages example's strategies, run small against the in-process order API.

mod common;

#[allow(dead_code)]
#[path = "../examples/fetch_pages/measure.rs"]
mod measure;
#[allow(dead_code)]
#[path = "../examples/fetch_pages/strategies.rs"]
mod strategies;
#[allow(dead_code)]
#[path = "../examples/fetch_pages/timeline.rs"]
mod timeline;
#[allow(dead_code)]
#[path = "../examples/fetch_pages/workers.rs"]
mod workers;

use common::with_deadline;
use corolab_server::ServerHandle;
use corolab_server::orders::OrderApi;
use std::time::{Duration, Instant};
use strategies::{Plan, Progress, Strategy, Tally};
use workers::Launcher;

const LIMIT: Duration = Duration::from_secs(30);

/// Not a test: the entry point of the worker processes that the `processes` strategy starts
/// when it runs inside this test binary (it re-runs the binary with `--exact --ignored`).
/// Without `FETCH_PAGES_WORKER` in the environment it does nothing.
#[test]
#[ignore = "entry point of the processes strategy's workers"]
fn worker_process_entry() {
    if let Some(ok) = workers::work_if_asked() {
        std::process::exit(if ok { 0 } else { 1 });
    }
}

fn launcher() -> Launcher {
    Launcher::this_program(&[
        "worker_process_entry",
        "--exact",
        "--ignored",
        "--nocapture",
        "-q",
    ])
}

/// An order server with `pages` full pages, and the plan that fetches all of them.
fn server_and_plan(pages: u64, latency: Duration) -> (ServerHandle, Plan) {
    let api = OrderApi {
        total_orders: pages * 100 - 37, // a short last page, to catch off-by-one errors
        latency,
        ..OrderApi::default()
    };
    let server = api.clone().spawn_on_thread("127.0.0.1:0").expect("order server");
    let plan = Plan {
        base_url: server.url().to_string(),
        pages,
        workers: 3,
        concurrency: 4,
        cores: 2,
        expected: Tally {
            pages,
            orders: api.total_orders,
            checksum: api.expected_checksum(),
        },
    };
    (server, plan)
}

#[test]
fn every_built_strategy_fetches_every_page_exactly_once() {
    // The table is only worth reading if every row did the same, complete, work.
    with_deadline(LIMIT, || {
        let (server, plan) = server_and_plan(13, Duration::from_millis(5));
        for strategy in Strategy::ALL {
            let progress = Progress::default();
            let run = strategies::run(strategy, &plan, &progress, &launcher())
                .unwrap_or_else(|e| panic!("{}: {e}", strategy.name()));
            assert_eq!(run.fetched, plan.expected, "{}", strategy.name());
            assert_eq!(progress.pages_done(), plan.pages, "{} progress", strategy.name());
            assert_eq!(
                run.runtime.is_some(),
                matches!(
                    strategy,
                    Strategy::Coroutines | Strategy::Cores | Strategy::Greenlets
                ),
                "{} counters",
                strategy.name()
            );
        }
        assert!(server.stats().requests >= 6 * 13);
    });
}

#[test]
fn strategies_report_how_much_they_overlap() {
    // in_flight feeds the lower bound column; a wrong value would make that column lie.
    with_deadline(LIMIT, || {
        let (_server, plan) = server_and_plan(13, Duration::ZERO);
        let in_flight = |s| {
            strategies::run(s, &plan, &Progress::default(), &launcher())
                .unwrap()
                .in_flight
        };
        assert_eq!(in_flight(Strategy::Sequential), 1);
        assert_eq!(in_flight(Strategy::Threads), 3);
        assert_eq!(in_flight(Strategy::Processes), 3);
        assert_eq!(in_flight(Strategy::Coroutines), 4);
        assert_eq!(in_flight(Strategy::Cores), 4);
        assert_eq!(in_flight(Strategy::Greenlets), 4);
    });
}

#[test]
fn a_wrong_checksum_fails_the_strategy() {
    // The verification must be able to fail, or "checksums verified" means nothing.
    with_deadline(LIMIT, || {
        let (_server, mut plan) = server_and_plan(3, Duration::ZERO);
        plan.expected.checksum += 1;
        let err =
            strategies::run(Strategy::Coroutines, &plan, &Progress::default(), &launcher()).unwrap_err();
        assert!(err.contains("checksum mismatch"), "{err}");
    });
}

#[test]
fn an_unreachable_server_is_an_error_not_a_hang() {
    // With the server gone, every strategy (worker processes included) must report and stop.
    with_deadline(LIMIT, || {
        let (server, plan) = server_and_plan(4, Duration::ZERO);
        server.shutdown();
        for strategy in [
            Strategy::Sequential,
            Strategy::Threads,
            Strategy::Processes,
            Strategy::Coroutines,
            Strategy::Cores,
        ] {
            let result = strategies::run(strategy, &plan, &Progress::default(), &launcher());
            let err = result.expect_err(strategy.name());
            assert!(err.contains("page"), "{}: {err}", strategy.name());
        }
    });
}

#[test]
fn coroutines_overlap_the_waits_on_one_thread() {
    // 20 pages at 100 ms: one after another is 2 s; 20 tasks in flight take about 100 ms.
    with_deadline(LIMIT, || {
        let (_server, mut plan) = server_and_plan(20, Duration::from_millis(100));
        plan.concurrency = 20;
        let start = Instant::now();
        let run = strategies::run(Strategy::Coroutines, &plan, &Progress::default(), &launcher()).unwrap();
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "took {:?}",
            start.elapsed()
        );
        let stats = run.runtime.unwrap();
        assert_eq!(stats.tasks_spawned, 20);
        assert!(
            stats.reactor_waits < 100,
            "the thread should mostly sleep in epoll: {stats:?}"
        );
    });
}

#[test]
fn the_trace_tells_the_readiness_story() {
    // --trace must show the causal chain: WouldBlock -> epoll_wait -> fd readable -> wake -> poll.
    with_deadline(LIMIT, || {
        let (_server, plan) = server_and_plan(2, Duration::from_millis(20));
        let recorded = timeline::Timeline::install();
        let run = strategies::coroutines(&plan, &Progress::default(), Some(recorded.note_fn()));
        corolab::trace::clear_sink();
        strategies::verify(&plan, &run.unwrap()).unwrap();
        let entries = recorded.entries();
        let text = timeline::render_text(&entries);
        for expected in [
            "spawn task 1 (page 0)",
            "WouldBlock: park until it is readable",
            "`-> Pending",
            "epoll_wait returned",
            "-> wake task 2 (page 1): its fd",
            "(page 1) response complete",
            "`-> Ready",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
        let json: serde_json::Value = serde_json::from_str(&timeline::chrome_json(&entries)).unwrap();
        let events = json["traceEvents"].as_array().unwrap();
        let bar_named = |name: &str| events.iter().any(|e| e["ph"] == "X" && e["name"] == name);
        assert!(
            bar_named("task 1 (page 0)") && bar_named("task 2 (page 1)"),
            "task bars"
        );
        assert!(
            events.iter().any(|e| e["ph"] == "X" && e["tid"] == 1_000_000),
            "epoll_wait bars"
        );
        assert!(
            events
                .iter()
                .any(|e| e["ph"] == "i" && e["name"].as_str().unwrap().contains("readable"))
        );
    });
}

// Why: in a 200-page `--trace`, 200 of 300 `-> Pending` polls said nothing about why (waits
// for a pooled connection, reads on reused connections). With more pages than connections,
// every Pending must name what the task waits for, time must never run backwards, and each
// `task_woken` caused by a task must lie inside that task's poll.
#[test]
fn every_pending_poll_in_a_traced_fetch_says_why() {
    use corolab::trace::{Event, PollOutcome, Wait, WakeCause};
    with_deadline(LIMIT, || {
        let (_server, mut plan) = server_and_plan(40, Duration::from_millis(5));
        plan.concurrency = 10;
        let recorded = timeline::Timeline::install();
        let run = strategies::coroutines(&plan, &Progress::default(), Some(recorded.note_fn()));
        corolab::trace::clear_sink();
        strategies::verify(&plan, &run.unwrap()).unwrap();
        let records = recorded.entries();
        let (mut pending, mut pool_waits) = (0, 0);
        let mut polling = None;
        for pair in records.windows(2) {
            assert!(
                pair[0].t_us <= pair[1].t_us && pair[0].seq < pair[1].seq,
                "{pair:?}"
            );
        }
        for record in &records {
            match &record.event {
                Event::TaskPollStarted { task } => polling = Some(*task),
                Event::TaskPolled {
                    task,
                    outcome: PollOutcome::Pending,
                    waits,
                } => {
                    pending += 1;
                    assert!(
                        !waits.is_empty() && !waits.contains(&Wait::Unknown),
                        "task {task} Pending without a reason: {waits:?}"
                    );
                    pool_waits += usize::from(waits.iter().any(|w| matches!(w, Wait::PoolSlot { .. })));
                    polling = None;
                }
                Event::TaskPolled { .. } => polling = None,
                Event::TaskWoken {
                    task,
                    cause: WakeCause::Task { by },
                } => assert_eq!(polling, Some(*by), "wake of {task} by {by} outside its poll"),
                _ => {}
            }
        }
        assert!(pending >= 40, "{pending} Pending polls for 40 pages");
        assert!(
            pool_waits >= 20,
            "30 of 40 pages wait for one of 10 connections; {pool_waits} said so"
        );
    });
}
