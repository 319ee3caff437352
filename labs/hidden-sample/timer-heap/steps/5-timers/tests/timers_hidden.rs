//! A hidden test of the `timer-heap` lab (see labs/hidden-sample/README.md). It sits under
//! `steps/5-timers/`, so it becomes `--test timers_hidden` of the step5-timers package.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Wake, Waker};
use std::time::{Duration, Instant};
use step5_timers::Timers;

#[derive(Default)]
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

// Why: a timer that is not due yet must stay in the heap untouched; a solution that pops
// the top to look at it (and forgets to put it back) loses it.
#[test]
fn a_timer_not_yet_due_survives_an_early_turn_and_fires_later() {
    let count = Arc::new(Count::default());
    let mut timers = Timers::default();
    let t = Instant::now();
    timers.insert(t + Duration::from_millis(10), Waker::from(count.clone()));
    assert_eq!(timers.fire_timers(t), 0, "not due yet");
    assert_eq!(
        timers.fire_timers(t + Duration::from_millis(5)),
        0,
        "still not due"
    );
    assert_eq!(
        timers.fire_timers(t + Duration::from_millis(10)),
        1,
        "due exactly at its deadline"
    );
    assert_eq!(count.0.load(SeqCst), 1);
    assert_eq!(
        timers.fire_timers(t + Duration::from_secs(1)),
        0,
        "and fired only once"
    );
}
