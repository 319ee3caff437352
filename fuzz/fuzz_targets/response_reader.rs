//! Arbitrary bytes as a response: the reader must never panic, never loop
//! without consuming input, and give the same answer however the input is split.
#![no_main]

use corolab::http::{Event, Limits, ResponseReader};
use libfuzzer_sys::fuzz_target;

/// Head statuses, total body bytes and the final outcome: what must not depend on splitting.
fn run(data: &[u8], piece: usize, head_request: bool) -> String {
    let limits = Limits {
        max_head_bytes: 4096,
        max_headers: 16,
        max_body_bytes: 1 << 20,
    };
    let mut reader = ResponseReader::new(limits, head_request);
    let mut offset = 0;
    let mut eof_fed = false;
    let mut heads = Vec::new();
    let mut body_bytes = 0;
    loop {
        let outcome = match reader.next_event() {
            Err(e) => format!("err {e}"),
            Ok(Some(Event::End { reusable })) => format!("end {reusable}"),
            Ok(Some(Event::Head(h))) => {
                heads.push(h.status);
                continue;
            }
            Ok(Some(Event::Data(d))) => {
                body_bytes += d.len();
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
        return format!("{heads:?} {body_bytes} {outcome}");
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&control, data)) = input.split_first() else {
        return;
    };
    let piece = usize::from(control % 64) + 1;
    let head_request = control & 0x80 != 0;
    assert_eq!(
        run(data, usize::MAX, head_request),
        run(data, piece, head_request)
    );
});
