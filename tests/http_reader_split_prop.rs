//! Property: the response reader's answer does not depend on how its input is
//! split into reads (the contract in `ResponseReader`'s docs, "Split
//! independence"). The same invariant as `fuzz/fuzz_targets/response_reader.rs`,
//! on the stable toolchain so `cargo test` checks it.

use corolab::http::{Event, Limits, ResponseReader};
use proptest::prelude::*;

/// What must not depend on the split: head statuses and headers, the body,
/// the outcome (error text or `reusable`), and whether bytes followed the end.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    heads: Vec<String>,
    body: Vec<u8>,
    outcome: String,
    reusable: Option<bool>,
    bytes_after_end: bool,
}

/// Feed `data` in pieces of `piece` bytes (never more than `read_hint`), then EOF.
fn run(data: &[u8], piece: usize, head_request: bool) -> Answer {
    let limits = Limits {
        max_head_bytes: 256,
        max_headers: 8,
        max_body_bytes: 64,
    };
    let mut reader = ResponseReader::new(limits, head_request);
    let (mut offset, mut heads, mut body) = (0, Vec::new(), Vec::new());
    loop {
        match reader.next_event() {
            Err(e) => return answer(heads, body, format!("err {e}"), None, false),
            Ok(Some(Event::Head(h))) => heads.push(format!("{} {:?}", h.status, h.headers)),
            Ok(Some(Event::Data(d))) => body.extend_from_slice(&d),
            Ok(Some(Event::End { reusable })) => {
                let after = reader.leftover() > 0 || offset < data.len();
                return answer(heads, body, "end".into(), Some(reusable), after);
            }
            Ok(None) if offset < data.len() => {
                let n = piece.min(reader.read_hint()).min(data.len() - offset);
                reader.feed(&data[offset..offset + n]);
                offset += n;
            }
            Ok(None) => reader.feed_eof(),
        }
    }
}

fn answer(heads: Vec<String>, body: Vec<u8>, outcome: String, reusable: Option<bool>, after: bool) -> Answer {
    Answer {
        heads,
        body,
        outcome,
        reusable,
        bytes_after_end: after,
    }
}

/// The contract: everything equal, except that `reusable` is only compared
/// when no byte follows the response (bytes fed before `End` make it false;
/// bytes arriving later are the pool's checkout to find).
fn same_answer(whole: &Answer, split: &Answer) -> bool {
    let reusable_agrees = whole.reusable == split.reusable || whole.bytes_after_end;
    (&whole.heads, &whole.body, &whole.outcome, whole.bytes_after_end)
        == (&split.heads, &split.body, &split.outcome, split.bytes_after_end)
        && reusable_agrees
}

/// Pieces responses are made of, good and bad, so that random sequences reach every state.
const FRAGMENTS: &[&[u8]] = &[
    b"HTTP/1.1 200 OK\r\n",
    b"HTTP/1.0 200 OK\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\n",
    b"HTTP/1.1 204 No Content\r\n",
    b"HELLO WORLD",
    b"HTTP/1.1 2000 OK\r\n",
    b"Content-Length: 3\r\n",
    b"Content-Length: 3, 4\r\n",
    b"Transfer-Encoding: chunked\r\n",
    b"Connection: close\r\n",
    b"Connection: keep-alive\r\n",
    b"X-Folded: a\r\n  b\r\n",
    b"Bad Header: x\r\n",
    b"\r\n",
    b"\n",
    b"\r",
    b"5\r\nhello\r\n",
    b"3;a=\"q\"\r\nabc\r\n",
    b";ext\r\n",
    b"0\r\n",
    b"0\r\n\r\n",
    b"Trailer: t\r\n",
    b"abc",
    b"zz\r\n",
    b" ",
    b"\0",
];

fn input() -> impl Strategy<Value = Vec<u8>> {
    let fragment = prop_oneof![
        4 => proptest::sample::select(FRAGMENTS).prop_map(<[u8]>::to_vec),
        1 => proptest::collection::vec(any::<u8>(), 0..8),
    ];
    proptest::collection::vec(fragment, 0..12).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    // A sans-I/O parser whose answer depends on the read sizes frames differently
    // on a slow network than on a fast one: the bug this property exists for.
    #[test]
    fn the_readers_answer_does_not_depend_on_how_the_input_is_split(
        data in input(),
        piece in 1usize..64,
        head_request in any::<bool>(),
    ) {
        let whole = run(&data, usize::MAX, head_request);
        let split = run(&data, piece, head_request);
        prop_assert!(same_answer(&whole, &split), "whole {whole:?}\nsplit {split:?}");
    }
}
