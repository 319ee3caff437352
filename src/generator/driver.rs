//! `Gen`: the driver side of a generator. It owns the body (a pinned, boxed
//! future) and polls it once per `start`/`send`, with a waker that does
//! nothing, because the only thing a body may wait for is the next `send`.

use std::fmt;
use std::future::Future;
use std::iter::FusedIterator;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::airlock::{Airlock, Slot};
use super::co::Co;
use super::error::{GenError, GeneratorState};

/// The body of a generator: the future made by the `async move { .. }` block.
type Body<C> = Pin<Box<dyn Future<Output = C>>>;

/// Where the body is in its life.
enum Stage<C> {
    /// Made by `Gen::new`, never polled: not one line of the body has run.
    NotStarted(Body<C>),
    /// Suspended inside a `co.yield_(..).await`, waiting for `send`.
    Suspended(Body<C>),
    /// Returned, panicked, failed or closed. The body has been dropped.
    Finished,
}

/// A stackless generator in the style of Python's: yields `Y`, receives `R`
/// from [`send`](Gen::send), and finally returns `C`.
///
/// ```
/// use corolab::generator::{Gen, GeneratorState};
///
/// // Python: def averager(): total = 0; n = 0; avg = None
/// //                         while True: x = yield avg; ...
/// let mut avg: Gen<Option<f64>, f64> = Gen::new(|co| async move {
///     let (mut total, mut count) = (0.0, 0.0);
///     let mut average = None;
///     loop {
///         let x = co.yield_(average).await;
///         total += x;
///         count += 1.0;
///         average = Some(total / count);
///     }
/// });
/// assert_eq!(avg.start(), Ok(GeneratorState::Yielded(None)));
/// assert_eq!(avg.send(10.0), Ok(GeneratorState::Yielded(Some(10.0))));
/// assert_eq!(avg.send(20.0), Ok(GeneratorState::Yielded(Some(15.0))));
/// avg.close();
/// assert!(avg.is_complete());
/// ```
pub struct Gen<Y, R = (), C = ()> {
    airlock: Rc<Airlock<Y, R>>,
    stage: Stage<C>,
}

impl<Y, R, C> Gen<Y, R, C> {
    /// Make a generator from a closure that receives the [`Co`] and returns
    /// the body, usually `|co| async move { .. }`.
    ///
    /// The closure is called right away, but an `async` block does nothing
    /// until polled, so no line of the body runs before [`start`](Gen::start)
    /// (just as calling a Python generator function runs nothing).
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::{cell::Cell, rc::Rc};
    /// use corolab::generator::Gen;
    /// let ran = Rc::new(Cell::new(false));
    /// let flag = ran.clone();
    /// let mut g: Gen<()> = Gen::new(|co| async move {
    ///     flag.set(true);
    ///     co.yield_(()).await
    /// });
    /// assert!(!ran.get()); // like calling a Python generator function: no line ran yet
    /// g.start().unwrap();
    /// assert!(ran.get());
    /// ```
    pub fn new<F, Fut>(make_body: F) -> Self
    where
        F: FnOnce(Co<Y, R>) -> Fut,
        Fut: Future<Output = C> + 'static,
    {
        let airlock = Rc::new(Airlock::new());
        let body = make_body(Co::new(Rc::clone(&airlock)));
        Gen {
            airlock,
            stage: Stage::NotStarted(Box::pin(body)),
        }
    }

    /// Run the body up to its first `co.yield_` (Python's `next(gen)` or
    /// `gen.send(None)` on a fresh generator) and return what it yielded.
    ///
    /// Errors: [`GenError::AlreadyStarted`], [`GenError::Finished`],
    /// [`GenError::ForeignAwait`].
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::generator::{Gen, GenError, GeneratorState};
    /// let mut g: Gen<u8> = Gen::new(|co| async move { co.yield_(1).await });
    /// assert_eq!(g.start(), Ok(GeneratorState::Yielded(1))); // Python: next(g)
    /// assert_eq!(g.start(), Err(GenError::AlreadyStarted)); // resume it with send instead
    /// ```
    pub fn start(&mut self) -> Result<GeneratorState<Y, C>, GenError> {
        match std::mem::replace(&mut self.stage, Stage::Finished) {
            Stage::NotStarted(body) => self.run_until_suspended(body),
            Stage::Suspended(body) => {
                self.stage = Stage::Suspended(body);
                Err(GenError::AlreadyStarted)
            }
            Stage::Finished => Err(GenError::Finished),
        }
    }

    /// Resume the body: `value` becomes the result of the `co.yield_(..).await`
    /// it is suspended in; it then runs to its next yield or its end.
    ///
    /// Errors: [`GenError::NotStarted`] (the value is refused, not swallowed),
    /// [`GenError::Finished`], [`GenError::ForeignAwait`].
    /// A panic in the body propagates to the caller of `send`, and the
    /// generator is finished afterwards.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::generator::{Gen, GenError, GeneratorState};
    /// let mut plus_one: Gen<(), u32, u32> = Gen::new(|co| async move { co.yield_(()).await + 1 });
    /// assert_eq!(plus_one.send(5), Err(GenError::NotStarted)); // refused, not swallowed
    /// plus_one.start().unwrap();
    /// assert_eq!(plus_one.send(41), Ok(GeneratorState::Complete(42))); // 41 is what `.await` gave
    /// assert_eq!(plus_one.send(1), Err(GenError::Finished));
    /// ```
    pub fn send(&mut self, value: R) -> Result<GeneratorState<Y, C>, GenError> {
        // LAB(generator-send) begin: by stage: NotStarted refuses the value (and stays NotStarted), Suspended puts it in the airlock and runs the body, Finished is an error
        match std::mem::replace(&mut self.stage, Stage::Finished) {
            Stage::NotStarted(body) => {
                self.stage = Stage::NotStarted(body);
                Err(GenError::NotStarted)
            }
            Stage::Suspended(body) => {
                self.airlock.put_resumed(value);
                self.run_until_suspended(body)
            }
            Stage::Finished => Err(GenError::Finished),
        }
        // LAB(generator-send) end
    }

    /// Stop the generator for good: the body is dropped where it is suspended,
    /// so every local it holds is dropped and their `Drop` impls run (the Rust
    /// counterpart of Python's `finally` blocks running on `close()`).
    /// Closing a finished generator does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::rc::Rc;
    /// use corolab::generator::Gen;
    /// let token = Rc::new(());
    /// let held = token.clone();
    /// let mut g: Gen<()> = Gen::new(|co| async move {
    ///     let _held = held; // a local of the body, alive across every yield
    ///     loop {
    ///         co.yield_(()).await;
    ///     }
    /// });
    /// g.start().unwrap();
    /// g.close(); // drops the body where it is suspended (Python: its `finally` blocks run)
    /// assert_eq!(Rc::strong_count(&token), 1); // `_held` is gone
    /// g.close(); // closing again does nothing
    /// ```
    pub fn close(&mut self) {
        let old_stage = std::mem::replace(&mut self.stage, Stage::Finished);
        // Dropping the boxed future drops the compiler's state machine, and
        // with it every variable that is alive at the suspended `.await`.
        drop(old_stage);
        let _leftover = self.airlock.take();
    }

    /// True once the body has returned, panicked, failed or been closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::generator::Gen;
    /// let mut once: Gen<u8> = Gen::new(|co| async move { co.yield_(1).await });
    /// assert_eq!(once.next(), Some(1));
    /// assert!(!once.is_complete()); // suspended at its yield
    /// assert_eq!(once.next(), None); // the body returned
    /// assert!(once.is_complete());
    /// ```
    pub fn is_complete(&self) -> bool {
        matches!(self.stage, Stage::Finished)
    }

    /// Poll the body once and sort out what happened. The body is out of
    /// `self.stage` while it runs (the stage says `Finished`): if the body
    /// panics, `body` is dropped while unwinding and the generator stays finished.
    fn run_until_suspended(&mut self, mut body: Body<C>) -> Result<GeneratorState<Y, C>, GenError> {
        let mut cx = Context::from_waker(futures_task::noop_waker_ref());
        // No task yields here: a budget-forced `Pending` would look like a foreign await.
        let poll = crate::executor::budget::unconstrained(|| body.as_mut().poll(&mut cx));
        let left_in_airlock = self.airlock.take();
        match (poll, left_in_airlock) {
            (Poll::Ready(returned), _) => Ok(GeneratorState::Complete(returned)),
            (Poll::Pending, Slot::Yielded(value)) => {
                self.stage = Stage::Suspended(body);
                Ok(GeneratorState::Yielded(value))
            }
            (Poll::Pending, Slot::Empty | Slot::Resumed(_)) => {
                // Pending, but not from `co.yield_`: nobody will ever wake it.
                drop(body);
                Err(GenError::ForeignAwait)
            }
        }
    }
}

/// A generator that takes nothing back (`R = ()`) is an iterator over what it
/// yields; its return value is dropped (use [`Gen::send`] to see it).
///
/// # Panics
///
/// `next` panics with the [`GenError::ForeignAwait`] message if the body
/// awaits a foreign future: an iterator has no way to return that error, and
/// ending the iteration quietly would hide the bug.
impl<Y, C> Iterator for Gen<Y, (), C> {
    type Item = Y;

    fn next(&mut self) -> Option<Y> {
        let step = match self.stage {
            Stage::NotStarted(_) => self.start(),
            Stage::Suspended(_) => self.send(()),
            Stage::Finished => return None,
        };
        match step {
            Ok(GeneratorState::Yielded(value)) => Some(value),
            Ok(GeneratorState::Complete(_)) => None,
            Err(GenError::ForeignAwait) => panic!("{}", GenError::ForeignAwait),
            Err(_) => None,
        }
    }
}

impl<Y, C> FusedIterator for Gen<Y, (), C> {}

impl<Y, R, C> fmt::Debug for Gen<Y, R, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match self.stage {
            Stage::NotStarted(_) => "NotStarted",
            Stage::Suspended(_) => "Suspended",
            Stage::Finished => "Finished",
        };
        f.debug_struct("Gen").field("stage", &stage).finish()
    }
}
