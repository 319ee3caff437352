//! The channel's error types: what a failed send hands back, and why a `try_recv` gave nothing.
//!
//! **Concept.** A send that cannot happen never drops the value: [`SendError`] and
//! [`TrySendError`] carry it back to the caller. [`TryRecvError`] tells "not yet" from "never".
//!
//! **Where.** Plain enums and a newtype with `Display`/`Error` impls; nothing here waits.
//!
//! **In the debugger.** `print e` on a `SendError` shows the value it hands back (`e.0`).

use std::fmt;

/// The value could not be sent because the receiver is gone; here it is back.
///
/// # Examples
///
/// ```
/// use corolab::sync::{SendError, channel};
///
/// corolab::block_on(async {
///     let (tx, rx) = channel::<String>(1);
///     drop(rx);
///     let SendError(back) = tx.send("lost?".to_string()).await.unwrap_err();
///     assert_eq!(back, "lost?"); // not dropped: handed back
/// });
/// ```
#[derive(PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the receiver was dropped")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// Why [`Sender::try_send`](super::Sender::try_send) failed; the value is handed back.
///
/// # Examples
///
/// ```
/// use corolab::sync::{TrySendError, channel};
///
/// let (tx, rx) = channel::<u8>(1);
/// tx.try_send(1).unwrap();
/// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2))); // no room now
/// drop(rx);
/// assert_eq!(tx.try_send(3), Err(TrySendError::Closed(3))); // never again
/// ```
#[derive(PartialEq, Eq)]
pub enum TrySendError<T> {
    /// The channel is full (or others are already waiting to send).
    Full(T),
    /// The receiver is gone.
    Closed(T),
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("the channel is full"),
            TrySendError::Closed(_) => f.write_str("the channel is closed"),
        }
    }
}

impl<T> std::error::Error for TrySendError<T> {}

/// Why [`Receiver::try_recv`](super::Receiver::try_recv) gave no value.
///
/// # Examples
///
/// ```
/// use corolab::sync::{TryRecvError, channel};
///
/// let (tx, mut rx) = channel::<u32>(4);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty)); // nothing yet, a sender is alive
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed)); // and never will be
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing is buffered now; a sender may still send.
    Empty,
    /// Nothing is buffered and nothing ever will be: every sender is gone, or the channel was
    /// closed.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("the channel is empty"),
            TryRecvError::Closed => f.write_str("the channel is empty and closed"),
        }
    }
}

impl std::error::Error for TryRecvError {}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}
