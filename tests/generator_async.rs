//! Tests for `corolab::generator::AsyncGen`: a generator whose body may await
//! real futures, polled as a stream with the executor's waker.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use corolab::generator::AsyncGen;

/// A waker that counts how often it was woken.
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A future that stays pending until `open` is set, keeping the last waker
/// it was given, like a socket waiting for readiness.
struct Gate {
    open: Rc<Cell<bool>>,
    waker: Rc<RefCell<Option<Waker>>>,
}

impl Future for Gate {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.open.get() {
            Poll::Ready(())
        } else {
            *self.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

#[test]
fn async_generator_hands_the_callers_waker_to_what_the_body_awaits() {
    // Why: this is the whole difference from Gen; if the body's I/O got a
    // no-op waker, the task reading the stream would never be woken.
    let open = Rc::new(Cell::new(false));
    let stored: Rc<RefCell<Option<Waker>>> = Rc::default();
    let gate = Gate {
        open: Rc::clone(&open),
        waker: Rc::clone(&stored),
    };
    let mut stream = AsyncGen::new(|co| async move {
        co.yield_(1u32).await;
        gate.await;
        co.yield_(2).await;
    });
    let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
    let waker = Waker::from(Arc::clone(&counter));
    let mut cx = Context::from_waker(&waker);

    assert_eq!(Pin::new(&mut stream).poll_next(&mut cx), Poll::Ready(Some(1)));
    assert_eq!(Pin::new(&mut stream).poll_next(&mut cx), Poll::Pending);
    assert!(!stream.is_complete(), "waiting on I/O is not an error here");
    open.set(true);
    stored.borrow_mut().take().expect("the gate kept a waker").wake();
    assert_eq!(
        counter.0.load(Ordering::SeqCst),
        1,
        "our waker was the one stored"
    );
    assert_eq!(Pin::new(&mut stream).poll_next(&mut cx), Poll::Ready(Some(2)));
    assert_eq!(Pin::new(&mut stream).poll_next(&mut cx), Poll::Ready(None));
    assert!(stream.is_complete());
    assert_eq!(Pin::new(&mut stream).poll_next(&mut cx), Poll::Ready(None));
}

#[test]
fn async_generator_with_timers_yields_everything_under_corolab() {
    // Why: the point of the type is awaiting corolab I/O between yields; a
    // sleep must suspend the reader, and every value must still arrive in order.
    let values = corolab::block_on(async {
        let mut ticks = AsyncGen::new(|co| async move {
            for i in 0..3u32 {
                corolab::time::sleep(Duration::from_millis(2)).await;
                co.yield_(i).await;
            }
        });
        let mut seen = Vec::new();
        while let Some(v) = ticks.next().await {
            seen.push(v);
        }
        seen
    });
    assert_eq!(values, [0, 1, 2]);
}

#[test]
fn panic_in_an_async_generator_body_reaches_the_reader_and_finishes_it() {
    // Why: as with Gen, a bug in the body must surface and the half-run body
    // must never be polled again.
    let mut stream = AsyncGen::new(|co| async move {
        co.yield_(1u8).await;
        panic!("body failed");
    });
    let waker = Waker::noop();
    let mut cx = Context::from_waker(waker);
    assert_eq!(Pin::new(&mut stream).poll_next(&mut cx), Poll::Ready(Some(1)));
    let caught = catch_unwind(AssertUnwindSafe(|| Pin::new(&mut stream).poll_next(&mut cx)));
    assert!(caught.is_err());
    assert!(stream.is_complete());
    assert_eq!(Pin::new(&mut stream).poll_next(&mut cx), Poll::Ready(None));
}
