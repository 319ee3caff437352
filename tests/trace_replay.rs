//! The replayed runtime state (`corolab::trace::replay`) of a fixed scenario, event by event.

use corolab::net::TcpStream;
use corolab::trace::replay::{Replay, State, TaskStatus};
use corolab::trace::{self, Record, Recorder};
use corolab::{Runtime, spawn_named};
use std::time::Duration;

/// Two tasks and a loopback socket pair: `reader` parks on an empty socket; `writer` sleeps
/// 5 ms on a timer, then writes, which makes the socket readable and wakes `reader`.
fn record_scenario() -> Vec<Record> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    let recorder = Recorder::install();
    Runtime::new().block_on(async move {
        let a = TcpStream::from_std(client).unwrap();
        let b = TcpStream::from_std(server).unwrap();
        let reader = spawn_named("reader", async move {
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

#[test]
fn print_scenario() {
    let records = record_scenario();
    let mut replay = Replay::new(&records);
    while let Some(i) = replay.step() {
        println!(
            "{i:2} {:<50} {}",
            replay.line(i),
            serde_json::to_string(&replay.state).unwrap()
        );
    }
    let _ = State::default();
    let _ = TaskStatus::Queued;
}

#[test]
fn write_page() {
    let records = record_scenario();
    let page = corolab::trace::timeline::html(&records, "scenario");
    std::fs::write("/tmp/scenario.html", page).unwrap();
}
