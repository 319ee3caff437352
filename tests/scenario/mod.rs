//! The fixed scenario that `tests/trace_replay.rs` and `tests/timeline_browser.rs` record.
#![allow(dead_code)]

use corolab::net::TcpStream;
use corolab::trace::{self, Record, Recorder};
use corolab::{Runtime, spawn_named};
use std::time::Duration;

/// Two tasks and a loopback socket pair: `reader` parks on an empty socket; `writer` sleeps
/// 5 ms on a timer, then writes, which makes the socket readable and wakes `reader`. The main
/// future awaits both. `reader_name` names the reader task (a test gives it markup).
pub fn record(reader_name: &str) -> Vec<Record> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    let recorder = Recorder::install();
    let reader_name = reader_name.to_string();
    Runtime::new().block_on(async move {
        let a = TcpStream::from_std(client).unwrap();
        let b = TcpStream::from_std(server).unwrap();
        let reader = spawn_named(reader_name, async move {
            let mut buf = [0u8; 8];
            let n = b.read(&mut buf).await.unwrap();
            buf[..n].to_vec()
        });
        let writer = spawn_named("writer", async move {
            corolab::time::sleep(Duration::from_millis(5)).await;
            a.write_all(b"hi").await.unwrap();
        });
        assert_eq!(reader.await.unwrap(), b"hi");
        writer.await.unwrap();
    });
    trace::clear_sink();
    recorder.records()
}
