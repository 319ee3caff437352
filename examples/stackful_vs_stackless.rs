//! Stackful vs stackless, measured: `cargo run --release --example stackful_vs_stackless`.
//!
//! 1. The cost of one switch: a greenlet round trip (two `greenlet_switch`
//!    calls plus bookkeeping) vs resuming a stackless state machine (one
//!    call to `poll`).
//! 2. The cost of one wait through the runtime: an async task vs a green
//!    thread doing `sleep(0)` (timer heap, run queue; the green thread adds
//!    two greenlet switches per wait).
//! 3. Memory per suspended coroutine: resident memory (RSS) growth for
//!    10,000 async tasks vs 10,000 green threads all parked in a sleep.
//!
//! Numbers depend on the machine; docs/09-stackful-coroutines.md quotes one run.

mod common;

/// `--help` prints this; the example takes no other flag.
const USAGE: &str = "usage: stackful_vs_stackless (no options)\n\
    \x20 switch cost, wait cost and memory per parked coroutine, greenlets next to async tasks";

#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
fn main() {
    common::start(&[], USAGE);
    // No runtime runs in part 1, so `COROLAB_TRACE` is read now (greenlet switches are traced).
    corolab::trace::install_from_env();
    if common::warn_if_tracing("a switch or a wait") {
        bench::scale_down_for_tracing();
    }
    bench::switch_cost();
    bench::wait_cost();
    bench::memory_per_coroutine();
}

#[cfg(not(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64"))))]
fn main() {
    common::start(&[], USAGE);
    println!("greenlets are not supported on this target (Linux on x86_64 or aarch64 only)");
}

#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
mod bench {
    use corolab::green;
    use corolab::greenlet::Greenlet;
    use std::future::Future;
    use std::hint::black_box;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};
    use std::time::{Duration, Instant};

    const ROUND_TRIPS: u64 = 1_000_000;

    /// Every count is divided by this (100 when tracing: a million traced switches would
    /// take minutes and gigabytes of trace).
    static DIVISOR: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

    pub fn scale_down_for_tracing() {
        DIVISOR.store(100, std::sync::atomic::Ordering::Relaxed);
    }

    fn scaled(n: u64) -> u64 {
        n / DIVISOR.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn switch_cost() {
        println!("== 1. one switch ==");
        // Stackful: main -> greenlet -> main is two context switches.
        let g = Greenlet::new(|()| {
            let parent = Greenlet::current().parent().unwrap();
            loop {
                parent.switch::<(), ()>(());
            }
        });
        g.switch::<(), ()>(()); // start it
        let start = Instant::now();
        for _ in 0..scaled(ROUND_TRIPS) {
            g.switch::<(), ()>(());
        }
        let stackful = start.elapsed();
        println!(
            "greenlet round trip (switch in + switch out): {:>6.1} ns",
            ns_per(stackful, scaled(ROUND_TRIPS))
        );

        // Same, but a u64 travels each way (each value is boxed as `dyn Any`).
        let h = Greenlet::new(|mut x: u64| {
            let parent = Greenlet::current().parent().unwrap();
            loop {
                x = parent.switch(x + 1);
            }
        });
        let mut x: u64 = h.switch(0_u64);
        let start = Instant::now();
        for _ in 0..scaled(ROUND_TRIPS) {
            x = h.switch(x);
        }
        black_box(x);
        println!(
            "greenlet round trip carrying a u64 each way:  {:>6.1} ns",
            ns_per(start.elapsed(), scaled(ROUND_TRIPS))
        );
        drop(g); // unwinds its loop
        drop(h);

        // Stackless: resuming a suspended state machine is a call to `poll`.
        let mut machine = Counter { yielded: 0 };
        let mut cx = Context::from_waker(Waker::noop());
        let start = Instant::now();
        for _ in 0..scaled(ROUND_TRIPS) {
            let _ = black_box(Pin::new(&mut machine).poll(&mut cx));
        }
        println!(
            "stackless state machine resume (one poll):    {:>6.1} ns",
            ns_per(start.elapsed(), scaled(ROUND_TRIPS))
        );
    }

    /// A future that is pending forever and counts its resumptions: the
    /// smallest stackless coroutine.
    struct Counter {
        yielded: u64,
    }

    impl Future for Counter {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
            self.yielded = black_box(self.yielded + 1);
            Poll::Pending
        }
    }

    pub fn wait_cost() {
        println!("== 2. one wait through the runtime: sleep(0) ==");
        const WAITS: u64 = 100_000;
        let start = Instant::now();
        corolab::block_on(async {
            for _ in 0..scaled(WAITS) {
                corolab::time::sleep(Duration::ZERO).await;
            }
        });
        println!(
            "async task:   {:>6.0} ns per wait",
            ns_per(start.elapsed(), scaled(WAITS))
        );
        let start = Instant::now();
        green::run(|| {
            for _ in 0..scaled(WAITS) {
                green::sleep(Duration::ZERO);
            }
        })
        .unwrap();
        println!(
            "green thread: {:>6.0} ns per wait",
            ns_per(start.elapsed(), scaled(WAITS))
        );
    }

    pub fn memory_per_coroutine() {
        println!("== 3. memory per parked coroutine (10,000 of them) ==");
        let n = scaled(10_000) as usize;
        let before = resident_bytes();
        let async_growth = corolab::block_on(async {
            let tasks: Vec<_> = (0..n)
                .map(|i| {
                    corolab::spawn(async move {
                        let buffer = [i as u8; 64]; // some state kept across the wait
                        corolab::time::sleep(Duration::from_millis(200)).await;
                        black_box(buffer)[0]
                    })
                })
                .collect();
            corolab::time::sleep(Duration::from_millis(50)).await; // all parked now
            let growth = resident_bytes().saturating_sub(before);
            for task in tasks {
                let _ = task.await;
            }
            growth
        });
        println!("async tasks:   {:>6} bytes resident each", async_growth / n);

        let before = resident_bytes();
        let green_growth = green::run(move || {
            let threads: Vec<_> = (0..n)
                .map(|i| {
                    green::spawn(move || {
                        let buffer = [i as u8; 64];
                        green::sleep(Duration::from_millis(500));
                        black_box(buffer)[0]
                    })
                })
                .collect();
            green::sleep(Duration::from_millis(100)); // all parked now
            let growth = resident_bytes().saturating_sub(before);
            let _ = green::joinall(threads);
            growth
        })
        .unwrap();
        println!(
            "green threads: {:>6} bytes resident each (+ {} KiB of reserved address space)",
            green_growth / n,
            (corolab::greenlet::DEFAULT_STACK_SIZE + 4096) / 1024
        );
    }

    /// Resident set size of this process, from /proc/self/statm.
    fn resident_bytes() -> usize {
        let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
        let pages: usize = statm
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        pages * 4096
    }

    fn ns_per(elapsed: Duration, n: u64) -> f64 {
        elapsed.as_nanos() as f64 / n as f64
    }
}
