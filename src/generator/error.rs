//! The two result types of driving a generator: what it produced
//! ([`GeneratorState`]) and how it was misused ([`GenError`]).

use std::fmt;

/// What one step of a generator produced.
///
/// # Examples
///
/// ```
/// use corolab::generator::{Gen, GeneratorState};
/// let mut job: Gen<&str, (), u32> = Gen::new(|co| async move {
///     co.yield_("working").await;
///     99 // the return value (Python puts it in StopIteration.value)
/// });
/// assert_eq!(job.start(), Ok(GeneratorState::Yielded("working")));
/// assert_eq!(job.send(()), Ok(GeneratorState::Complete(99)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GeneratorState<Y, C> {
    /// The body reached `co.yield_(y).await` and is suspended there.
    Yielded(Y),
    /// The body ran to its end and returned this value (Python puts it in
    /// `StopIteration.value`). The generator is finished.
    Complete(C),
}

/// Misuse of a [`Gen`](super::Gen), reported as a value instead of a panic.
///
/// # Examples
///
/// ```
/// use corolab::generator::{GenError, Gen};
///
/// let mut g: Gen<u32, u32> = Gen::new(|co| async move {
///     let _ = co.yield_(0).await;
/// });
/// assert!(matches!(g.send(5), Err(GenError::NotStarted))); // Python: can't send non-None first
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenError {
    /// `send` was called before `start`. The body has not reached a
    /// `co.yield_` yet, so nothing is waiting for the value; instead of
    /// dropping it silently we refuse it. Python raises `TypeError: can't send
    /// non-None value to a just-started generator`.
    NotStarted,
    /// `start` was called twice. Use `send` to resume a started generator.
    AlreadyStarted,
    /// The generator has returned, panicked, failed or been closed; there is
    /// nothing left to run. Python raises `StopIteration`.
    Finished,
    /// The body returned `Poll::Pending` without going through `co.yield_`:
    /// it awaited a future that needs a real executor (a timer, a socket, a
    /// channel). A `Gen` has no executor and no waker that anyone would call,
    /// so it can never resume such a body; the body is dropped and the
    /// generator is finished.
    ForeignAwait,
}

impl fmt::Display for GenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            GenError::NotStarted => {
                "generator not started: call start() (Python's next(gen)) before send(value)"
            }
            GenError::AlreadyStarted => "generator already started: resume it with send(value)",
            GenError::Finished => "generator finished: it returned, panicked or was closed",
            GenError::ForeignAwait => {
                "generator body awaited a future other than co.yield_(..) that returned \
                 Poll::Pending; a Gen has no executor, so it cannot wait for timers, sockets \
                 or channels (drive such code with corolab tasks instead); the body was dropped"
            }
        };
        f.write_str(text)
    }
}

impl std::error::Error for GenError {}
