//! The cooperative budget: a task whose awaits are always ready must still let timers, sockets
//! and other tasks run. These tests count loop rounds and look at the order of events, never
//! at wall-clock thresholds.

mod common;

use common::with_deadline;
use corolab::executor::budget::{self, BUDGET};
use corolab::net::TcpStream;
use corolab::sync::channel;
use corolab::time::sleep;
use corolab::trace::{Event, Recorder, WakeCause};
use corolab::{block_on, spawn, yield_now};
use std::cell::Cell;
use std::io::Write;
use std::rc::Rc;
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(20);

/// Rounds the busy task runs in all; without a budget it would run all of them in one poll.
const ROUNDS: u32 = 20_000;

/// Spawns a task sleeping zero time and a task that yields twice; each records `progress`
/// at the moment it runs. Returns what they saw: (timer, first turn, after a yield).
fn spawn_witnesses(progress: &Rc<Cell<u32>>) -> impl Future<Output = (u32, u32, u32)> + use<> {
    let timer = {
        let progress = progress.clone();
        spawn(async move {
            sleep(Duration::ZERO).await;
            progress.get()
        })
    };
    let other = {
        let progress = progress.clone();
        spawn(async move {
            let first = progress.get();
            yield_now().await;
            (first, progress.get())
        })
    };
    async move {
        let timer = timer.await.unwrap();
        let (first, second) = other.await.unwrap();
        (timer, first, second)
    }
}

// Why: `tx.send(n).await; rx.recv().await` on a task's own channel is always ready, so the
// task never returns Pending by itself; without a budget a timer due now fired only after it
// had finished (issue 16.5: 400-500 ms late). With it, the task is made to yield after
// BUDGET ready awaits, and the timer and the other task run long before it is done.
#[test]
fn a_timer_and_another_task_get_their_turn_beside_a_channel_self_loop() {
    with_deadline(LIMIT, || {
        let recorder = Recorder::install();
        block_on(async {
            let rounds = Rc::new(Cell::new(0u32));
            let busy = {
                let rounds = rounds.clone();
                spawn(async move {
                    let (tx, mut rx) = channel::<u32>(1);
                    for n in 0..ROUNDS {
                        tx.send(n).await.unwrap();
                        rx.recv().await.unwrap();
                        rounds.set(n + 1);
                    }
                })
            };
            let (timer, first, second) = spawn_witnesses(&rounds).await;
            busy.await.unwrap();
            // Two ready awaits per round: a forced yield every BUDGET / 2 rounds.
            let per_poll = u32::from(BUDGET) / 2;
            assert!(
                first <= per_poll,
                "the other task's first turn came after {first} rounds"
            );
            assert!(
                second < ROUNDS / 4,
                "its turn after yield_now came after {second} rounds"
            );
            assert!(timer < ROUNDS / 4, "the timer due now fired after {timer} rounds");
        });
        let forced = recorder
            .events()
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    Event::TaskWoken {
                        task: 1,
                        cause: WakeCause::Budget
                    }
                )
            })
            .count();
        let expected = (ROUNDS * 2 / u32::from(BUDGET)) as usize;
        assert!(
            forced + 1 >= expected,
            "{forced} forced yields traced, about {expected} expected"
        );
    });
}

/// A connected pair whose `reader` side already holds `bytes` bytes in its receive buffer.
fn prefilled_pair(bytes: usize) -> (std::net::TcpStream, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut writer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (reader, _) = listener.accept().unwrap();
    writer.write_all(&vec![7u8; bytes]).unwrap();
    let mut peek = vec![0u8; bytes];
    let give_up = Instant::now() + Duration::from_secs(5);
    while reader.peek(&mut peek).unwrap() < bytes {
        assert!(Instant::now() < give_up, "loopback did not deliver {bytes} bytes");
        std::thread::sleep(Duration::from_millis(1));
    }
    (writer, reader)
}

// Why: a socket that always has data answers every read at once (the reads are full, so
// readiness is never cleared), and its reader never returns Pending by itself (issue 16.5:
// a timer ~100 ms late). The budget makes the reader yield, as it does for channels.
#[test]
fn a_timer_and_another_task_get_their_turn_beside_an_always_readable_socket() {
    const CHUNK: usize = 16;
    const BYTES: usize = 64 * 1024;
    with_deadline(LIMIT, || {
        let (_writer, reader) = prefilled_pair(BYTES);
        block_on(async move {
            let reads = Rc::new(Cell::new(0u32));
            let busy = {
                let reads = reads.clone();
                spawn(async move {
                    let stream = TcpStream::from_std(reader).unwrap();
                    let mut buf = [0u8; CHUNK];
                    for _ in 0..BYTES / CHUNK {
                        assert_eq!(stream.read(&mut buf).await.unwrap(), CHUNK);
                        reads.set(reads.get() + 1);
                    }
                })
            };
            let (timer, first, second) = spawn_witnesses(&reads).await;
            busy.await.unwrap();
            let all = (BYTES / CHUNK) as u32;
            assert!(
                first <= u32::from(BUDGET),
                "the other task's first turn came after {first} reads"
            );
            assert!(
                second < all / 4,
                "its turn after yield_now came after {second} of {all} reads"
            );
            assert!(
                timer < all / 4,
                "the timer due now fired after {timer} of {all} reads"
            );
        });
    });
}

// Why: the budget belongs to one poll. Each poll starts with a full budget, and outside a
// task's poll (a future polled by hand) there is no limit, so leaf futures work anywhere.
#[test]
fn the_budget_refills_at_each_poll_and_is_unlimited_outside_a_task() {
    assert_eq!(budget::remaining(), None);
    let in_task = block_on(async {
        assert_eq!(
            budget::remaining(),
            Some(BUDGET),
            "the main future's poll has a budget"
        );
        let (tx, mut rx) = channel::<u8>(4);
        tx.send(1).await.unwrap();
        rx.recv().await.unwrap();
        assert_eq!(budget::remaining(), Some(BUDGET - 2), "one unit per ready await");
        yield_now().await;
        assert_eq!(budget::remaining(), Some(BUDGET), "refilled at the next poll");
        spawn(async { budget::remaining() }).await.unwrap()
    });
    assert_eq!(in_task, Some(BUDGET), "a task's poll starts full");
    assert_eq!(budget::remaining(), None, "unlimited again after block_on");
}

// Why: outside a task's poll the budget is "unlimited", stored as more units than any program
// can spend, and `spend` still subtracts there. A smaller stand-in for "unlimited" (say 255
// in a `u8`) would run out after that many ready awaits in a future polled by hand, and
// from then on every leaf future polled outside a runtime would answer `Pending` for ever.
#[test]
fn leaf_futures_polled_by_hand_never_run_out_of_budget() {
    use std::task::{Context, Poll, Waker};
    let (tx, mut rx) = channel::<u32>(1);
    let mut cx = Context::from_waker(Waker::noop());
    for n in 0..10_000 {
        tx.try_send(n).unwrap();
        let mut recv = std::pin::pin!(rx.recv());
        assert_eq!(recv.as_mut().poll(&mut cx), Poll::Ready(Some(n)), "round {n}");
    }
    assert_eq!(budget::remaining(), None, "still unlimited");
}

// Why: a synchronous generator polls its body with a waker that does nothing, and takes any
// `Pending` that is not its own yield for a foreign await. A body awaiting a channel that
// already holds a value is ready, yet it failed with ForeignAwait whenever the surrounding
// task had spent its budget. The body runs unconstrained; the task's budget is left as it was.
#[test]
fn a_generator_body_awaiting_a_ready_channel_works_when_the_task_budget_is_spent() {
    use corolab::generator::{Gen, GeneratorState};
    block_on(async {
        let (tx, mut rx) = channel::<u32>(1);
        while budget::remaining() != Some(0) {
            tx.try_send(0).unwrap();
            rx.recv().await.unwrap();
        }
        tx.try_send(5).unwrap();
        let mut generator: Gen<u32, ()> = Gen::new(move |co| async move {
            let value = rx.recv().await.unwrap();
            co.yield_(value).await;
        });
        assert_eq!(generator.start(), Ok(GeneratorState::Yielded(5)));
        assert_eq!(
            budget::remaining(),
            Some(0),
            "the task's own budget is still spent"
        );
    });
}

// Why: `Runtime::tick` called from inside the `block_on` future polls tasks inside the main
// future's poll. Each task poll set a fresh budget and then "unlimited" on its way out, so the
// main future lost its own budget for the rest of its poll and could never be made to yield.
// A nested poll must put back the budget of the poll it is nested in.
#[test]
fn a_nested_poll_puts_back_the_budget_of_the_poll_around_it() {
    with_deadline(LIMIT, || {
        let rt = corolab::Runtime::new();
        rt.block_on(async {
            let (tx, mut rx) = channel::<u8>(1);
            tx.send(1).await.unwrap();
            rx.recv().await.unwrap();
            let left = budget::remaining();
            assert_eq!(left, Some(BUDGET - 2));
            let polled = spawn(async { budget::remaining() });
            // Queue the main future behind the task, so the tick ends at its turn, not in epoll.
            corolab::future::poll_fn(|cx| {
                cx.waker().wake_by_ref();
                std::task::Poll::Ready(())
            })
            .await;
            rt.tick(); // polls the task from inside this poll
            assert!(polled.is_finished(), "tick polled the task");
            assert_eq!(budget::remaining(), left, "the main future's budget is back");
            assert_eq!(polled.await.unwrap(), Some(BUDGET), "the task had its own");
        });
    });
}

// Why: the budget belongs to the task, and `join_all` polls all its children in one poll.
// Polled always in the same order, a first child whose awaits are always ready spent the whole
// budget every poll, so the second one got `Pending` from its first await each time and did
// nothing until the first had finished all its rounds. Each poll now starts one child further.
#[test]
fn join_all_children_that_are_always_ready_take_turns_at_the_budget() {
    use corolab::future::join_all;
    const EACH: u32 = 1_000; // 2 units a round: about 16 polls' worth for each child
    with_deadline(LIMIT, || {
        let done = Rc::new(Cell::new([0u32; 2]));
        let busy = |me: usize| {
            let done = done.clone();
            async move {
                let (tx, mut rx) = channel::<u32>(1);
                for n in 0..EACH {
                    tx.send(n).await.unwrap();
                    rx.recv().await.unwrap();
                    let mut rounds = done.get();
                    rounds[me] = n + 1;
                    done.set(rounds);
                }
                done.get()[1 - me] // how far the other child had got when this one finished
            }
        };
        let other_at_end = block_on(join_all([busy(0), busy(1)]));
        assert!(
            other_at_end[0] > EACH / 4,
            "the second child had done {} of {EACH} rounds when the first finished",
            other_at_end[0]
        );
    });
}

// Why: `select` polls its branches in the same poll; with both channels always ready the
// first branch wins every round, and neither branch ever waits. The budget still ends the
// poll (once spent, both branches answer Pending), so a timer and another task get a turn.
#[test]
fn a_select_over_two_always_ready_channels_still_lets_a_timer_run() {
    use corolab::future::select;
    with_deadline(LIMIT, || {
        block_on(async {
            let rounds = Rc::new(Cell::new(0u32));
            let busy = {
                let rounds = rounds.clone();
                spawn(async move {
                    let (tx1, mut rx1) = channel::<u32>(1);
                    let (tx2, mut rx2) = channel::<u32>(1);
                    for n in 0..ROUNDS {
                        let _ = tx1.try_send(n);
                        let _ = tx2.try_send(n);
                        let _ = select(rx1.recv(), rx2.recv()).await;
                        rounds.set(n + 1);
                    }
                })
            };
            let (timer, first, second) = spawn_witnesses(&rounds).await;
            busy.await.unwrap();
            assert!(
                first <= u32::from(BUDGET),
                "the other task's first turn came after {first} rounds"
            );
            assert!(
                second < ROUNDS / 4,
                "its turn after yield_now came after {second}"
            );
            assert!(timer < ROUNDS / 4, "the timer due now fired after {timer} rounds");
        });
    });
}
