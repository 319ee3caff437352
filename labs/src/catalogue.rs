//! The lab catalogue: what each lab teaches, where its marks are, which tests grade it.
//!
//! **Concept.** A lab is a marked region (or a few) in the real sources plus the tests that
//! prove it. The catalogue says which: the crate and files that hold `LAB(name)` marks, the
//! visible tests by package, target and exact name, and what a teacher needs to plan a
//! session (chapter, prerequisites, time, points).
//!
//! **Where.** [`LABS`] is the list, in the order a course meets them; [`find`] looks one up.
//! `docs/teaching.md` holds the table [`markdown_table`] prints (a test keeps them equal).
//!
//! **In the debugger.** There is nothing to run here; `print corolab_labs::catalogue::LABS`.

/// The test binary a group of tests lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The package's unit tests (`cargo test --lib`).
    Lib,
    /// An integration test file `tests/<name>.rs` (`cargo test --test <name>`).
    Test(&'static str),
}

/// Tests of one test binary that belong to a lab.
#[derive(Debug, Clone, Copy)]
pub struct TestGroup {
    /// The cargo package (`-p`).
    pub package: &'static str,
    /// Which of its test binaries.
    pub target: Target,
    /// Exact test names as libtest prints them (`module::name` for unit tests).
    pub names: &'static [&'static str],
}

/// One lab.
#[derive(Debug, Clone, Copy)]
pub struct Lab {
    /// Short name, as in the marks: `LAB(name) begin`.
    pub name: &'static str,
    /// One-line title.
    pub title: &'static str,
    /// The course chapter it belongs to (a file in `docs/`).
    pub chapter: &'static str,
    /// What the student can explain afterwards.
    pub goal: &'static str,
    /// Labs or chapters to do first.
    pub prerequisites: &'static str,
    /// Rough time for a student who has read the chapter.
    pub minutes: u32,
    /// Points for a lab whose tests all pass.
    pub points: u32,
    /// Files (from the repository root) that hold this lab's marks.
    pub files: &'static [&'static str],
    /// The visible tests that grade it.
    pub tests: &'static [TestGroup],
}

impl Lab {
    /// How many visible tests grade this lab.
    pub fn test_count(&self) -> usize {
        self.tests.iter().map(|g| g.names.len()).sum()
    }
}

/// Every lab, in course order.
pub const LABS: &[Lab] = &[
    Lab {
        name: "waker-dedup",
        title: "the waker's scheduled bit: N wakes, one poll",
        chapter: "03-executor.md",
        goal: "A waker queues its task only if the task is not queued already, so five wakes \
               before a poll give one poll, and a wake during the task's own poll is kept.",
        prerequisites: "chapter 2; step 3 of the ladder (docs/00-seven-steps.md)",
        minutes: 20,
        points: 5,
        files: &["steps/3-wakers/src/lib.rs"],
        tests: &[TestGroup {
            package: "step3-wakers",
            target: Target::Test("run_queue"),
            names: &[
                "five_wakes_before_a_poll_give_one_poll",
                "a_wake_during_its_own_poll_is_kept",
                "tasks_run_in_the_order_they_were_woken",
                "waiting_tasks_burn_no_cpu",
            ],
        }],
    },
    Lab {
        name: "fifo-poll-cap",
        title: "a FIFO turn with a poll cap: fairness",
        chapter: "03-executor.md",
        goal: "One turn of the loop polls only the tasks queued when it began, in wake order, and at most a cap of them, so a self-waking task cannot starve the others or the reactor.",
        prerequisites: "waker-dedup",
        minutes: 25,
        points: 5,
        files: &["steps/3-wakers/src/lib.rs"],
        tests: &[TestGroup {
            package: "step3-wakers",
            target: Target::Test("run_queue"),
            names: &[
                "a_task_that_wakes_itself_runs_once_per_turn",
                "one_turn_polls_at_most_the_cap",
                "tasks_run_in_the_order_they_were_woken",
            ],
        }],
    },
    Lab {
        name: "register-then-recheck",
        title: "register, then check again: no lost wakeup",
        chapter: "03-executor.md",
        goal: "A leaf future stores its waker before its final readiness check; a wake from \
               another thread that lands between check and park is then seen, never lost.",
        prerequisites: "waker-dedup",
        minutes: 20,
        points: 5,
        files: &["steps/3-wakers/src/lib.rs"],
        tests: &[TestGroup {
            package: "step3-wakers",
            target: Target::Test("lost_wakeup"),
            names: &[
                "storing_the_waker_then_rechecking_sees_a_set_in_the_window",
                "a_set_after_pending_calls_the_stored_waker_once",
            ],
        }],
    },
    Lab {
        name: "select-join",
        title: "join_all: wait for every child inside one task",
        chapter: "03-executor.md",
        goal: "A combinator is a future that polls other futures with the same waker; it polls only \
           the unfinished ones, starts one child further each poll (they share one budget) and \
           keeps outputs in the order given.",
        prerequisites: "chapters 2 and 3",
        minutes: 45,
        points: 10,
        files: &["src/future.rs"],
        tests: &[
            TestGroup {
                package: "corolab",
                target: Target::Test("join_all"),
                names: &[
                    "join_all_returns_outputs_in_the_order_given_not_the_order_finished",
                    "join_all_of_no_futures_is_ready_at_the_first_poll",
                    "join_all_never_polls_a_child_again_after_it_finished",
                    "join_all_runs_its_children_concurrently_inside_one_task",
                    "join_all_is_woken_by_any_child",
                ],
            },
            TestGroup {
                package: "corolab",
                target: Target::Test("sync"),
                names: &["join_all_keeps_order_and_select_returns_the_first_to_finish"],
            },
            TestGroup {
                package: "corolab",
                target: Target::Test("coop_budget"),
                names: &["join_all_children_that_are_always_ready_take_turns_at_the_budget"],
            },
        ],
    },
    Lab {
        name: "coop-budget",
        title: "the cooperative budget: an always-ready task still yields",
        chapter: "03-executor.md",
        goal: "A task whose awaits never wait would keep the thread forever; a per-poll budget \
               makes ready leaves answer Pending (and wake the task) after 128 units of work.",
        prerequisites: "chapter 3 (the run queue)",
        minutes: 30,
        points: 10,
        files: &["src/executor/budget.rs"],
        tests: &[
            TestGroup {
                package: "corolab",
                target: Target::Test("coop_budget"),
                names: &[
                    "a_timer_and_another_task_get_their_turn_beside_a_channel_self_loop",
                    "a_timer_and_another_task_get_their_turn_beside_an_always_readable_socket",
                    "the_budget_refills_at_each_poll_and_is_unlimited_outside_a_task",
                ],
            },
            TestGroup {
                package: "corolab",
                target: Target::Test("budget_leaf_futures"),
                names: &[
                    "a_ready_channel_answers_pending_after_budget_receives_in_one_poll",
                    "a_task_made_to_yield_is_woken_again_and_finishes",
                    "outside_a_task_the_budget_is_unlimited",
                ],
            },
        ],
    },
    Lab {
        name: "generation-tokens",
        title: "generation tokens: a stale event wakes nobody",
        chapter: "04-reactor.md",
        goal: "A token is a slot index plus a generation; after a slot is reused, an event still in flight for its old owner no longer matches and wakes nobody.",
        prerequisites: "waker-dedup, fifo-poll-cap, register-then-recheck (step 4 runs on step 3); chapter 4",
        minutes: 25,
        points: 10,
        files: &["steps/4-reactor/src/lib.rs"],
        tests: &[
            TestGroup {
                package: "step4-reactor",
                target: Target::Test("reactor"),
                names: &["a_stale_token_after_slot_reuse_wakes_nobody"],
            },
            TestGroup {
                package: "step4-reactor",
                target: Target::Test("tokens"),
                names: &[
                    "each_live_token_finds_its_own_socket",
                    "a_token_for_a_freed_slot_finds_nothing",
                ],
            },
        ],
    },
    Lab {
        name: "edge-drain",
        title: "edge-triggered draining: read until WouldBlock",
        chapter: "04-reactor.md",
        goal: "Edge-triggered epoll reports a burst once, so a reader must read until WouldBlock (or EOF); stopping after one buffer leaves data no event will announce again.",
        prerequisites: "waker-dedup, fifo-poll-cap, register-then-recheck (step 4 runs on step 3); chapters 4, 6",
        minutes: 25,
        points: 10,
        files: &["steps/4-reactor/src/lib.rs"],
        tests: &[TestGroup {
            package: "step4-reactor",
            target: Target::Test("reactor"),
            names: &[
                "a_burst_larger_than_one_buffer_is_drained_until_would_block",
                "drain_reads_all_that_is_there_then_reports_would_block_or_eof",
            ],
        }],
    },
    Lab {
        name: "timer-heap",
        title: "the timer heap: ties, zero duration, cancel",
        chapter: "05-timers.md",
        goal: "Due timers fire in deadline order and, on ties, in the order they were set; a zero duration is due at once; a cancelled entry is skipped, never fired.",
        prerequisites: "the step 3 and step 4 labs (step 5 runs on them); chapter 5",
        minutes: 30,
        points: 10,
        files: &["steps/5-timers/src/lib.rs"],
        tests: &[TestGroup {
            package: "step5-timers",
            target: Target::Test("timers"),
            names: &[
                "equal_deadlines_fire_in_the_order_they_were_set",
                "a_zero_duration_timer_is_due_at_once_and_needs_no_wait",
                "a_cancelled_timer_never_fires",
                "a_sleep_ends_after_its_deadline_without_spinning",
            ],
        }],
    },
    Lab {
        name: "epoll-timeout",
        title: "the epoll_wait timeout: round up, never spin",
        chapter: "05-timers.md",
        goal: "The loop sleeps in epoll_wait until the next deadline: zero when tasks are ready, the time left rounded up to whole milliseconds (rounding down wakes early and spins).",
        prerequisites: "timer-heap",
        minutes: 20,
        points: 10,
        files: &["steps/5-timers/src/lib.rs"],
        tests: &[TestGroup {
            package: "step5-timers",
            target: Target::Test("timers"),
            names: &[
                "epoll_timeout_is_rounded_up_to_whole_milliseconds",
                "a_zero_duration_timer_is_due_at_once_and_needs_no_wait",
                "a_sleep_ends_after_its_deadline_without_spinning",
            ],
        }],
    },
    Lab {
        name: "chunked-decoder",
        title: "chunked bodies: hand out a chunk's data, then expect its CRLF",
        chapter: "07-http-client.md",
        goal: "A chunked body is framed by the sender: the reader hands out exactly the bytes a \
               size line announced, however the reads split them, and rejects what breaks the frame.",
        prerequisites: "chapters 6 and 7 (framing)",
        minutes: 45,
        points: 15,
        files: &["src/http/reader/chunked.rs"],
        tests: &[
            TestGroup {
                package: "corolab",
                target: Target::Lib,
                names: &[
                    "http::reader::tests::bad_chunked_bodies_are_errors",
                    "http::reader::tests::bare_lf_after_chunk_data_is_an_error",
                    "http::reader::tests::chunked_with_extensions_and_trailers",
                    "http::reader::tests::every_split_offset_gives_the_same_result",
                ],
            },
            TestGroup {
                package: "corolab",
                target: Target::Test("http_chunked_prop"),
                names: &["decode_of_encode_is_identity"],
            },
            TestGroup {
                package: "corolab",
                target: Target::Test("http_blocking_faults"),
                names: &[
                    "chunk_missing_crlf",
                    "chunked_eof_before_last_chunk",
                    "chunk_bare_lf_after_data",
                ],
            },
        ],
    },
    Lab {
        name: "pool-checkout",
        title: "keep-alive pool checkout: newest usable connection first",
        chapter: "07-http-client.md",
        goal: "A pooled connection may have expired, been closed by the server or belong to \
               another runtime; checkout takes the newest idle one that is still usable and \
               closes the rest.",
        prerequisites: "coop-budget (every socket read asks the budget); chapter 7",
        minutes: 30,
        points: 10,
        files: &["src/http/pool.rs"],
        tests: &[
            TestGroup {
                package: "corolab",
                target: Target::Test("pool_checkout"),
                names: &[
                    "a_connection_the_server_closed_while_idle_is_not_used_for_a_post",
                    "checkout_takes_the_newest_idle_connection",
                ],
            },
            TestGroup {
                package: "corolab",
                target: Target::Test("http_async_pool"),
                names: &[
                    "sequential_requests_reuse_one_connection",
                    "waiters_on_another_hosts_limit_do_not_disable_keep_alive",
                ],
            },
        ],
    },
    Lab {
        name: "generator-send",
        title: "a generator's send: resume the body with a value",
        chapter: "08-generators.md",
        goal: "Python's gen.send(v) as a state machine: a value sent before the first resume \
               is refused, a suspended body receives it as the result of its yield, a finished \
               one is an error.",
        prerequisites: "chapter 8",
        minutes: 30,
        points: 10,
        files: &["src/generator/driver.rs"],
        tests: &[TestGroup {
            package: "corolab",
            target: Target::Test("generator"),
            names: &[
                "send_before_start_is_refused_with_not_started",
                "sent_values_arrive_in_order_and_return_value_completes",
                "calls_after_completion_return_finished",
                "yield_from_forwards_sent_values_to_the_inner_helper",
                "producer_consumer_transcript_matches_the_seed",
            ],
        }],
    },
    Lab {
        name: "greenlet-switch",
        title: "the greenlet switch: the bookkeeping around the assembly",
        chapter: "09-stackful-coroutines.md",
        goal: "A stackful switch is a swap of stack pointers plus bookkeeping: who is current, \
               which states change, where the message waits, who keeps the old greenlet alive.",
        prerequisites: "chapters 8 and 9",
        minutes: 60,
        points: 15,
        files: &["src/greenlet/switch.rs"],
        tests: &[TestGroup {
            package: "corolab",
            target: Target::Test("greenlet"),
            names: &[
                "values_pass_both_ways",
                "siblings_switch_directly_and_a_finished_one_returns_to_its_parent",
                "hundred_thousand_switches_round_trip",
                "drop_unwinds_destructors_of_a_suspended_greenlet",
                "finished_greenlet_still_knows_its_parent_and_results_skip_dead_parents",
            ],
        }],
    },
];

/// The lab called `name`.
pub fn find(name: &str) -> Option<&'static Lab> {
    LABS.iter().find(|lab| lab.name == name)
}

/// The lab table of `docs/teaching.md` (`corolab-labs list` prints it).
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| lab | chapter | learning goal | prerequisites | time | points | tests |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for lab in LABS {
        out.push_str(&format!(
            "| `{}` | [{}]({}) | {} | {} | {} min | {} | {} |\n",
            lab.name,
            lab.chapter.trim_end_matches(".md"),
            lab.chapter,
            lab.goal,
            lab.prerequisites,
            lab.minutes,
            lab.points,
            lab.test_count()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn lab_names_are_unique_and_every_lab_has_files_and_tests() {
        let names: BTreeSet<_> = LABS.iter().map(|l| l.name).collect();
        assert_eq!(names.len(), LABS.len(), "two labs share a name");
        for lab in LABS {
            assert!(!lab.files.is_empty(), "{} names no files", lab.name);
            assert!(lab.test_count() > 0, "{} has no visible tests", lab.name);
            assert!(lab.points > 0 && lab.minutes > 0, "{}", lab.name);
            let chapter = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../docs")
                .join(lab.chapter);
            assert!(chapter.is_file(), "{}: no chapter docs/{}", lab.name, lab.chapter);
        }
    }

    #[test]
    fn the_teachers_guide_shows_the_current_lab_table() {
        let guide = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/teaching.md");
        let text = std::fs::read_to_string(guide).expect("docs/teaching.md exists");
        assert!(
            text.contains(&markdown_table()),
            "docs/teaching.md is stale: paste the output of `cargo run -p corolab-labs -- list`"
        );
    }
}
