//! The receiving half.
//!
//! **Concept.** One consumer: `recv` takes the front value and wakes the first waiting sender
//! (a slot just freed up), or stores its waker and parks while the channel is empty.
//!
//! **Where.** [`Receiver::poll_recv`] is the whole algorithm; `recv` is `poll_fn` over it.
//! Dropping the receiver closes the channel.
//!
//! **In the debugger.** `break corolab::sync::channel::receiver::Receiver::poll_recv`; `print
//! *self.chan` shows `buffer` and `receiver_waker`.

use super::Chan;
use super::errors::TryRecvError;
use super::park_on;
use crate::executor::budget;
use crate::trace::ChannelOp;
use std::cell::RefCell;
use std::fmt;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Context, Poll};

/// The receiving half.
///
/// # Examples
///
/// ```
/// corolab::block_on(async {
///     let (tx, mut rx) = corolab::sync::channel(2);
///     corolab::spawn(async move { tx.send("hello").await.unwrap() });
///     assert_eq!(rx.recv().await, Some("hello")); // parks until it is sent
///     assert_eq!(rx.recv().await, None); // the sender is gone
/// });
/// ```
pub struct Receiver<T> {
    pub(super) chan: Rc<RefCell<Chan<T>>>,
}

impl<T> Receiver<T> {
    /// Waits for the next value; `None` once the channel is empty and every sender is gone
    /// (or it was closed).
    ///
    /// # Examples
    ///
    /// ```
    /// corolab::block_on(async {
    ///     let (tx, mut rx) = corolab::sync::channel(2);
    ///     tx.send(7).await.unwrap();
    ///     drop(tx);
    ///     assert_eq!(rx.recv().await, Some(7)); // buffered values first
    ///     assert_eq!(rx.recv().await, None);
    /// });
    /// ```
    pub async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Poll-level `recv`. Each `Ready` spends one unit of the task's cooperative budget.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::task::Poll;
    ///
    /// corolab::block_on(async {
    ///     let (tx, mut rx) = corolab::sync::channel(1);
    ///     std::future::poll_fn(|cx| {
    ///         assert!(rx.poll_recv(cx).is_pending()); // empty: the waker is stored
    ///         Poll::Ready(())
    ///     })
    ///     .await;
    ///     tx.send(3).await.unwrap();
    ///     let got = std::future::poll_fn(|cx| rx.poll_recv(cx)).await;
    ///     assert_eq!(got, Some(3));
    /// });
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        std::task::ready!(budget::poll_proceed(cx));
        let mut chan = self.chan.borrow_mut();
        if let Some(value) = chan.buffer.pop_front() {
            chan.senders_waiting.wake_first(); // a slot just freed up
            budget::spend();
            return Poll::Ready(Some(value));
        }
        if chan.is_done() {
            budget::spend();
            return Poll::Ready(None);
        }
        match &mut chan.receiver_waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        drop(chan);
        park_on(&self.chan, ChannelOp::Recv);
        Poll::Pending
    }

    /// Takes a value without waiting (asyncio's `get_nowait`): `Empty` if none is buffered
    /// now, `Closed` if none ever will be.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::sync::{TryRecvError, channel};
    ///
    /// let (tx, mut rx) = channel::<u32>(2);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.try_send(5).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Ok(5));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut chan = self.chan.borrow_mut();
        match chan.buffer.pop_front() {
            Some(value) => {
                chan.senders_waiting.wake_first();
                Ok(value)
            }
            None if chan.is_done() => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Closes the channel: every send from now on fails and hands its value back (senders
    /// waiting for room are woken to fail), while the values already buffered can still be
    /// received; then `recv` returns `None`. Like asyncio's `Queue.shutdown()`.
    ///
    /// # Examples
    ///
    /// ```
    /// corolab::block_on(async {
    ///     let (tx, mut rx) = corolab::sync::channel::<&str>(4);
    ///     tx.send("last").await.unwrap();
    ///     rx.close();
    ///     assert!(tx.send("too late").await.is_err());
    ///     assert_eq!(rx.recv().await, Some("last"));
    ///     assert_eq!(rx.recv().await, None); // though `tx` is still alive
    /// });
    /// ```
    pub fn close(&mut self) {
        self.chan.borrow_mut().close();
    }

    /// Values buffered now (asyncio's `qsize`).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = corolab::sync::channel::<u8>(3);
    /// tx.try_send(1).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.borrow().buffer.len()
    }

    /// Is nothing buffered (asyncio's `empty`)?
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = corolab::sync::channel::<u8>(3);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.chan.borrow().buffer.is_empty()
    }

    /// Is the buffer at capacity (asyncio's `full`)?
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = corolab::sync::channel::<u8>(1);
    /// tx.try_send(1).unwrap();
    /// assert!(rx.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        !self.chan.borrow().has_room()
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let (buffered, waker) = {
            let mut chan = self.chan.borrow_mut();
            chan.close();
            (std::mem::take(&mut chan.buffer), chan.receiver_waker.take())
        };
        // The receiving task's waker is released now, not when the last sender goes; the
        // values' destructors run with no borrow held.
        drop(waker);
        drop(buffered);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chan = self.chan.borrow();
        f.debug_struct("Receiver")
            .field("queued", &chan.buffer.len())
            .field("closed", &chan.closed)
            .finish()
    }
}
