//! Step 6: spawn from inside tasks, join handles, cancellation by drop, fair turns.

use std::future::poll_fn;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::task::Poll;
use std::time::{Duration, Instant};
use step6_spawn_join::{Socket, block_on, reactor, sleep, spawn};

fn bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(f()));
    rx.recv_timeout(Duration::from_secs(5)).expect("the runtime hung")
}

// Why: the thread-local context lets a task spawn a task that spawns a task; each join
// handle gives back its task's output.
#[test]
fn tasks_spawned_from_inside_tasks_give_their_output_through_join_handles() {
    let out = bounded(|| block_on(async { spawn(async { spawn(async { 7 }).await * 6 }).await }));
    assert_eq!(out.unwrap(), 42);
}

// Why: misuse gets a clear message: there is no runtime outside block_on.
#[test]
#[should_panic(expected = "no runtime")]
fn spawn_outside_block_on_says_there_is_no_runtime() {
    drop(spawn(async {}));
}

// Why: cancellation is dropping: an aborted task's future is dropped, so the socket it was
// reading from leaves epoll (no waiter left), and the task never runs again.
#[test]
fn aborting_a_task_drops_its_future_and_deregisters_its_socket() {
    let (waiting_before, waiting_after) = bounded(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server_side, _) = listener.accept().unwrap();
        block_on(async move {
            let reader = spawn(async move {
                let mut socket = Socket::new(&reactor(), server_side).unwrap();
                let _ = socket.read_at_least(1).await; // the peer never writes
                unreachable!("the peer never writes");
            });
            sleep(Duration::from_millis(10)).await;
            let before = reactor().borrow().has_waiters();
            reader.abort();
            sleep(Duration::from_millis(10)).await;
            (before, reactor().borrow().has_waiters())
        })
        .unwrap()
    });
    assert!(waiting_before, "the reader was waiting on its socket");
    assert!(!waiting_after, "the aborted reader's socket is still registered");
}

// Why: like asyncio.run, tasks still alive when main returns are dropped (cancelled), at
// once, instead of keeping the program alive or leaking.
#[test]
fn tasks_left_when_main_returns_are_dropped() {
    struct SetOnDrop(Arc<AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, SeqCst);
        }
    }
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = dropped.clone();
    let started = Instant::now();
    bounded(move || {
        block_on(async move {
            let guard = SetOnDrop(flag);
            spawn(async move {
                let _guard = guard;
                sleep(Duration::from_secs(60)).await;
            });
            sleep(Duration::from_millis(5)).await;
        })
        .unwrap()
    });
    assert!(dropped.load(SeqCst));
    assert!(started.elapsed() < Duration::from_secs(2));
}

// Why: the fair turn (step 3's FIFO with a cap): a task that yields forever still lets the
// loop reach fire_timers, so main's sleep ends.
#[test]
fn a_task_that_yields_forever_does_not_starve_timers() {
    bounded(|| {
        block_on(async {
            spawn(poll_fn(|cx| {
                cx.waker().wake_by_ref();
                Poll::<()>::Pending
            }));
            sleep(Duration::from_millis(20)).await;
        })
        .unwrap()
    });
}
