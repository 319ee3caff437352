//! A bounded multi-producer, single-consumer channel.
//!
//! The channel is `closed` when the receiver calls [`Receiver::close`] or is dropped: sends
//! fail from then on (the value is handed back), and `recv` returns the values still buffered,
//! then `None`. `recv` also returns `None` once the buffer is empty and every sender is gone.

use super::wait_queue::WaitQueue;
use crate::executor::budget;
use crate::trace::{self, ChannelOp};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

struct Chan<T> {
    buffer: VecDeque<T>,
    capacity: usize,
    /// Senders waiting for room, in arrival order.
    senders_waiting: WaitQueue,
    receiver_waker: Option<Waker>,
    senders: usize,
    /// The receiver closed the channel or is gone: no more sends.
    closed: bool,
}

impl<T> Chan<T> {
    fn has_room(&self) -> bool {
        self.buffer.len() < self.capacity
    }

    /// Nothing more can ever be received: empty, and no sender left or closed.
    fn is_done(&self) -> bool {
        self.buffer.is_empty() && (self.senders == 0 || self.closed)
    }

    /// Marks the channel closed and wakes the waiting senders (their sends now fail).
    fn close(&mut self) {
        self.closed = true;
        self.senders_waiting.wake_all();
    }

    fn push_and_wake(&mut self, value: T) {
        self.buffer.push_back(value);
        if let Some(waker) = self.receiver_waker.take() {
            waker.wake();
        }
    }
}

/// Creates a channel holding at most `capacity` values (at least 1). `send` waits while it is
/// full; `recv` waits while it is empty and returns `None` once every sender is gone.
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let chan = Rc::new(RefCell::new(Chan {
        buffer: VecDeque::with_capacity(capacity.clamp(1, 1024)),
        capacity: capacity.max(1),
        senders_waiting: WaitQueue::default(),
        receiver_waker: None,
        senders: 1,
        closed: false,
    }));
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// The value could not be sent because the receiver is gone; here it is back.
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

/// Why [`Sender::try_send`] failed; the value is handed back.
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

/// Why [`Receiver::try_recv`] gave no value.
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

/// The sending half; clone it for more producers.
pub struct Sender<T> {
    chan: Rc<RefCell<Chan<T>>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting (in FIFO order with other senders) while the channel is full.
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
    pub fn is_closed(&self) -> bool {
        self.chan.borrow().closed
    }

    /// Values buffered now (asyncio's `qsize`).
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
    /// ```
    /// let (tx, _rx) = corolab::sync::channel::<u8>(1);
    /// assert!(tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.chan.borrow().buffer.is_empty()
    }

    /// Is the buffer at capacity, so that `send` would wait (asyncio's `full`)?
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

/// The receiving half.
pub struct Receiver<T> {
    chan: Rc<RefCell<Chan<T>>>,
}

impl<T> Receiver<T> {
    /// Waits for the next value; `None` once the channel is empty and every sender is gone
    /// (or it was closed).
    pub async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Poll-level `recv`. Each `Ready` spends one unit of the task's cooperative budget.
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
    /// ```
    /// let (_tx, rx) = corolab::sync::channel::<u8>(3);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.chan.borrow().buffer.is_empty()
    }

    /// Is the buffer at capacity (asyncio's `full`)?
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

/// Tells the trace that the task being polled waits at `op` of this channel.
fn park_on<T>(chan: &Rc<RefCell<Chan<T>>>, op: ChannelOp) {
    trace::park(|| trace::Wait::Channel {
        channel: trace::object_id(Rc::as_ptr(chan)),
        op,
    });
}
