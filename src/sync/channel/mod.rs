//! A bounded multi-producer, single-consumer channel.
//!
//! **Concept.** The channel is `closed` when the receiver calls [`Receiver::close`] or is
//! dropped: sends fail from then on (the value is handed back), and `recv` returns the values
//! still buffered, then `None`. `recv` also returns `None` once the buffer is empty and every
//! sender is gone.
//!
//! **Where.** `Chan` (the shared buffer and waiters) and [`channel`] here; [`Sender`] and its
//! `Send` future in `sender.rs`, [`Receiver`] in `receiver.rs`, the error types in `errors.rs`.
//!
//! **In the debugger.** `break corolab::sync::channel::receiver::Receiver::poll_recv`, then
//! `print *self.chan` shows the buffer and the waiting senders' tickets.

mod errors;
mod receiver;
mod sender;

pub use errors::{SendError, TryRecvError, TrySendError};
pub use receiver::Receiver;
pub use sender::Sender;

use super::wait_queue::WaitQueue;
use crate::trace::{self, ChannelOp};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::task::Waker;

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
///
/// # Examples
///
/// ```
/// use corolab::sync::channel;
///
/// corolab::block_on(async {
///     let (tx, mut rx) = channel(2); // at most 2 values waiting
///     let producer = corolab::spawn(async move {
///         for n in 1..=5 {
///             tx.send(n).await.unwrap(); // waits while the channel is full
///         }
///     }); // tx dropped here: the channel closes
///     let mut got = Vec::new();
///     while let Some(n) = rx.recv().await {
///         got.push(n);
///     }
///     assert_eq!(got, [1, 2, 3, 4, 5]);
///     producer.await.unwrap();
/// });
/// ```
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

/// Tells the trace that the task being polled waits at `op` of this channel.
fn park_on<T>(chan: &Rc<RefCell<Chan<T>>>, op: ChannelOp) {
    trace::park(|| trace::Wait::Channel {
        channel: trace::object_id(Rc::as_ptr(chan)),
        op,
    });
}
