//! Arbitrary bytes as a response: the reader must never panic, never loop
//! without consuming input, and give the same answer however the input is
//! split (the "Split independence" contract in `ResponseReader`'s docs; the
//! stable-toolchain twin is `tests/http_reader_split_prop.rs`).
#![no_main]

use corolab::http::{Event, Limits, ResponseReader};
use libfuzzer_sys::fuzz_target;

/// What must not depend on splitting: heads, body, outcome, and whether bytes
/// followed the end; plus `reusable`, compared only when none did.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    heads: Vec<String>,
    body: Vec<u8>,
    outcome: String,
    reusable: Option<bool>,
    bytes_after_end: bool,
}

fn run(data: &[u8], piece: usize, head_request: bool) -> Answer {
    let limits = Limits {
        max_head_bytes: 4096,
        max_headers: 16,
        max_body_bytes: 1 << 20,
    };
    let mut reader = ResponseReader::new(limits, head_request);
    let (mut offset, mut eof_fed) = (0, false);
    let (mut heads, mut body) = (Vec::new(), Vec::new());
    loop {
        let (outcome, reusable) = match reader.next_event() {
            Err(e) => (format!("err {e}"), None),
            Ok(Some(Event::End { reusable })) => ("end".to_string(), Some(reusable)),
            Ok(Some(Event::Head(h))) => {
                heads.push(format!("{} {:?}", h.status, h.headers));
                continue;
            }
            Ok(Some(Event::Data(d))) => {
                body.extend_from_slice(&d);
                continue;
            }
            Ok(None) if offset < data.len() => {
                let n = piece.min(reader.read_hint()).min(data.len() - offset);
                reader.feed(&data[offset..offset + n]);
                offset += n;
                continue;
            }
            Ok(None) => {
                assert!(!eof_fed, "reader asked for more after EOF");
                reader.feed_eof();
                eof_fed = true;
                continue;
            }
        };
        let bytes_after_end = reusable.is_some() && (reader.leftover() > 0 || offset < data.len());
        return Answer {
            heads,
            body,
            outcome,
            reusable,
            bytes_after_end,
        };
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&control, data)) = input.split_first() else {
        return;
    };
    let piece = usize::from(control % 64) + 1;
    let head_request = control & 0x80 != 0;
    let whole = run(data, usize::MAX, head_request);
    let mut split = run(data, piece, head_request);
    if whole.bytes_after_end {
        split.reusable = whole.reusable; // the one documented exception
    }
    assert_eq!(whole, split);
});
