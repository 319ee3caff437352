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
//! Section 2 does the same with two corolab tasks and bounded channels
//! (`corolab::sync::channel`). Now nothing calls the other side directly: a
//! `send` on a channel stores the value and wakes the receiving task, which
//! goes to the back of the run queue; the executor polls it when its turn
//! comes. 2a keeps the seed's request/reply rhythm (so the lines are the same,
//! but each hop costs a trip through the run queue); 2b drops the reply and
//! lets the producer run ahead until the channel is full, so the interleaving
//! is decided by the channel's capacity and the scheduler, not by the code.
//! Run with `COROLAB_TRACE=1` to see every task switch on stderr.
//!
//! The output of each section is collected in a `Transcript` so that
//! `tests/examples_generators.rs` can compare it with the seed line for line.

mod common;

/// `--help` prints this; the example takes no other flag.
const USAGE: &str = "usage: producer_consumer (no options)\n\
    \x20 the seed's producer/consumer as a generator, then as two tasks with a channel";

use std::cell::RefCell;
use std::rc::Rc;

use corolab::generator::{Gen, GeneratorState};
use corolab::runtime::Stats;
use corolab::sync::channel;
use corolab::{Runtime, spawn_named};

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

/// Section 2a: the seed's conversation between two corolab tasks, over a
/// request channel and a reply channel. Returns the runtime's counters.
pub fn section_2a_request_reply(out: &Rc<Transcript>) -> Stats {
    let rt = Runtime::new();
    let consumer_out = Rc::clone(out);
    let producer_out = Rc::clone(out);
    rt.block_on(async move {
        let (to_consumer, mut requests) = channel::<u32>(1);
        let (to_producer, mut replies) = channel::<&'static str>(1);
        let consumer = spawn_named("consumer", async move {
            // `recv` returns None once every sender is dropped: that is close().
            while let Some(n) = requests.recv().await {
                consumer_out.say(format!("[CONSUMER] Consuming {n}..."));
                if to_producer.send("200 OK").await.is_err() {
                    break;
                }
            }
        });
        let producer = spawn_named("producer", async move {
            for n in 1..=5 {
                producer_out.say(format!("[PRODUCER] Producing {n}..."));
                if to_consumer.send(n).await.is_err() {
                    break;
                }
                match replies.recv().await {
                    Some(r) => producer_out.say(format!("[PRODUCER] Consumer return: {r}")),
                    None => break,
                }
            }
            // `to_consumer` is dropped here, which closes the request channel.
        });
        let _ = producer.await;
        let _ = consumer.await;
    });
    rt.stats()
}

/// Section 2b: one bounded channel of `capacity` and no reply. The producer
/// only stops when the channel is full, so it runs ahead of the consumer.
/// Returns the runtime's counters.
pub fn section_2b_bounded_queue(out: &Rc<Transcript>, capacity: usize) -> Stats {
    let rt = Runtime::new();
    let consumer_out = Rc::clone(out);
    let producer_out = Rc::clone(out);
    rt.block_on(async move {
        let (tx, mut rx) = channel::<u32>(capacity);
        let consumer = spawn_named("consumer", async move {
            while let Some(n) = rx.recv().await {
                consumer_out.say(format!("[CONSUMER] Consuming {n}..."));
            }
            consumer_out.say("[CONSUMER] channel closed, done".to_string());
        });
        let producer = spawn_named("producer", async move {
            for n in 1..=5 {
                producer_out.say(format!("[PRODUCER] Producing {n}..."));
                if tx.send(n).await.is_err() {
                    break;
                }
            }
            producer_out.say("[PRODUCER] done, closing the channel".to_string());
            drop(tx);
        });
        let _ = producer.await;
        let _ = consumer.await;
    });
    rt.stats()
}

fn print_stats(stats: &Stats) {
    println!(
        "(run queue: {} polls, {} wakes, {} tasks spawned)",
        stats.polls, stats.wakes, stats.tasks_spawned
    );
}

fn main() {
    common::start(&[], USAGE);
    println!("== 1. generator: the producer hands each item straight to the consumer ==");
    let out = Transcript::new(true);
    let closed = section_1_generator(&out);
    println!("(consumer closed: is_complete() = {closed}; no executor, no run queue)");

    println!();
    println!("== 2a. two corolab tasks, request and reply channels ==");
    let stats = section_2a_request_reply(&Transcript::new(true));
    print_stats(&stats);

    println!();
    println!("== 2b. two corolab tasks, one channel of capacity 2, no reply ==");
    let stats = section_2b_bounded_queue(&Transcript::new(true), 2);
    print_stats(&stats);
}
