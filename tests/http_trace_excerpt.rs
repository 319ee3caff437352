//! Chapter 7's trace of one keep-alive GET is real `COROLAB_TRACE=1` output:
//! this test re-runs itself as a child process with tracing on, cuts the second
//! of two GETs on one connection (the keep-alive one) out of its stderr, and compares it with the
//! excerpt in `docs/07-http-client.md` after normalising what varies from run
//! to run (times, fds, tokens, ports: every number). If the trace format
//! changes, regenerate the excerpt with `COROLAB_BLESS=1 cargo test --test
//! http_trace_excerpt` and re-read the prose around it.

mod support;

use std::io::Write;
use std::process::Command;

use support::server::{ScriptServer, Step, send};

const CHAPTER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/07-http-client.md");
const BEGIN: &str = "<!-- trace-excerpt:begin (tests/http_trace_excerpt.rs) -->";
const END: &str = "<!-- trace-excerpt:end -->";
const CHILD: &str = "COROLAB_TRACE_EXCERPT_CHILD";
const MARK_FIRST: &str = "=== first GET (connects) starts";
const MARK_START: &str = "=== second GET (keep-alive) starts";
const MARK_END: &str = "=== second GET done";

// The chapter promises (ch4) a trace of a whole HTTP request; this keeps it true.
#[test]
fn chapter_7_shows_the_real_trace_of_a_keep_alive_get() {
    if std::env::var_os(CHILD).is_some() {
        return two_gets_on_one_connection();
    }
    let chapter = std::fs::read_to_string(CHAPTER).unwrap();
    if std::env::var_os("COROLAB_BLESS").is_some() {
        return bless(&chapter, &traced_keep_alive_get());
    }
    let fresh = traced_keep_alive_get();
    assert_eq!(
        normalise(&fresh),
        normalise(&shown_excerpt(&chapter)),
        "ch7's trace excerpt no longer matches COROLAB_TRACE=1 output (regenerate with \
         COROLAB_BLESS=1 and re-read the prose around it). This run:\n{fresh}"
    );
}

/// Run the child with `COROLAB_TRACE=1`; the keep-alive GET's part of its stderr.
fn traced_keep_alive_get() -> String {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "chapter_7_shows_the_real_trace_of_a_keep_alive_get",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .env("COROLAB_TRACE", "1")
        .output()
        .expect("run the test binary as a child");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed: {stderr}");
    excerpt_of(&stderr)
}

/// The child: two GETs on one connection, the second framed by marker lines on stderr
/// (written the same way the trace sink writes, so the order is kept).
fn two_gets_on_one_connection() {
    let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let server = ScriptServer::start(vec![vec![
        Step::ReadRequest,
        send(ok),
        Step::ReadRequest,
        send(ok),
        Step::WaitForClose,
    ]]);
    let url = server.url("/page");
    corolab::block_on(async move {
        let client = corolab::http::Client::new();
        let _ = writeln!(std::io::stderr().lock(), "{MARK_FIRST}");
        client.get(&url).await.expect("first GET");
        drain_ready_list_left_by_the_first_get().await;
        let _ = writeln!(std::io::stderr().lock(), "{MARK_START}");
        client.get(&url).await.expect("second GET");
        let _ = writeln!(std::io::stderr().lock(), "{MARK_END}");
    });
    assert_eq!(server.accepted(), 1, "the second GET reused the connection");
}

/// The first GET can leave fd 6 on epoll's ready list with no byte to read: its
/// registration (an edge-triggered `EPOLL_CTL_ADD` of a writable socket queues it at once)
/// when the answer was already there at the first read, so that GET never waited; or the
/// answer's wake-up landing while `epoll_wait` was collecting that same fd, which puts it
/// back on the list for the next call. Either way the next `epoll_wait`, inside the second
/// GET, returned at once with `fd 6 writable`, woke nobody, and waited again: the excerpt
/// then had two waits (about 1 run in 200, more on a loaded machine). Nothing else can
/// queue fd 6 before the second request is written (pure ACKs wake no one), so one
/// zero-timeout `epoll_wait` here (a `yield_now` asks the reactor at once) empties the list
/// and the second GET's trace no longer depends on the first GET's timing.
async fn drain_ready_list_left_by_the_first_get() {
    corolab::yield_now().await;
}

/// The trace of the keep-alive GET, its marker lines included. (The first GET's trace
/// depends on whether its answer was already there at the first read: not compared.)
fn excerpt_of(stderr: &str) -> String {
    let start = stderr.find(MARK_START).expect("start marker");
    let end = stderr.find(MARK_END).expect("end marker") + MARK_END.len();
    stderr[start..end].trim_matches('\n').to_string()
}

/// The excerpt in the chapter: the ```text block between the markers.
fn shown_excerpt(chapter: &str) -> String {
    let start = chapter.find(BEGIN).expect("excerpt begin marker in ch7") + BEGIN.len();
    let end = chapter.find(END).expect("excerpt end marker in ch7");
    let block = chapter[start..end].trim();
    let block = block.strip_prefix("```text").expect("a text block").trim_end();
    block
        .strip_suffix("```")
        .expect("a closed block")
        .trim_matches('\n')
        .to_string()
}

/// Every number becomes `#` and runs of spaces one space: times, fds, tokens and
/// timeouts vary between runs, the sequence of events must not.
fn normalise(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut last = ' ';
        for c in line.trim().chars() {
            let c = if c.is_ascii_digit() || (c == '.' && last == '#') {
                '#'
            } else {
                c
            };
            let hex = c.is_ascii_hexdigit() && last == '#';
            if (c == '#' || hex) && last == '#' || (c == ' ' && last == ' ') {
                continue;
            }
            out.push(c);
            last = c;
        }
        out.push('\n');
    }
    out
}

fn bless(chapter: &str, fresh: &str) {
    let start = chapter.find(BEGIN).expect("excerpt begin marker") + BEGIN.len();
    let end = chapter.find(END).expect("excerpt end marker");
    let updated = format!(
        "{}\n```text\n{fresh}\n```\n{}",
        &chapter[..start],
        &chapter[end..]
    );
    std::fs::write(CHAPTER, updated).unwrap();
}
