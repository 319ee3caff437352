//! The text trace of a fixed scenario, compared line by line with `tests/golden/trace_text.txt`
//! (times cut off). Its own test binary: one runtime in the process, so no `[rt N]` labels.
//! Chapter 10 (`docs/10-debugging.md`) shows this trace; regenerate the file with
//! `COROLAB_BLESS=1 cargo test --test trace_golden` after a deliberate format change.

use corolab::sync::{channel, oneshot};
use corolab::time::sleep;
use corolab::trace::{self, TextSink};
use corolab::{Runtime, spawn_named, yield_now};
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::time::Duration;

#[derive(Clone, Default)]
struct Buffer(Rc<RefCell<Vec<u8>>>);
impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A producer sends two values through a one-slot channel (the second send waits for room),
/// yields once, and sleeps for zero time; a consumer receives both and answers through a
/// oneshot the main future awaits.
async fn scenario() -> u32 {
    let (tx, mut rx) = channel::<u32>(1);
    let (done_tx, done_rx) = oneshot::<u32>();
    let producer = spawn_named("producer", async move {
        tx.send(1).await.unwrap();
        tx.send(2).await.unwrap();
        yield_now().await;
        sleep(Duration::ZERO).await;
    });
    let _consumer = spawn_named("consumer", async move {
        let mut sum = 0;
        while let Some(v) = rx.recv().await {
            sum += v;
        }
        let _ = done_tx.send(sum);
    });
    producer.await.unwrap();
    done_rx.await.unwrap()
}

/// The trace with the `[    0.123 ms] ` time column and the timer lateness cut off.
fn normalised(text: &str) -> String {
    text.lines()
        .map(|line| line.split_once("ms] ").map_or(line, |(_, rest)| rest))
        .map(|line| match line.split_once(" fired (") {
            Some((timer, _)) => format!("{timer} fired (N us late)\n"),
            None => format!("{line}\n"),
        })
        .collect()
}

// Why: the text trace is what students read (chapter 10 shows this one); its order and
// wording are the contract: every wake under the poll that caused it, every Pending with
// what it waits for, tick phases where something happens.
#[test]
fn text_trace_of_a_fixed_scenario_matches_the_golden_file() {
    // On a thread named `main`, as in a program: other threads' lines are labelled.
    let (sum, text) = std::thread::Builder::new()
        .name("main".into())
        .spawn(|| {
            let out = Buffer::default();
            trace::set_sink(Box::new(TextSink::to_writer(out.clone())));
            let sum = Runtime::new().block_on(scenario());
            trace::clear_sink();
            let text = String::from_utf8(out.0.borrow().clone()).unwrap();
            (sum, text)
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(sum, 3);
    let got = normalised(&text);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/trace_text.txt");
    if std::env::var_os("COROLAB_BLESS").is_some() {
        std::fs::write(path, &got).unwrap();
    }
    let want = std::fs::read_to_string(path).unwrap_or_default();
    assert_eq!(got, want, "the text trace changed; got:\n{got}");
    // Chapter 10 shows this trace: it must be the one this test produces.
    let chapter =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/10-debugging.md")).unwrap();
    assert!(
        chapter.contains(&format!("```text\n{want}```")),
        "docs/10-debugging.md must show tests/golden/trace_text.txt verbatim in a text block"
    );
}
