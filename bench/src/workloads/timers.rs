//! timers: N tasks each sleep until its own pseudo-random deadline spread over 1 s, and report
//! how late it woke. Metrics: lateness p50 and p99 in milliseconds.
//!
//! The deadlines start 100 ms after the clock is read, so that spawning the tasks (tens of
//! milliseconds for 100,000) does not itself make the first timers late. Every runtime gets
//! the same offsets (fixed seed).

use super::{Contender, Ctx, Sample, XorShift, tokio_runtime};
use std::time::{Duration, Instant};

/// Lead time before the first possible deadline.
const LEAD: Duration = Duration::from_millis(100);
/// Deadlines fall in `[start + LEAD, start + LEAD + SPAN)`.
const SPAN: Duration = Duration::from_secs(1);

/// Runs the workload once on `who`.
pub fn run(who: Contender, ctx: &Ctx) -> Sample {
    let n = ctx.size(100_000);
    let mut rng = XorShift::new(0x5eed_7153);
    let offsets: Vec<Duration> = (0..n)
        .map(|_| Duration::from_nanos(rng.below(SPAN.as_nanos() as u64)))
        .collect();
    let mut late = match who {
        Contender::Corolab => corolab_version(offsets),
        Contender::Tokio => tokio_version(offsets),
        Contender::Smol => smol_version(offsets),
    };
    late.sort_unstable();
    let pick = |q: f64| late[((late.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
    Sample::default()
        .with("p99 ms", pick(0.99))
        .with("p50 ms", pick(0.50))
        .with("max ms", pick(1.0))
}

fn corolab_version(offsets: Vec<Duration>) -> Vec<Duration> {
    corolab::block_on(async move {
        let base = Instant::now() + LEAD;
        let handles: Vec<_> = offsets
            .into_iter()
            .map(|offset| {
                let deadline = base + offset;
                corolab::spawn(async move {
                    corolab::time::sleep_until(deadline).await;
                    Instant::now().saturating_duration_since(deadline)
                })
            })
            .collect();
        let mut late = Vec::with_capacity(handles.len());
        for handle in handles {
            late.push(handle.await.expect("timer task"));
        }
        late
    })
}

fn tokio_version(offsets: Vec<Duration>) -> Vec<Duration> {
    tokio_runtime().block_on(async move {
        let base = Instant::now() + LEAD;
        let handles: Vec<_> = offsets
            .into_iter()
            .map(|offset| {
                let deadline = base + offset;
                tokio::spawn(async move {
                    tokio::time::sleep_until(deadline.into()).await;
                    Instant::now().saturating_duration_since(deadline)
                })
            })
            .collect();
        let mut late = Vec::with_capacity(handles.len());
        for handle in handles {
            late.push(handle.await.expect("timer task"));
        }
        late
    })
}

fn smol_version(offsets: Vec<Duration>) -> Vec<Duration> {
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let base = Instant::now() + LEAD;
        let handles: Vec<_> = offsets
            .into_iter()
            .map(|offset| {
                let deadline = base + offset;
                ex.spawn(async move {
                    async_io::Timer::at(deadline).await;
                    Instant::now().saturating_duration_since(deadline)
                })
            })
            .collect();
        let mut late = Vec::with_capacity(handles.len());
        for handle in handles {
            late.push(handle.await);
        }
        late
    }))
}
