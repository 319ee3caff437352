//! A bounded multi-producer, single-consumer channel.

use super::wait_queue::WaitQueue;
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
    receiver_alive: bool,
}

impl<T> Chan<T> {
    fn has_room(&self) -> bool {
        self.buffer.len() < self.capacity
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
        receiver_alive: true,
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

    /// Sends without waiting.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let mut chan = self.chan.borrow_mut();
        if !chan.receiver_alive {
            Err(TrySendError::Closed(value))
        } else if chan.has_room() && chan.senders_waiting.is_empty() {
            chan.push_and_wake(value);
            Ok(())
        } else {
            Err(TrySendError::Full(value))
        }
    }

    /// Is the receiver gone?
    pub fn is_closed(&self) -> bool {
        !self.chan.borrow().receiver_alive
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
        let this = &mut *self;
        let mut chan = this.chan.borrow_mut();
        if !chan.receiver_alive {
            if let Some(ticket) = this.ticket.take() {
                chan.senders_waiting.remove(ticket);
            }
            let value = this.value.take().expect("Send polled after completion");
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
    /// Waits for the next value; `None` once the channel is empty and every sender is gone.
    pub async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Poll-level `recv`.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut chan = self.chan.borrow_mut();
        if let Some(value) = chan.buffer.pop_front() {
            chan.senders_waiting.wake_first(); // a slot just freed up
            return Poll::Ready(Some(value));
        }
        if chan.senders == 0 {
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

    /// Takes a value if one is buffered.
    pub fn try_recv(&mut self) -> Option<T> {
        let mut chan = self.chan.borrow_mut();
        let value = chan.buffer.pop_front();
        if value.is_some() {
            chan.senders_waiting.wake_first();
        }
        value
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let buffered = {
            let mut chan = self.chan.borrow_mut();
            chan.receiver_alive = false;
            chan.senders_waiting.wake_all(); // their sends now fail
            std::mem::take(&mut chan.buffer)
        };
        drop(buffered); // values' destructors run with no borrow held
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("queued", &self.chan.borrow().buffer.len())
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
