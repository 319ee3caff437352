//! spawn_many: spawn N trivial tasks, then await every handle. Measures the cost of creating,
//! queueing, polling once and completing a task. Metric: ns per task.

use super::{Contender, Ctx, Sample, tokio_runtime};
use std::time::{Duration, Instant};

/// Runs the workload once on `who`.
pub fn run(who: Contender, ctx: &Ctx) -> Sample {
    let n = ctx.size(1_000_000);
    let elapsed = match who {
        Contender::Corolab => corolab_version(n),
        Contender::Tokio => tokio_version(n),
        Contender::Smol => smol_version(n),
    };
    Sample::default().with("ns/task", elapsed.as_nanos() as f64 / n as f64)
}

fn corolab_version(n: usize) -> Duration {
    corolab::block_on(async move {
        let start = Instant::now();
        let handles: Vec<_> = (0..n).map(|_| corolab::spawn(async {})).collect();
        for handle in handles {
            handle.await.expect("task");
        }
        start.elapsed()
    })
}

fn tokio_version(n: usize) -> Duration {
    tokio_runtime().block_on(async move {
        let start = Instant::now();
        let handles: Vec<_> = (0..n).map(|_| tokio::spawn(async {})).collect();
        for handle in handles {
            handle.await.expect("task");
        }
        start.elapsed()
    })
}

fn smol_version(n: usize) -> Duration {
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let start = Instant::now();
        let handles: Vec<_> = (0..n).map(|_| ex.spawn(async {})).collect();
        for handle in handles {
            handle.await;
        }
        start.elapsed()
    }))
}
