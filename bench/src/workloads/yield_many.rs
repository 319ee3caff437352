//! yield_many: T tasks each yield Y times. Measures a full trip through the run queue (wake
//! self, requeue, poll again). Metric: ns per yield.

use super::{Contender, Ctx, Sample, tokio_runtime};
use std::time::{Duration, Instant};

/// Runs the workload once on `who`.
pub fn run(who: Contender, ctx: &Ctx) -> Sample {
    let tasks = 1000;
    let yields = ctx.size(1000);
    let elapsed = match who {
        Contender::Corolab => corolab_version(tasks, yields),
        Contender::Tokio => tokio_version(tasks, yields),
        Contender::Smol => smol_version(tasks, yields),
    };
    Sample::default().with("ns/yield", elapsed.as_nanos() as f64 / (tasks * yields) as f64)
}

fn corolab_version(tasks: usize, yields: usize) -> Duration {
    corolab::block_on(async move {
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                corolab::spawn(async move {
                    for _ in 0..yields {
                        corolab::yield_now().await;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.expect("task");
        }
        start.elapsed()
    })
}

fn tokio_version(tasks: usize, yields: usize) -> Duration {
    tokio_runtime().block_on(async move {
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                tokio::spawn(async move {
                    for _ in 0..yields {
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.expect("task");
        }
        start.elapsed()
    })
}

fn smol_version(tasks: usize, yields: usize) -> Duration {
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                ex.spawn(async move {
                    for _ in 0..yields {
                        futures_lite::future::yield_now().await;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await;
        }
        start.elapsed()
    }))
}
