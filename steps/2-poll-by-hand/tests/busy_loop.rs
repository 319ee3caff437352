//! Step 2: hand-written futures work, and a no-op waker forces a busy loop that burns CPU.

use std::time::{Duration, Instant};
use step2_poll_by_hand::{Countdown, Delay, block_on_busy, join2, measure};

// Why: a hand-written join polls both halves until both are done, and returns both outputs.
#[test]
fn hand_written_join_finishes_when_both_halves_do() {
    let ((a, b), polls) = block_on_busy(join2(Countdown { left: 2 }, Countdown { left: 4 }));
    assert_eq!((a, b), ((), ()));
    assert_eq!(polls, 5, "the longer half needs 4 Pending answers, then Ready");
}

// Why: a Delay is ready only once its deadline has passed, however often it is polled.
#[test]
fn delay_is_never_ready_early() {
    let started = Instant::now();
    let (_, polls) = block_on_busy(Delay { deadline: started + Duration::from_millis(30) });
    assert!(started.elapsed() >= Duration::from_millis(30));
    assert!(polls > 1);
}

// Why: the step's point: with a no-op waker, waiting costs CPU the whole time, while a
// sleeping thread costs almost none. (Loose bounds: the machine may be shared.)
#[test]
fn busy_polling_burns_cpu_while_a_sleeping_thread_does_not() {
    let deadline = Instant::now() + Duration::from_millis(150);
    let ((_, polls), _, busy_cpu) = measure(|| block_on_busy(Delay { deadline }));
    let (_, _, sleep_cpu) = measure(|| std::thread::sleep(Duration::from_millis(150)));
    assert!(polls > 1000, "only {polls} polls");
    assert!(busy_cpu > Duration::from_millis(5), "busy loop used only {busy_cpu:?} of CPU");
    assert!(sleep_cpu < busy_cpu / 4, "sleep {sleep_cpu:?} vs busy {busy_cpu:?}");
}
