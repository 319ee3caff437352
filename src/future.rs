//! Small combinators: wait for all, wait for the first.
//!
//! **Concept.** asyncio has `gather` (wait for all) and `wait(..., FIRST_COMPLETED)`; these are
//! the corolab versions. They are plain futures that poll their children: no new task is
//! spawned, so children run concurrently *inside one task*. To run things in parallel tasks,
//! `spawn` them and join the handles (a `JoinHandle` is a future too).
//!
//! **Where.** [`join_all`] keeps each child boxed and pinned and polls the unfinished ones
//! whenever the combined future is polled; [`select`] polls two futures and drops the loser.
//!
//! **In the debugger.** Break in `JoinAll::poll` and print `self.outputs` to see which children
//! are done.

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

pub use std::future::poll_fn;

/// Which of two futures finished first, with its output.
///
/// # Examples
///
/// ```
/// use corolab::future::{Either, select};
/// corolab::block_on(async {
///     let winner = select(std::future::pending::<u8>(), async { "right" }).await;
///     let said = match winner {
///         Either::Left(n) => format!("the first, with {n}"),
///         Either::Right(s) => format!("the second, with {s}"), // this one: `a` never finishes
///     };
///     assert_eq!(said, "the second, with right");
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Either<A, B> {
    /// The first future won.
    Left(A),
    /// The second future won.
    Right(B),
}

/// Waits for all `futures` and returns their outputs in the order given (asyncio.gather).
///
/// # Examples
///
/// ```
/// use corolab::future::join_all;
/// # use corolab::time::sleep;
/// # use std::time::Duration;
/// # async fn nap(ms: u64) -> u64 { sleep(Duration::from_millis(ms)).await; ms }
/// corolab::block_on(async {
///     // Results come back in the order given, not the order they finished in.
///     assert_eq!(join_all([nap(30), nap(10), nap(20)]).await, vec![30, 10, 20]);
/// });
/// ```
pub fn join_all<I>(futures: I) -> JoinAll<I::Item>
where
    I: IntoIterator,
    I::Item: Future,
{
    let children: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let outputs = children.iter().map(|_| None).collect();
    JoinAll {
        children,
        outputs,
        remaining: 0,
        first: 0,
    }
    .counted()
}

/// Future returned by [`join_all`].
///
/// # Examples
///
/// ```
/// use corolab::future::join_all;
/// use std::{future::Future, pin::Pin, task::{Context, Poll, Waker}};
/// let mut all = join_all([std::future::ready(1), std::future::ready(2)]);
/// let mut cx = Context::from_waker(Waker::noop());
/// // A plain `Unpin` future: poll it by hand, no runtime needed when the children are ready.
/// assert_eq!(Pin::new(&mut all).poll(&mut cx), Poll::Ready(vec![1, 2]));
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct JoinAll<F: Future> {
    children: Vec<Pin<Box<F>>>,
    outputs: Vec<Option<F::Output>>,
    remaining: usize,
    /// The child polled first at the next poll; it moves on by one every poll.
    first: usize,
}

// The children are boxed, so moving a `JoinAll` never moves a child future.
impl<F: Future> Unpin for JoinAll<F> {}

impl<F: Future> JoinAll<F> {
    fn counted(mut self) -> Self {
        self.remaining = self.children.len();
        self
    }
}

impl<F: Future> Future for JoinAll<F> {
    type Output = Vec<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        // LAB(select-join) begin: poll unfinished children with cx, starting one child further each poll; Ready(outputs in order) when all done
        // Start one child further each poll: the cooperative budget is shared by the whole
        // task, so a first child that is always ready would otherwise spend all of it, every
        // poll, and the others would wait until it finished (tokio's `join!` rotates too).
        let count = this.children.len();
        for offset in 0..count {
            let i = (this.first + offset) % count;
            if this.outputs[i].is_none()
                && let Poll::Ready(output) = this.children[i].as_mut().poll(cx)
            {
                this.outputs[i] = Some(output);
                this.remaining -= 1;
            }
        }
        this.first = (this.first + 1) % count.max(1);
        if this.remaining > 0 {
            return Poll::Pending;
        }
        let outputs = std::mem::take(&mut this.outputs);
        Poll::Ready(
            outputs
                .into_iter()
                .map(|o| o.expect("every child finished"))
                .collect(),
        )
        // LAB(select-join) end
    }
}

/// Waits for whichever of `a` and `b` finishes first and drops the other (cancelling it).
/// If both are ready at the same poll, `a` wins.
///
/// # Examples
///
/// ```
/// use corolab::future::{Either, select};
/// use corolab::time::sleep;
/// use std::time::Duration;
/// corolab::block_on(async {
///     let slow = async { sleep(Duration::from_secs(60)).await; "slow" };
///     let quick = async { sleep(Duration::from_millis(5)).await; "quick" };
///     // The first to finish wins; the other is dropped (cancelled).
///     assert_eq!(select(slow, quick).await, Either::Right("quick"));
///     // Both ready at the same poll: `a` wins.
///     assert_eq!(select(async { 1 }, async { 2 }).await, Either::Left(1));
/// });
/// ```
pub async fn select<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = pin!(a);
    let mut b = pin!(b);
    poll_fn(|cx| {
        if let Poll::Ready(out) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(out));
        }
        if let Poll::Ready(out) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(out));
        }
        Poll::Pending
    })
    .await
}
