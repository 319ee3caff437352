//! Arbitrary bytes as a chunked body: no panic, and the decoded body is never
//! longer than the input that carried it.
#![no_main]

use corolab::http::{Event, Limits, ResponseReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let mut reader = ResponseReader::new(Limits::default(), false);
    reader.feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    reader.feed(body);
    reader.feed_eof();
    let mut decoded = 0;
    loop {
        match reader.next_event() {
            Ok(Some(Event::Data(d))) => decoded += d.len(),
            Ok(Some(Event::Head(_))) => {}
            Ok(Some(Event::End { .. })) | Err(_) => break,
            Ok(None) => panic!("reader wants more after EOF"),
        }
    }
    assert!(decoded <= body.len());
});
