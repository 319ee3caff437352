//! Reactor, timer and socket pitfalls.

mod common;

use common::with_deadline;
use corolab::future::poll_fn;
use corolab::net::{TcpListener, TcpStream};
use corolab::reactor::Reactor;
use corolab::time::{Instant, sleep, sleep_until, timeout};
use corolab::trace::{Event, Interest, Recorder, WakeCause};
use corolab::{block_on, spawn, yield_now};
use std::cell::{Cell, RefCell};
use std::io::Write;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

/// A connected pair: (corolab side, plain std side).
async fn socket_pair() -> (TcpStream, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let ours = TcpStream::connect_addr(addr).await.unwrap();
    let (theirs, _) = listener.accept().unwrap();
    (ours, theirs)
}

// Why: equal deadlines must fire in the order they were set (the seeds' "5 sleeps" relies on a
// predictable order), and a zero-duration sleep must fire too, in order, not hang.
#[test]
fn timers_fire_in_order_with_equal_deadlines_and_zero_duration() {
    with_deadline(LIMIT, || {
        block_on(async {
            let order = Rc::new(RefCell::new(Vec::new()));
            let at = Instant::now() + Duration::from_millis(20);
            let mut handles = Vec::new();
            for i in 0..5 {
                let order = order.clone();
                handles.push(spawn(async move {
                    sleep_until(at).await;
                    order.borrow_mut().push(i);
                }));
            }
            for i in 5..8 {
                let order = order.clone();
                handles.push(spawn(async move {
                    sleep(Duration::ZERO).await;
                    order.borrow_mut().push(i);
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
            assert_eq!(*order.borrow(), vec![5, 6, 7, 0, 1, 2, 3, 4]);
            assert!(Instant::now() >= at, "never fires early");
        });
    });
}

// Why: dropping a sleep must cancel its timer, or the reactor would keep waking for nothing.
#[test]
fn dropping_a_sleep_cancels_its_timer() {
    block_on(async {
        let reactor = Reactor::current().unwrap();
        let r = timeout(Duration::from_millis(5), sleep(Duration::from_secs(60))).await;
        assert!(r.is_err());
        assert_eq!(reactor.pending_timer_count(), 0);
    });
}

// Why: the poll timeout is rounded up, so the loop sleeps until the deadline instead of spinning
// through many zero-length epoll_waits just before it.
#[test]
fn sleeping_does_not_spin_the_reactor() {
    let rt = corolab::Runtime::new();
    rt.block_on(sleep(Duration::from_millis(30)));
    let waits = rt.stats().reactor_waits;
    assert!(waits <= 4, "a single 30 ms sleep took {waits} epoll_waits");
}

// Why: a future moved from one task to another must wake the task that polled it *last*;
// a reactor keeping the first waker would strand the second task forever.
#[test]
fn stale_waker_sleep_and_socket_moved_between_tasks_wake_the_new_owner() {
    with_deadline(LIMIT, || {
        block_on(async {
            // A sleep polled once by task A, then finished by task B.
            let mut s = sleep(Duration::from_millis(20));
            let s = spawn(async move {
                poll_fn(|cx| {
                    assert!(Pin::new(&mut s).poll(cx).is_pending());
                    Poll::Ready(())
                })
                .await;
                Some(s) // wrapped: the task hands the sleep over instead of awaiting it
            })
            .await
            .unwrap()
            .unwrap();
            spawn(s).await.unwrap();

            // A socket whose read was polled by task A, then read by task B.
            let (ours, mut theirs) = socket_pair().await;
            let ours = spawn(async move {
                let mut buf = [0u8; 8];
                poll_fn(|cx| {
                    assert!(ours.poll_read(cx, &mut buf).is_pending());
                    Poll::Ready(())
                })
                .await;
                ours
            })
            .await
            .unwrap();
            let reader = spawn(async move {
                let mut buf = [0u8; 8];
                ours.read(&mut buf).await.unwrap()
            });
            yield_now().await;
            theirs.write_all(b"hi").unwrap();
            assert_eq!(reader.await, Ok(2));
        });
    });
}

// Why: with edge-triggered epoll a burst arrives as one event; a reader that stops after one
// buffer would never be told about the rest. Draining until WouldBlock gets it all.
#[test]
fn edge_triggered_burst_larger_than_buffer_arrives_without_extra_events() {
    with_deadline(LIMIT, || {
        let recorder = Recorder::install();
        block_on(async {
            let (ours, mut theirs) = socket_pair().await;
            let burst = vec![7u8; 64 * 1024];
            theirs.write_all(&burst).unwrap();
            theirs.shutdown(std::net::Shutdown::Write).unwrap();
            std::thread::sleep(Duration::from_millis(20)); // let loopback deliver it all
            recorder.clear();
            let mut got = Vec::new();
            let mut buf = [0u8; 1024];
            let mut reads = 0;
            loop {
                let n = ours.read(&mut buf).await.unwrap();
                reads += 1;
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            assert_eq!(got.len(), burst.len());
            assert!(reads > 64, "read in 1 KiB pieces");
            let ready = recorder
                .events()
                .iter()
                .filter(|e| matches!(e, Event::IoReady { token, .. } if *token == ours.token()))
                .count();
            assert!(ready <= 1, "{ready} readiness events for one burst");
        });
        corolab::trace::clear_sink();
    });
}

struct CountingWaker(AtomicUsize);
impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

// Why: an event already returned by epoll for socket A must not wake socket B that reused A's
// slot before the batch was dispatched; the token's generation tells them apart.
#[test]
fn token_reuse_within_one_event_batch_wakes_nobody_wrong() {
    block_on(async {
        let reactor = Reactor::current().unwrap();
        let (a, mut a_peer) = socket_pair().await;
        let a_token = a.token();
        // Make A's read side wait, then make it readable: the next epoll batch has A's event.
        let mut buf = [0u8; 4];
        poll_fn(|cx| {
            assert!(a.poll_read(cx, &mut buf).is_pending());
            Poll::Ready(())
        })
        .await;
        a_peer.write_all(b"x").unwrap();
        std::thread::sleep(Duration::from_millis(10));
        assert!(reactor.wait_for_io(Some(Duration::from_millis(100))).unwrap() >= 1);
        // Before dispatching that batch, close A and register B in the same slot.
        drop(a);
        let (b, _b_peer) = socket_pair().await;
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        let mut buf = [0u8; 4];
        assert!(b.poll_read(&mut cx, &mut buf).is_pending(), "B has no data");
        assert_eq!(b.token() & 0xffff_ffff, a_token & 0xffff_ffff, "same slot reused");
        assert_ne!(b.token(), a_token, "new generation");
        reactor.dispatch_io_events();
        assert_eq!(
            counter.0.load(Ordering::SeqCst),
            0,
            "B must not be woken by A's event"
        );
    });
}

// Why: a read future dropped while pending (an aborted task, a timeout) must give its socket
// back: deregistered from epoll, waker forgotten, fd closed.
#[test]
fn dropping_a_pending_read_deregisters_its_socket() {
    with_deadline(LIMIT, || {
        block_on(async {
            let reactor = Reactor::current().unwrap();
            let (ours, mut theirs) = socket_pair().await;
            let before = reactor.registration_count();
            let reader = spawn(async move {
                let mut buf = [0u8; 8];
                ours.read(&mut buf).await
            });
            yield_now().await;
            reader.abort();
            yield_now().await;
            assert_eq!(reactor.registration_count(), before - 1);
            // The peer sees EOF: the fd was closed.
            theirs.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let mut buf = [0u8; 1];
            assert_eq!(std::io::Read::read(&mut theirs, &mut buf).unwrap(), 0);
        });
    });
}

// Why: a task that always wakes itself must not starve sockets and timers (the loop asks the
// reactor at least once every MAX_POLLS_PER_TICK polls, however busy the run queue is).
#[test]
fn fairness_a_self_waking_task_does_not_starve_io_or_timers() {
    with_deadline(LIMIT, || {
        block_on(async {
            let spins = Rc::new(Cell::new(0u64));
            let s2 = spins.clone();
            let spinner = spawn(poll_fn(move |cx| {
                s2.set(s2.get() + 1);
                cx.waker().wake_by_ref();
                Poll::<()>::Pending
            }));
            let (ours, mut theirs) = socket_pair().await;
            let reader = spawn(async move {
                let mut buf = [0u8; 4];
                ours.read(&mut buf).await.unwrap()
            });
            let timer = spawn(sleep(Duration::from_millis(20)));
            theirs.write_all(b"ping").unwrap();
            assert_eq!(reader.await, Ok(4));
            timer.await.unwrap();
            assert!(spins.get() > 0);
            spinner.abort();
        });
    });
}

// Why: a connect to a port nobody listens on must fail fast with ConnectionRefused, not hang.
#[test]
fn connect_to_a_closed_port_fails_with_connection_refused() {
    with_deadline(LIMIT, || {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        block_on(async move {
            let started = Instant::now();
            let err = TcpStream::connect(("127.0.0.1", port)).await.unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
            assert!(started.elapsed() < Duration::from_secs(1));
        });
    });
}

// Why: the basic server loop: accept drains a burst of connections, and an echo round trip
// works with write_all, shutdown and read_to_end, over IPv4 and IPv6 loopback.
#[test]
fn listener_accepts_a_burst_and_echoes_over_v4_and_v6() {
    with_deadline(LIMIT, || {
        for host in ["127.0.0.1:0", "[::1]:0"] {
            block_on(async move {
                let Ok(listener) = TcpListener::bind(host) else {
                    return; // no IPv6 on this machine
                };
                let addr = listener.local_addr().unwrap();
                let server = spawn(async move {
                    for _ in 0..20 {
                        let (conn, _) = listener.accept().await.unwrap();
                        drop(spawn(async move {
                            let mut data = Vec::new();
                            conn.read_to_end(&mut data).await.unwrap();
                            conn.write_all(&data).await.unwrap();
                        }));
                    }
                });
                let clients: Vec<_> = (0..20u8)
                    .map(|i| {
                        spawn(async move {
                            let s = TcpStream::connect_addr(addr).await.unwrap();
                            s.set_nodelay(true).unwrap();
                            s.write_all(&[i; 3]).await.unwrap();
                            s.shutdown(std::net::Shutdown::Write).unwrap();
                            let mut back = Vec::new();
                            s.read_to_end(&mut back).await.unwrap();
                            back
                        })
                    })
                    .collect();
                for (i, c) in clients.into_iter().enumerate() {
                    assert_eq!(c.await.unwrap(), vec![i as u8; 3]);
                }
                server.await.unwrap();
            });
        }
    });
}

// Why: the trace is how students see readiness drive switching; for one read it must say
// "fd ready -> wake that task -> poll that task", in that order.
#[test]
fn trace_shows_io_ready_then_wake_then_poll_for_a_socket_read() {
    with_deadline(LIMIT, || {
        let recorder = Recorder::install();
        block_on(async {
            let (ours, mut theirs) = socket_pair().await;
            let token = ours.token();
            let fd = ours.raw_fd();
            let reader = spawn(async move {
                let mut buf = [0u8; 4];
                ours.read(&mut buf).await.unwrap()
            });
            let id = reader.id();
            yield_now().await; // reader parks on WouldBlock
            theirs.write_all(b"data").unwrap();
            assert_eq!(reader.await, Ok(4));
            let events = recorder.events();
            let pos = |pred: &dyn Fn(&Event) -> bool| events.iter().position(pred);
            let blocked = pos(&|e| matches!(e, Event::IoWouldBlock { token: t, interest: Interest::Read, .. } if *t == token)).expect("WouldBlock");
            let ready = pos(&|e| matches!(e, Event::IoReady { token: t, readable: true, .. } if *t == token))
                .expect("ready");
            let woken = pos(&|e| {
                matches!(e, Event::TaskWoken { task, cause: WakeCause::Io { fd: f, interest: Interest::Read, .. } } if *task == id && *f == fd)
            })
            .expect("woken by io");
            let polled = events[woken..]
                .iter()
                .position(|e| matches!(e, Event::TaskPolled { task, .. } if *task == id))
                .expect("polled after wake");
            assert!(blocked < ready && ready < woken && polled > 0, "{events:#?}");
        });
        corolab::trace::clear_sink();
    });
}

// Why: yield_now promises that sockets and timers get their turn before the yielding task
// runs again (asyncio.sleep(0)); a yield that only requeued the task would not keep it.
#[test]
fn yield_now_lets_io_run_before_the_task_is_polled_again() {
    with_deadline(LIMIT, || {
        block_on(async {
            let (ours, mut theirs) = socket_pair().await;
            let got = Rc::new(Cell::new(0));
            let g2 = got.clone();
            let reader = spawn(async move {
                let mut buf = [0u8; 4];
                g2.set(ours.read(&mut buf).await.unwrap());
            });
            yield_now().await; // the reader parks on WouldBlock
            theirs.write_all(b"ping").unwrap(); // loopback: the bytes are there now
            yield_now().await; // the reactor sees them and the reader runs before we resume
            assert_eq!(got.get(), 4);
            reader.await.unwrap();
        });
    });
}

struct PushId(u32, Arc<std::sync::Mutex<Vec<u32>>>);
impl Wake for PushId {
    fn wake(self: Arc<Self>) {
        self.1.lock().unwrap().push(self.0);
    }
}

// Why: equal deadlines must fire in the order they were set even when the later timer has the
// smaller slab key: the heap orders by (deadline, sequence), never by slot.
#[test]
fn equal_deadlines_fire_in_insertion_order_even_in_reused_slots() {
    block_on(async {
        let reactor = Reactor::current().unwrap();
        let fired = Arc::new(std::sync::Mutex::new(Vec::new()));
        let waker = |id| Waker::from(Arc::new(PushId(id, fired.clone())));
        let far = Instant::now() + Duration::from_secs(60);
        let at = Instant::now() + Duration::from_millis(5);
        let filler = reactor.add_timer(far, &waker(0));
        reactor.remove_timer(filler); // slot 0 is free again, with generation 1
        // The earlier timer reuses slot 0: generation 1 packs into a *large* key...
        let _first = reactor.add_timer(at, &waker(1));
        // ...and the later one takes fresh slot 1 with generation 0: a *small* key.
        let _second = reactor.add_timer(at, &waker(2));
        std::thread::sleep(Duration::from_millis(10));
        reactor.fire_timers(Instant::now());
        assert_eq!(*fired.lock().unwrap(), vec![1, 2]);
    });
}

// Why: several tasks may wait on one socket (an Rc<TcpStream> shared by two readers); each
// must be woken when data comes, not only the last one that polled.
#[test]
fn two_tasks_reading_one_shared_socket_are_both_served() {
    with_deadline(LIMIT, || {
        block_on(async {
            let (ours, mut theirs) = socket_pair().await;
            let ours = Rc::new(ours);
            let readers: Vec<_> = (0..2)
                .map(|_| {
                    let s = ours.clone();
                    spawn(async move {
                        let mut buf = [0u8; 1];
                        s.read(&mut buf).await.unwrap()
                    })
                })
                .collect();
            yield_now().await; // both park on WouldBlock
            theirs.write_all(b"ab").unwrap();
            for r in readers {
                let got = timeout(Duration::from_secs(2), r).await;
                assert_eq!(got, Ok(Ok(1)), "a reader was stranded");
            }
        });
    });
}

// Why: a huge duration is valid input meaning "practically never", not an overflow panic.
#[test]
fn huge_durations_do_not_overflow() {
    block_on(async {
        assert_eq!(timeout(Duration::MAX, async { 1 }).await, Ok(1));
        let s = sleep(Duration::MAX);
        assert!(s.deadline() > Instant::now() + Duration::from_secs(86_400 * 365));
    });
}

// Why: a short read clears readiness early to save a system call; if it also cleared the
// "peer closed" bit that came in the same epoll event, the next read would wait for an edge
// that was already delivered, and hang instead of returning EOF.
#[test]
fn short_read_keeps_a_hangup_seen_in_the_same_event() {
    with_deadline(LIMIT, || {
        block_on(async {
            let (ours, mut theirs) = socket_pair().await;
            theirs.write_all(b"abc").unwrap();
            theirs.shutdown(std::net::Shutdown::Write).unwrap();
            std::thread::sleep(Duration::from_millis(10));
            // Let the reactor dispatch the event carrying both "readable" and "read closed".
            corolab::time::sleep(Duration::from_millis(5)).await;
            let mut buf = [0u8; 16];
            assert_eq!(ours.read(&mut buf).await.unwrap(), 3, "a short read");
            let eof = timeout(Duration::from_secs(2), ours.read(&mut buf)).await;
            assert_eq!(eof.map(|r| r.unwrap()), Ok(0), "EOF must still be seen");
        });
    });
}

// Why: after the peer reset the connection, `shutdown(Write)` got `NotConnected` from the
// kernel; the caller's intent ("no more writes") already holds, and tokio answers Ok(()).
// corolab does the same; the reset itself is what the read reports.
#[test]
fn shutdown_write_after_the_peer_reset_is_ok() {
    with_deadline(LIMIT, || {
        block_on(async {
            let (ours, theirs) = socket_pair().await;
            socket2::SockRef::from(&theirs)
                .set_linger(Some(Duration::ZERO))
                .unwrap();
            drop(theirs); // close with linger 0: the kernel sends RST
            let mut buf = [0u8; 8];
            let read = timeout(Duration::from_secs(5), ours.read(&mut buf)).await;
            let error = read.expect("the reset arrives").unwrap_err();
            assert_eq!(error.kind(), std::io::ErrorKind::ConnectionReset);
            assert!(ours.shutdown(std::net::Shutdown::Write).is_ok());
            assert!(ours.shutdown(std::net::Shutdown::Both).is_ok());
        });
    });
}
