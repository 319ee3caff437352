//! sleepers: N tasks each sleep 1 s; wait for all. Measures what an idle task costs in memory
//! (peak RSS growth per task) and whether the timers keep up (wall time, ideally just over
//! 1 s). Runs in its own child process so peak RSS readings do not mix.

use super::{Contender, Ctx, Sample, tokio_runtime};
use crate::machine::{peak_rss_bytes, rss_bytes};
use std::time::{Duration, Instant};

/// How long each task sleeps.
const NAP: Duration = Duration::from_secs(1);

/// Runs the workload once on `who` (call it in a fresh process).
pub fn run(who: Contender, ctx: &Ctx) -> Sample {
    let n = ctx.size(100_000);
    let (base, wall) = match who {
        Contender::Corolab => corolab_version(n),
        Contender::Tokio => tokio_version(n),
        Contender::Smol => smol_version(n),
    };
    let grown = peak_rss_bytes().saturating_sub(base);
    Sample::default()
        .with("bytes/task", grown as f64 / n as f64)
        .with("wall s", wall.as_secs_f64())
}

/// Returns (RSS before spawning, wall time).
fn corolab_version(n: usize) -> (u64, Duration) {
    corolab::block_on(async move {
        let base = rss_bytes();
        let start = Instant::now();
        let handles: Vec<_> = (0..n)
            .map(|_| corolab::spawn(corolab::time::sleep(NAP)))
            .collect();
        for handle in handles {
            handle.await.expect("sleeper");
        }
        (base, start.elapsed())
    })
}

fn tokio_version(n: usize) -> (u64, Duration) {
    tokio_runtime().block_on(async move {
        let base = rss_bytes();
        let start = Instant::now();
        let handles: Vec<_> = (0..n).map(|_| tokio::spawn(tokio::time::sleep(NAP))).collect();
        for handle in handles {
            handle.await.expect("sleeper");
        }
        (base, start.elapsed())
    })
}

fn smol_version(n: usize) -> (u64, Duration) {
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let base = rss_bytes();
        let start = Instant::now();
        let handles: Vec<_> = (0..n)
            .map(|_| {
                ex.spawn(async {
                    async_io::Timer::after(NAP).await;
                })
            })
            .collect();
        for handle in handles {
            handle.await;
        }
        (base, start.elapsed())
    }))
}
