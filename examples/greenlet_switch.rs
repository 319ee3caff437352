//! Greenlets switching by hand: `cargo run --example greenlet_switch`.
//!
//! Part 1 is the classic greenlet demo: two greenlets printing in turn,
//! switching straight to each other.
//! Part 2 is seed 002's producer/consumer, except that the consumer waits for
//! the next item ten ordinary (non-async) function calls deep. A stackless
//! coroutine (an `async fn` or a Python generator) can only suspend in its
//! own body, never inside a plain function it calls; a greenlet can, because
//! the ten frames sit on its own stack while it is suspended.
//!
//! To watch it in gdb (x86_64):
//! ```text
//! cargo build --example greenlet_switch
//! gdb target/debug/examples/greenlet_switch
//! (gdb) break corolab_greenlet_switch
//! (gdb) run
//! (gdb) bt            # who is switching: main -> switch -> switch_to -> here
//! (gdb) stepi 9       # 6 pushes, `sub rsp, 8`, stmxcsr, fnstcw
//! (gdb) x/8gx $rsp    # MXCSR+CW, r15, r14, r13, r12, rbx, rbp, return address
//! (gdb) x/a $rsp+56   # the return address: inside switch_to
//! (gdb) stepi 2       # `mov [rdi], rsp` and `mov rsp, rsi`: now on gr1's stack
//! (gdb) x/8gx $rsp    # gr1's fake block: 0x37f00001f80, zeros, corolab_greenlet_start
//! (gdb) stepi 10      # restore and `ret`: we are in corolab_greenlet_start
//! (gdb) stepi         # the call: greenlet_entry, first Rust frame on gr1's stack
//! (gdb) bt            # greenlet_entry, corolab_greenlet_start, and nothing else
//! (gdb) info proc mappings   # gr1's 256 KiB rw-p stack, the ---p guard page below
//! ```

mod common;

/// `--help` prints this; the example takes no other flag.
const USAGE: &str = "usage: greenlet_switch (no options)\n\
    \x20 two greenlets printing in turn, then a consumer waiting ten plain function calls deep";

#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
fn main() {
    common::start(&[], USAGE);
    // No runtime runs here, so `COROLAB_TRACE` is read now (a runtime would read it itself).
    corolab::trace::install_from_env();
    two_greenlets_printing_in_turn();
    println!();
    producer_consumer_ten_frames_deep();
}

#[cfg(not(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64"))))]
fn main() {
    common::start(&[], USAGE);
    println!("greenlets are not supported on this target (Linux on x86_64 or aarch64 only)");
}

#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
use demo::*;

#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
mod demo {
    use corolab::greenlet::Greenlet;
    use std::cell::Cell;
    use std::rc::Rc;

    /// Part 1. Python's version:
    /// ```python
    /// def test1(): print(12); gr2.switch(); print(34)
    /// def test2(): print(56); gr1.switch(); print(78)
    /// gr1.switch()
    /// ```
    /// Output `12 56 34`: `78` never prints, because nobody switches back
    /// into gr2. When we drop gr2 its stack is unwound, so its destructors run.
    pub fn two_greenlets_printing_in_turn() {
        println!("== two greenlets printing in turn ==");
        // Creating a greenlet maps its stack and writes a fake saved-register
        // block at the top whose return address is `greenlet_start`. Nothing
        // runs yet. The parent of both is the root greenlet (main's stack).
        let gr1 = Greenlet::new(|gr2: Greenlet| {
            println!("gr1: 12");
            // SWITCH 2 (gr1 -> gr2). gr1's callee-saved registers (rbx, rbp,
            // r12-r15 on x86_64) and return address are pushed on gr1's
            // stack; rsp moves to the top of gr2's fresh stack, whose fake
            // block "restores" zeros and returns into greenlet_start.
            // We hand gr2 a handle to ourselves as its start value.
            gr2.switch::<_, ()>(Greenlet::current());
            // SWITCH 3 came back here: rsp is on gr1's stack again and the
            // pushed registers were popped, so this frame continues intact.
            println!("gr1: 34");
            "gr1 finished" // goes to gr1's parent: main's pending switch
        });
        let gr2 = Greenlet::new(|gr1: Greenlet| {
            let _noisy = Noisy("gr2's stack was unwound (its destructors ran)");
            println!("gr2: 56");
            // SWITCH 3 (gr2 -> gr1): gr2's registers go onto gr2's stack,
            // below this frame; rsp moves back to gr1's saved block.
            gr1.switch::<_, ()>(());
            println!("gr2: 78 (never printed)");
        });
        // SWITCH 1 (main -> gr1): main's registers are pushed on the thread's
        // own stack; rsp jumps into gr1's mapping. Our `switch` returns when
        // gr1 finishes (SWITCH 4: gr1's return value travels to its parent).
        let result: &str = gr1.switch(gr2.clone());
        println!("main: gr1 returned {result:?}; gr1 dead = {}", gr1.is_dead());
        println!("main: gr2 is suspended inside its switch; dropping it...");
        // Dropping the last handle resumes gr2 one last time: its pending
        // switch panics with a private GreenletExit payload (no message), the
        // unwind runs `_noisy`'s destructor, and greenlet_entry catches it.
        drop(gr2);
    }

    /// Prints its message when dropped.
    struct Noisy(&'static str);

    impl Drop for Noisy {
        fn drop(&mut self) {
            println!("       {}", self.0);
        }
    }

    /// Part 2. Seed 002's generator pair, with the consumer as a greenlet
    /// that receives each item ten frames deep.
    pub fn producer_consumer_ten_frames_deep() {
        println!("== producer/consumer, consumer waits 10 frames deep ==");
        let frames_unwound = Rc::new(Cell::new(0));
        let consumer = {
            let frames_unwound = frames_unwound.clone();
            // The start value is the first item; the return value is what
            // main gets when the consumer finishes (it never does here).
            Greenlet::new(move |first: i32| -> () {
                let mut n = first;
                loop {
                    println!("[CONSUMER] Consuming {n}...");
                    n = handle_in_ten_frames(10, &frames_unwound);
                }
            })
        };
        for n in 1..=5 {
            println!("[PRODUCER] Producing {n}...");
            // Like `c.send(n)`: run the consumer until it switches back.
            let reply: &str = consumer.switch(n);
            println!("[PRODUCER] Consumer return: {reply}");
        }
        // Like `c.close()`: unwind the suspended consumer. All ten frames of
        // `handle_in_ten_frames` are still on its stack; each one's guard
        // counts itself as the unwind passes.
        drop(consumer);
        println!(
            "[PRODUCER] closed the consumer: {} frames unwound",
            frames_unwound.get()
        );
    }

    /// A plain recursive function: no `async`, no generator. Ten calls deep
    /// it hands "200 OK" to the producer and waits for the next item.
    fn handle_in_ten_frames(depth: u32, unwound: &Rc<Cell<u32>>) -> i32 {
        let _guard = CountOnDrop(unwound.clone());
        if depth > 1 {
            return handle_in_ten_frames(depth - 1, unwound);
        }
        let producer = Greenlet::current().parent().expect("the consumer has a parent");
        // SWITCH (consumer -> producer). At this moment the consumer's stack
        // holds, from the top: greenlet_start, greenlet_entry, the closure,
        // ten `handle_in_ten_frames` frames, `switch`, `switch_to`, and the
        // saved-register block. All of it stays put while main runs; rsp
        // simply points elsewhere. `switch` returns the producer's next n.
        producer.switch("200 OK")
    }

    /// Counts the frames that go away by unwinding (not by returning).
    struct CountOnDrop(Rc<Cell<u32>>);

    impl Drop for CountOnDrop {
        fn drop(&mut self) {
            if std::thread::panicking() {
                self.0.set(self.0.get() + 1);
            }
        }
    }
}
