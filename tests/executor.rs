//! Executor pitfalls: wakes, re-entrancy, panics, abort, teardown.

mod common;

use common::with_deadline;
use corolab::future::poll_fn;
use corolab::{JoinError, Runtime, block_on, spawn, spawn_blocking, spawn_named, yield_now};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::{Arc, Barrier, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

/// A future that returns Pending `n` times (storing its waker), counting its polls.
fn pending_then_ready(
    polls: Rc<Cell<u32>>,
    waker_out: Rc<RefCell<Option<Waker>>>,
) -> impl Future<Output = ()> {
    poll_fn(move |cx| {
        polls.set(polls.get() + 1);
        if polls.get() == 1 {
            *waker_out.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
}

// Why: a wake from another thread that lands just as the runtime decides to sleep in epoll_wait
// must not be lost, or the program hangs forever. 200 rounds make the race window likely.
#[test]
fn lost_wakeup_from_other_thread_just_before_park_is_not_lost() {
    with_deadline(LIMIT, || {
        for _ in 0..200 {
            let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
            let barrier = Arc::new(Barrier::new(2));
            let (s2, b2) = (slot.clone(), barrier.clone());
            let waker_thread = std::thread::spawn(move || {
                b2.wait(); // the waker is stored: wake it as fast as possible
                let waker = s2.lock().unwrap().take().unwrap();
                waker.wake();
            });
            let mut first = true;
            block_on(poll_fn(|cx| {
                if first {
                    first = false;
                    *slot.lock().unwrap() = Some(cx.waker().clone());
                    barrier.wait();
                    Poll::Pending
                } else {
                    Poll::Ready(())
                }
            }));
            waker_thread.join().unwrap();
        }
    });
}

// Why: with no timers the runtime blocks in epoll_wait with no timeout; only the eventfd poke
// can get it out. A task woken by a plain std::thread must still run.
#[test]
fn cross_thread_wake_while_blocked_with_no_timers() {
    with_deadline(LIMIT, || {
        block_on(async {
            let handle = spawn(async {
                let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
                let s2 = slot.clone();
                let mut started = false;
                poll_fn(move |cx| {
                    if started {
                        return Poll::Ready(42);
                    }
                    started = true;
                    *slot.lock().unwrap() = Some(cx.waker().clone());
                    let s3 = slot.clone();
                    std::thread::spawn(move || {
                        std::thread::sleep(Duration::from_millis(50));
                        s3.lock().unwrap().take().unwrap().wake();
                    });
                    Poll::Pending
                })
                .await;
                drop(s2);
                42
            });
            assert_eq!(handle.await, Ok(42));
        });
    });
}

// Why: a task woken many times before it runs must be polled once, not once per wake
// (otherwise a chatty producer multiplies the consumer's work).
#[test]
fn duplicate_wakes_give_one_poll() {
    block_on(async {
        let polls = Rc::new(Cell::new(0));
        let waker = Rc::new(RefCell::new(None));
        let target = spawn(pending_then_ready(polls.clone(), waker.clone()));
        yield_now().await; // target runs once and parks
        assert_eq!(polls.get(), 1);
        let w = waker.borrow_mut().take().unwrap();
        for _ in 0..10 {
            w.wake_by_ref();
        }
        target.await.unwrap();
        assert_eq!(polls.get(), 2, "ten wakes, one poll");
    });
}

// Why: wakers outlive tasks. Waking a finished task, or waking a pending one for no reason,
// must do nothing harmful: no panic, no poll of whatever task reuses the slot.
#[test]
fn spurious_wake_and_wake_after_finish_are_harmless() {
    let rt = Runtime::new();
    rt.block_on(async {
        let kept: Rc<RefCell<Option<Waker>>> = Rc::default();
        let k2 = kept.clone();
        spawn(poll_fn(move |cx| {
            *k2.borrow_mut() = Some(cx.waker().clone());
            Poll::Ready(())
        }))
        .await
        .unwrap();
        let stale = kept.borrow_mut().take().unwrap();
        // A new task that would be polled spuriously if the stale waker reached it.
        let polls = Rc::new(Cell::new(0));
        let parked = Rc::new(RefCell::new(None));
        let other = spawn(pending_then_ready(polls.clone(), parked.clone()));
        yield_now().await;
        assert_eq!(polls.get(), 1);
        for _ in 0..5 {
            stale.wake_by_ref();
            yield_now().await;
        }
        assert_eq!(polls.get(), 1, "a stale waker must not poll another task");
        // A spurious wake of a pending task just polls it once more.
        parked.borrow().as_ref().unwrap().wake_by_ref();
        other.await.unwrap();
        assert_eq!(polls.get(), 2);
    });
}

// Why: code running inside poll (and inside Drop) may call back into the runtime; a RefCell
// held across the poll would turn that into a "already borrowed" panic.
#[test]
fn reentrancy_spawn_wake_self_and_drop_handles_inside_poll_and_drop() {
    struct SpawnsOnDrop(Rc<Cell<bool>>);
    impl Drop for SpawnsOnDrop {
        fn drop(&mut self) {
            let flag = self.0.clone();
            let handle = spawn(async move { flag.set(true) });
            drop(handle); // detach from inside Drop
            drop(spawn(async {})); // and a second one, dropped at once
        }
    }
    block_on(async {
        let ran_from_drop = Rc::new(Cell::new(false));
        let guard = SpawnsOnDrop(ran_from_drop.clone());
        let inner_ran = Rc::new(Cell::new(false));
        let ir = inner_ran.clone();
        let outer = spawn(async move {
            let _guard = guard; // dropped when this task finishes
            // spawn from inside poll, wake ourselves, drop a handle, all while being polled
            let handle = spawn(async move { ir.set(true) });
            let mut woke = false;
            poll_fn(|cx| {
                if woke {
                    Poll::Ready(())
                } else {
                    woke = true;
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            })
            .await;
            drop(handle);
            let me_too = spawn(async { 7 });
            me_too.await.unwrap()
        });
        assert_eq!(outer.await, Ok(7));
        for _ in 0..3 {
            yield_now().await;
        }
        assert!(inner_ran.get());
        assert!(ran_from_drop.get(), "task spawned from Drop ran");
    });
}

// Why: one buggy task must not take the program down; its handle reports the panic.
#[test]
fn panicking_task_is_reported_and_runtime_keeps_running() {
    block_on(async {
        let bad = spawn_named("bad", async {
            panic!("boom");
        });
        let good = spawn(async {
            yield_now().await;
            5
        });
        assert_eq!(bad.await, Err(JoinError::Panic("boom".into())));
        assert_eq!(good.await, Ok(5));
        assert_eq!(spawn(async { 1 }).await, Ok(1));
    });
}

// Why: abort must stop a task at its next poll and say so through the handle.
#[test]
fn abort_cancels_a_pending_task_and_is_finished_reports_it() {
    block_on(async {
        let handle = spawn(corolab::time::sleep(Duration::from_secs(60)));
        yield_now().await;
        assert!(!handle.is_finished());
        handle.abort();
        yield_now().await;
        assert!(handle.is_finished());
        assert_eq!(handle.await, Err(JoinError::Cancelled));
    });
}

// Why: asyncio users know add_done_callback; on_done must see the result, and the handle must
// still be awaitable afterwards.
#[test]
fn on_done_callback_sees_the_result_and_handle_still_works() {
    block_on(async {
        let seen = Rc::new(Cell::new(0));
        let s2 = seen.clone();
        let handle = spawn(async { 21 });
        handle.on_done(move |r| s2.set(*r.unwrap() * 2));
        assert_eq!(handle.await, Ok(21));
        assert_eq!(seen.get(), 42);
    });
}

// Why: block_on returning with tasks still pending must drop them cleanly, and wakers used
// afterwards (even from other threads) must not panic or touch freed state.
#[test]
fn teardown_with_pending_tasks_and_late_wakes_does_not_panic() {
    with_deadline(LIMIT, || {
        let kept: Arc<Mutex<Vec<Waker>>> = Arc::default();
        let rt = Runtime::new();
        let k = kept.clone();
        rt.block_on(async move {
            for _ in 0..10 {
                let k = k.clone();
                drop(spawn(poll_fn(move |cx| {
                    k.lock().unwrap().push(cx.waker().clone());
                    Poll::<()>::Pending
                })));
            }
            drop(spawn(corolab::time::sleep(Duration::from_secs(60))));
            yield_now().await;
        });
        let late = kept.lock().unwrap().clone();
        assert_eq!(late.len(), 10);
        let from_thread = late.clone();
        std::thread::spawn(move || from_thread.iter().for_each(Waker::wake_by_ref))
            .join()
            .unwrap();
        late.iter().for_each(Waker::wake_by_ref);
        drop(rt);
        late.iter().for_each(Waker::wake_by_ref);
        // The same runtime type can be used again afterwards.
        assert_eq!(block_on(async { spawn(async { 3 }).await }), Ok(3));
    });
}

// Why: the seeds' run_in_executor: a blocking call on a helper thread must not freeze tasks,
// and its panic must be reported like a task's.
#[test]
fn spawn_blocking_runs_off_thread_and_reports_panics() {
    with_deadline(LIMIT, || {
        block_on(async {
            let ticks = Rc::new(Cell::new(0));
            let t2 = ticks.clone();
            let ticker = spawn(async move {
                for _ in 0..5 {
                    corolab::time::sleep(Duration::from_millis(10)).await;
                    t2.set(t2.get() + 1);
                }
            });
            let slow = spawn_blocking(|| {
                std::thread::sleep(Duration::from_millis(150));
                "done"
            });
            ticker.await.unwrap();
            assert_eq!(ticks.get(), 5);
            assert!(
                !slow.is_finished(),
                "the ticker finished (50 ms) while the 150 ms blocking call was still running"
            );
            assert_eq!(slow.await, Ok("done"));
            let bad = spawn_blocking(|| -> u8 { panic!("blocking boom") });
            assert_eq!(bad.await, Err(JoinError::Panic("blocking boom".into())));
        });
    });
}

// Why: spawn outside block_on is a programming error; the message must say what to do.
#[test]
#[should_panic(expected = "called outside a runtime")]
fn spawn_outside_a_runtime_panics_with_a_clear_message() {
    drop(spawn(async {}));
}

// Why: nested block_on would deadlock the outer loop; it must be refused loudly.
#[test]
#[should_panic(expected = "block_on called inside a running runtime")]
fn nested_block_on_is_refused() {
    block_on(async { block_on(async {}) });
}

// Why: the FIFO promise: tasks spawned in order run in that order.
#[test]
fn run_queue_is_fifo() {
    block_on(async {
        let order = Rc::new(RefCell::new(Vec::new()));
        let handles: Vec<_> = (0..5)
            .map(|i| {
                let order = order.clone();
                spawn(async move { order.borrow_mut().push(i) })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
        assert_eq!(*order.borrow(), vec![0, 1, 2, 3, 4]);
    });
}

// Why: stats are how fetch_pages reports the runtime's work; they must count what happened.
#[test]
fn stats_count_spawns_polls_and_peak_tasks() {
    let rt = Runtime::new();
    rt.block_on(async {
        let hs: Vec<_> = (0..10).map(|_| spawn(yield_now())).collect();
        for h in hs {
            h.await.unwrap();
        }
    });
    let s = rt.stats();
    assert_eq!(s.tasks_spawned, 10);
    assert_eq!(s.peak_live_tasks, 10);
    assert!(s.polls >= 20, "each yielding task is polled twice: {s:?}");
    let dump = format!("{rt:?}");
    assert!(dump.contains("reactor"), "{dump}");
}

// Why: a Runtime is reusable: a second block_on must poll its own future (a flag left over
// from the first call once made the second wait in epoll_wait forever).
#[test]
fn block_on_can_be_called_again_on_the_same_runtime() {
    with_deadline(LIMIT, || {
        let rt = Runtime::new();
        for round in 0..3 {
            let got = rt.block_on(async move {
                yield_now().await;
                spawn(async move { round * 2 }).await.unwrap()
            });
            assert_eq!(got, round * 2);
        }
    });
}

// Why: a destructor that panics while an aborted task is dropped must be reported through the
// handle, not unwind through the run loop and take block_on (and every other task) down.
#[test]
fn aborting_a_task_whose_drop_panics_reports_it_and_keeps_running() {
    struct PanicsOnDrop;
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("drop boom");
        }
    }
    block_on(async {
        let victim = spawn(async {
            let _guard = PanicsOnDrop;
            corolab::time::sleep(Duration::from_secs(60)).await;
        });
        yield_now().await;
        victim.abort();
        match victim.await {
            Err(JoinError::Panic(msg)) => assert!(msg.contains("drop boom"), "{msg}"),
            other => panic!("expected the drop's panic, got {other:?}"),
        }
        assert_eq!(spawn(async { 2 }).await, Ok(2), "the runtime still runs tasks");
    });
}

// Why: on_done promises to run when the task finishes, and being cancelled at shutdown is a
// way of finishing; a panicking callback must not stop the run loop either.
#[test]
fn on_done_runs_with_cancelled_at_shutdown_and_a_panicking_callback_is_contained() {
    let seen: Rc<RefCell<Vec<String>>> = Rc::default();
    let s2 = seen.clone();
    block_on(async move {
        let forever = spawn(corolab::time::sleep(Duration::from_secs(60)));
        let s3 = s2.clone();
        forever.on_done(move |r| s3.borrow_mut().push(format!("{:?}", r.err())));
        let quick = spawn(async { 1 });
        quick.on_done(|_| panic!("callback boom"));
        assert_eq!(quick.await, Ok(1));
        drop(forever); // detached, still pending when block_on returns
    });
    assert_eq!(*seen.borrow(), vec!["Some(Cancelled)".to_string()]);
}

// Why: spawn_blocking outside a runtime is a mistake that must be refused before the closure
// runs, with its own name in the message.
#[test]
fn spawn_blocking_outside_a_runtime_refuses_before_running_the_closure() {
    let ran = Arc::new(Mutex::new(false));
    let r2 = ran.clone();
    let result = std::panic::catch_unwind(move || {
        drop(spawn_blocking(move || *r2.lock().unwrap() = true));
    });
    let message = result.unwrap_err();
    let message = message.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("spawn_blocking called outside a runtime"),
        "{message}"
    );
    std::thread::sleep(Duration::from_millis(50));
    assert!(!*ran.lock().unwrap(), "the closure must not have run");
}

// Why: spawn_blocking must not start a thread per call (a burst of a thousand lookups would
// start a thousand threads), yet calls below the cap must still run side by side.
#[test]
fn spawn_blocking_uses_a_bounded_pool_and_still_runs_calls_in_parallel() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    with_deadline(Duration::from_secs(30), || {
        block_on(async {
            let running = Arc::new(AtomicUsize::new(0));
            let peak = Arc::new(AtomicUsize::new(0));
            let started = std::time::Instant::now();
            let calls: Vec<_> = (0..200)
                .map(|_| {
                    let (running, peak) = (running.clone(), peak.clone());
                    spawn_blocking(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                })
                .collect();
            for call in calls {
                call.await.unwrap();
            }
            let peak = peak.load(Ordering::SeqCst);
            let cap = corolab::executor::blocking_pool::MAX_THREADS;
            assert!(peak <= cap, "{peak} blocking calls ran at once, cap is {cap}");
            assert!(peak >= 8, "calls below the cap must overlap (peak {peak})");
            // 200 x 20 ms one at a time would be 4 s; with the pool it is a few rounds.
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "{:?}",
                started.elapsed()
            );
        });
    });
}

// Why: the `scheduled` bit is what makes N wakes of a queued task cost one poll. The task
// here stays pending, so a second header in the queue would find it runnable and poll it
// again (`duplicate_wakes_give_one_poll` cannot see that: its task finishes at the first
// poll, and the later headers find it finished). Without the dedup this counts 11 polls.
#[test]
fn wakes_of_a_queued_pending_task_are_merged_into_one_poll() {
    block_on(async {
        let polls = Rc::new(Cell::new(0u32));
        let stored: Rc<RefCell<Option<Waker>>> = Rc::default();
        let done = Rc::new(Cell::new(false));
        let target = {
            let (polls, stored, done) = (polls.clone(), stored.clone(), done.clone());
            spawn(poll_fn(move |cx| {
                polls.set(polls.get() + 1);
                if done.get() {
                    return Poll::Ready(());
                }
                *stored.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }))
        };
        yield_now().await; // the target runs once and parks
        assert_eq!(polls.get(), 1);
        let waker = stored.borrow_mut().take().unwrap();
        for _ in 0..10 {
            waker.wake_by_ref();
        }
        yield_now().await;
        yield_now().await;
        assert_eq!(polls.get(), 2, "ten wakes of a queued task, one poll");
        done.set(true);
        stored.borrow_mut().take().unwrap().wake();
        target.await.unwrap();
    });
}

struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("output drop boom")
    }
}

// Why: a detached task's output is dropped by the executor, unread. A panic in that drop was
// the one panic that escaped (issue 16.1) and took block_on down; it must be contained like
// the others, and the main future must finish.
#[test]
#[allow(clippy::async_yields_async)] // the handles are returned on purpose
fn detached_task_whose_output_panics_in_drop_is_contained() {
    with_deadline(LIMIT, || {
        let result = block_on(async {
            drop(spawn(async { PanicOnDrop })); // detached: the output is dropped unread
            yield_now().await;
            yield_now().await;
            "main finished"
        });
        assert_eq!(result, "main finished");
        // Same when the handle is dropped after the task finished, and at runtime teardown.
        let rt = Runtime::new();
        let late = rt.block_on(async {
            let h = spawn(async { PanicOnDrop });
            yield_now().await;
            drop(h);
            let unread = spawn(async { PanicOnDrop });
            yield_now().await;
            unread // finished, never read: dropped with the runtime
        });
        assert!(late.is_finished());
        drop(rt); // the executor goes, and with it the output `late` never took
        drop(late);
    });
}

// Why: `JoinError::Cancelled` means "aborted, or dropped because its runtime shut down
// first". A task that had already finished was not dropped for that reason, so its output
// must survive block_on's return and reach its handle in a later block_on (issue 16.7).
#[test]
#[allow(clippy::async_yields_async)] // the handles are returned on purpose
fn finished_task_output_survives_block_on_return() {
    let rt = Runtime::new();
    let h = rt.block_on(async {
        let h = spawn(async { 5u32 });
        yield_now().await;
        h
    });
    assert!(h.is_finished());
    assert_eq!(rt.block_on(h), Ok(5));
    // A task still alive at the end is dropped, as before.
    let pending = rt.block_on(async { spawn(corolab::time::sleep(Duration::from_secs(60))) });
    assert_eq!(rt.block_on(pending), Err(JoinError::Cancelled));
}

// Why: asyncio runs add_done_callback on a finished task at once; a callback registered
// after `.await` took the result, or from inside another callback of the same task, was
// silently dropped (issue 16.4). Both must run; the first learns the output was taken.
#[test]
fn on_done_registered_after_await_or_from_another_on_done_still_runs() {
    block_on(async {
        let seen: Rc<RefCell<Vec<String>>> = Rc::default();
        let mut handle = spawn(async { 7u32 });
        assert_eq!((&mut handle).await, Ok(7));
        let s = seen.clone();
        handle.on_done(move |r| s.borrow_mut().push(format!("late: {r:?}")));
        assert_eq!(*seen.borrow(), vec!["late: Err(OutputTaken)".to_string()]);

        seen.borrow_mut().clear();
        let handle = Rc::new(spawn(async { 8u32 }));
        let (s, h) = (seen.clone(), handle.clone());
        handle.on_done(move |r| {
            s.borrow_mut().push(format!("outer: {r:?}"));
            let s = s.clone();
            h.on_done(move |r| s.borrow_mut().push(format!("inner: {r:?}")));
        });
        yield_now().await;
        assert!(handle.is_finished());
        assert_eq!(
            *seen.borrow(),
            vec!["outer: Ok(8)".to_string(), "inner: Ok(8)".to_string()]
        );
    });
}

// Why: `Runtime::tick` on a runtime with nothing to do used to sleep in epoll_wait(-1)
// forever (issue 16.9): no task, timer, socket or waker exists that could end that wait.
#[test]
fn tick_on_an_idle_runtime_returns_at_once() {
    with_deadline(LIMIT, || {
        let rt = Runtime::new();
        rt.tick();
        rt.block_on(async { spawn(async {}).await.unwrap() });
        rt.tick(); // after a block_on, too
        assert_eq!(rt.stats().reactor_waits, 0, "tick never blocked in epoll_wait");
    });
}

thread_local! {
    static RESPAWN_DROPS: Cell<usize> = const { Cell::new(0) };
}

/// Held by a task; dropping it spawns a new task holding a new one (a "restart on drop" guard).
struct RespawnOnDrop;

impl Drop for RespawnOnDrop {
    fn drop(&mut self) {
        RESPAWN_DROPS.with(|n| n.set(n.get() + 1));
        let guard = RespawnOnDrop;
        drop(spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await
        }));
    }
}

// Why: shutdown drops the live tasks, then the tasks their destructors spawned, round after
// round. A destructor that always spawns a successor made that loop endless: block_on never
// returned. After SHUTDOWN_ROUNDS rounds the last ones are leaked instead, the runtime is
// usable again and an idle tick does not wait for the leaked tasks.
#[test]
fn shutdown_ends_when_dropped_tasks_keep_spawning_successors() {
    with_deadline(LIMIT, || {
        let rt = Runtime::new();
        rt.block_on(async {
            drop(spawn(async {
                let _guard = RespawnOnDrop;
                std::future::pending::<()>().await
            }));
            yield_now().await;
        });
        assert_eq!(RESPAWN_DROPS.with(Cell::get), corolab::executor::SHUTDOWN_ROUNDS);
        assert_eq!(rt.block_on(async { spawn(async { 3 }).await }), Ok(3));
        let waits = rt.stats().reactor_waits;
        rt.tick();
        assert_eq!(rt.stats().reactor_waits, waits, "no leaked task counted as live");
    });
}

// Why: inside the block_on future, `rt.tick()` with nothing else to do slept in
// epoll_wait(-1): the only waker that could end it is the main future's own, and that future
// is the one blocked in the call. A tick called from inside a poll must return instead.
#[test]
fn tick_called_from_inside_block_on_does_not_wait_forever() {
    with_deadline(LIMIT, || {
        let rt = Runtime::new();
        let answer = rt.block_on(async {
            rt.tick();
            let task = spawn(async { 4 });
            rt.tick(); // runs the task, then returns
            assert!(task.is_finished());
            task.await
        });
        assert_eq!(answer, Ok(4));
    });
}
