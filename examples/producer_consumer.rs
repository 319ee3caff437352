//! The seed's producer/consumer, retold in Rust.
//!
//! Run with `cargo run --example producer_consumer`.
//!
//! Section 1 is the Python program from the seed (gevent post, "协程实现生产者，
//! 消费者"): the consumer is a generator, `n = yield r`; the producer drives it
//! with `c.send(n)` and finally `c.close()`. Control passes straight from one
//! to the other: `send` runs the consumer until its next `yield`, on the same
//! thread, with nothing in between. The seed's `time.sleep(1)` is left out: it
//! only slows the demo down, and in a coroutine it would block everything.
//!
//! The output of each section is collected in a `Transcript` so that
//! `tests/examples_generators.rs` can compare it with the seed line for line.

use std::cell::RefCell;
use std::rc::Rc;

use corolab::generator::{Gen, GeneratorState};

/// The lines a section printed, in order. Printing is optional so that tests
/// can run the sections quietly.
pub struct Transcript {
    lines: RefCell<Vec<String>>,
    echo: bool,
}

impl Transcript {
    /// An empty transcript; `echo` also prints each line as it is said.
    pub fn new(echo: bool) -> Rc<Transcript> {
        Rc::new(Transcript {
            lines: RefCell::new(Vec::new()),
            echo,
        })
    }

    /// Record one line of output.
    pub fn say(&self, line: String) {
        if self.echo {
            println!("{line}");
        }
        self.lines.borrow_mut().push(line);
    }

    /// Everything said so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.borrow().clone()
    }
}

/// Python:
/// ```text
/// def consumer():
///     r = ''
///     while True:
///         n = yield r
///         if not n:
///             return
///         print('[CONSUMER] Consuming %s...' % n)
///         r = '200 OK'
/// ```
fn consumer(out: Rc<Transcript>) -> Gen<&'static str, u32> {
    Gen::new(|co| async move {
        let mut r = "";
        loop {
            let n = co.yield_(r).await;
            if n == 0 {
                return;
            }
            out.say(format!("[CONSUMER] Consuming {n}..."));
            r = "200 OK";
        }
    })
}

/// Python's `produce(c)`: start the consumer, send it 1..=5, close it.
/// Returns whether the consumer is finished after `close()`.
fn produce(c: &mut Gen<&'static str, u32>, out: &Transcript) -> bool {
    // c.next(): run the consumer to its first `yield r` (r is '' there).
    if let Err(err) = c.start() {
        out.say(format!("[PRODUCER] could not start the consumer: {err}"));
        return c.is_complete();
    }
    for n in 1..=5 {
        out.say(format!("[PRODUCER] Producing {n}..."));
        match c.send(n) {
            Ok(GeneratorState::Yielded(r)) => out.say(format!("[PRODUCER] Consumer return: {r}")),
            Ok(GeneratorState::Complete(())) => {
                out.say("[PRODUCER] consumer stopped early".to_string());
                break;
            }
            Err(err) => {
                out.say(format!("[PRODUCER] consumer failed: {err}"));
                break;
            }
        }
    }
    c.close();
    c.is_complete()
}

/// Section 1: one generator driven by hand, a direct handoff.
/// Returns whether the consumer is finished after `close()`.
pub fn section_1_generator(out: &Rc<Transcript>) -> bool {
    let mut c = consumer(Rc::clone(out));
    produce(&mut c, out)
}

fn main() {
    println!("== 1. generator: the producer hands each item straight to the consumer ==");
    let out = Transcript::new(true);
    let closed = section_1_generator(&out);
    println!("(consumer closed: is_complete() = {closed})");
}
