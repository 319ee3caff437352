//! Unit tests of the response reader, with no sockets at all.

use super::*;
use crate::http::response::Version;

/// What a whole response read produced: head, body, reusable.
type Outcome = Result<(ResponseHead, Vec<u8>, bool), Error>;

/// Feed `bytes` in pieces of at most `piece` bytes (respecting `read_hint`),
/// then EOF if `close` is set, collecting the events.
fn read_in_pieces(bytes: &[u8], piece: usize, head_request: bool, close: bool) -> Outcome {
    read_with(Limits::default(), bytes, piece, head_request, close)
}

fn read_with(limits: Limits, bytes: &[u8], piece: usize, head: bool, close: bool) -> Outcome {
    let mut reader = ResponseReader::new(limits, head);
    let mut offset = 0;
    let mut got_head = None;
    let mut body = Vec::new();
    loop {
        match reader.next_event()? {
            Some(Event::Head(h)) => got_head = Some(h),
            Some(Event::Data(d)) => body.extend_from_slice(&d),
            Some(Event::End { reusable }) => {
                return Ok((got_head.expect("End before Head"), body, reusable));
            }
            None if offset < bytes.len() => {
                let n = piece.min(reader.read_hint()).min(bytes.len() - offset);
                reader.feed(&bytes[offset..offset + n]);
                offset += n;
            }
            None if close => reader.feed_eof(),
            None => panic!("reader wants more bytes but the script has none"),
        }
    }
}

fn read(bytes: &[u8]) -> Outcome {
    read_in_pieces(bytes, usize::MAX, false, true)
}

fn body_of(bytes: &[u8]) -> Vec<u8> {
    read(bytes).unwrap().1
}

/// A comparable summary of an outcome (Error is not PartialEq).
fn summary(outcome: &Outcome) -> String {
    match outcome {
        Ok((head, body, reusable)) => {
            format!("ok {} {:?} {body:?} {reusable}", head.status, head.headers)
        }
        Err(e) => format!("err {e}"),
    }
}

// The core property of a sans-I/O parser: where the reads split must not matter.
#[test]
fn every_split_offset_gives_the_same_result() {
    let samples: Vec<&[u8]> = vec![
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
          5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n",
        b"HTTP/1.0 200 OK\nServer: lf-only\n\nbody until eof",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
        b"HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n",
    ];
    for sample in samples {
        let whole = summary(&read(sample));
        for split in 1..sample.len() {
            let two_pieces = read_two_pieces(&sample[..split], &sample[split..]);
            assert_eq!(summary(&two_pieces), whole, "split at {split}");
            let many_pieces = read_in_pieces(sample, split, false, true);
            assert_eq!(summary(&many_pieces), whole, "pieces of {split}");
        }
    }
}

fn read_two_pieces(first: &[u8], rest: &[u8]) -> Outcome {
    let mut reader = ResponseReader::new(Limits::default(), false);
    let mut pieces = vec![first, rest].into_iter();
    let mut got_head = None;
    let mut body = Vec::new();
    loop {
        match reader.next_event()? {
            Some(Event::Head(h)) => got_head = Some(h),
            Some(Event::Data(d)) => body.extend_from_slice(&d),
            Some(Event::End { reusable }) => return Ok((got_head.unwrap(), body, reusable)),
            None => match pieces.next() {
                Some(piece) => reader.feed(piece),
                None => reader.feed_eof(),
            },
        }
    }
}

/// Like `read_in_pieces`, but the way the clients read: straight into
/// `read_buffer` (at most `piece` bytes per read), body collected by
/// `next_event_into`, on a reader that reuses `buffer` (a connection's
/// buffer, left holding an earlier response's bytes).
fn read_into_buffer(bytes: &[u8], piece: usize, buffer: Vec<u8>) -> Outcome {
    let mut reader = ResponseReader::with_buffer(Limits::default(), false, buffer);
    let mut offset = 0;
    let mut got_head = None;
    let mut body = Vec::new();
    loop {
        match reader.next_event_into(&mut body)? {
            Some(Event::Head(h)) => got_head = Some(h),
            Some(Event::Data(_)) => panic!("next_event_into appends data, never returns it"),
            Some(Event::End { reusable }) => return Ok((got_head.unwrap(), body, reusable)),
            None if offset < bytes.len() => {
                let room = reader.read_buffer();
                let n = piece.min(room.len()).min(bytes.len() - offset);
                room[..n].copy_from_slice(&bytes[offset..offset + n]);
                reader.filled(n);
                offset += n;
            }
            None => reader.feed_eof(),
        }
    }
}

// The clients' path (read_buffer, next_event_into, reused buffer) must decode exactly like feed + next_event.
#[test]
fn reading_into_the_buffer_matches_feeding() {
    let samples: Vec<&[u8]> = vec![
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
          5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n",
        b"HTTP/1.0 200 OK\nServer: lf-only\n\nbody until eof",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
    ];
    let used_buffer = || b"HTTP/1.1 500 stale bytes of an earlier response".repeat(100);
    for sample in samples {
        let fed = summary(&read(sample));
        for piece in 1..=sample.len() {
            let outcome = read_into_buffer(sample, piece, used_buffer());
            assert_eq!(summary(&outcome), fed, "reads of {piece}");
        }
        assert_eq!(summary(&read_into_buffer(sample, 7, Vec::new())), fed);
    }
}

// The buffer goes back to the connection with its storage, so the next response allocates nothing.
#[test]
fn the_buffer_is_handed_back_for_the_next_response() {
    let mut reader = ResponseReader::new(Limits::default(), false);
    let room = reader.read_buffer().len();
    assert!(room > 0);
    let buffer = reader.into_buffer();
    assert!(buffer.capacity() >= room);
    let mut reader = ResponseReader::with_buffer(Limits::default(), false, buffer);
    assert_eq!(reader.read_buffer().len(), room);
}

// `filled` can only count bytes of the room `read_buffer` offered: a caller that claims
// more (or claims without asking) cannot make stale buffer bytes part of the response.
#[test]
fn filled_counts_only_the_offered_room() {
    let stale = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".repeat(1000);
    let mut reader = ResponseReader::with_buffer(Limits::default(), false, stale);
    reader.filled(100); // never offered: nothing counts
    assert_eq!(reader.bytes_received(), 0);
    let offered = reader.read_buffer().len();
    reader.filled(offered + 1000);
    assert_eq!(reader.bytes_received(), offered);
}

// Keep-alive is the HTTP/1.1 default when the length is known and nothing follows.
#[test]
fn content_length_body_is_reusable() {
    let (head, body, reusable) = read_in_pieces(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
        64,
        false,
        false,
    )
    .unwrap();
    assert_eq!((head.status, head.version), (200, Version::Http11));
    assert_eq!((body.as_slice(), reusable), (&b"hi"[..], true));
}

// Connection: close anywhere in the list, and HTTP/1.0 without keep-alive, end the connection.
#[test]
fn connection_close_and_http10_are_not_reusable() {
    for (response, expected) in [
        (
            &b"HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n"[..],
            false,
        ),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false),
        (
            b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n",
            true,
        ),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true),
    ] {
        let (_, _, reusable) = read_in_pieces(response, 1024, false, false).unwrap();
        assert_eq!(reusable, expected, "{}", String::from_utf8_lossy(response));
    }
}

// Bytes after the body must never be parsed as the next response.
#[test]
fn extra_bytes_after_body_prevent_reuse() {
    let (_, body, reusable) = read_in_pieces(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiEXTRA",
        1024,
        false,
        false,
    )
    .unwrap();
    assert_eq!((body.as_slice(), reusable), (&b"hi"[..], false));
}

// Chunk extensions are ignored and trailers dropped; the body is the concatenation.
#[test]
fn chunked_with_extensions_and_trailers() {
    let body = body_of(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
          3;name=value\r\nabc\r\n1 ; x\r\nd\r\n0\r\nExpires: never\r\nX: y\r\n\r\n",
    );
    assert_eq!(body, b"abcd");
}

// Each malformed chunked body is a typed error, never a hang or a panic.
#[test]
fn bad_chunked_bodies_are_errors() {
    let prefix = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    type Check = fn(&Error) -> bool;
    let cases: Vec<(&[u8], Check)> = vec![
        (b"zz\r\nab\r\n0\r\n\r\n", |e| {
            matches!(e, Error::InvalidChunk { .. })
        }),
        (b"fffffffffffffffff\r\n", |e| {
            matches!(e, Error::InvalidChunk { .. })
        }),
        (b"2\r\nabcd\r\n0\r\n\r\n", |e| {
            matches!(e, Error::InvalidChunk { .. })
        }),
        (b"3\r\nabc\n0\r\n\r\n", |e| {
            matches!(e, Error::InvalidChunk { .. })
        }),
        (b"5\r\nab", |e| {
            matches!(e, Error::IncompleteBody { expected: None, .. })
        }),
        (b"2\r\nab\r\n", |e| matches!(e, Error::IncompleteBody { .. })),
        (b"0\r\nTrailer: unfinished", |e| {
            matches!(e, Error::IncompleteBody { .. })
        }),
    ];
    for (tail, check) in cases {
        let mut bytes = prefix.clone();
        bytes.extend_from_slice(tail);
        let err = read(&bytes).unwrap_err();
        assert!(check(&err), "{} -> {err:?}", String::from_utf8_lossy(tail));
    }
}

// A bare LF is not the CRLF that ends chunk data: accepting it could reuse a connection out of step.
#[test]
fn bare_lf_after_chunk_data_is_an_error() {
    let bytes = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n";
    for piece in 1..=bytes.len() {
        let outcome = read_in_pieces(bytes, piece, false, false);
        assert!(
            matches!(outcome, Err(Error::InvalidChunk { .. })),
            "pieces of {piece}: {}",
            summary(&outcome)
        );
    }
}

// A chunk-size line or trailer section that never ends is cut off at a limit.
#[test]
fn endless_chunk_line_and_trailers_are_capped() {
    let mut bytes = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 10_000));
    assert!(matches!(read(&bytes), Err(Error::InvalidChunk { .. })));
    let mut bytes = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n".to_vec();
    for i in 0..10_000 {
        bytes.extend_from_slice(format!("X-{i}: value\r\n").as_bytes());
    }
    assert!(matches!(read(&bytes), Err(Error::TrailersTooLarge { .. })));
}

// Content-Length must be plain digits; copies must agree; u64 overflow is invalid.
#[test]
fn content_length_strictness() {
    for bad in ["+8", "-6", "crap", "1 2", "", "18446744073709551616", "0x10"] {
        let response = format!("HTTP/1.1 200 OK\r\nContent-Length: {bad}\r\n\r\n");
        let err = read(response.as_bytes()).unwrap_err();
        assert!(
            matches!(err, Error::InvalidContentLength { .. }),
            "{bad:?} -> {err:?}"
        );
    }
    let err = read(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd").unwrap_err();
    assert!(matches!(
        err,
        Error::ConflictingContentLength { first: 3, second: 4 }
    ));
    assert_eq!(
        body_of(b"HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc"),
        b"abc"
    );
}

// Ambiguous or undecodable framing is refused (request-smuggling hazard).
#[test]
fn transfer_encoding_rules() {
    let err = read(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n")
        .unwrap_err();
    assert!(matches!(err, Error::ConflictingFraming));
    for te in ["gzip", "chunked, gzip", "gzip, chunked", "chunked, chunked", ""] {
        let response = format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: {te}\r\n\r\n");
        let err = read(response.as_bytes()).unwrap_err();
        assert!(
            matches!(err, Error::UnsupportedTransferEncoding { .. }),
            "{te:?} -> {err:?}"
        );
    }
}

// HEAD, 204 and 304 have no body whatever the headers announce; 1xx heads are skipped.
#[test]
fn bodiless_responses_and_interim_heads() {
    let (_, body, reusable) = read_in_pieces(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
        1024,
        true,
        false,
    )
    .unwrap();
    assert_eq!((body.len(), reusable), (0, true));
    for status in ["204 No Content", "304 Not Modified"] {
        let response = format!("HTTP/1.1 {status}\r\nContent-Length: 5\r\n\r\n");
        let (_, body, _) = read_in_pieces(response.as_bytes(), 1024, false, false).unwrap();
        assert!(body.is_empty());
    }
    let (head, body, _) = read_in_pieces(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nz",
        7,
        false,
        false,
    )
    .unwrap();
    assert_eq!((head.status, body.as_slice()), (201, &b"z"[..]));
}

// Head limits stop an endless head without buffering more than the limit.
#[test]
fn head_limits() {
    let limits = Limits {
        max_head_bytes: 1024,
        ..Limits::default()
    };
    let mut reader = ResponseReader::new(limits, false);
    reader.feed(b"HTTP/1.1 200 OK\r\n");
    let mut fed = 17;
    let err = loop {
        match reader.next_event() {
            Ok(None) => {
                let n = reader.read_hint().min(100);
                reader.feed(&vec![b'a'; n]);
                fed += n;
                assert!(fed <= 1024, "buffered past the limit");
            }
            Ok(Some(e)) => panic!("unexpected {e:?}"),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, Error::HeadTooLarge { limit: 1024 }));
    let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..101 {
        many.extend_from_slice(format!("H{i}: v\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    assert!(matches!(read(&many), Err(Error::TooManyHeaders { limit: 100 })));
}

// Status-line and header-line grammar: what must fail and what must be tolerated.
#[test]
fn head_grammar() {
    for bad in [
        &b"HTTP/1.1 2000 OK\r\n\r\n"[..],
        b"HTTP/1.1 20 OK\r\n\r\n",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"ICY 200 OK\r\n\r\n",
        b"<html>hello</html>",
        b"HTTP/2 200 OK\r\n\r\n",
    ] {
        let err = read(bad).unwrap_err();
        assert!(
            matches!(err, Error::InvalidStatusLine { .. }),
            "{:?} -> {err:?}",
            String::from_utf8_lossy(bad)
        );
    }
    for bad in [
        &b"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n"[..],
        b"HTTP/1.1 200 OK\r\nName : v\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nNa\0me: v\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nName: a\0b\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nName: a\x01b\r\n\r\n",
    ] {
        let err = read(bad).unwrap_err();
        assert!(
            matches!(err, Error::InvalidHeader { .. }),
            "{:?} -> {err:?}",
            String::from_utf8_lossy(bad)
        );
    }
    for good in [
        &b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"[..],
        b"HTTP/1.1 200 \xc9t\xe9\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\nContent-Length: 0\n\n",
    ] {
        assert_eq!(read(good).unwrap().0.status, 200);
    }
}

// EOF in the head is UnexpectedEof and says how much had arrived.
#[test]
fn eof_in_head() {
    assert!(matches!(read(b""), Err(Error::UnexpectedEof { received: 0 })));
    assert!(matches!(
        read(b"HTTP/1.1 200 OK\r\nA: b"),
        Err(Error::UnexpectedEof { received: 21 })
    ));
}

// The body limit applies to every framing, and before the body is buffered.
#[test]
fn body_limit_applies_to_every_framing() {
    let limits = Limits {
        max_body_bytes: 4,
        ..Limits::default()
    };
    for response in [
        &b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"[..],
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\n",
        b"HTTP/1.1 200 OK\r\n\r\nabcde",
    ] {
        let err = read_with(limits, response, 1024, false, false).unwrap_err();
        assert!(matches!(err, Error::BodyTooLarge { limit: 4 }), "{err:?}");
    }
}

// A body read until EOF is complete but its connection can never be reused.
#[test]
fn body_until_eof_is_not_reusable() {
    let (_, body, reusable) = read(b"HTTP/1.1 200 OK\r\n\r\nall of it").unwrap();
    assert_eq!((body.as_slice(), reusable), (&b"all of it"[..], false));
}
