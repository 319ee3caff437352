//! Sockets and timers used from a runtime other than the one that first polled them.
//!
//! A socket's wakers live in the reactor it was registered with; awaited in another runtime
//! it would park where nobody looks and wait forever (issue 16.2). It must fail at once, with
//! an error naming both runtimes. A `Sleep` is only a deadline, so it moves to the new runtime.

mod common;

use common::with_deadline;
use corolab::Runtime;
use corolab::future::poll_fn;
use corolab::net::{TcpListener, TcpStream, WrongRuntime};
use corolab::time::{sleep, timeout};
use std::io;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

fn wrong_runtime(error: &io::Error) -> WrongRuntime {
    *error
        .get_ref()
        .and_then(|e| e.downcast_ref::<WrongRuntime>())
        .unwrap_or_else(|| panic!("not a WrongRuntime error: {error:?}"))
}

// Why: a stream parked in runtime A's reactor (a read that found no data) and then read in
// runtime B used to hang; it must fail at once, naming A and B.
#[test]
fn tcp_stream_polled_in_one_runtime_fails_at_once_in_another() {
    with_deadline(LIMIT, || {
        let (a, b) = (Runtime::new(), Runtime::new());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stream = a.block_on(async move {
            let stream = TcpStream::connect_addr(addr).await.unwrap();
            let mut buf = [0u8; 8];
            // Nothing to read yet: the read parks its waker in a's reactor, then gives up.
            assert!(timeout(Duration::ZERO, stream.read(&mut buf)).await.is_err());
            stream
        });
        let _peer = listener.accept().unwrap();
        assert_eq!(stream.runtime_id(), a.id());
        let error = b.block_on(async {
            let mut buf = [0u8; 8];
            stream.read(&mut buf).await.unwrap_err()
        });
        let wrong = wrong_runtime(&error);
        assert_eq!(
            wrong,
            WrongRuntime {
                belongs_to: a.id(),
                used_from: b.id()
            }
        );
        let message = error.to_string();
        assert!(message.contains(&format!("runtime {}", a.id())), "{message}");
        assert!(message.contains(&format!("runtime {}", b.id())), "{message}");
        let write_error = b.block_on(async { stream.write(b"x").await.unwrap_err() });
        assert_eq!(wrong_runtime(&write_error), wrong);
        // Back in its own runtime the stream works again.
        assert!(a.block_on(async { stream.write(b"x").await }).is_ok());
    });
}

// Why: the same for a listener whose accept was first polled in runtime A, including when A
// is the throwaway runtime of one `corolab::block_on` and B the next one's.
#[test]
fn tcp_listener_polled_in_one_runtime_fails_at_once_in_another() {
    with_deadline(LIMIT, || {
        let listener = corolab::block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            assert!(timeout(Duration::ZERO, listener.accept()).await.is_err());
            listener
        });
        let error = corolab::block_on(async { listener.accept().await.map(|_| ()).unwrap_err() });
        let wrong = wrong_runtime(&error);
        assert_ne!(wrong.belongs_to, wrong.used_from);
    });
}

// Why: a Sleep holds only a deadline, so moving it to another runtime can simply work: its
// timer is re-registered there, instead of waiting in a reactor nobody runs.
#[test]
fn sleep_polled_in_one_runtime_completes_in_another() {
    with_deadline(LIMIT, || {
        let (a, b) = (Runtime::new(), Runtime::new());
        let mut nap = Box::pin(sleep(Duration::from_millis(20)));
        a.block_on(poll_fn(|cx| {
            assert!(Pin::new(&mut nap).poll(cx).is_pending(), "registered in a");
            Poll::Ready(())
        }));
        b.block_on(nap);
        assert_eq!(b.stats().timers_fired, 1, "the timer fired in b");
        assert_eq!(a.stats().timers_fired, 0);
    });
}
