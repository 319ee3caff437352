//! A FIFO queue of waiting tasks, identified by tickets.

use std::collections::VecDeque;
use std::task::Waker;

#[derive(Default)]
pub(crate) struct WaitQueue {
    next_ticket: u64,
    waiters: VecDeque<(u64, Waker)>,
}

impl WaitQueue {
    /// Joins the back of the queue.
    pub(crate) fn push(&mut self, waker: &Waker) -> u64 {
        self.next_ticket += 1;
        self.waiters.push_back((self.next_ticket, waker.clone()));
        self.next_ticket
    }

    /// Remembers the newest waker of `ticket` (the future may have moved to another task).
    pub(crate) fn update(&mut self, ticket: u64, waker: &Waker) {
        if let Some((_, w)) = self.waiters.iter_mut().find(|(t, _)| *t == ticket)
            && !w.will_wake(waker)
        {
            *w = waker.clone();
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.waiters.is_empty()
    }

    pub(crate) fn is_first(&self, ticket: u64) -> bool {
        self.waiters.front().is_some_and(|(t, _)| *t == ticket)
    }

    /// The front waiter got served: remove it.
    pub(crate) fn pop_first(&mut self) {
        self.waiters.pop_front();
    }

    /// Leaves the queue (a cancelled waiter). Returns true if it was at the front.
    pub(crate) fn remove(&mut self, ticket: u64) -> bool {
        match self.waiters.iter().position(|(t, _)| *t == ticket) {
            Some(i) => {
                self.waiters.remove(i);
                i == 0
            }
            None => false,
        }
    }

    /// Wakes the front waiter (it stays queued until it takes its turn).
    pub(crate) fn wake_first(&self) {
        if let Some((_, waker)) = self.waiters.front() {
            waker.wake_by_ref();
        }
    }

    /// Wakes everyone (used when the resource closes).
    pub(crate) fn wake_all(&mut self) {
        for (_, waker) in self.waiters.drain(..) {
            waker.wake();
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.waiters.len()
    }
}
