//! ping_pong: two tasks bounce a number N times over two bounded(1) channels. Each round trip
//! is two sends, two receives and two task switches. Metric: ns per round trip.
//! Channels: `corolab::sync::channel(1)`, `tokio::sync::mpsc::channel(1)`,
//! `async_channel::bounded(1)` (the channel smol re-exports).

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
    Sample::default().with("ns/round trip", elapsed.as_nanos() as f64 / n as f64)
}

fn corolab_version(n: usize) -> Duration {
    corolab::block_on(async move {
        let (ping_tx, mut ping_rx) = corolab::sync::channel::<usize>(1);
        let (pong_tx, mut pong_rx) = corolab::sync::channel::<usize>(1);
        let start = Instant::now();
        let echo = corolab::spawn(async move {
            while let Some(v) = ping_rx.recv().await {
                if pong_tx.send(v).await.is_err() {
                    break;
                }
            }
        });
        let pinger = corolab::spawn(async move {
            for i in 0..n {
                ping_tx.send(i).await.expect("echo alive");
                assert_eq!(pong_rx.recv().await, Some(i));
            }
        });
        pinger.await.expect("pinger");
        echo.await.expect("echo");
        start.elapsed()
    })
}

fn tokio_version(n: usize) -> Duration {
    tokio_runtime().block_on(async move {
        let (ping_tx, mut ping_rx) = tokio::sync::mpsc::channel::<usize>(1);
        let (pong_tx, mut pong_rx) = tokio::sync::mpsc::channel::<usize>(1);
        let start = Instant::now();
        let echo = tokio::spawn(async move {
            while let Some(v) = ping_rx.recv().await {
                if pong_tx.send(v).await.is_err() {
                    break;
                }
            }
        });
        let pinger = tokio::spawn(async move {
            for i in 0..n {
                ping_tx.send(i).await.expect("echo alive");
                assert_eq!(pong_rx.recv().await, Some(i));
            }
        });
        pinger.await.expect("pinger");
        echo.await.expect("echo");
        start.elapsed()
    })
}

fn smol_version(n: usize) -> Duration {
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let (ping_tx, ping_rx) = async_channel::bounded::<usize>(1);
        let (pong_tx, pong_rx) = async_channel::bounded::<usize>(1);
        let start = Instant::now();
        let echo = ex.spawn(async move {
            while let Ok(v) = ping_rx.recv().await {
                if pong_tx.send(v).await.is_err() {
                    break;
                }
            }
        });
        let pinger = ex.spawn(async move {
            for i in 0..n {
                ping_tx.send(i).await.expect("echo alive");
                assert_eq!(pong_rx.recv().await.ok(), Some(i));
            }
        });
        pinger.await;
        echo.await;
        start.elapsed()
    }))
}
