//! Property: decoding an encoded chunked body gives the body back, whatever the
//! chunk sizes and however the bytes are split into reads.

use corolab::http::{Event, Limits, ResponseReader, encode_chunked};
use proptest::prelude::*;

/// Feed `wire` to a reader in reads of the given sizes (cycled), collect the body.
fn decode(wire: &[u8], reads: &[usize]) -> (Vec<u8>, bool) {
    let mut reader = ResponseReader::new(Limits::default(), false);
    let mut offset = 0;
    let mut sizes = reads.iter().cycle();
    let mut body = Vec::new();
    loop {
        match reader.next_event().expect("valid chunked response") {
            Some(Event::Head(head)) => assert_eq!(head.status, 200),
            Some(Event::Data(data)) => body.extend_from_slice(&data),
            Some(Event::End { reusable }) => return (body, reusable),
            None => {
                assert!(offset < wire.len(), "reader wants more than the encoding holds");
                let n = (*sizes.next().unwrap()).min(wire.len() - offset);
                reader.feed(&wire[offset..offset + n]);
                offset += n;
            }
        }
    }
}

proptest! {
    // If framing and data ever disagree, some body will come back changed.
    #[test]
    fn decode_of_encode_is_identity(
        body in proptest::collection::vec(any::<u8>(), 0..4096),
        cuts in proptest::collection::vec(1usize..600, 1..20),
        reads in proptest::collection::vec(1usize..300, 1..8),
    ) {
        let mut parts: Vec<&[u8]> = Vec::new();
        let mut rest = body.as_slice();
        for cut in cuts.iter().cycle() {
            if rest.is_empty() { break; }
            let (part, tail) = rest.split_at((*cut).min(rest.len()));
            parts.push(part);
            rest = tail;
        }
        let mut wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        wire.extend_from_slice(&encode_chunked(&parts));
        let (decoded, reusable) = decode(&wire, &reads);
        prop_assert_eq!(decoded, body);
        prop_assert!(reusable);
    }
}
