//! Tests for `corolab::generator`: Python's generator protocol (start, send,
//! close, yield from, iteration) on top of a stackless `async` body.

use std::cell::RefCell;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use corolab::generator::{Co, Gen, GenError, GeneratorState};

/// The output printed by the seed's Python producer/consumer
/// (`/work/shared/seeds/002_0e1aa6bb08f66faa.txt`), copied verbatim.
const SEED_TRANSCRIPT: &str = "\
[PRODUCER] Producing 1...
[CONSUMER] Consuming 1...
[PRODUCER] Consumer return: 200 OK
[PRODUCER] Producing 2...
[CONSUMER] Consuming 2...
[PRODUCER] Consumer return: 200 OK
[PRODUCER] Producing 3...
[CONSUMER] Consuming 3...
[PRODUCER] Consumer return: 200 OK
[PRODUCER] Producing 4...
[CONSUMER] Consuming 4...
[PRODUCER] Consumer return: 200 OK
[PRODUCER] Producing 5...
[CONSUMER] Consuming 5...
[PRODUCER] Consumer return: 200 OK";

/// A shared list of lines both sides write to, in the order they run.
type Log = Rc<RefCell<Vec<String>>>;

/// Pushes "dropped <name>" onto the log when dropped: a stand-in for any
/// resource (file, socket, lock) a generator body holds while suspended.
struct DropGuard {
    name: &'static str,
    log: Log,
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.log.borrow_mut().push(format!("dropped {}", self.name));
    }
}

/// The seed's `consumer()`, line for line: `n = yield r`, return on a falsy `n`.
fn consumer(log: Log) -> Gen<&'static str, u32> {
    Gen::new(|co| async move {
        let mut r = "";
        loop {
            let n = co.yield_(r).await;
            if n == 0 {
                return;
            }
            log.borrow_mut().push(format!("[CONSUMER] Consuming {n}..."));
            r = "200 OK";
        }
    })
}

#[test]
fn producer_consumer_transcript_matches_the_seed() {
    // Why: this is the seed's own demo; if the lines or their order differ,
    // the Rust generator does not behave like Python's.
    let log: Log = Rc::default();
    let mut c = consumer(Rc::clone(&log));
    c.start().unwrap(); // c.next()
    for n in 1..=5 {
        log.borrow_mut().push(format!("[PRODUCER] Producing {n}..."));
        let r = match c.send(n).unwrap() {
            GeneratorState::Yielded(r) => r,
            GeneratorState::Complete(()) => panic!("consumer returned early"),
        };
        log.borrow_mut().push(format!("[PRODUCER] Consumer return: {r}"));
    }
    c.close();
    assert!(c.is_complete());
    assert_eq!(log.borrow().join("\n"), SEED_TRANSCRIPT);
}

#[test]
fn first_yielded_value_is_returned_by_start_not_swallowed() {
    // Why: a driver that discards the first yield loses data; Python's
    // next(c) returns it, so start() must too.
    let mut g: Gen<&str, u32> = Gen::new(|co| async move {
        co.yield_("first").await;
        co.yield_("second").await;
    });
    assert_eq!(g.start(), Ok(GeneratorState::Yielded("first")));
    assert_eq!(g.send(0), Ok(GeneratorState::Yielded("second")));
    assert_eq!(g.send(0), Ok(GeneratorState::Complete(())));
}

#[test]
fn sent_values_arrive_in_order_and_return_value_completes() {
    // Why: `n = yield r` must deliver each sent value to the matching yield,
    // and `return v` must surface as Complete(v) (Python's StopIteration.value).
    let mut g: Gen<u32, u32, Vec<u32>> = Gen::new(|co| async move {
        let mut seen = Vec::new();
        for i in 0..3 {
            seen.push(co.yield_(i).await);
        }
        seen
    });
    assert_eq!(g.start(), Ok(GeneratorState::Yielded(0)));
    assert_eq!(g.send(10), Ok(GeneratorState::Yielded(1)));
    assert_eq!(g.send(11), Ok(GeneratorState::Yielded(2)));
    assert_eq!(g.send(12), Ok(GeneratorState::Complete(vec![10, 11, 12])));
    assert!(g.is_complete());
}

#[test]
fn close_drops_the_suspended_body_and_runs_its_drop_guards() {
    // Why: close() is how a producer releases what the consumer holds; if the
    // guard did not run, a file or socket held across a yield would leak.
    let log: Log = Rc::default();
    let body_log = Rc::clone(&log);
    let mut g: Gen<u32, ()> = Gen::new(|co| async move {
        let _guard = DropGuard {
            name: "guard",
            log: Rc::clone(&body_log),
        };
        co.yield_(1).await;
        body_log.borrow_mut().push("resumed after close".into());
    });
    assert_eq!(g.start(), Ok(GeneratorState::Yielded(1)));
    assert!(log.borrow().is_empty(), "guard dropped too early");
    g.close();
    assert_eq!(*log.borrow(), ["dropped guard"]);
    assert!(g.is_complete());
    assert_eq!(g.send(()), Err(GenError::Finished));
    g.close(); // closing twice is harmless, as in Python
}

#[test]
fn dropping_a_suspended_generator_runs_its_drop_guards() {
    // Why: forgetting to call close() must not leak either; dropping the Gen
    // drops the body's state machine with everything alive in it.
    let log: Log = Rc::default();
    let body_log = Rc::clone(&log);
    let mut g: Gen<u32, ()> = Gen::new(|co| async move {
        let _outer = DropGuard {
            name: "outer",
            log: Rc::clone(&body_log),
        };
        co.yield_(1).await;
        let _inner = DropGuard {
            name: "inner",
            log: Rc::clone(&body_log),
        };
        co.yield_(2).await;
    });
    assert_eq!(g.start(), Ok(GeneratorState::Yielded(1)));
    assert_eq!(g.send(()), Ok(GeneratorState::Yielded(2)));
    drop(g);
    // Locals are dropped in reverse order of declaration, as in any Rust scope.
    assert_eq!(*log.borrow(), ["dropped inner", "dropped outer"]);
}

#[test]
fn send_before_start_is_refused_with_not_started() {
    // Why: the body is not at a yield yet, so the value would be lost;
    // Python raises TypeError here and we return an error instead of panicking.
    let mut g: Gen<u32, u32, u32> = Gen::new(|co| async move { co.yield_(0).await });
    assert_eq!(g.send(7), Err(GenError::NotStarted));
    assert!(!g.is_complete(), "a refused send must leave the generator usable");
    assert_eq!(g.start(), Ok(GeneratorState::Yielded(0)));
    assert_eq!(g.start(), Err(GenError::AlreadyStarted));
    assert_eq!(g.send(8), Ok(GeneratorState::Complete(8)));
}

#[test]
fn calls_after_completion_return_finished() {
    // Why: Python raises StopIteration on an exhausted generator; polling a
    // finished future would be a bug, so every call must be refused cleanly.
    let mut g: Gen<u32, u32, &str> = Gen::new(|_co| async move { "done at once" });
    assert_eq!(g.start(), Ok(GeneratorState::Complete("done at once")));
    assert!(g.is_complete());
    assert_eq!(g.send(1), Err(GenError::Finished));
    assert_eq!(g.start(), Err(GenError::Finished));
}

/// `yield from range(from, to)`, returning how many it yielded.
async fn yield_range(co: &Co<u32>, from: u32, to: u32) -> u32 {
    for i in from..to {
        co.yield_(i).await;
    }
    to - from
}

/// Two levels of `yield from`: this helper delegates to `yield_range` twice.
async fn yield_two_ranges(co: &Co<u32>) -> u32 {
    let first = yield_range(co, 0, 3).await;
    co.yield_(100).await;
    let second = yield_range(co, 10, 12).await;
    first + second
}

#[test]
fn nested_yield_from_collects_in_order_and_returns_the_helpers_values() {
    // Why: `yield from` is how generators are composed; each level must pass
    // every value through, in order, and hand its return value back up.
    let all: Vec<u32> = Gen::new(|co| async move {
        let count = yield_two_ranges(&co).await;
        co.yield_(count).await;
    })
    .collect();
    assert_eq!(all, [0, 1, 2, 100, 10, 11, 5]);
}

/// A small binary tree for the recursive `yield from` test.
enum Tree {
    Leaf(u32),
    Node(Box<Tree>, Box<Tree>),
}

/// In-order walk that yields every leaf: recursion means the future must be
/// boxed (`Box::pin`), because a state machine cannot contain itself.
fn walk<'a>(co: &'a Co<u32>, tree: &'a Tree) -> Pin<Box<dyn Future<Output = ()> + 'a>> {
    Box::pin(async move {
        match tree {
            Tree::Leaf(v) => {
                co.yield_(*v).await;
            }
            Tree::Node(left, right) => {
                walk(co, left).await;
                walk(co, right).await;
            }
        }
    })
}

#[test]
fn recursive_yield_from_walks_a_tree_in_order() {
    // Why: deep nesting (a helper calling itself) must work, not just two
    // fixed levels; this is Python's recursive `yield from` tree walk.
    use Tree::{Leaf, Node};
    let tree = Node(
        Box::new(Node(Box::new(Leaf(1)), Box::new(Leaf(2)))),
        Box::new(Node(
            Box::new(Leaf(3)),
            Box::new(Node(Box::new(Leaf(4)), Box::new(Leaf(5)))),
        )),
    );
    let leaves: Vec<u32> = Gen::new(|co| async move { walk(&co, &tree).await }).collect();
    assert_eq!(leaves, [1, 2, 3, 4, 5]);
}

#[test]
fn yield_from_forwards_sent_values_to_the_inner_helper() {
    // Why: PEP 380 `yield from` forwards send() to the subgenerator; with an
    // awaited helper the sent value must reach the helper's own co.yield_.
    async fn add_two(co: &Co<&'static str, u32>) -> u32 {
        let a = co.yield_("first?").await;
        let b = co.yield_("second?").await;
        a + b
    }
    let mut g: Gen<&str, u32, u32> = Gen::new(|co| async move { add_two(&co).await * 10 });
    assert_eq!(g.start(), Ok(GeneratorState::Yielded("first?")));
    assert_eq!(g.send(2), Ok(GeneratorState::Yielded("second?")));
    assert_eq!(g.send(3), Ok(GeneratorState::Complete(50)));
}

#[test]
fn panic_in_the_body_reaches_the_caller_and_finishes_the_generator() {
    // Why: a bug in the body must not be hidden, and the half-run body must
    // not be resumed afterwards (its state is unknown); its guards must run.
    let log: Log = Rc::default();
    let body_log = Rc::clone(&log);
    let mut g: Gen<u32, u32> = Gen::new(|co| async move {
        let _guard = DropGuard {
            name: "guard",
            log: Rc::clone(&body_log),
        };
        let n = co.yield_(0).await;
        if n == 13 {
            panic!("unlucky number {n}");
        }
    });
    g.start().unwrap();
    let caught = catch_unwind(AssertUnwindSafe(|| g.send(13))).expect_err("the panic must reach us");
    let message = caught
        .downcast_ref::<String>()
        .expect("panic!(\"..{n}\") carries a String");
    assert_eq!(message, "unlucky number 13");
    assert!(g.is_complete());
    assert_eq!(g.send(1), Err(GenError::Finished));
    assert_eq!(*log.borrow(), ["dropped guard"]);
}

/// A future that is not ready the first time it is polled, like a timer or a
/// socket read would be. It asks to be polled again, as a well-behaved
/// future does, but a `Gen` has no executor to listen.
struct NotReadyOnce {
    polled: bool,
}

impl Future for NotReadyOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.polled {
            Poll::Ready(())
        } else {
            self.polled = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[test]
fn awaiting_a_foreign_pending_future_fails_with_a_clear_error() {
    // Why: without this check the Gen would mistake the foreign Pending for a
    // yield (or hang); the user must learn that I/O needs the runtime.
    let log: Log = Rc::default();
    let body_log = Rc::clone(&log);
    let mut g: Gen<u32, ()> = Gen::new(|co| async move {
        let _guard = DropGuard {
            name: "guard",
            log: Rc::clone(&body_log),
        };
        co.yield_(1).await;
        NotReadyOnce { polled: false }.await;
        co.yield_(2).await;
    });
    assert_eq!(g.start(), Ok(GeneratorState::Yielded(1)));
    let err = g.send(()).expect_err("foreign Pending must be reported");
    assert_eq!(err, GenError::ForeignAwait);
    assert!(err.to_string().contains("co.yield_"), "message: {err}");
    assert!(err.to_string().contains("executor"), "message: {err}");
    assert!(g.is_complete());
    assert_eq!(*log.borrow(), ["dropped guard"]);
}

#[test]
fn iterator_form_panics_with_the_clear_message_on_a_foreign_await() {
    // Why: Iterator::next cannot return an error, and silently ending the
    // iteration would hide the bug, so the message must come out as a panic.
    let g: Gen<u32> = Gen::new(|co| async move {
        co.yield_(1).await;
        std::future::pending::<()>().await;
    });
    let caught = catch_unwind(AssertUnwindSafe(|| g.collect::<Vec<u32>>())).expect_err("must panic");
    let message = caught.downcast_ref::<String>().expect("formatted message");
    assert!(message.contains("co.yield_"), "message: {message}");
}

#[test]
fn awaiting_a_future_that_is_already_ready_is_fine() {
    // Why: the foreign-await check must only fire on Pending; ordinary async
    // helpers that finish at once are normal code inside a generator.
    let g: Gen<u32> = Gen::new(|co| async move {
        let x = std::future::ready(40).await;
        co.yield_(x + 2).await;
    });
    assert_eq!(g.collect::<Vec<_>>(), [42]);
}

#[test]
fn iterator_form_collects_every_yielded_value() {
    // Why: a generator that takes nothing back is Python's `for x in gen()`;
    // it should plug into Rust's iterator adapters unchanged.
    let squares: Gen<u64> = Gen::new(|co| async move {
        for i in 1..=5u64 {
            co.yield_(i * i).await;
        }
    });
    let evens: Vec<u64> = squares.filter(|x| x % 2 == 0).collect();
    assert_eq!(evens, [4, 16]);
}

#[test]
fn iterator_is_fused_after_the_end() {
    // Why: next() after exhaustion must keep returning None, never poll a
    // finished body again.
    let mut g: Gen<u8> = Gen::new(|co| async move {
        co.yield_(1).await;
    });
    assert_eq!(g.next(), Some(1));
    assert_eq!(g.next(), None);
    assert_eq!(g.next(), None);
}

#[test]
fn body_does_not_run_before_start() {
    // Why: calling a Python generator function runs none of its body; an
    // async block is lazy the same way, and new() must not poll it.
    let log: Log = Rc::default();
    let body_log = Rc::clone(&log);
    let mut g: Gen<(), ()> = Gen::new(|co| async move {
        body_log.borrow_mut().push("body ran".into());
        co.yield_(()).await;
    });
    assert!(log.borrow().is_empty());
    g.start().unwrap();
    assert_eq!(*log.borrow(), ["body ran"]);
}

#[test]
fn two_yields_in_flight_at_once_panic_with_a_clear_message() {
    // Why: polling two co.yield_ futures together (a join) would overwrite a
    // value in the shared slot; that must be a loud error, not lost data.
    struct JoinBoth<A, B>(Option<Pin<Box<A>>>, Option<Pin<Box<B>>>);
    impl<A: Future, B: Future> Future for JoinBoth<A, B> {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if let Some(a) = self.0.as_mut()
                && a.as_mut().poll(cx).is_ready()
            {
                self.0 = None;
            }
            if let Some(b) = self.1.as_mut()
                && b.as_mut().poll(cx).is_ready()
            {
                self.1 = None;
            }
            if self.0.is_none() && self.1.is_none() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }
    }
    let mut g: Gen<u32> = Gen::new(|co| async move {
        JoinBoth(Some(Box::pin(co.yield_(1))), Some(Box::pin(co.yield_(2)))).await;
    });
    let caught = catch_unwind(AssertUnwindSafe(|| g.start())).expect_err("must panic");
    let message = caught.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(message.contains("two co.yield_ futures"), "message: {message}");
    assert!(g.is_complete());
}
