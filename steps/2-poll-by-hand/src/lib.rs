//! Step 2: poll by hand. A future written by hand, and an executor that polls it in a busy loop.
//!
//! **Concept.** A future (未来对象) is a value you can ask "are you done?": `Future::poll`
//! answers `Poll::Ready(value)` or `Poll::Pending`. Here the futures are written by hand as
//! state machines: [`Delay`] (done once a deadline has passed), [`Countdown`] (done after `n`
//! polls) and [`Join2`] (done when both halves are). Python's generators are the same idea:
//! `next(g)` runs to the next `yield`, like one poll.
//!
//! The executor, [`block_on_busy`], has no idea *when* a pending future could make progress,
//! because the futures have nobody to tell: the `Context` carries a no-op waker (唤醒器), so a
//! future that wanted to say "poll me again now" would be talking to no one. The only safe
//! thing left is to poll again at once, forever: a busy loop. It works, and it burns a whole
//! core while it waits; [`run_demo`] measures that CPU time against a thread that just sleeps.
//!
//! **Where.** [`block_on_busy`] is the whole executor; [`measure`] takes wall and CPU time,
//! the latter from `/proc/thread-self/schedstat` (std has no `getrusage`; see
//! `steps_support::cpu_time`).
//!
//! **In the debugger.** `break step2_poll_by_hand::Delay::poll` stops millions of times:
//! every stop is one `poll main` that ends `-> Pending` and changed nothing.
//!
//! **What the real corolab adds here, and where.** `Runtime::block_on` in `src/runtime.rs`
//! polls the main future only after a real waker (`src/executor/waker.rs`) says so, and sleeps
//! in `epoll_wait` in between; step 3 is that idea in small.

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
pub use steps_support::{self as trace, cpu_time, ms};

/// Done once `deadline` has passed. It cannot ask to be woken: nobody would.
pub struct Delay {
    /// When the delay is over.
    pub deadline: Instant,
}

impl Future for Delay {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline { Poll::Ready(()) } else { Poll::Pending }
    }
}

/// Done after being polled `left + 1` times (a deterministic future for the golden trace).
pub struct Countdown {
    /// Pending answers still to give.
    pub left: u32,
}

impl Future for Countdown {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if self.left == 0 {
            return Poll::Ready(());
        }
        self.left -= 1;
        Poll::Pending
    }
}

/// Two futures run as one: a hand-written `join`. Each half is polled until it is done,
/// and never again after.
pub struct Join2<A: Future, B: Future> {
    a: Option<A>,
    b: Option<B>,
    a_out: Option<A::Output>,
    b_out: Option<B::Output>,
}

/// `join2(a, b)` completes with both outputs.
pub fn join2<A: Future + Unpin, B: Future + Unpin>(a: A, b: B) -> Join2<A, B> {
    Join2 { a: Some(a), b: Some(b), a_out: None, b_out: None }
}

impl<A: Future + Unpin, B: Future + Unpin> Future for Join2<A, B>
where
    A::Output: Unpin,
    B::Output: Unpin,
{
    type Output = (A::Output, B::Output);
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Some(a) = this.a.as_mut()
            && let Poll::Ready(out) = Pin::new(a).poll(cx)
        {
            this.a_out = Some(out);
            this.a = None;
        }
        if let Some(b) = this.b.as_mut()
            && let Poll::Ready(out) = Pin::new(b).poll(cx)
        {
            this.b_out = Some(out);
            this.b = None;
        }
        match (this.a_out.take(), this.b_out.take()) {
            (Some(a), Some(b)) => Poll::Ready((a, b)),
            (a, b) => {
                (this.a_out, this.b_out) = (a, b);
                Poll::Pending
            }
        }
    }
}

/// Polls `future` again and again until it is ready. Returns its output and the poll count.
pub fn block_on_busy<F: Future>(future: F) -> (F::Output, u64) {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop()); // wake() does nothing at all
    let mut polls = 0;
    loop {
        polls += 1;
        let outcome = future.as_mut().poll(&mut cx);
        if polls > 4 && outcome.is_ready() {
            trace::line(format!(
                "  ({} more polls of main, each `-> Pending`, not shown)",
                polls - 4
            ));
        }
        if polls <= 3 || outcome.is_ready() {
            trace::poll_start("main"); // traced after the fact: nothing happens inside it
            trace::poll_end(outcome.is_ready());
        }
        if let Poll::Ready(out) = outcome {
            return (out, polls);
        }
    }
}

/// Wall and CPU time of `f` on this thread.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, Duration, Duration) {
    let (wall, cpu) = (Instant::now(), cpu_time());
    let out = f();
    (out, wall.elapsed(), cpu_time().saturating_sub(cpu))
}

/// Waits 100 ms and 200 ms at once by busy polling, then 200 ms with `thread::sleep`.
pub fn run_demo() {
    let (a, b) = (Duration::from_millis(100), Duration::from_millis(200));
    let now = Instant::now();
    let both = join2(Delay { deadline: now + a }, Delay { deadline: now + b });
    let ((_, polls), wall, cpu) = measure(|| block_on_busy(both));
    let row = |name: &str, wall: Duration, cpu: Duration| {
        let share = 100.0 * cpu.as_secs_f64() / wall.as_secs_f64().max(1e-9);
        trace::say(format!(
            "{name:<14} wall {:>6.1} ms   CPU {:>6.1} ms ({share:>3.0}%)",
            ms(wall),
            ms(cpu)
        ));
    };
    row("busy polling", wall, cpu);
    let (_, wall, cpu) = measure(|| std::thread::sleep(a.max(b)));
    row("thread::sleep", wall, cpu);
    trace::say(format!(
        "busy polling asked \"are you done?\" {polls} times; all but the last said Pending."
    ));
    trace::say(
        "Why: the no-op waker can never call us back, so the loop cannot sleep. Step 3 fixes that."
            .into(),
    );
}
