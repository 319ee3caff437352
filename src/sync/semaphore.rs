//! A FIFO semaphore: at most N holders at a time, waiters served in arrival order.

use super::wait_queue::WaitQueue;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

struct State {
    permits: usize,
    waiters: WaitQueue,
}

/// Limits how many tasks hold a permit at once (the HTTP pool's connection limit uses it).
pub struct Semaphore {
    state: RefCell<State>,
}

impl Semaphore {
    /// A semaphore with `permits` permits.
    pub fn new(permits: usize) -> Semaphore {
        Semaphore {
            state: RefCell::new(State {
                permits,
                waiters: WaitQueue::default(),
            }),
        }
    }

    /// Permits free right now.
    pub fn available_permits(&self) -> usize {
        self.state.borrow().permits
    }

    /// Tasks waiting for a permit.
    pub fn waiting(&self) -> usize {
        self.state.borrow().waiters.len()
    }

    /// Waits for a permit; it is returned when the [`Permit`] is dropped.
    pub async fn acquire(&self) -> Permit<'_> {
        Acquire {
            semaphore: self,
            ticket: None,
        }
        .await;
        Permit { semaphore: self }
    }

    /// Like [`Semaphore::acquire`], for a semaphore shared through an `Rc`; the permit owns a
    /// clone of the `Rc`, so it can be stored anywhere.
    pub async fn acquire_owned(self: Rc<Self>) -> OwnedPermit {
        Acquire {
            semaphore: &self,
            ticket: None,
        }
        .await;
        OwnedPermit { semaphore: self }
    }

    /// Takes a permit if one is free and nobody is queued.
    pub fn try_acquire(&self) -> Option<Permit<'_>> {
        let mut state = self.state.borrow_mut();
        if state.permits > 0 && state.waiters.is_empty() {
            state.permits -= 1;
            Some(Permit { semaphore: self })
        } else {
            None
        }
    }

    /// Returns `n` permits and wakes the first waiter.
    pub fn add_permits(&self, n: usize) {
        let mut state = self.state.borrow_mut();
        state.permits += n;
        state.waiters.wake_first();
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.available_permits())
            .field("waiting", &self.waiting())
            .finish()
    }
}

struct Acquire<'a> {
    semaphore: &'a Semaphore,
    ticket: Option<u64>,
}

impl Future for Acquire<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        std::task::ready!(crate::executor::budget::poll_proceed(cx));
        let mut state = self.semaphore.state.borrow_mut();
        let my_turn = match self.ticket {
            None => state.waiters.is_empty(),
            Some(ticket) => state.waiters.is_first(ticket),
        };
        if my_turn && state.permits > 0 {
            state.permits -= 1;
            if self.ticket.take().is_some() {
                state.waiters.pop_first();
                if state.permits > 0 {
                    state.waiters.wake_first(); // more permits free: pass the turn on
                }
            }
            crate::executor::budget::spend();
            return Poll::Ready(());
        }
        match self.ticket {
            None => {
                let ticket = state.waiters.push(cx.waker());
                drop(state);
                self.ticket = Some(ticket);
            }
            Some(ticket) => state.waiters.update(ticket, cx.waker()),
        }
        crate::trace::park(|| crate::trace::Wait::Semaphore {
            semaphore: crate::trace::object_id(self.semaphore),
        });
        Poll::Pending
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket {
            let mut state = self.semaphore.state.borrow_mut();
            if state.waiters.remove(ticket) && state.permits > 0 {
                state.waiters.wake_first();
            }
        }
    }
}

/// A held permit; dropping it gives the permit back.
#[must_use = "dropping a permit releases it at once"]
pub struct Permit<'a> {
    semaphore: &'a Semaphore,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.semaphore.add_permits(1);
    }
}

impl fmt::Debug for Permit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Permit")
    }
}

/// A held permit that keeps its semaphore alive.
#[must_use = "dropping a permit releases it at once"]
pub struct OwnedPermit {
    semaphore: Rc<Semaphore>,
}

impl Drop for OwnedPermit {
    fn drop(&mut self) {
        self.semaphore.add_permits(1);
    }
}

impl fmt::Debug for OwnedPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OwnedPermit")
    }
}
