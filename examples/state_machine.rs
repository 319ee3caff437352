//! An `async fn` is a state machine. This example writes the same small
//! logic twice, once with `async`/`await` and once by hand as an `enum` that
//! implements `Future`, runs both on corolab, and shows that they print the
//! same lines.
//!
//! Run with `cargo run --example state_machine`.
//! Chapter: `docs/02-futures-and-wakers.md`.

mod common;

/// `--help` prints this; the example takes no other flag.
const USAGE: &str = "usage: state_machine (no options)\n\
    \x20 an async fn next to the same state machine written by hand";

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use corolab::Runtime;
use corolab::time::{Sleep, sleep};

/// The lines a run says, shared between the future and whoever reads them.
pub type Log = Rc<RefCell<Vec<String>>>;

/// How long the water takes to boil.
const BOIL: Duration = Duration::from_millis(10);

/// Record one line.
fn say(log: &Log, line: String) {
    log.borrow_mut().push(line);
}

// ---------------------------------------------------------------------------
// 1. The async fn: two awaits.
// ---------------------------------------------------------------------------

/// Boil the water, then steep the tea: two timers, two `.await`s.
///
/// The compiler turns this function into an enum with one variant per place
/// the function can be paused, each holding what is still needed from there:
///
/// - `Unresumed` (before the first poll): the arguments `log` and `steep_ms`.
/// - `Suspend0` (at the first `.await`): `log` and `steep_ms`, which are used
///   later, plus the `Sleep` being awaited (debuggers call it `__awaitee`).
/// - `Suspend1` (at the second `.await`): `log` and the second `Sleep`;
///   `steep_ms` is dead by then, so the compiler need not keep it.
/// - `Returned` and `Panicked`: nothing. Polling in either state panics.
pub async fn make_tea(log: Log, steep_ms: u64) -> &'static str {
    say(&log, "put the kettle on".to_string());
    sleep(BOIL).await;
    say(&log, format!("water boiled, steeping for {steep_ms} ms"));
    sleep(Duration::from_millis(steep_ms)).await;
    say(&log, "tea is ready".to_string());
    "green tea"
}

// ---------------------------------------------------------------------------
// 2. The same logic by hand.
// ---------------------------------------------------------------------------

/// Which `.await` a [`MakeTea::Waiting`] future is paused at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// At the first await: the kettle.
    Boiling,
    /// At the second await: the tea leaves.
    Steeping,
}

/// `make_tea` written out by hand. The compiler would make two waiting
/// variants (`Suspend0`, `Suspend1`); here they share one, `Waiting`, with a
/// `step` saying which await it stands for.
pub enum MakeTea {
    /// Created, never polled; holds the arguments. Nothing has run yet,
    /// which is why calling an `async fn` alone does nothing.
    Start {
        /// Where the lines go.
        log: Log,
        /// The second timer's length.
        steep_ms: u64,
    },
    /// Paused at an await, holding the timer it waits on and the locals
    /// still needed after it.
    Waiting {
        /// Which await this is.
        step: Step,
        /// The future being awaited.
        timer: Sleep,
        /// Still needed to say the next line.
        log: Log,
        /// Still needed for the second timer.
        steep_ms: u64,
    },
    /// Finished: the output has been handed out, nothing is left.
    Done,
}

impl MakeTea {
    /// Like calling `make_tea(log, steep_ms)`: builds the future, runs nothing.
    pub fn new(log: Log, steep_ms: u64) -> MakeTea {
        MakeTea::Start { log, steep_ms }
    }
}

// `Pin` exists for futures that point into themselves. The compiler's version
// of `async fn f() { let buf = [0u8; 8]; read(&mut buf).await }` stores `buf`
// AND the `read` future holding `&mut buf` in the same enum: a pointer into
// itself. Moving the enum after the first poll would leave that pointer aimed
// at the old place, so `poll` takes `Pin<&mut Self>`, a promise that the value
// stays put from now on; that is also why compiler-made futures are `!Unpin`.
// `MakeTea` holds no references into itself (`Sleep` is `Unpin` too), so it
// is `Unpin`, and `poll` may take a plain `&mut Self` with `Pin::get_mut`.

impl Future for MakeTea {
    type Output = &'static str;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        let this = self.get_mut();
        loop {
            // Take the current state out, leaving `Done` behind. If anything
            // below panics, the future stays `Done` and a later poll panics
            // too, which is what the compiler's `Panicked` state does.
            match std::mem::replace(this, MakeTea::Done) {
                MakeTea::Start { log, steep_ms } => {
                    say(&log, "put the kettle on".to_string());
                    *this = MakeTea::Waiting {
                        step: Step::Boiling,
                        timer: sleep(BOIL),
                        log,
                        steep_ms,
                    };
                    // `.await` polls the new future at once: go round the loop.
                }
                MakeTea::Waiting {
                    step,
                    mut timer,
                    log,
                    steep_ms,
                } => {
                    if Pin::new(&mut timer).poll(cx).is_pending() {
                        // The timer stored `cx.waker()`; when it fires, the
                        // executor polls us again and we land here again.
                        *this = MakeTea::Waiting {
                            step,
                            timer,
                            log,
                            steep_ms,
                        };
                        return Poll::Pending;
                    }
                    match step {
                        Step::Boiling => {
                            say(&log, format!("water boiled, steeping for {steep_ms} ms"));
                            *this = MakeTea::Waiting {
                                step: Step::Steeping,
                                timer: sleep(Duration::from_millis(steep_ms)),
                                log,
                                steep_ms,
                            };
                        }
                        Step::Steeping => {
                            say(&log, "tea is ready".to_string());
                            // `*this` stays `Done`.
                            return Poll::Ready("green tea");
                        }
                    }
                }
                // Polling after `Ready` is a bug in the caller. There is no
                // output left to give (it was moved out), and returning
                // `Pending` would make the caller wait for a wake-up that never
                // comes: a silent hang. A loud panic is the kind answer, and
                // the `Future` docs allow it; compiler-made futures do the same
                // ("`async fn` resumed after completion").
                MakeTea::Done => panic!("MakeTea polled after it returned Ready"),
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Running both.
// ---------------------------------------------------------------------------

/// What one run produced: the lines said, the output, and how many times the
/// executor polled.
pub struct Run {
    /// The lines, in order.
    pub lines: Vec<String>,
    /// The future's output.
    pub output: &'static str,
    /// `Runtime::stats().polls` after the run.
    pub polls: u64,
}

/// Run the `async fn` version on a fresh corolab runtime.
pub fn run_async_fn(steep_ms: u64) -> Run {
    let log = Log::default();
    let rt = Runtime::new();
    let output = rt.block_on(make_tea(Rc::clone(&log), steep_ms));
    let lines = log.borrow().clone();
    Run {
        lines,
        output,
        polls: rt.stats().polls,
    }
}

/// Run the hand-written version on a fresh corolab runtime.
pub fn run_by_hand(steep_ms: u64) -> Run {
    let log = Log::default();
    let rt = Runtime::new();
    let output = rt.block_on(MakeTea::new(Rc::clone(&log), steep_ms));
    let lines = log.borrow().clone();
    Run {
        lines,
        output,
        polls: rt.stats().polls,
    }
}

fn print_run(title: &str, run: &Run) {
    println!("== {title} ==");
    for line in &run.lines {
        println!("{line}");
    }
    println!("-> {} ({} polls)", run.output, run.polls);
}

fn main() {
    common::start(&[], USAGE);
    let steep_ms = 20;
    let by_compiler = run_async_fn(steep_ms);
    print_run("async fn make_tea", &by_compiler);
    let by_hand = run_by_hand(steep_ms);
    print_run("enum MakeTea, by hand", &by_hand);
    println!(
        "same lines: {}, same output: {}",
        by_compiler.lines == by_hand.lines,
        by_compiler.output == by_hand.output
    );
    // The sizes need not match: the compiler picks its own layout (it may
    // overlap fields of different states, and it keeps its own state tag and
    // copies of the arguments), while `MakeTea` stores exactly what we chose.
    println!(
        "size of the future: async fn {} bytes, by hand {} bytes",
        std::mem::size_of_val(&make_tea(Log::default(), steep_ms)),
        std::mem::size_of::<MakeTea>()
    );
}
