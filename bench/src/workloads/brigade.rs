//! brigade: a bucket brigade. N tasks stand in a ring of loopback TCP connections; task i reads
//! one byte from connection i and writes it to connection i+1. One byte goes round LAPS times,
//! so every hop is a real write(2), an epoll wakeup, a task switch and a read(2).
//! Metric: microseconds per hop.

use super::{Contender, Ctx, Sample, tokio_runtime};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// Tasks (and connections) in the ring.
const TASKS: usize = 500;

/// Runs the workload once on `who`.
pub fn run(who: Contender, ctx: &Ctx) -> Sample {
    let laps = ctx.size(100);
    let pairs = socket_pairs(TASKS);
    let elapsed = match who {
        Contender::Corolab => corolab_version(pairs, laps),
        Contender::Tokio => tokio_version(pairs, laps),
        Contender::Smol => smol_version(pairs, laps),
    };
    Sample::default().with("us/hop", elapsed.as_secs_f64() * 1e6 / (TASKS * laps) as f64)
}

/// `n` connected loopback pairs `(inbox, outbox-of-the-previous-task)`, rearranged so that
/// element i is (the end task i reads, the end task i writes). The first byte is already
/// written into task 0's inbox.
fn socket_pairs(n: usize) -> Vec<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    let mut read_ends = Vec::with_capacity(n);
    let mut write_ends = Vec::with_capacity(n);
    for _ in 0..n {
        let writer = TcpStream::connect(addr).expect("connect loopback");
        let (reader, _) = listener.accept().expect("accept");
        writer.set_nodelay(true).expect("nodelay");
        reader.set_nodelay(true).expect("nodelay");
        read_ends.push(reader);
        write_ends.push(writer);
    }
    // Task i writes into connection i+1 (wrapping round), so it holds write end i+1.
    write_ends.rotate_left(1);
    // The baton: one byte waiting in connection 0 for task 0 (write end 0 is now last).
    write_ends[n - 1].write_all(b"!").expect("first byte");
    read_ends.into_iter().zip(write_ends).collect()
}

fn corolab_version(pairs: Vec<(TcpStream, TcpStream)>, laps: usize) -> Duration {
    corolab::block_on(async move {
        let start = Instant::now();
        let handles: Vec<_> = pairs
            .into_iter()
            .map(|(inbox, outbox)| {
                corolab::spawn(async move {
                    let inbox = corolab::net::TcpStream::from_std(inbox).expect("register");
                    let outbox = corolab::net::TcpStream::from_std(outbox).expect("register");
                    let mut byte = [0u8; 1];
                    for _ in 0..laps {
                        let n = inbox.read(&mut byte).await.expect("read");
                        assert_eq!(n, 1);
                        outbox.write_all(&byte).await.expect("write");
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.expect("brigade task");
        }
        start.elapsed()
    })
}

fn tokio_version(pairs: Vec<(TcpStream, TcpStream)>, laps: usize) -> Duration {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tokio_runtime().block_on(async move {
        let start = Instant::now();
        let handles: Vec<_> = pairs
            .into_iter()
            .map(|(inbox, outbox)| {
                tokio::spawn(async move {
                    inbox.set_nonblocking(true).expect("nonblocking");
                    outbox.set_nonblocking(true).expect("nonblocking");
                    let mut inbox = tokio::net::TcpStream::from_std(inbox).expect("register");
                    let mut outbox = tokio::net::TcpStream::from_std(outbox).expect("register");
                    let mut byte = [0u8; 1];
                    for _ in 0..laps {
                        let n = inbox.read(&mut byte).await.expect("read");
                        assert_eq!(n, 1);
                        outbox.write_all(&byte).await.expect("write");
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.expect("brigade task");
        }
        start.elapsed()
    })
}

fn smol_version(pairs: Vec<(TcpStream, TcpStream)>, laps: usize) -> Duration {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let start = Instant::now();
        let handles: Vec<_> = pairs
            .into_iter()
            .map(|(inbox, outbox)| {
                ex.spawn(async move {
                    let mut inbox = async_io::Async::new(inbox).expect("register");
                    let mut outbox = async_io::Async::new(outbox).expect("register");
                    let mut byte = [0u8; 1];
                    for _ in 0..laps {
                        let n = inbox.read(&mut byte).await.expect("read");
                        assert_eq!(n, 1);
                        outbox.write_all(&byte).await.expect("write");
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
