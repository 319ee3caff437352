//! Channels, oneshot, semaphore and the future combinators.

mod common;

use common::with_deadline;
use corolab::future::{Either, join_all, select};
use corolab::sync::{Semaphore, TrySendError, channel, oneshot};
use corolab::time::{sleep, timeout};
use corolab::{block_on, spawn, yield_now};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

// Why: a bounded channel is back-pressure: a full channel must make senders wait (not drop or
// grow), deliver in order, and serve waiting senders first-come first-served.
#[test]
fn bounded_channel_applies_backpressure_in_fifo_order() {
    with_deadline(LIMIT, || {
        block_on(async {
            let (tx, mut rx) = channel::<u32>(2);
            let mut senders = Vec::new();
            for i in 0..6 {
                let tx = tx.clone();
                senders.push(spawn(async move { tx.send(i).await.unwrap() }));
            }
            drop(tx);
            for _ in 0..3 {
                yield_now().await;
            }
            // Two fit; the other four wait in line.
            assert_eq!(rx.try_recv(), Ok(0));
            let mut got = vec![0];
            while let Some(v) = rx.recv().await {
                got.push(v);
            }
            assert_eq!(got, vec![0, 1, 2, 3, 4, 5]);
            for s in senders {
                s.await.unwrap();
            }
        });
    });
}

// Why: recv must end (None) once every sender is gone, and a send to a dropped receiver must
// hand the value back instead of waiting forever.
#[test]
fn channel_closes_when_all_senders_drop_and_send_fails_without_receiver() {
    block_on(async {
        let (tx, mut rx) = channel::<&str>(1);
        let tx2 = tx.clone();
        tx.send("a").await.unwrap();
        drop(tx);
        drop(tx2);
        assert_eq!(rx.recv().await, Some("a"));
        assert_eq!(rx.recv().await, None);

        let (tx, rx) = channel::<u8>(1);
        tx.send(1).await.unwrap();
        let blocked = spawn(async move { tx.send(2).await.map_err(|e| e.0) });
        yield_now().await;
        drop(rx);
        assert_eq!(blocked.await.unwrap(), Err(2));
    });
}

// Why: try_send must not jump over senders already waiting in line.
#[test]
fn try_send_reports_full_and_respects_waiting_senders() {
    block_on(async {
        let (tx, mut rx) = channel::<u8>(1);
        assert!(tx.try_send(1).is_ok());
        assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
        let waiting = {
            let tx = tx.clone();
            spawn(async move { tx.send(3).await.unwrap() })
        };
        yield_now().await;
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(tx.try_send(4), Err(TrySendError::Full(4)), "3 is waiting first");
        waiting.await.unwrap();
        assert_eq!(rx.recv().await, Some(3));
    });
}

// Why: a oneshot delivers one value, and a dropped sender must end the wait with an error.
#[test]
fn oneshot_delivers_or_reports_a_dropped_sender() {
    block_on(async {
        let (tx, rx) = oneshot::<u8>();
        spawn(async move { tx.send(9).unwrap() }).await.unwrap();
        assert_eq!(rx.await, Ok(9));
        let (tx, rx) = oneshot::<u8>();
        drop(tx);
        assert!(rx.await.is_err());
    });
}

// Why: the HTTP pool relies on this: at most N holders, and waiters served in arrival order
// even if a waiter in the middle gives up (is cancelled).
#[test]
fn semaphore_limits_holders_and_serves_waiters_in_order() {
    with_deadline(LIMIT, || {
        block_on(async {
            let sem = Rc::new(Semaphore::new(2));
            let order = Rc::new(RefCell::new(Vec::new()));
            let peak = Rc::new(RefCell::new((0usize, 0usize)));
            let mut handles = Vec::new();
            for i in 0..6 {
                let (sem, order, peak) = (sem.clone(), order.clone(), peak.clone());
                handles.push(spawn(async move {
                    let _permit = sem.clone().acquire_owned().await;
                    order.borrow_mut().push(i);
                    {
                        let mut p = peak.borrow_mut();
                        p.0 += 1;
                        p.1 = p.1.max(p.0);
                    }
                    sleep(Duration::from_millis(5)).await;
                    peak.borrow_mut().0 -= 1;
                }));
            }
            // A waiter that gives up while queued must not block those behind it.
            let quitter = {
                let sem = sem.clone();
                spawn(async move { timeout(Duration::from_millis(1), sem.acquire()).await.is_err() })
            };
            for h in handles {
                h.await.unwrap();
            }
            assert!(quitter.await.unwrap());
            assert_eq!(*order.borrow(), vec![0, 1, 2, 3, 4, 5]);
            assert_eq!(peak.borrow().1, 2);
            assert_eq!(sem.available_permits(), 2);
        });
    });
}

// Why: gather and first-completed are the two ways the seeds combine coroutines.
#[test]
fn join_all_keeps_order_and_select_returns_the_first_to_finish() {
    with_deadline(LIMIT, || {
        block_on(async {
            let outs = join_all((0..4u64).map(|i| async move {
                sleep(Duration::from_millis(20 - 5 * i)).await;
                i
            }))
            .await;
            assert_eq!(outs, vec![0, 1, 2, 3]);
            let slow = sleep(Duration::from_secs(60));
            let fast = async {
                sleep(Duration::from_millis(5)).await;
                "fast"
            };
            assert_eq!(select(slow, fast).await, Either::Right("fast"));
            assert_eq!(
                timeout(Duration::from_millis(10), sleep(Duration::from_secs(60))).await,
                Err(corolab::time::Elapsed(Duration::from_millis(10)))
            );
            assert_eq!(timeout(Duration::ZERO, async { 1 }).await, Ok(1));
        });
    });
}

// Why: a sender that arrives after a slot was freed, while the woken waiter has not run yet,
// must not take the slot from it: tickets keep the order even when the run queue would not.
#[test]
fn late_sender_does_not_overtake_a_woken_waiter() {
    with_deadline(LIMIT, || {
        block_on(async {
            let (tx, mut rx) = channel::<u32>(1);
            tx.send(0).await.unwrap(); // full
            let first = {
                let tx = tx.clone();
                spawn(async move { tx.send(1).await.unwrap() })
            };
            yield_now().await; // `first` waits in line
            assert_eq!(rx.try_recv(), Ok(0)); // a slot frees up; `first` is woken, not yet run
            let drain = spawn(async move {
                let mut got = Vec::new();
                while let Some(v) = rx.recv().await {
                    got.push(v);
                }
                got
            });
            tx.send(2).await.unwrap(); // arrives later: must queue behind `first`
            drop(tx);
            first.await.unwrap();
            assert_eq!(drain.await.unwrap(), vec![1, 2]);
        });
    });
}

// Why: if the waiter at the front is cancelled after a permit was freed for it, the permit
// must pass on to the next waiter, or that waiter sleeps forever.
#[test]
fn semaphore_front_waiter_cancelled_passes_its_turn_on() {
    with_deadline(LIMIT, || {
        block_on(async {
            let sem = Rc::new(Semaphore::new(1));
            let held = sem.clone().acquire_owned().await;
            let front = spawn(sem.clone().acquire_owned());
            let next = spawn(sem.clone().acquire_owned());
            yield_now().await; // both wait, `front` first
            drop(held); // wakes `front`...
            front.abort(); // ...which is cancelled before it runs
            let permit = timeout(Duration::from_secs(2), next).await;
            assert!(permit.is_ok(), "the next waiter never got the freed permit");
        });
    });
}

/// A waker that counts its wakes; `Arc::strong_count` says who still holds it.
#[derive(Default)]
struct CountingWake(std::sync::atomic::AtomicUsize);

impl std::task::Wake for CountingWake {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

// Why: a dropped Receiver kept the receiving task's waker until the last Sender went, which
// then woke a task that no longer waits (issue 16.8). It must release the waker at once.
#[test]
fn dropping_the_receiver_releases_its_waker_at_once() {
    use std::sync::Arc;
    use std::task::{Context, Waker};
    let (tx, mut rx) = channel::<u8>(1);
    let count = Arc::new(CountingWake::default());
    let waker = Waker::from(count.clone());
    assert!(rx.poll_recv(&mut Context::from_waker(&waker)).is_pending());
    drop(waker);
    assert_eq!(Arc::strong_count(&count), 2, "the channel holds the waker");
    drop(rx);
    assert_eq!(Arc::strong_count(&count), 1, "released when the receiver dropped");
    drop(tx);
    assert_eq!(
        count.0.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no stale wake"
    );
}

// Why: asyncio.Queue users reach for put_nowait/get_nowait, qsize/empty/full and shutdown
// (issue 16.17); each must say exactly why it could not act, and close must keep what was
// already buffered.
#[test]
fn channel_try_ops_sizes_and_close_behave_like_asyncio_queue() {
    use corolab::sync::TryRecvError;
    let (tx, mut rx) = channel::<u32>(2);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert!(tx.is_empty() && rx.is_empty() && !rx.is_full());
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    assert_eq!((tx.len(), rx.len(), tx.capacity()), (2, 2, 2));
    assert!(tx.is_full() && rx.is_full());
    assert_eq!(tx.try_send(3), Err(TrySendError::Full(3)));
    rx.close();
    assert!(tx.is_closed());
    assert_eq!(tx.try_send(4), Err(TrySendError::Closed(4)));
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(
        rx.try_recv(),
        Err(TryRecvError::Closed),
        "closed and drained, sender alive"
    );
    block_on(async {
        assert_eq!(rx.recv().await, None);
        assert!(tx.send(5).await.is_err());
    });
}

// Why: close must wake senders waiting for room, or they wait forever for a slot that the
// closed channel will never free.
#[test]
fn closing_the_channel_fails_senders_waiting_for_room() {
    with_deadline(LIMIT, || {
        block_on(async {
            let (tx, mut rx) = channel::<u32>(1);
            tx.send(0).await.unwrap();
            let waiting = {
                let tx = tx.clone();
                spawn(async move { tx.send(1).await.map_err(|e| e.0) })
            };
            yield_now().await; // it waits for room
            rx.close();
            assert_eq!(waiting.await.unwrap(), Err(1), "the value comes back");
            assert_eq!(rx.recv().await, Some(0));
            assert_eq!(rx.recv().await, None);
        });
    });
}

// Why: like the channel's receiver (issue 16.8), a dropped oneshot Receiver kept its task's
// waker until the Sender went, whose drop then woke a task that no longer waits.
#[test]
fn dropping_the_oneshot_receiver_releases_its_waker_at_once() {
    use std::future::Future;
    use std::sync::Arc;
    use std::task::{Context, Waker};
    let (tx, mut rx) = corolab::sync::oneshot::<u8>();
    let count = Arc::new(CountingWake::default());
    let waker = Waker::from(count.clone());
    assert!(
        std::pin::Pin::new(&mut rx)
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
    );
    drop(waker);
    assert_eq!(Arc::strong_count(&count), 2, "the oneshot holds the waker");
    drop(rx);
    assert_eq!(Arc::strong_count(&count), 1, "released when the receiver dropped");
    drop(tx);
    assert_eq!(
        count.0.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no stale wake"
    );
}
