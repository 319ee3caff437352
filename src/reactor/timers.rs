//! Timers: a binary heap of deadlines, ordered by (deadline, sequence number).
//!
//! The heap only says *when* to look; the slab of [`TimerEntry`]s says what is still wanted.
//! Cancelling (dropping a `Sleep`) removes the slab entry and leaves its heap entry behind as
//! garbage; the garbage is skipped when it reaches the top, and the heap is rebuilt if it grows
//! much larger than the number of live timers.

use super::Reactor;
use crate::slab::{Key, Slab};
use crate::trace::{self, Event};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// Identifies one registered timer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TimerKey(pub(crate) Key);

impl TimerKey {
    /// The timer's id in traces: its packed slab key (generation high, slot low).
    pub fn id(self) -> u64 {
        self.0.to_u64()
    }
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct HeapEntry {
    deadline: Instant,
    seq: u64,
    key: u64,
}

pub(crate) struct TimerEntry {
    pub(crate) deadline: Instant,
    pub(crate) seq: u64,
    pub(crate) waker: Option<Waker>,
    pub(crate) fired: bool,
}

#[derive(Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<HeapEntry>>,
    pub(crate) entries: Slab<TimerEntry>,
    next_seq: u64,
}

impl Timers {
    pub(crate) fn insert(&mut self, deadline: Instant, waker: Option<Waker>) -> TimerKey {
        let seq = self.take_seq();
        let key = self.entries.insert(TimerEntry {
            deadline,
            seq,
            waker,
            fired: false,
        });
        self.push(deadline, seq, key);
        TimerKey(key)
    }

    fn take_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    fn push(&mut self, deadline: Instant, seq: u64, key: Key) {
        self.heap.push(Reverse(HeapEntry {
            deadline,
            seq,
            key: key.to_u64(),
        }));
    }

    pub(crate) fn reset(&mut self, key: TimerKey, deadline: Instant) {
        let seq = self.take_seq();
        if let Some(entry) = self.entries.get_mut(key.0) {
            entry.deadline = deadline;
            entry.seq = seq;
            entry.fired = false;
            self.push(deadline, seq, key.0);
        }
        self.compact_if_mostly_garbage();
    }

    /// Every reset or cancel leaves a stale heap entry behind; rebuild the heap when stale
    /// entries outnumber live timers 4 to 1, so an idle timer reset on every request cannot
    /// grow the heap without bound.
    fn compact_if_mostly_garbage(&mut self) {
        if self.heap.len() > 1024 && self.heap.len() > 4 * self.entries.len() {
            self.rebuild_heap();
        }
    }

    pub(crate) fn remove(&mut self, key: TimerKey) -> Option<TimerEntry> {
        let entry = self.entries.remove(key.0);
        self.compact_if_mostly_garbage();
        entry
    }

    fn rebuild_heap(&mut self) {
        let live: Vec<_> = self
            .entries
            .iter()
            .filter(|(_, e)| !e.fired)
            .map(|(k, e)| (e.deadline, e.seq, k))
            .collect();
        self.heap.clear();
        for (deadline, seq, key) in live {
            self.push(deadline, seq, key);
        }
    }

    /// Is this heap entry still the current registration of a live, unfired timer?
    fn is_live(&self, top: &HeapEntry) -> bool {
        self.entries
            .get(Key::from_u64(top.key))
            .is_some_and(|e| e.seq == top.seq && !e.fired)
    }

    /// The earliest live deadline (garbage on top of the heap is thrown away).
    pub(crate) fn next_deadline(&mut self) -> Option<Instant> {
        while let Some(Reverse(top)) = self.heap.peek() {
            if self.is_live(top) {
                return Some(top.deadline);
            }
            self.heap.pop();
        }
        None
    }

    /// Marks up to `limit` timers due at `now` as fired (deadline equal to now counts) and
    /// appends `(timer id (packed key), deadline, waker)` for each, in (deadline, sequence) order.
    pub(crate) fn take_expired(
        &mut self,
        now: Instant,
        limit: usize,
        out: &mut Vec<(u64, Instant, Option<Waker>)>,
    ) {
        while out.len() < limit
            && let Some(Reverse(top)) = self.heap.peek()
        {
            if top.deadline > now {
                break;
            }
            let Some(Reverse(top)) = self.heap.pop() else {
                break;
            };
            if !self.is_live(&top) {
                continue;
            }
            if let Some(entry) = self.entries.get_mut(Key::from_u64(top.key)) {
                entry.fired = true;
                out.push((top.key, top.deadline, entry.waker.take()));
            }
        }
    }
}

/// The reactor's timer calls, used by `time::Sleep` and the run loop (`fire_timers`, a
/// run-loop phase, is in `mod.rs`).
impl Reactor {
    /// Registers a timer for `deadline`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::{task::Waker, time::{Duration, Instant}};
    /// # corolab::block_on(async {
    /// let reactor = corolab::reactor::Reactor::current().unwrap();
    /// let in_a_minute = Instant::now() + Duration::from_secs(60);
    /// let key = reactor.add_timer(in_a_minute, Waker::noop()); // the waker to call then
    /// assert_eq!(reactor.pending_timer_count(), 1);
    /// # reactor.remove_timer(key);
    /// # });
    /// ```
    pub fn add_timer(&self, deadline: Instant, waker: &Waker) -> TimerKey {
        let key = self.timers.borrow_mut().insert(deadline, Some(waker.clone()));
        trace::emit_for(self.id, || Event::TimerAdded {
            timer: key.id(),
            deadline_us: trace::instant_us(deadline),
        });
        park_on_timer(key, deadline);
        key
    }

    /// Has the timer fired? If not, remember the newest waker.
    pub(crate) fn poll_timer(&self, key: TimerKey, cx: &mut Context<'_>) -> Poll<()> {
        let mut timers = self.timers.borrow_mut();
        match timers.entries.get_mut(key.0) {
            None => Poll::Ready(()),
            Some(entry) if entry.fired => Poll::Ready(()),
            Some(entry) => {
                match &mut entry.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    other => *other = Some(cx.waker().clone()),
                }
                park_on_timer(key, entry.deadline);
                Poll::Pending
            }
        }
    }

    /// Moves a timer to a new deadline (it becomes un-fired).
    pub(crate) fn reset_timer(&self, key: TimerKey, deadline: Instant) {
        self.timers.borrow_mut().reset(key, deadline);
        trace::emit_for(self.id, || Event::TimerReset {
            timer: key.id(),
            deadline_us: trace::instant_us(deadline),
        });
    }

    /// Cancels a timer.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::{task::Waker, time::Instant};
    /// # corolab::block_on(async {
    /// # let reactor = corolab::reactor::Reactor::current().unwrap();
    /// let key = reactor.add_timer(Instant::now(), Waker::noop());
    /// reactor.remove_timer(key);
    /// assert_eq!(reactor.fire_timers(Instant::now()), 0, "a cancelled timer never fires");
    /// # });
    /// ```
    pub fn remove_timer(&self, key: TimerKey) {
        let entry = self.timers.borrow_mut().remove(key);
        if entry.is_some() {
            trace::emit_for(self.id, || Event::TimerCancelled { timer: key.id() });
        }
        drop(entry); // its waker is dropped with no borrow held
    }

    /// Timers registered and not yet fired or cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::Duration;
    /// # corolab::block_on(async {
    /// let reactor = corolab::reactor::Reactor::current().unwrap();
    /// let _sleeper = corolab::spawn(corolab::time::sleep(Duration::from_secs(60)));
    /// corolab::yield_now().await; // the sleeper's first poll registers its timer
    /// assert_eq!(reactor.pending_timer_count(), 1);
    /// # });
    /// ```
    pub fn pending_timer_count(&self) -> usize {
        self.timers
            .borrow()
            .entries
            .iter()
            .filter(|(_, e)| !e.fired)
            .count()
    }

    /// The earliest pending timer deadline.
    // `#[inline]` here and on `Executor::schedule_if_current` (called on every loop turn and
    // every wake): without it, whether they are inlined depends on which codegen unit rustc
    // puts them in, and moving unrelated code between files moved ping_pong by 3-4%.
    #[inline]
    pub(crate) fn next_timer_deadline(&self) -> Option<Instant> {
        self.timers.borrow_mut().next_deadline()
    }
}

/// The task being polled now waits for timer `key` (a park reason for the trace).
fn park_on_timer(key: TimerKey, deadline: Instant) {
    trace::park(|| trace::Wait::Timer {
        timer: key.id(),
        deadline_us: trace::instant_us(deadline),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    // Why: an idle timeout reset on every request is the common pattern; each reset leaves a
    // stale heap entry, and they must not pile up while a long-lived timer sits on top.
    #[test]
    fn resetting_a_timer_many_times_keeps_the_heap_small() {
        let mut timers = Timers::default();
        let now = Instant::now();
        let _heartbeat = timers.insert(now + Duration::from_secs(60), None);
        let idle = timers.insert(now + Duration::from_secs(3600), None);
        for i in 0..100_000u64 {
            timers.reset(idle, now + Duration::from_secs(3600 + i));
        }
        assert!(
            timers.heap.len() <= 2048,
            "heap has {} entries for 2 timers",
            timers.heap.len()
        );
        assert_eq!(timers.next_deadline(), Some(now + Duration::from_secs(60)));
    }
}
