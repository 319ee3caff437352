//! A channel for exactly one value.

use crate::executor::budget;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

struct Inner<T> {
    value: Option<T>,
    receiver_waker: Option<Waker>,
    sender_alive: bool,
    receiver_alive: bool,
}

/// Creates a oneshot channel.
///
/// # Examples
///
/// ```
/// corolab::block_on(async {
///     let (tx, rx) = corolab::sync::oneshot(); // one sender, one receiver, one value
///     corolab::spawn(async move { tx.send("done").unwrap() });
///     assert_eq!(rx.await, Ok("done")); // waits until the task has sent
/// });
/// ```
pub fn oneshot<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Rc::new(RefCell::new(Inner {
        value: None,
        receiver_waker: None,
        sender_alive: true,
        receiver_alive: true,
    }));
    (Sender { inner: inner.clone() }, Receiver { inner })
}

/// Sends the one value.
///
/// # Examples
///
/// ```
/// use corolab::sync::oneshot::{self, Sender};
/// // `oneshot::channel` is another name for `oneshot`.
/// let (tx, rx): (Sender<u8>, _) = oneshot::channel();
/// tx.send(1).unwrap(); // `send` takes `self`: a second send would not compile
/// assert_eq!(corolab::block_on(rx), Ok(1));
/// ```
pub struct Sender<T> {
    inner: Rc<RefCell<Inner<T>>>,
}

impl<T> Sender<T> {
    /// Sends `value`; gives it back if the receiver is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = corolab::sync::oneshot();
    /// drop(rx); // nobody will ever read it
    /// assert_eq!(tx.send("lost"), Err("lost")); // so the value comes back
    /// ```
    pub fn send(self, value: T) -> Result<(), T> {
        let mut inner = self.inner.borrow_mut();
        if !inner.receiver_alive {
            return Err(value);
        }
        inner.value = Some(value);
        if let Some(waker) = inner.receiver_waker.take() {
            waker.wake();
        }
        Ok(())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut inner = self.inner.borrow_mut();
        inner.sender_alive = false;
        if let Some(waker) = inner.receiver_waker.take() {
            waker.wake();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("oneshot::Sender")
    }
}

/// The sender was dropped without sending.
///
/// # Examples
///
/// ```
/// use corolab::sync::oneshot::{self, RecvError};
/// let (tx, rx) = oneshot::channel::<u32>();
/// drop(tx); // the sender went away without sending
/// assert_eq!(corolab::block_on(rx), Err(RecvError));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecvError;

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the oneshot sender was dropped without sending")
    }
}

impl std::error::Error for RecvError {}

/// Awaits the one value.
///
/// # Examples
///
/// ```
/// use corolab::{sync::oneshot, time::timeout};
/// use std::time::Duration;
/// corolab::block_on(async {
///     let (tx, mut rx) = oneshot();
///     let early = timeout(Duration::from_millis(5), &mut rx).await; // a future: await it
///     assert!(early.is_err()); // nothing sent yet
///     tx.send(3).unwrap();
///     assert_eq!(rx.await, Ok(3));
/// });
/// ```
pub struct Receiver<T> {
    inner: Rc<RefCell<Inner<T>>>,
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        std::task::ready!(budget::poll_proceed(cx));
        let mut inner = self.inner.borrow_mut();
        if let Some(value) = inner.value.take() {
            budget::spend();
            return Poll::Ready(Ok(value));
        }
        if !inner.sender_alive {
            budget::spend();
            return Poll::Ready(Err(RecvError));
        }
        inner.receiver_waker = Some(cx.waker().clone());
        crate::trace::park(|| crate::trace::Wait::Channel {
            channel: crate::trace::object_id(Rc::as_ptr(&self.inner)),
            op: crate::trace::ChannelOp::Recv,
        });
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let (value, waker) = {
            let mut inner = self.inner.borrow_mut();
            inner.receiver_alive = false;
            (inner.value.take(), inner.receiver_waker.take())
        };
        // The waker goes now, or the sender's drop would wake a task that no longer waits.
        drop(waker);
        drop(value);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("oneshot::Receiver")
    }
}
