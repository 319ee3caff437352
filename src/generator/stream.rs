//! `AsyncGen`: a generator whose body may also await real I/O (timers,
//! sockets, channels), consumed like a stream with `poll_next` / `next`.
//!
//! The difference from [`Gen`](super::Gen) is only in the waker. `Gen` polls
//! with a waker that does nothing, so a body may wait for nothing but the next
//! `send`. `AsyncGen::poll_next` polls the body with the caller's own
//! [`Context`], so when the body awaits a timer the executor's real waker is
//! registered, and the task that is reading the stream is woken when the timer
//! fires. Values still travel through the same airlock and the same
//! [`Co::yield_`](super::Co::yield_) future; nothing is sent back (`R = ()`).

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::airlock::{Airlock, Slot};
use super::co::Co;

/// The body of an async generator.
type Body = Pin<Box<dyn Future<Output = ()>>>;

/// Where the body of an [`AsyncGen`] is.
enum Stage {
    /// Not polled yet, or suspended on a foreign future (I/O, timer): the
    /// next poll just continues it.
    Running(Body),
    /// Suspended in `co.yield_`: the consumer has the value; the next poll
    /// must first tell the `Yield` future that it may complete.
    AtYield(Body),
    /// Returned or panicked; the body has been dropped.
    Finished,
}

/// An async generator (a stream): yields `Y` values, and may await anything
/// in between, as long as it is polled by an executor.
///
/// ```
/// use corolab::generator::AsyncGen;
///
/// let mut evens = AsyncGen::new(|co| async move {
///     for i in 0..3u32 {
///         co.yield_(i * 2).await;
///     }
/// });
/// // Any executor can drive it; corolab's `block_on` is the usual one.
/// let collected = corolab::block_on(async move {
///     let mut all = Vec::new();
///     while let Some(x) = evens.next().await {
///         all.push(x);
///     }
///     all
/// });
/// assert_eq!(collected, [0, 2, 4]);
/// ```
pub struct AsyncGen<Y> {
    airlock: Rc<Airlock<Y, ()>>,
    stage: Stage,
}

impl<Y> AsyncGen<Y> {
    /// Make an async generator from `|co| async move { .. }`. The body runs
    /// only when the generator is polled.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::generator::AsyncGen;
    /// use corolab::time::sleep;
    /// use std::time::Duration;
    /// // Python: async def ticks(): for i in range(2): await asyncio.sleep(0.001); yield i
    /// let mut ticks = AsyncGen::new(|co| async move {
    ///     for i in 0..2 {
    ///         sleep(Duration::from_millis(1)).await; // unlike a `Gen`, it may await timers
    ///         co.yield_(i).await;
    ///     }
    /// });
    /// // Nothing has run so far; polling (here under `block_on`) runs the body.
    /// assert_eq!(corolab::block_on(ticks.next()), Some(0));
    /// ```
    pub fn new<F, Fut>(make_body: F) -> Self
    where
        F: FnOnce(Co<Y, ()>) -> Fut,
        Fut: Future<Output = ()> + 'static,
    {
        let airlock = Rc::new(Airlock::new());
        let body = make_body(Co::new(Rc::clone(&airlock)));
        AsyncGen {
            airlock,
            stage: Stage::Running(Box::pin(body)),
        }
    }

    /// The stream interface: `Ready(Some(y))` for each yielded value,
    /// `Ready(None)` once the body has returned, `Pending` while the body waits
    /// for something else (the waker in `cx` will be called when it can go on).
    /// A panic in the body propagates to the caller and finishes the generator.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::generator::AsyncGen;
    /// use std::{pin::Pin, task::{Context, Poll, Waker}};
    /// let mut g = AsyncGen::new(|co| async move {
    ///     corolab::yield_now().await; // waits for something other than the consumer
    ///     co.yield_('a').await;
    /// });
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert_eq!(Pin::new(&mut g).poll_next(&mut cx), Poll::Pending);
    /// assert_eq!(Pin::new(&mut g).poll_next(&mut cx), Poll::Ready(Some('a')));
    /// assert_eq!(Pin::new(&mut g).poll_next(&mut cx), Poll::Ready(None)); // returned
    /// ```
    pub fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Y>> {
        let this = self.get_mut();
        let mut body = match std::mem::replace(&mut this.stage, Stage::Finished) {
            Stage::Running(body) => body,
            Stage::AtYield(body) => {
                // The consumer asked for the next value: let `co.yield_` complete.
                this.airlock.put_resumed(());
                body
            }
            Stage::Finished => return Poll::Ready(None),
        };
        let poll = body.as_mut().poll(cx);
        match (poll, this.airlock.take()) {
            (Poll::Ready(()), _) => Poll::Ready(None),
            (Poll::Pending, Slot::Yielded(value)) => {
                this.stage = Stage::AtYield(body);
                Poll::Ready(Some(value))
            }
            (Poll::Pending, Slot::Empty | Slot::Resumed(())) => {
                // Waiting for I/O or a timer; the waker in `cx` is registered there.
                this.stage = Stage::Running(body);
                Poll::Pending
            }
        }
    }

    /// The next yielded value, or `None` when the body has returned.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::generator::AsyncGen;
    /// corolab::block_on(async {
    ///     let mut letters = AsyncGen::new(|co| async move {
    ///         co.yield_('a').await;
    ///         co.yield_('b').await;
    ///     });
    ///     assert_eq!(letters.next().await, Some('a'));
    ///     assert_eq!(letters.next().await, Some('b'));
    ///     assert_eq!(letters.next().await, None); // and `None` ever after
    ///     assert_eq!(letters.next().await, None);
    /// });
    /// ```
    pub async fn next(&mut self) -> Option<Y> {
        poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// True once the body has returned or panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::generator::AsyncGen;
    /// corolab::block_on(async {
    ///     let mut one = AsyncGen::new(|co| async move { co.yield_(1).await });
    ///     assert_eq!(one.next().await, Some(1));
    ///     assert!(!one.is_complete()); // parked at `co.yield_(1)`
    ///     assert_eq!(one.next().await, None);
    ///     assert!(one.is_complete());
    /// });
    /// ```
    pub fn is_complete(&self) -> bool {
        matches!(self.stage, Stage::Finished)
    }
}

impl<Y> fmt::Debug for AsyncGen<Y> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match self.stage {
            Stage::Running(_) => "Running",
            Stage::AtYield(_) => "AtYield",
            Stage::Finished => "Finished",
        };
        f.debug_struct("AsyncGen").field("stage", &stage).finish()
    }
}
