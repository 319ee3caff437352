//! Step 5: the timer heap (ties, zero duration, cancel) and the epoll_wait timeout.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Wake, Waker};
use std::time::{Duration, Instant};
use step5_timers::{Executor, Reactor, Runtime, Sleep, Timers, io_timeout, run, trace};

/// A waker that writes its name into a shared log when woken.
struct Named(&'static str, Arc<Mutex<Vec<&'static str>>>);

impl Wake for Named {
    fn wake(self: Arc<Self>) {
        self.1.lock().unwrap().push(self.0);
    }
}

fn named(name: &'static str, log: &Arc<Mutex<Vec<&'static str>>>) -> Waker {
    Waker::from(Arc::new(Named(name, log.clone())))
}

// Why: timers with the same deadline fire in the order they were set (ties go by sequence),
// and an earlier deadline set later still fires first.
#[test]
fn equal_deadlines_fire_in_the_order_they_were_set() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut timers = Timers::default();
    let t = Instant::now();
    timers.insert(t + Duration::from_millis(10), named("late", &log));
    for name in ["first", "second", "third"] {
        timers.insert(t, named(name, &log));
    }
    assert_eq!(timers.fire_timers(t + Duration::from_millis(20)), 4);
    assert_eq!(*log.lock().unwrap(), ["first", "second", "third", "late"]);
}

// Why: a zero duration is due at once: it fires in this turn and costs no wait at all.
#[test]
fn a_zero_duration_timer_is_due_at_once_and_needs_no_wait() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut timers = Timers::default();
    let now = Instant::now();
    timers.insert(now, named("zero", &log));
    assert_eq!(io_timeout(now, timers.next_deadline(), false), Some(Duration::ZERO));
    assert_eq!(timers.fire_timers(now), 1);
    assert_eq!(*log.lock().unwrap(), ["zero"]);
}

// Why: a cancelled timer never fires, and no longer sets the epoll_wait timeout.
#[test]
fn a_cancelled_timer_never_fires() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut timers = Timers::default();
    let id = timers.insert(Instant::now(), named("cancelled", &log));
    timers.cancel(id);
    assert_eq!(timers.next_deadline(), None);
    assert_eq!(timers.fire_timers(Instant::now() + Duration::from_secs(1)), 0);
    assert!(log.lock().unwrap().is_empty());
}

// Why: epoll_wait counts whole milliseconds. Rounding down would wake before the deadline
// and spin on zero-length waits; rounding up never wakes early.
#[test]
fn epoll_timeout_is_rounded_up_to_whole_milliseconds() {
    let now = Instant::now();
    let at = |us: u64| Some(now + Duration::from_micros(us));
    assert_eq!(io_timeout(now, at(1_200), false), Some(Duration::from_millis(2)));
    assert_eq!(io_timeout(now, at(300), false), Some(Duration::from_millis(1)), "not 0: no spin");
    assert_eq!(io_timeout(now, at(5_000), false), Some(Duration::from_millis(5)));
    assert_eq!(
        io_timeout(now + Duration::from_secs(1), at(0), false),
        Some(Duration::ZERO),
        "past"
    );
    assert_eq!(io_timeout(now, None, false), None, "no timer: sleep until I/O");
    assert_eq!(io_timeout(now, at(5_000), true), Some(Duration::ZERO), "a task is ready: no sleep");
}

// Why: dropping a Sleep (cancellation by drop) removes its timer.
#[test]
fn dropping_a_sleep_cancels_its_timer() {
    let timers = Rc::new(RefCell::new(Timers::default()));
    let mut sleep = Box::pin(Sleep::until(&timers, Instant::now() + Duration::from_secs(60)));
    assert!(sleep.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending());
    assert!(timers.borrow_mut().next_deadline().is_some());
    drop(sleep);
    assert_eq!(timers.borrow_mut().next_deadline(), None);
}

// Why: a sleeping runtime sleeps in epoll_wait: it wakes after the deadline, never before,
// and uses almost no CPU meanwhile.
#[test]
fn a_sleep_ends_after_its_deadline_without_spinning() {
    let timers = Rc::new(RefCell::new(Timers::default()));
    let mut rt =
        Runtime { executor: Executor::default(), reactor: Reactor::new().unwrap(), timers };
    let (started, cpu) = (Instant::now(), trace::cpu_time());
    let deadline = started + Duration::from_millis(100);
    let t = rt.timers.clone();
    rt.executor.spawn(async move { Sleep::until(&t, deadline).await });
    run(&mut rt).unwrap();
    assert!(Instant::now() >= deadline);
    assert!(trace::cpu_time() - cpu < Duration::from_millis(30), "spinning?");
}
