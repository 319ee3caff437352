//! The lost wakeup, shown and fixed, deterministically: the `set()` from "another thread" is
//! run exactly in the window between the future's check and its storing of the waker.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Wake, Waker};
use step3_wakers::{Event, poll_wait};

/// A waker that counts its wakes.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// The bug: check, then store the waker. A `set()` in between finds no waker to call.
fn poll_wait_buggy(event: &Event, cx: &mut Context<'_>, window: impl FnOnce()) -> Poll<()> {
    if event.done.load(SeqCst) {
        return Poll::Ready(());
    }
    window();
    *event.waker.lock().unwrap() = Some(cx.waker().clone());
    Poll::Pending // if set() ran in the window, nobody will ever wake this task
}

// Why: this is the bug the step is about; the variant that stores its waker after the final
// check returns Pending for an event that is already set, and no wake ever comes.
#[test]
fn storing_the_waker_after_the_final_check_loses_the_wakeup() {
    let event = Event::default();
    let counter = Arc::new(CountingWaker::default());
    let waker = Waker::from(counter.clone());
    let outcome = poll_wait_buggy(&event, &mut Context::from_waker(&waker), || event.set());
    assert!(outcome.is_pending());
    assert!(event.done.load(SeqCst), "the event is set...");
    assert_eq!(counter.0.load(SeqCst), 0, "...and nobody woke the task: it would wait forever");
}

// Why: the fix: with the same interleaving, storing the waker and checking again sees the set.
#[test]
fn storing_the_waker_then_rechecking_sees_a_set_in_the_window() {
    let event = Event::default();
    let counter = Arc::new(CountingWaker::default());
    let waker = Waker::from(counter.clone());
    let outcome = poll_wait(&event, &mut Context::from_waker(&waker), || event.set());
    assert_eq!(outcome, Poll::Ready(()));
}

// Why: a set() after the poll must call the stored waker, exactly once.
#[test]
fn a_set_after_pending_calls_the_stored_waker_once() {
    let event = Event::default();
    let counter = Arc::new(CountingWaker::default());
    let waker = Waker::from(counter.clone());
    assert!(poll_wait(&event, &mut Context::from_waker(&waker), || {}).is_pending());
    event.set();
    event.set();
    assert_eq!(counter.0.load(SeqCst), 1);
    assert_eq!(poll_wait(&event, &mut Context::from_waker(&waker), || {}), Poll::Ready(()));
}
