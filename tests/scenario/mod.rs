//! The fixed scenario that `tests/trace_replay.rs` and `tests/timeline_browser.rs` record.
#![allow(dead_code)]

use corolab::net::TcpStream;
use corolab::trace::{self, Record, Recorder};
use corolab::{Runtime, spawn_named};
use std::time::Duration;

/// Two tasks and a loopback socket pair: `reader` parks on an empty socket; `writer` sleeps
/// 200 ms on a timer (long enough that a loaded machine cannot change the order), then writes, which makes the socket readable and wakes `reader`. The main
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
            corolab::time::sleep(Duration::from_millis(200)).await;
            a.write_all(b"hi").await.unwrap();
        });
        assert_eq!(reader.await.unwrap(), b"hi");
        writer.await.unwrap();
    });
    trace::clear_sink();
    recorder.records()
}

/// The file descriptors of `text` renamed `fd A`, `fd B`, ... in order of appearance, and
/// times and timeouts replaced by `T`: what stays is what every run of the scenario shares.
pub fn normalize(text: &str) -> String {
    let mut text = text.to_string();
    while let Some(at) = text.find(" fired (")
        && let Some(len) = text[at..].find(" us late)")
    {
        text.replace_range(at + " fired".len()..at + len + " us late)".len(), "");
    }
    let mut fds: Vec<String> = Vec::new();
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("fd ") {
        out.push_str(&rest[..at + 3]);
        rest = &rest[at + 3..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() {
            continue;
        }
        let index = fds.iter().position(|f| *f == digits).unwrap_or_else(|| {
            fds.push(digits.clone());
            fds.len() - 1
        });
        out.push((b'A' + index as u8) as char);
        rest = &rest[digits.len()..];
    }
    out.push_str(rest);
    let mut clean = String::new();
    for (i, word) in out.split(' ').enumerate() {
        if i > 0 {
            clean.push(' ');
        }
        let numeric = word.chars().next().is_some_and(|c| c.is_ascii_digit()) && word.contains('.');
        clean.push_str(if numeric { "T" } else { word });
    }
    clean
}
