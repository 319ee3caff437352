//! `spawn_blocking`: run a blocking closure on a helper thread (asyncio's `run_in_executor`).
//!
//! The closure runs on a helper thread from a small pool (`blocking_pool.rs`: at most 64
//! threads; more calls wait their turn in FIFO order). The task that waits for it is an ordinary
//! corolab task whose waker is called *from that other thread* when the closure returns: this is
//! the cross-thread wake path (injector queue plus a poke of the reactor's eventfd).

use super::{JoinHandle, blocking_pool, current_or_panic};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;

struct Slot<T> {
    result: Option<thread::Result<T>>,
    waker: Option<Waker>,
}

struct WaitForThread<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

impl<T> Future for WaitForThread<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        match slot.result.take() {
            Some(Ok(value)) => Poll::Ready(value),
            // Re-raise the closure's panic inside the task: its JoinHandle reports it.
            Some(Err(payload)) => std::panic::resume_unwind(payload),
            None => {
                slot.waker = Some(cx.waker().clone());
                crate::trace::park(|| crate::trace::Wait::Blocking);
                Poll::Pending
            }
        }
    }
}

/// Runs `f` on a helper thread (a pool of at most [`blocking_pool::MAX_THREADS`]; more calls wait
/// their turn) and returns a handle that resolves to its result without
/// blocking the runtime. A panic in `f` becomes `JoinError::Panic`.
/// Panics (clearly) when called outside `block_on`, like [`spawn`](super::spawn).
pub fn spawn_blocking<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    // Check for a runtime first: outside one, the closure must not run at all.
    let executor = current_or_panic("spawn_blocking");
    let slot = Arc::new(Mutex::new(Slot {
        result: None,
        waker: None,
    }));
    let for_thread = slot.clone();
    let job = Box::new(move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let waker = {
            let mut slot = for_thread.lock().unwrap_or_else(|e| e.into_inner());
            slot.result = Some(result);
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake(); // a wake from another thread
        }
    });
    if let Err((job, e)) = blocking_pool::submit(job) {
        drop(job);
        let message = format!("spawn_blocking could not start a thread: {e}");
        slot.lock().unwrap_or_else(|e| e.into_inner()).result = Some(Err(Box::new(message)));
    }
    executor.spawn_task(None, WaitForThread { slot })
}
