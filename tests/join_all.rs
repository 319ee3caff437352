//! `join_all` (asyncio.gather): the visible tests of the `select-join` lab (see docs/teaching.md).

mod common;

use common::with_deadline;
use corolab::future::join_all;
use corolab::time::sleep;
use corolab::{block_on, yield_now};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

/// Ready at its first poll; panics if polled again (a finished future must not be polled).
struct ReadyOnce {
    polls: Rc<Cell<u32>>,
}

impl Future for ReadyOnce {
    type Output = &'static str;
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<&'static str> {
        self.polls.set(self.polls.get() + 1);
        assert_eq!(
            self.polls.get(),
            1,
            "a child was polled again after it returned Ready"
        );
        Poll::Ready("once")
    }
}

/// Pending `left` times (waking itself each time), then ready.
struct PendingFor {
    left: u32,
}

impl Future for PendingFor {
    type Output = &'static str;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        if self.left == 0 {
            return Poll::Ready("later");
        }
        self.left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

// Why: gather's contract: results come back in the order the futures were given, whatever
// order they finish in (here the last one given finishes first).
#[test]
fn join_all_returns_outputs_in_the_order_given_not_the_order_finished() {
    with_deadline(LIMIT, || {
        block_on(async {
            let outs = join_all((0..4u64).map(|i| async move {
                sleep(Duration::from_millis(30 - 10 * i)).await;
                i
            }))
            .await;
            assert_eq!(outs, vec![0, 1, 2, 3]);
        });
    });
}

// Why: an empty gather must not wait for a wake that never comes.
#[test]
fn join_all_of_no_futures_is_ready_at_the_first_poll() {
    let mut all = join_all(Vec::<PendingFor>::new());
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(Pin::new(&mut all).poll(&mut cx), Poll::Ready(vec![]));
}

// Why: polling a future after it returned Ready is a contract violation (an `async` block
// panics); the combinator must remember who finished and poll only the others.
#[test]
fn join_all_never_polls_a_child_again_after_it_finished() {
    let polls = Rc::new(Cell::new(0));
    let mut all = join_all(vec![
        Box::pin(ReadyOnce { polls: polls.clone() }) as Pin<Box<dyn Future<Output = &'static str>>>,
        Box::pin(PendingFor { left: 2 }),
    ]);
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(
        Pin::new(&mut all).poll(&mut cx),
        Poll::Pending,
        "one child is still pending"
    );
    assert_eq!(Pin::new(&mut all).poll(&mut cx), Poll::Pending);
    assert_eq!(
        Pin::new(&mut all).poll(&mut cx),
        Poll::Ready(vec!["once", "later"])
    );
    assert_eq!(polls.get(), 1);
}

// Why: the point of gather: children make progress together inside one task. Each child
// waits until all three have started, which only happens if none is run to completion first.
#[test]
fn join_all_runs_its_children_concurrently_inside_one_task() {
    with_deadline(LIMIT, || {
        block_on(async {
            let started = Rc::new(Cell::new(0));
            let outs = join_all((0..3).map(|i| {
                let started = started.clone();
                async move {
                    started.set(started.get() + 1);
                    while started.get() < 3 {
                        yield_now().await;
                    }
                    i * 10
                }
            }))
            .await;
            assert_eq!(outs, vec![0, 10, 20]);
        });
    });
}

// Why: the combined future is woken through whichever child's waker fires: the children
// must be polled with the task's own context, or a wake is lost and the task hangs. (Timers
// wake them here, not channels, so this lab does not depend on the coop-budget lab.)
#[test]
fn join_all_is_woken_by_any_child() {
    with_deadline(LIMIT, || {
        block_on(async {
            let waits = [5, 1, 3];
            let outs = join_all(waits.map(|ms| async move {
                sleep(Duration::from_millis(ms)).await;
                ms * 10
            }))
            .await;
            assert_eq!(outs, vec![50, 10, 30]);
        });
    });
}
