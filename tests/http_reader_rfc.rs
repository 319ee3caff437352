//! Issue 16 items 10-12 for the sans-I/O reader, through its public API:
//! chunk-size lines follow RFC 9112 §7.1, obs-fold is unfolded (§5.2), and
//! errors do not depend on how the input was split.

use corolab::http::{Error, Event, Limits, ResponseHead, ResponseReader};

type Outcome = Result<(ResponseHead, Vec<u8>, bool), Error>;

/// Feed `bytes` in pieces of at most `piece` (never more than `read_hint`), then EOF.
fn read_in_pieces(bytes: &[u8], piece: usize) -> Outcome {
    let mut reader = ResponseReader::new(Limits::default(), false);
    let (mut offset, mut head, mut body) = (0, None, Vec::new());
    loop {
        match reader.next_event()? {
            Some(Event::Head(h)) => head = Some(h),
            Some(Event::Data(d)) => body.extend_from_slice(&d),
            Some(Event::End { reusable }) => return Ok((head.unwrap(), body, reusable)),
            None if offset < bytes.len() => {
                let n = piece.min(reader.read_hint()).min(bytes.len() - offset);
                reader.feed(&bytes[offset..offset + n]);
                offset += n;
            }
            None => reader.feed_eof(),
        }
    }
}

fn read(bytes: &[u8]) -> Outcome {
    read_in_pieces(bytes, usize::MAX)
}

fn summary(outcome: &Outcome) -> String {
    match outcome {
        Ok((head, body, reusable)) => format!("ok {} {body:?} {reusable}", head.status),
        Err(e) => format!("err {e}"),
    }
}

// Issue 16.10: httparse takes a size line without a hex digit as 0, which would end the body
// early and read the rest as the next response. Every split must refuse it.
#[test]
fn chunk_size_line_without_a_hex_digit_is_an_error() {
    let prefix = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n".to_vec();
    for tail in [
        &b"\r\n5\r\nworld\r\n0\r\n\r\n"[..],
        b";ext\r\n0\r\n\r\n",
        b"2;a\nb\r\nok\r\n0\r\n\r\n",
    ] {
        let mut bytes = prefix.clone();
        bytes.extend_from_slice(tail);
        for piece in 1..=bytes.len() {
            let outcome = read_in_pieces(&bytes, piece);
            assert!(
                matches!(outcome, Err(Error::InvalidChunk { .. })),
                "{:?} in pieces of {piece}: {}",
                String::from_utf8_lossy(tail),
                summary(&outcome)
            );
        }
    }
}

// Issue 16.11: RFC 9112 §5.2 — a user agent replaces obs-fold with SP instead of refusing it.
#[test]
fn obs_fold_in_a_header_becomes_one_space() {
    let (head, body, _) =
        read(b"HTTP/1.1 200 OK\r\nX-Folded: a\r\n  b\r\n\tc\r\nContent-Length: 2\r\n\r\nok").unwrap();
    assert_eq!(head.headers.get("x-folded"), Some(&b"a b c"[..]));
    assert_eq!(body, b"ok");
}

// A bad status line quotes the same text however it arrived (split independence).
#[test]
fn a_bad_status_line_is_quoted_whole_however_it_is_split() {
    let bytes = b"HELLO WORLD\r\n\r\n";
    for piece in 1..=bytes.len() {
        let outcome = read_in_pieces(bytes, piece);
        assert_eq!(
            summary(&outcome),
            "err invalid status line: \"HELLO WORLD\"",
            "pieces of {piece}"
        );
    }
}

// An until-EOF body over the limit hands out exactly the limit first, whatever the reads.
#[test]
fn an_oversize_until_eof_body_fails_after_the_same_data_whatever_the_reads() {
    let limits = Limits {
        max_body_bytes: 10,
        ..Limits::default()
    };
    let bytes = b"HTTP/1.1 200 OK\r\n\r\n0123456789abcdef";
    for piece in [1, 3, 7, usize::MAX] {
        let mut reader = ResponseReader::new(limits, false);
        reader.feed(&bytes[..19]);
        let mut body = Vec::new();
        let mut rest = &bytes[19..];
        let err = loop {
            match reader.next_event_into(&mut body) {
                Err(e) => break e,
                Ok(Some(_)) => {}
                Ok(None) => {
                    let n = piece.min(rest.len());
                    reader.feed(&rest[..n]);
                    rest = &rest[n..];
                }
            }
        };
        assert!(matches!(err, Error::BodyTooLarge { limit: 10 }), "{err:?}");
        assert_eq!(body, b"0123456789", "pieces of {piece}");
    }
}

// RFC 9112 §2.2 / §5.2: obs-fold exists only inside a field value. A line starting with
// whitespace right after the status line continues nothing (the status line is not a
// field): it is refused, never glued onto the status line or read as a header.
#[test]
fn a_whitespace_line_right_after_the_status_line_is_refused_not_unfolded() {
    for bytes in [
        &b"HTTP/1.1 200 OK\r\n more reason\r\nContent-Length: 2\r\n\r\nok"[..],
        b"HTTP/1.1 200 OK\r\n\tContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\n Content-Length: 2\r\n\r\nok",
    ] {
        for piece in 1..=bytes.len() {
            let outcome = read_in_pieces(bytes, piece);
            assert!(
                matches!(outcome, Err(Error::InvalidHeader { .. })),
                "{:?} in pieces of {piece}: {}",
                String::from_utf8_lossy(bytes),
                summary(&outcome)
            );
        }
    }
}
