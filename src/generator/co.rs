//! `Co`: the handle a generator body uses to yield, and `Yield`, the future
//! that `co.yield_(value)` returns.
//!
//! `Yield` is the whole trick of a stackless generator: the first time it is
//! polled it puts the value into the airlock and returns `Poll::Pending`. That
//! `Pending` travels up through every `.await` in the body (and in any helper
//! `async fn` the body is inside) until it leaves `Future::poll` in
//! [`Gen`](super::Gen). The compiler has already saved every live local in the
//! body's state machine, so "suspending" costs nothing more. The next poll,
//! after [`Gen::send`](super::Gen::send), finds the sent value in the airlock
//! and returns `Poll::Ready(value)`: that is the value of the `.await`.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::airlock::Airlock;

/// The body's side of a generator: call [`Co::yield_`] to hand a value out.
///
/// `Y` is the type of the values yielded, `R` the type of the values the driver
/// sends back (Python's `n = yield r` has `r: Y` and `n: R`).
///
/// A `Co` is given to the closure passed to [`Gen::new`](super::Gen::new).
/// Pass `&co` to helper `async fn`s to yield from inside them: that is
/// Python's `yield from` (see the module docs).
///
/// # Examples
///
/// ```
/// use corolab::generator::{Co, Gen};
/// // A helper yields through the `&Co` it is given.
/// async fn count_to(co: &Co<u32>, n: u32) {
///     for i in 1..=n {
///         co.yield_(i).await;
///     }
/// }
/// let all: Vec<u32> = Gen::new(|co| async move {
///     count_to(&co, 2).await; // Python: yield from count_to(2)
///     count_to(&co, 1).await;
/// })
/// .collect();
/// assert_eq!(all, [1, 2, 1]);
/// ```
pub struct Co<Y, R = ()> {
    airlock: Rc<Airlock<Y, R>>,
}

impl<Y, R> Co<Y, R> {
    /// Wraps the body's end of an airlock; only [`Gen::new`](super::Gen::new) makes these.
    pub(crate) fn new(airlock: Rc<Airlock<Y, R>>) -> Self {
        Co { airlock }
    }

    /// Suspend the generator, handing `value` to whoever called
    /// [`Gen::start`](super::Gen::start) or [`Gen::send`](super::Gen::send).
    ///
    /// The returned future completes with the value passed to the next
    /// [`Gen::send`](super::Gen::send): `let n = co.yield_(r).await;` is
    /// Python's `n = yield r`. It must be awaited directly by the generator's
    /// body (or a helper it awaits), one at a time.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::generator::{Gen, GeneratorState::Yielded};
    /// let mut doubler: Gen<u32, u32> = Gen::new(|co| async move {
    ///     let mut n = co.yield_(0).await; // Python: n = yield 0
    ///     loop {
    ///         n = co.yield_(n * 2).await;
    ///     }
    /// });
    /// assert_eq!(doubler.start(), Ok(Yielded(0)));
    /// assert_eq!(doubler.send(21), Ok(Yielded(42)));
    /// ```
    pub fn yield_(&self, value: Y) -> Yield<'_, Y, R> {
        Yield {
            airlock: &self.airlock,
            state: YieldState::HandOut(value),
        }
    }
}

/// The future returned by [`Co::yield_`]. Completes with the value sent back.
///
/// # Examples
///
/// ```
/// use corolab::generator::{Gen, GeneratorState, Yield};
/// let mut echo: Gen<&str, u32, u32> = Gen::new(|co| async move {
///     let step: Yield<'_, &str, u32> = co.yield_("ready"); // a future: nothing handed out yet
///     step.await // its output is the value sent back
/// });
/// assert_eq!(echo.start(), Ok(GeneratorState::Yielded("ready")));
/// assert_eq!(echo.send(7), Ok(GeneratorState::Complete(7)));
/// ```
pub struct Yield<'co, Y, R> {
    airlock: &'co Airlock<Y, R>,
    state: YieldState<Y>,
}

/// The three states of one `co.yield_(value).await`.
enum YieldState<Y> {
    /// Not polled yet: still holding the value to hand out.
    HandOut(Y),
    /// The value is in the airlock; waiting for the driver to send one back.
    WaitForResume,
    /// Completed; polling again is a bug.
    Done,
}

// `Yield` never hands out a pinned reference to `Y`, so moving it after it
// was polled is harmless. Saying so lets `poll` use plain `&mut self`.
impl<Y, R> Unpin for Yield<'_, Y, R> {}

impl<Y, R> Future for Yield<'_, Y, R> {
    type Output = R;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let this = self.get_mut();
        match std::mem::replace(&mut this.state, YieldState::Done) {
            YieldState::HandOut(value) => {
                // First poll: give the value to the driver and suspend the body.
                this.airlock.put_yielded(value);
                this.state = YieldState::WaitForResume;
                Poll::Pending
            }
            YieldState::WaitForResume => match this.airlock.take_resumed() {
                // Second poll, after `Gen::send`: the sent value is the result of `.await`.
                Some(sent) => Poll::Ready(sent),
                // Polled again without a send (only possible if something other
                // than `Gen` polls the body). Stay suspended; `Gen` reports it.
                None => {
                    this.state = YieldState::WaitForResume;
                    Poll::Pending
                }
            },
            YieldState::Done => {
                panic!("corolab::generator: a Yield future was polled after it completed")
            }
        }
    }
}
