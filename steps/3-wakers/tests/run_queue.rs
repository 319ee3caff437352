//! The run queue and the waker: dedup, wakes during a poll, FIFO order, no CPU while waiting.

use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc;
use std::task::{Poll, Waker};
use std::time::Duration;
use step3_wakers::{Event, Executor, os_thread, poll_wait, run, trace};

/// Runs `f` on a thread of its own and fails the test if it takes more than 5 s (a lost wake
/// would otherwise hang the test forever).
fn bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(f()));
    match rx.recv_timeout(Duration::from_secs(5)) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("the executor hung for 5 s: a wake was lost")
        }
        // Not a hang: the code under test panicked (a `todo!` still there?); its message is above.
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            panic!("the code under test panicked: see its message above")
        }
    }
}

#[derive(Default)]
struct Shared {
    b_waker: Option<Waker>,
    c_waker: Option<Waker>,
    b_polls: u32,
    b_polls_seen_by_c: Option<u32>,
    finish: bool,
}

// Why: the scheduled bit: five wakes before B's next poll must give B one poll, not five.
#[test]
fn five_wakes_before_a_poll_give_one_poll() {
    let seen = bounded(|| {
        let s = Rc::new(RefCell::new(Shared::default()));
        let mut executor = Executor::default();
        let b = s.clone();
        executor.spawn(poll_fn(move |cx| {
            let mut s = b.borrow_mut();
            s.b_polls += 1;
            if s.finish {
                return Poll::Ready(());
            }
            s.b_waker = Some(cx.waker().clone());
            if let Some(c) = s.c_waker.take() {
                c.wake(); // B's second poll lets C look at B's poll count
            }
            Poll::Pending
        }));
        let a = s.clone();
        executor.spawn(poll_fn(move |_| {
            let b_waker = a.borrow().b_waker.clone().expect("B ran first");
            for _ in 0..5 {
                b_waker.wake_by_ref();
            }
            Poll::Ready(())
        }));
        let c = s.clone();
        executor.spawn(poll_fn(move |cx| {
            let mut s = c.borrow_mut();
            if s.b_polls_seen_by_c.is_none() && s.b_polls < 2 {
                s.c_waker = Some(cx.waker().clone());
                return Poll::Pending;
            }
            s.b_polls_seen_by_c = Some(s.b_polls);
            s.finish = true;
            s.b_waker.take().expect("B waits").wake();
            Poll::Ready(())
        }));
        run(&mut executor);
        s.borrow().b_polls_seen_by_c
    });
    assert_eq!(seen, Some(2), "B was polled once per wake instead of once per batch of wakes");
}

// Why: the scheduled bit is cleared before the poll, so a task that wakes itself while being
// polled (yield) is polled again; clearing it after the poll would drop that wake and hang.
#[test]
fn a_wake_during_its_own_poll_is_kept() {
    let polls = bounded(|| {
        let mut executor = Executor::default();
        let mut polls = 0;
        executor.spawn(poll_fn(move |cx| {
            polls += 1;
            if polls == 3 {
                return Poll::Ready(());
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        }));
        run(&mut executor);
        executor.polls
    });
    assert_eq!(polls, 3);
}

// Why: the run queue is FIFO: tasks run in the order they were woken, not spawned.
#[test]
fn tasks_run_in_the_order_they_were_woken() {
    let order = bounded(|| {
        let events: Vec<Arc<Event>> = (0..3).map(|_| Arc::new(Event::default())).collect();
        let order = Rc::new(RefCell::new(Vec::new()));
        let mut executor = Executor::default();
        for (i, event) in events.iter().cloned().enumerate() {
            let order = order.clone();
            executor.spawn(async move {
                poll_fn(|cx| poll_wait(&event, cx, || {})).await;
                order.borrow_mut().push(i + 1);
            });
        }
        let script = [2, 0, 1].iter().map(|&i| (Duration::from_millis(20), events[i].clone()));
        let os = os_thread(script.collect());
        run(&mut executor);
        os.join().unwrap();
        Rc::try_unwrap(order).unwrap().into_inner()
    });
    assert_eq!(order, [3, 1, 2]);
}

// Why: the point of wakers: while every task waits, the executor sleeps instead of spinning.
#[test]
fn waiting_tasks_burn_no_cpu() {
    let (wall, cpu) = bounded(|| {
        let event = Arc::new(Event::default());
        let mut executor = Executor::default();
        let waiting = event.clone();
        executor.spawn(async move { poll_fn(|cx| poll_wait(&waiting, cx, || {})).await });
        let os = os_thread(vec![(Duration::from_millis(200), event)]);
        let (started, cpu) = (std::time::Instant::now(), trace::cpu_time());
        run(&mut executor);
        os.join().unwrap();
        (started.elapsed(), trace::cpu_time() - cpu)
    });
    assert!(wall >= Duration::from_millis(200));
    assert!(cpu < Duration::from_millis(50), "{cpu:?} of CPU while waiting 200 ms");
}

// Why: a turn polls only what was queued when it began, so a task that wakes itself cannot
// keep the loop from reaching the reactor (steps 4 to 6): it runs once per turn.
#[test]
fn a_task_that_wakes_itself_runs_once_per_turn() {
    let turns = bounded(|| {
        let mut executor = Executor::default();
        executor.spawn(poll_fn(|cx| {
            cx.waker().wake_by_ref(); // yield, forever
            Poll::<()>::Pending
        }));
        executor.spawn(async {});
        [executor.run_ready_tasks(), executor.run_ready_tasks(), executor.run_ready_tasks()]
    });
    assert_eq!(turns, [2, 1, 1]);
}

// Why: the cap: however long the queue, one turn polls at most MAX_POLLS_PER_TURN tasks.
#[test]
fn one_turn_polls_at_most_the_cap() {
    let turns = bounded(|| {
        let mut executor = Executor::default();
        for _ in 0..100 {
            executor.spawn(async {});
        }
        [executor.run_ready_tasks(), executor.run_ready_tasks(), executor.run_ready_tasks()]
    });
    assert_eq!(
        turns,
        [step3_wakers::MAX_POLLS_PER_TURN, 100 - step3_wakers::MAX_POLLS_PER_TURN, 0]
    );
}
