//! Tests for `corolab::green`: green threads on the corolab reactor.
#![cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]

mod common;

use common::with_deadline;
use corolab::JoinError;
use corolab::green;
use corolab::greenlet::Greenlet;
use corolab::net::TcpListener;
use corolab_server::{Response, Server};
use std::cell::Cell;
use std::io::{ErrorKind, Read};
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Starts a stackless (async) `corolab_server` on the current runtime that answers every
/// request with `hello` after `delay`. Returns its address; it serves until `block_on` returns.
fn spawn_slow_server(delay: Duration) -> SocketAddr {
    let server = Server::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    drop(corolab::spawn(server.serve(move |_request| async move {
        corolab::time::sleep(delay).await;
        Response::text(200, "hello")
    })));
    addr
}

/// Blocking-looking client code, as it would be written for `std::net`.
fn fetch(addr: SocketAddr) -> std::io::Result<String> {
    let mut stream = green::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(b"GET / HTTP/1.0\r\nHost: test\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

/// Counts drops, to see a green thread's destructors run.
struct DropCounter(Rc<Cell<u32>>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

// Why: the point of gevent: 20 green threads doing blocking-looking I/O
// against a server that delays 100 ms must overlap (sequential would take
// 2 s), and stackful clients and a stackless server share one reactor.
#[test]
fn twenty_green_threads_fetching_from_a_slow_server_overlap() {
    let elapsed = with_deadline(Duration::from_secs(20), || {
        corolab::block_on(async {
            let addr = spawn_slow_server(Duration::from_millis(100));
            let start = Instant::now();
            let handles: Vec<_> = (0..20).map(|_| green::spawn(move || fetch(addr))).collect();
            for handle in handles {
                let response = handle
                    .await
                    .expect("green thread finished")
                    .expect("fetch worked");
                // An HTTP/1.0 request may be answered as HTTP/1.1 (RFC 9110 section 6.2).
                assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
                assert!(
                    response.ends_with("\r\n\r\nhello\n"),
                    "the whole body is hello: {response}"
                );
            }
            start.elapsed()
        })
    });
    assert!(
        elapsed >= Duration::from_millis(100),
        "the server really delayed: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_millis(1000),
        "20 x 100 ms overlapped: {elapsed:?}"
    );
}

// Why: green::run / spawn / sleep / joinall must give the gevent shape:
// blocking-looking sleeps that overlap, results in spawn order.
#[test]
fn green_sleeps_overlap_and_joinall_keeps_order() {
    let (results, elapsed) = with_deadline(Duration::from_secs(10), || {
        let start = Instant::now();
        let results = green::run(|| {
            let jobs: Vec<_> = (0..10_u64)
                .map(|i| {
                    green::spawn(move || {
                        green::sleep(Duration::from_millis(100 - 5 * i)); // later ones finish first
                        i * i
                    })
                })
                .collect();
            green::joinall(jobs)
        })
        .unwrap();
        (results, start.elapsed())
    });
    let expected: Vec<Result<u64, JoinError>> = (0..10).map(|i| Ok(i * i)).collect();
    assert_eq!(results, expected);
    assert!(
        elapsed < Duration::from_millis(500),
        "ten 55-100 ms sleeps overlapped: {elapsed:?}"
    );
}

// Why: a panic in one green thread must surface as that thread's JoinError
// (caught on its own stack, resumed in the task poll), not kill the others.
#[test]
fn panic_in_a_green_thread_is_its_join_error_and_others_continue() {
    let results = with_deadline(Duration::from_secs(10), || {
        green::run(|| {
            let bad = green::spawn(|| -> u32 {
                green::sleep(Duration::from_millis(10));
                panic!("green thread failed")
            });
            let good = green::spawn(|| {
                green::sleep(Duration::from_millis(30));
                7_u32
            });
            (bad.join(), good.join())
        })
        .unwrap()
    });
    assert_eq!(
        results.0,
        Err(JoinError::Panic("green thread failed".to_string()))
    );
    assert_eq!(results.1, Ok(7));
}

// Why: cancelling a green thread that is parked in a wait must unwind its
// stack so destructors (and with them sockets, timers) are released.
#[test]
fn aborting_a_parked_green_thread_unwinds_its_stack() {
    let (result, drops, elapsed) = with_deadline(Duration::from_secs(10), || {
        let drops = Rc::new(Cell::new(0));
        let start = Instant::now();
        let counter = drops.clone();
        let result = corolab::block_on(async move {
            let sleeper = green::spawn(move || {
                let _guard = DropCounter(counter);
                green::sleep(Duration::from_secs(30));
                "woke up"
            });
            corolab::time::sleep(Duration::from_millis(20)).await; // let it park
            sleeper.abort();
            sleeper.await
        });
        (result, drops.get(), start.elapsed())
    });
    assert_eq!(result, Err(JoinError::Cancelled));
    assert_eq!(drops, 1, "the parked green thread's guard was dropped");
    assert!(
        elapsed < Duration::from_secs(5),
        "it did not sleep 30 s: {elapsed:?}"
    );
}

// Why: when block_on returns, green threads still parked are dropped with
// the other tasks; their stacks must be unwound, not leaked mid-frame.
#[test]
fn runtime_shutdown_unwinds_parked_green_threads() {
    let drops = with_deadline(Duration::from_secs(10), || {
        let drops = Rc::new(Cell::new(0));
        let counter = drops.clone();
        corolab::block_on(async move {
            for _ in 0..3 {
                let counter = counter.clone();
                drop(green::spawn(move || {
                    let _guard = DropCounter(counter);
                    green::sleep(Duration::from_secs(30));
                }));
            }
            corolab::time::sleep(Duration::from_millis(20)).await;
        });
        drops.get()
    });
    assert_eq!(drops, 3);
}

// Why: green I/O called from async code (no green thread to suspend) must
// be a clear typed error, never a blocked runtime.
#[test]
fn green_io_outside_a_green_thread_is_an_unsupported_error() {
    let kind = with_deadline(Duration::from_secs(10), || {
        corolab::block_on(async {
            let addr = spawn_slow_server(Duration::from_millis(1));
            let stream = corolab::net::TcpStream::connect(addr).await.unwrap();
            let stream = green::TcpStream::from_async(stream);
            assert!(!green::in_green_thread());
            stream.read(&mut [0u8; 16]).unwrap_err().kind()
        })
    });
    assert_eq!(kind, ErrorKind::Unsupported);
}

// Why: every network wait needs a bound; a read timeout must end a read
// from a peer that never answers with TimedOut, on time.
#[test]
fn read_timeout_bounds_a_green_read() {
    let (kind, elapsed) = with_deadline(Duration::from_secs(10), || {
        green::run(|| {
            let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap(); // never accepts
            let stream = green::TcpStream::connect(silent.local_addr().unwrap()).unwrap();
            stream.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
            let start = Instant::now();
            let err = stream.read(&mut [0u8; 16]).unwrap_err();
            (err.kind(), start.elapsed())
        })
        .unwrap()
    });
    assert_eq!(kind, ErrorKind::TimedOut);
    assert!(
        elapsed >= Duration::from_millis(50) && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );
}

/// Starts an async server that accepts one connection and reads until the
/// peer closes it. Returns its address and a handle that resolves when the
/// server saw end of file.
fn spawn_eof_watcher() -> (SocketAddr, corolab::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let saw_eof = corolab::spawn(async move {
        let (conn, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 64];
        while let Ok(n) = conn.read(&mut buf).await {
            if n == 0 {
                return;
            }
        }
    });
    (addr, saw_eof)
}

// Why: a green thread may run a child greenlet that waits on green I/O;
// cancelling the green thread must unwind both stacks (the child's socket
// closes), although each holds a handle to the other.
#[test]
fn aborting_a_green_thread_unwinds_a_nested_greenlet_parked_in_green_io() {
    let (result, drops, socket_closed) = with_deadline(Duration::from_secs(10), || {
        let drops = Rc::new(Cell::new(0));
        let counter = drops.clone();
        let (result, socket_closed) = corolab::block_on(async move {
            let (addr, saw_eof) = spawn_eof_watcher();
            let thread = green::spawn(move || {
                let _outer = DropCounter(counter.clone());
                let child = Greenlet::new(move |()| {
                    let _inner = DropCounter(counter);
                    let stream = green::TcpStream::connect(addr).unwrap();
                    let _ = stream.read(&mut [0u8; 16]); // parks: the server never writes
                });
                let () = child.switch(());
            });
            corolab::time::sleep(Duration::from_millis(50)).await; // let the child park
            thread.abort();
            let result = thread.await;
            let closed = corolab::time::timeout(Duration::from_secs(2), saw_eof).await;
            (result, closed.is_ok())
        });
        (result, drops.get(), socket_closed)
    });
    assert_eq!(result, Err(JoinError::Cancelled));
    assert_eq!(drops, 2, "both the green thread's and the child's guards ran");
    assert!(socket_closed, "the child's socket was closed");
}

// Why: the plain generator pattern: a green thread holds a child greenlet
// that is suspended (it switched back to the green thread), then parks
// itself. The child's parent link and the green thread's stack hold each
// other, so cancelling must still unwind both.
#[test]
fn aborting_a_green_thread_that_holds_a_suspended_child_unwinds_both() {
    let drops = with_deadline(Duration::from_secs(10), || {
        let drops = Rc::new(Cell::new(0));
        let counter = drops.clone();
        corolab::block_on(async move {
            let thread = green::spawn(move || {
                let _guard = DropCounter(counter.clone());
                let child = Greenlet::new(move |()| {
                    let _guard = DropCounter(counter);
                    // (No handle to itself on its own stack: that cycle would leak.)
                    let thread = Greenlet::current().parent().unwrap();
                    let () = thread.switch(()); // suspend, never resumed
                });
                let () = child.switch(());
                green::sleep(Duration::from_secs(30)); // the green thread parks itself
            });
            corolab::time::sleep(Duration::from_millis(20)).await;
            thread.abort();
            assert_eq!(thread.await, Err(JoinError::Cancelled));
        });
        drops.get()
    });
    assert_eq!(drops, 2, "both guards ran");
}

// Why: the same for a deeper chain (thread -> child -> grandchild, the
// grandchild parked): every stack in the chain must be unwound, not only
// the two the task knows about.
#[test]
fn aborting_a_green_thread_unwinds_every_greenlet_of_a_nested_chain() {
    let drops = with_deadline(Duration::from_secs(10), || {
        let drops = Rc::new(Cell::new(0));
        let counter = drops.clone();
        corolab::block_on(async move {
            let thread = green::spawn(move || {
                let _guard = DropCounter(counter.clone());
                let child = Greenlet::new(move |()| {
                    let _guard = DropCounter(counter.clone());
                    let grandchild = Greenlet::new(move |()| {
                        let _guard = DropCounter(counter);
                        green::sleep(Duration::from_secs(30));
                    });
                    let () = grandchild.switch(());
                });
                let () = child.switch(());
            });
            corolab::time::sleep(Duration::from_millis(20)).await;
            thread.abort();
            assert_eq!(thread.await, Err(JoinError::Cancelled));
        });
        drops.get()
    });
    assert_eq!(drops, 3, "all three guards ran");
}

// Why: a cancelled green thread that catches its exit (catch_unwind) has no
// poll left to come back to; waiting again must return at once, not panic
// out of the executor's drop or hang.
#[test]
fn a_cancelled_green_thread_that_catches_its_exit_cannot_wait_again() {
    let (result, waited) = with_deadline(Duration::from_secs(10), || {
        let waited = Rc::new(Cell::new(None));
        let record = waited.clone();
        let result = corolab::block_on(async move {
            let thread = green::spawn(move || {
                let caught = catch_unwind(|| green::sleep(Duration::from_secs(30)));
                assert!(caught.is_err(), "the exit unwound the first sleep");
                let start = Instant::now();
                green::sleep(Duration::from_secs(30));
                record.set(Some(start.elapsed()));
            });
            corolab::time::sleep(Duration::from_millis(20)).await;
            thread.abort();
            thread.await
        });
        (result, waited.get())
    });
    assert_eq!(result, Err(JoinError::Cancelled));
    let waited = waited.expect("the green thread ran to its end");
    assert!(waited < Duration::from_secs(1), "{waited:?}");
}

/// Reads the stream to its end when dropped and records how that ended.
struct ReadToEndOnDrop(green::TcpStream, Rc<Cell<Option<ErrorKind>>>);

impl Drop for ReadToEndOnDrop {
    fn drop(&mut self) {
        let mut rest = Vec::new();
        // std's read_to_end, which retries `Interrupted` errors forever.
        let kind = Read::read_to_end(&mut &self.0, &mut rest).err().map(|e| e.kind());
        self.1.set(kind);
    }
}

// Why: destructors that do green I/O run while a cancelled green thread
// unwinds; the "cannot wait" error must end std's I/O helpers (which retry
// `Interrupted` forever), or cancellation spins at 100% CPU.
#[test]
fn green_io_in_a_destructor_during_cancellation_fails_instead_of_spinning() {
    let kind = with_deadline(Duration::from_secs(10), || {
        let kind = Rc::new(Cell::new(None));
        let record = kind.clone();
        corolab::block_on(async move {
            let (addr, _saw_eof) = spawn_eof_watcher();
            let thread = green::spawn(move || {
                let stream = green::TcpStream::connect(addr).unwrap();
                let _reader = ReadToEndOnDrop(stream, record);
                green::sleep(Duration::from_secs(30));
            });
            corolab::time::sleep(Duration::from_millis(20)).await;
            thread.abort();
            assert_eq!(thread.await, Err(JoinError::Cancelled));
        });
        kind.get()
    });
    assert_eq!(
        kind,
        Some(ErrorKind::Other),
        "the read failed, not with Interrupted"
    );
}

/// Switches to a greenlet when dropped and records the `Duration` it returns.
struct SwitchOnDrop(Greenlet, Rc<Cell<Option<Duration>>>);

impl Drop for SwitchOnDrop {
    fn drop(&mut self) {
        let slept: Duration = self.0.switch(());
        self.1.set(Some(slept));
    }
}

// Why: Rust's panic count is per OS thread, not per greenlet. A greenlet
// switched into from a destructor while another greenlet's panic unwinds
// must not park: every other task would see `std::thread::panicking()`
// (poisoning std mutexes) until it came back. So its green sleep returns at
// once, and no other task ever observes the panic.
#[test]
fn a_greenlet_switched_to_during_a_panic_does_not_park_and_leak_the_panic() {
    let (slept, leaked) = with_deadline(Duration::from_secs(10), || {
        let slept = Rc::new(Cell::new(None));
        let leaked = Rc::new(Cell::new(false));
        let (record, seen) = (slept.clone(), leaked.clone());
        corolab::block_on(async move {
            let observer = corolab::spawn(async move {
                for _ in 0..40 {
                    seen.set(seen.get() || std::thread::panicking());
                    corolab::time::sleep(Duration::from_millis(5)).await;
                }
            });
            let thread = green::spawn(move || {
                let panicking = Greenlet::new(move |()| -> () {
                    let sleeper = Greenlet::new(|()| {
                        let start = Instant::now();
                        green::sleep(Duration::from_millis(100));
                        start.elapsed()
                    });
                    let _on_unwind = SwitchOnDrop(sleeper, record);
                    panic!("a panic whose unwinding switches to another greenlet");
                });
                let caught = catch_unwind(AssertUnwindSafe(|| panicking.switch::<(), ()>(())));
                assert!(caught.is_err());
            });
            thread.await.unwrap();
            observer.await.unwrap();
        });
        (slept.get(), leaked.get())
    });
    assert!(!leaked, "another task saw std::thread::panicking()");
    let slept = slept.expect("the sleeper ran from the destructor");
    assert!(slept < Duration::from_millis(100), "it could not park: {slept:?}");
}
