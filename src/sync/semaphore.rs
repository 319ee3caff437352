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
///
/// # Examples
///
/// ```
/// use corolab::{future::join_all, sync::Semaphore, time::sleep};
/// # use std::{cell::Cell, time::Duration};
/// corolab::block_on(async {
///     let limit = Semaphore::new(2); // the HTTP pool's connection limit, in miniature
///     let (busy, peak) = (Cell::new(0), Cell::new(0));
///     join_all((0..5).map(|_| async {
///         let _permit = limit.acquire().await;
///         busy.set(busy.get() + 1);
///         peak.set(peak.get().max(busy.get()));
///         sleep(Duration::from_millis(1)).await; // hold the permit across a wait
///         busy.set(busy.get() - 1);
///     }))
///     .await;
///     assert_eq!(peak.get(), 2); // five jobs, never more than two at once
/// });
/// ```
pub struct Semaphore {
    state: RefCell<State>,
}

impl Semaphore {
    /// A semaphore with `permits` permits.
    ///
    /// # Examples
    ///
    /// ```
    /// let limit = corolab::sync::Semaphore::new(3);
    /// assert_eq!(limit.available_permits(), 3);
    /// ```
    pub fn new(permits: usize) -> Semaphore {
        Semaphore {
            state: RefCell::new(State {
                permits,
                waiters: WaitQueue::default(),
            }),
        }
    }

    /// Permits free right now.
    ///
    /// # Examples
    ///
    /// ```
    /// let limit = corolab::sync::Semaphore::new(1);
    /// let _p = limit.try_acquire();
    /// assert_eq!(limit.available_permits(), 0);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.state.borrow().permits
    }

    /// Tasks waiting for a permit.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::sync::Semaphore;
    /// use std::rc::Rc;
    /// corolab::block_on(async {
    ///     let limit = Rc::new(Semaphore::new(0)); // no permit to hand out
    ///     let l2 = limit.clone();
    ///     let task = corolab::spawn(async move { drop(l2.acquire().await) });
    ///     corolab::yield_now().await; // the task runs and parks in `acquire`
    ///     assert_eq!(limit.waiting(), 1);
    ///     limit.add_permits(1);
    ///     task.await.unwrap();
    ///     assert_eq!(limit.waiting(), 0);
    /// });
    /// ```
    pub fn waiting(&self) -> usize {
        self.state.borrow().waiters.len()
    }

    /// Waits for a permit; it is returned when the [`Permit`] is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::{sync::Semaphore, time::timeout};
    /// use std::time::Duration;
    /// corolab::block_on(async {
    ///     let limit = Semaphore::new(1);
    ///     let permit = limit.acquire().await; // one was free: no wait
    ///     let blocked = timeout(Duration::from_millis(5), limit.acquire()).await;
    ///     assert!(blocked.is_err()); // none free: `acquire` waited until it was cancelled
    ///     drop(permit);
    ///     let _again = limit.acquire().await; // free again
    /// });
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::sync::Semaphore;
    /// use std::rc::Rc;
    ///
    /// corolab::block_on(async {
    ///     let limit = Rc::new(Semaphore::new(1));
    ///     let permit = limit.clone().acquire_owned().await; // 'static: it can move into a task
    ///     corolab::spawn(async move { drop(permit) }).await.unwrap();
    ///     assert_eq!(limit.available_permits(), 1);
    /// });
    /// ```
    pub async fn acquire_owned(self: Rc<Self>) -> OwnedPermit {
        Acquire {
            semaphore: &self,
            ticket: None,
        }
        .await;
        OwnedPermit { semaphore: self }
    }

    /// Takes a permit if one is free and nobody is queued.
    ///
    /// # Examples
    ///
    /// ```
    /// let limit = corolab::sync::Semaphore::new(1);
    /// let permit = limit.try_acquire().expect("free");
    /// assert!(limit.try_acquire().is_none());
    /// drop(permit);
    /// assert!(limit.try_acquire().is_some());
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// let limit = corolab::sync::Semaphore::new(0);
    /// limit.add_permits(2);
    /// assert_eq!(limit.available_permits(), 2);
    /// ```
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
///
/// # Examples
///
/// ```
/// let limit = corolab::sync::Semaphore::new(1);
/// {
///     let _permit = limit.try_acquire().unwrap(); // borrows `limit`
///     assert_eq!(limit.available_permits(), 0);
/// } // `_permit` dropped here: the permit is back
/// assert_eq!(limit.available_permits(), 1);
/// ```
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
///
/// # Examples
///
/// ```
/// use corolab::sync::Semaphore;
/// use std::rc::Rc;
/// let limit = Rc::new(Semaphore::new(1));
/// let permit = corolab::block_on(limit.clone().acquire_owned());
/// let weak = Rc::downgrade(&limit);
/// drop(limit); // the permit's own `Rc` keeps the semaphore alive
/// assert_eq!(weak.upgrade().map(|s| s.available_permits()), Some(0));
/// drop(permit); // the last `Rc` goes with it
/// assert!(weak.upgrade().is_none());
/// ```
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
