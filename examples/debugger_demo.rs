//! A tiny traced program to step through in a debugger (chapter 10, `docs/10-debugging.md`).
//!
//! Two tasks and the main future:
//!
//! - `reader` accepts one loopback connection and reads from it: its first read answers
//!   `WouldBlock`, so it parks on the socket until epoll reports the socket readable;
//! - `sleeper` sleeps 30 ms: it parks on a timer until `fire_timers` wakes it;
//! - the main future connects, waits 10 ms (so both tasks are parked), prints the `{:?}` dump
//!   of the runtime, then writes `hello` and waits for both tasks.
//!
//! The trace (on stderr) is on by default here; `COROLAB_TRACE=json` switches it to JSON lines.
//!
//! ```text
//! cargo run --example debugger_demo
//! rust-gdb -q target/debug/examples/debugger_demo
//! ```
//!
//! `scripts/check-debugger-guide.sh` runs this program under gdb with the guide's breakpoints.

mod common;

/// `--help` prints this; the example takes no other flag.
const USAGE: &str = "usage: debugger_demo (no options)\n\
    \x20 one traced client/server exchange, small enough to step through in gdb (docs/10-debugging.md)";

use corolab::net::{TcpListener, TcpStream};
use corolab::time::sleep;
use corolab::trace::{self, StderrSink};
use corolab::{Runtime, spawn_named};
use std::io;
use std::time::Duration;

fn main() -> io::Result<()> {
    common::start(&[], USAGE);
    // `COROLAB_TRACE` chooses the sink if set; otherwise this demo traces to stderr anyway.
    if std::env::var_os("COROLAB_TRACE").is_none() {
        trace::set_sink(Box::new(StderrSink::new()));
    }
    let rt = Runtime::new();
    let (received, slept) = rt.block_on(demo(&rt))?;
    println!("reader got {received:?}; sleeper says {slept:?}");
    println!("stats: {:?}", rt.stats());
    Ok(())
}

/// The main future: two tasks, one dump of the runtime while both are parked.
async fn demo(rt: &Runtime) -> io::Result<(String, &'static str)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;

    let reader = spawn_named("reader", read_one_message(listener));
    let sleeper = spawn_named("sleeper", async {
        sleep(Duration::from_millis(30)).await;
        "done sleeping"
    });

    let client = TcpStream::connect_addr(addr).await?;
    // Let both tasks run until they park: reader on its socket, sleeper on its timer.
    sleep(Duration::from_millis(10)).await;
    println!("state while both tasks wait: {rt:#?}");

    client.write_all(b"hello").await?;
    let received = reader.await.map_err(io::Error::other)??;
    let slept = sleeper.await.map_err(io::Error::other)?;
    Ok((received, slept))
}

/// The `reader` task: accept one connection, read once (parks until the bytes arrive).
async fn read_one_message(listener: TcpListener) -> io::Result<String> {
    let (stream, _peer) = listener.accept().await?;
    let mut buf = [0u8; 64];
    let n = stream.read(&mut buf).await?;
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}
