//! The sending half and its `Send` future.
//!
//! **Concept.** A full channel makes `send` wait in FIFO order: the sender takes a ticket in
//! `senders_waiting`, and only the front ticket may fill a freed slot.
//!
//! **Where.** [`Sender::send`] builds a `Send` future; `Send::poll` does the work and `Drop for
//! Send` gives a cancelled sender's turn to the next one.
//!
//! **In the debugger.** `info functions sender.*poll` names the `Send` future's `poll` to
//! break on; there `print this.ticket` shows the sender's place in line.

use super::errors::{SendError, TrySendError};
use super::{Chan, park_on};
use crate::executor::budget;
use crate::trace::ChannelOp;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

/// The sending half; clone it for more producers.
///
/// # Examples
///
/// ```
/// use corolab::sync::channel;
///
/// corolab::block_on(async {
///     let (tx, mut rx) = channel(4);
///     let tx2 = tx.clone(); // a second producer
///     tx.send("a").await.unwrap();
///     tx2.send("b").await.unwrap();
///     drop((tx, tx2)); // the last sender gone: `recv` ends with `None`
///     assert_eq!(rx.recv().await, Some("a"));
///     assert_eq!(rx.recv().await, Some("b"));
///     assert_eq!(rx.recv().await, None);
/// });
/// ```
pub struct Sender<T> {
    pub(super) chan: Rc<RefCell<Chan<T>>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting (in FIFO order with other senders) while the channel is full.
    ///
    /// # Examples
    ///
    /// ```
    /// corolab::block_on(async {
    ///     let (tx, mut rx) = corolab::sync::channel(1);
    ///     tx.send(1).await.unwrap();
    ///     let second = corolab::spawn(async move { tx.send(2).await }); // waits: full
    ///     assert_eq!(rx.recv().await, Some(1)); // frees the slot, wakes the sender
    ///     second.await.unwrap().unwrap();
    ///     assert_eq!(rx.recv().await, Some(2));
    /// });
    /// ```
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        Send {
            chan: &self.chan,
            value: Some(value),
            ticket: None,
        }
        .await
    }

    /// Sends without waiting (asyncio's `put_nowait`): `Full` if there is no room now or other
    /// senders are already waiting in line, `Closed` if the receiver closed or dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::sync::{TrySendError, channel};
    ///
    /// let (tx, mut rx) = channel::<u32>(1);
    /// assert_eq!(tx.try_send(1), Ok(()));
    /// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    /// rx.close();
    /// assert_eq!(tx.try_send(3), Err(TrySendError::Closed(3)));
    /// assert_eq!(rx.try_recv(), Ok(1)); // what was buffered can still be received
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let mut chan = self.chan.borrow_mut();
        if chan.closed {
            Err(TrySendError::Closed(value))
        } else if chan.has_room() && chan.senders_waiting.is_empty() {
            chan.push_and_wake(value);
            Ok(())
        } else {
            Err(TrySendError::Full(value))
        }
    }

    /// Is the channel closed (the receiver called `close` or is gone)?
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = corolab::sync::channel::<u8>(1);
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed()); // every send fails from now on
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.borrow().closed
    }

    /// Values buffered now (asyncio's `qsize`).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = corolab::sync::channel::<char>(4);
    /// tx.try_send('a').unwrap();
    /// tx.try_send('b').unwrap();
    /// assert_eq!(tx.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.borrow().buffer.len()
    }

    /// Is nothing buffered (asyncio's `empty`)?
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = corolab::sync::channel::<u8>(1);
    /// assert!(tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.chan.borrow().buffer.is_empty()
    }

    /// Is the buffer at capacity, so that `send` would wait (asyncio's `full`)?
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = corolab::sync::channel::<u8>(1);
    /// tx.try_send(7).unwrap();
    /// assert!(tx.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        !self.chan.borrow().has_room()
    }

    /// The most values the channel buffers (its `capacity`, at least 1).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = corolab::sync::channel::<u8>(8);
    /// assert_eq!(tx.capacity(), 8);
    /// let (tx, _rx) = corolab::sync::channel::<u8>(0);
    /// assert_eq!(tx.capacity(), 1); // rounded up
    /// ```
    pub fn capacity(&self) -> usize {
        self.chan.borrow().capacity
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.borrow_mut().senders += 1;
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut chan = self.chan.borrow_mut();
        chan.senders -= 1;
        if chan.senders == 0
            && let Some(waker) = chan.receiver_waker.take()
        {
            waker.wake(); // recv() may now return None
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chan = self.chan.borrow();
        f.debug_struct("Sender")
            .field("queued", &chan.buffer.len())
            .field("capacity", &chan.capacity)
            .field("senders_waiting", &chan.senders_waiting.len())
            .finish()
    }
}

struct Send<'a, T> {
    chan: &'a Rc<RefCell<Chan<T>>>,
    value: Option<T>,
    ticket: Option<u64>,
}

// `Send` never hands out a pinned reference to `value`; it only moves it out. So it is
// fine for `Send` to be `Unpin` whatever `T` is.
impl<T> Unpin for Send<'_, T> {}

impl<T> Future for Send<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        std::task::ready!(budget::poll_proceed(cx));
        let this = &mut *self;
        let mut chan = this.chan.borrow_mut();
        if chan.closed {
            if let Some(ticket) = this.ticket.take() {
                chan.senders_waiting.remove(ticket);
            }
            let value = this.value.take().expect("Send polled after completion");
            budget::spend();
            return Poll::Ready(Err(SendError(value)));
        }
        let my_turn = match this.ticket {
            None => chan.senders_waiting.is_empty(),
            Some(ticket) => chan.senders_waiting.is_first(ticket),
        };
        if my_turn && chan.has_room() {
            let value = this.value.take().expect("Send polled after completion");
            chan.push_and_wake(value);
            if this.ticket.take().is_some() {
                chan.senders_waiting.pop_first();
                if chan.has_room() {
                    chan.senders_waiting.wake_first();
                }
            }
            budget::spend();
            return Poll::Ready(Ok(()));
        }
        match this.ticket {
            None => this.ticket = Some(chan.senders_waiting.push(cx.waker())),
            Some(ticket) => chan.senders_waiting.update(ticket, cx.waker()),
        }
        park_on(this.chan, ChannelOp::Send);
        Poll::Pending
    }
}

impl<T> Drop for Send<'_, T> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket {
            let mut chan = self.chan.borrow_mut();
            if chan.senders_waiting.remove(ticket) && chan.has_room() {
                chan.senders_waiting.wake_first();
            }
        }
    }
}
