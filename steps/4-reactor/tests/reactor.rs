//! Step 4: draining until WouldBlock, generation tokens, and no silent hang.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::task::{Wake, Waker};
use std::time::Duration;
use step4_reactor::{Executor, Reactor, Socket, drain, run};

fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    (client, listener.accept().unwrap().0)
}

fn bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(f()));
    match rx.recv_timeout(Duration::from_secs(5)) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the loop hung for 5 s: an edge was missed"),
        // Not a hang: the code under test panicked (a `todo!` still there?); its message is above.
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            panic!("the code under test panicked: see its message above")
        }
    }
}

#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

// Why: edge-triggered epoll reports a burst once; a reader that takes one 4 KiB buffer per
// event waits forever for the rest. Draining until WouldBlock gets all 64 KiB.
#[test]
fn a_burst_larger_than_one_buffer_is_drained_until_would_block() {
    let got = bounded(|| {
        let (mut writer, reader) = pair();
        let reactor = Reactor::new().unwrap();
        let mut socket = Socket::new(&reactor, reader).unwrap();
        let mut executor = Executor::default();
        let got = Arc::new(AtomicUsize::new(0));
        let out = got.clone();
        executor.spawn(async move {
            let bytes = socket.read_at_least(64 * 1024).await.unwrap();
            out.store(bytes.len(), SeqCst);
        });
        let peer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20)); // after the task's first WouldBlock
            writer.write_all(&[7u8; 64 * 1024]).unwrap();
            std::thread::sleep(Duration::from_secs(6)); // keep it open: no EOF to the rescue
        });
        run(&mut executor, &reactor).unwrap();
        drop(peer);
        got.load(SeqCst)
    });
    assert_eq!(got, 64 * 1024);
}

// Why: drain itself: everything available, then Ok(false) on WouldBlock; Ok(true) at EOF.
#[test]
fn drain_reads_all_that_is_there_then_reports_would_block_or_eof() {
    let (mut writer, reader) = pair();
    reader.set_nonblocking(true).unwrap();
    writer.write_all(&[1u8; 20_000]).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let (mut reader, mut out) = (reader, Vec::new());
    assert!(!drain(&mut reader, &mut out).unwrap(), "WouldBlock, not EOF");
    assert_eq!(out.len(), 20_000);
    drop(writer);
    std::thread::sleep(Duration::from_millis(50));
    assert!(drain(&mut reader, &mut out).unwrap(), "EOF");
}

// Why: a freed slot is reused with a new generation, so an event still in flight for the old
// socket (its token) wakes nobody, while the new socket's token still works.
#[test]
fn a_stale_token_after_slot_reuse_wakes_nobody() {
    let reactor = Reactor::new().unwrap();
    let mut reactor = reactor.borrow_mut();
    let (_a_peer, a) = pair();
    let mut a = mio::net::TcpStream::from_std(a);
    let old = reactor.register(&mut a, mio::Interest::READABLE).unwrap();
    reactor.deregister(&mut a, old);
    let (_b_peer, b) = pair();
    let mut b = mio::net::TcpStream::from_std(b);
    let new = reactor.register(&mut b, mio::Interest::READABLE).unwrap();
    assert_eq!(old.0 & 0xffff_ffff, new.0 & 0xffff_ffff, "same slot, reused");
    assert_ne!(old, new, "but a new generation");
    let counter = Arc::new(CountingWaker::default());
    reactor.slot_for(new).unwrap().reader = Some(Waker::from(counter.clone()));
    assert!(!reactor.wake_token(old, true, false), "the stale token found a slot");
    assert_eq!(
        counter.0.load(SeqCst),
        0,
        "the new socket's task was woken by the old socket's event"
    );
    assert!(reactor.wake_token(new, true, false));
    assert_eq!(counter.0.load(SeqCst), 1);
}

// Why: a task that waits for nothing the reactor knows would make epoll_wait sleep forever;
// the loop says so instead.
#[test]
fn waiting_for_nothing_is_an_error_not_a_hang() {
    let err = bounded(|| {
        let reactor = Reactor::new().unwrap();
        let mut executor = Executor::default();
        executor.spawn(std::future::pending());
        run(&mut executor, &reactor).unwrap_err().to_string()
    });
    assert!(err.contains("would hang"), "{err}");
}
