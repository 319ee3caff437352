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
/// use corolab::generator::{Gen, GeneratorState};
///
/// // Python: def consumer(): r = ''; while True: n = yield r; r = f'200 OK {n}'
/// let mut consumer: Gen<String, u32> = Gen::new(|co| async move {
///     let mut reply = String::new();
///     loop {
///         let n = co.yield_(reply).await;
///         reply = format!("200 OK {n}");
///     }
/// });
/// assert!(matches!(consumer.start(), Ok(GeneratorState::Yielded(r)) if r.is_empty()));
/// assert!(matches!(consumer.send(1), Ok(GeneratorState::Yielded(r)) if r == "200 OK 1"));
/// consumer.close(); // the suspended body is dropped, like Python's c.close()
/// assert!(consumer.is_complete());
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
    /// use corolab::generator::{Gen, GeneratorState};
    ///
    /// // Python: def consumer(): r = ''; while True: n = yield r; r = f'200 OK {n}'
    /// let mut consumer: Gen<String, u32> = Gen::new(|co| async move {
    ///     let mut reply = String::new();
    ///     loop {
    ///         let n = co.yield_(reply).await;
    ///         reply = format!("200 OK {n}");
    ///     }
    /// });
    /// assert!(matches!(consumer.start(), Ok(GeneratorState::Yielded(r)) if r.is_empty()));
    /// assert!(matches!(consumer.send(1), Ok(GeneratorState::Yielded(r)) if r == "200 OK 1"));
    /// consumer.close(); // the suspended body is dropped, like Python's c.close()
    /// assert!(consumer.is_complete());
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
/// use corolab::generator::{Gen, GeneratorState};
///
/// // Python: def consumer(): r = ''; while True: n = yield r; r = f'200 OK {n}'
/// let mut consumer: Gen<String, u32> = Gen::new(|co| async move {
///     let mut reply = String::new();
///     loop {
///         let n = co.yield_(reply).await;
///         reply = format!("200 OK {n}");
///     }
/// });
/// assert!(matches!(consumer.start(), Ok(GeneratorState::Yielded(r)) if r.is_empty()));
/// assert!(matches!(consumer.send(1), Ok(GeneratorState::Yielded(r)) if r == "200 OK 1"));
/// consumer.close(); // the suspended body is dropped, like Python's c.close()
/// assert!(consumer.is_complete());
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
