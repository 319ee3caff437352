//! The cooperative budget seen from one leaf future (`poll_proceed` in
//! `src/executor/budget.rs`): exactly BUDGET ready answers per poll, then Pending and a wake.
//! With `tests/coop_budget.rs`, the visible tests of the `coop-budget` lab (docs/teaching.md).

mod common;

use common::with_deadline;
use corolab::block_on;
use corolab::executor::budget::BUDGET;
use corolab::future::poll_fn;
use corolab::sync::channel;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

/// How many values one poll of a task can receive from a channel that always has some.
fn receives_in_one_poll(rx: &mut corolab::sync::Receiver<u32>, cx: &mut Context<'_>) -> usize {
    let mut got = 0;
    while let Poll::Ready(Some(_)) = rx.poll_recv(cx) {
        got += 1;
    }
    got
}

// Why: the budget is the whole mechanism: a leaf that is always ready must still answer
// Pending once the task has done BUDGET units of work in this poll, and no earlier.
#[test]
fn a_ready_channel_answers_pending_after_budget_receives_in_one_poll() {
    with_deadline(LIMIT, || {
        block_on(async {
            let (tx, mut rx) = channel::<u32>(1000);
            for i in 0..1000 {
                tx.try_send(i).unwrap();
            }
            let got = poll_fn(|cx| Poll::Ready(receives_in_one_poll(&mut rx, cx))).await;
            assert_eq!(got, usize::from(BUDGET));
        });
    });
}

// Why: a task made to yield must be woken by the budget itself (nothing else will wake it:
// its channel is ready), or it hangs forever with work left.
#[test]
fn a_task_made_to_yield_is_woken_again_and_finishes() {
    with_deadline(LIMIT, || {
        block_on(async {
            let (tx, mut rx) = channel::<u32>(1000);
            for i in 0..1000 {
                tx.try_send(i).unwrap();
            }
            drop(tx);
            let mut sum = 0u64;
            while let Some(v) = rx.recv().await {
                sum += u64::from(v);
            }
            assert_eq!(sum, 999 * 1000 / 2);
        });
    });
}

// Why: the budget belongs to a task's poll; a future polled by hand (a test, a combinator
// outside the runtime) must never be told to yield.
#[test]
fn outside_a_task_the_budget_is_unlimited() {
    let (tx, mut rx) = channel::<u32>(1000);
    for i in 0..1000 {
        tx.try_send(i).unwrap();
    }
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(receives_in_one_poll(&mut rx, &mut cx), 1000);
    let mut recv = pin!(rx.recv());
    assert_eq!(
        recv.as_mut().poll(&mut cx),
        Poll::Pending,
        "empty and the sender is alive"
    );
}
