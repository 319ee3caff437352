//! Task-to-task synchronisation: a bounded channel, a oneshot, and a FIFO semaphore.
//!
//! **Concept.** Tasks on one thread never run at the same time, so plain `Rc<RefCell<..>>`
//! state is enough; what these types add is *waiting*: a task that cannot proceed (full
//! channel, no permit) stores its waker in a FIFO queue and returns `Pending`; whoever frees
//! the resource wakes the first waiter. Nothing ever polls in a loop. Each `Ready` from a
//! send, a receive or an acquire spends one unit of the task's cooperative budget
//! (`executor::budget`), so a task that only ever finds its channel ready still yields.
//!
//! **Where.** `WaitQueue` (in `wait_queue.rs`) is the FIFO of waiting wakers shared by
//! [`channel`] senders and the [`Semaphore`]; a waiter gets a ticket, and only the ticket at the
//! front may take a freed slot, so late arrivals cannot jump the queue. A waiter that is
//! dropped (cancelled) leaves the queue and passes its turn on.
//!
//! **In the debugger.** `print *self.chan` (a `RefCell<Chan>`) shows the buffer and the
//! waiting tickets; the trace shows `wake task N (by task M)` when M frees a slot.

mod channel;
mod oneshot_impl;
mod semaphore;
mod wait_queue;

pub use channel::{Receiver, SendError, Sender, TryRecvError, TrySendError, channel};
pub use semaphore::{OwnedPermit, Permit, Semaphore};

/// A channel for exactly one value.
pub mod oneshot {
    pub use super::oneshot_impl::{Receiver, RecvError, Sender, oneshot as channel};
}
pub use oneshot_impl::oneshot;
