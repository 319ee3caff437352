//! The chunked states of the reader (RFC 9112 §7.1): size line, data, the
//! CRLF after the data, trailers. One function per state, dispatched by
//! `ResponseReader::step` like the other states.
//!
//! **Concept.** A chunked body is `size-line data CRLF` repeated, ended by a
//! zero size and a trailer section. The size line is where two parsers can
//! disagree about where a response ends, so it is checked against the
//! grammar, not merely scanned for hex:
//!
//! ```text
//!   chunk-line = 1*HEXDIG *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ) BWS CRLF
//! ```
//!
//! (`BWS` is optional spaces and tabs; trailing `BWS` before the CRLF is
//! accepted, no parser reads it as anything else.) A line without a hex
//! digit (`\r\n`, `;ext\r\n`) is an error, not size 0; so is a bare LF
//! anywhere in it.
//!
//! **Where.** `chunk_size_line`, `chunk_data`, `chunk_data_end`,
//! `trailer_line`; the grammar in `parse_chunk_line`.
//!
//! **In the debugger.** Break in `chunk_size_line` and print `line`.

use super::{Found, ResponseReader, State};
use crate::http::error::Error;

/// Longest chunk-size line (size plus extensions) we accept.
const MAX_CHUNK_LINE: usize = 4096;

/// Most bytes of chunk extensions in one body. They carry nothing we use, and the body
/// limit counts data only: without this, a body of 1-byte chunks with 4 KiB of extensions
/// each would keep the client parsing megabytes of nothing until the request timeout.
const MAX_CHUNK_EXTENSIONS: usize = 16 * 1024;

impl ResponseReader {
    /// State `ChunkSize`: one complete size line, then `ChunkData` or, for
    /// size 0, `Trailers`. Decided only on a whole line, so the answer does
    /// not depend on how the line was split into reads.
    pub(super) fn chunk_size_line(&mut self) -> Result<Option<Found>, Error> {
        let pending = self.pending();
        let Some(newline) = pending.iter().position(|&b| b == b'\n') else {
            if pending.len() > MAX_CHUNK_LINE {
                return Err(invalid("chunk size line too long"));
            }
            return self.need_more_in_chunked();
        };
        if newline > MAX_CHUNK_LINE {
            return Err(invalid("chunk size line too long"));
        }
        let Some(line) = pending[..newline].strip_suffix(b"\r") else {
            return Err(invalid("chunk size line ends in a bare LF"));
        };
        let (size, extensions) = parse_chunk_line(line).map_err(invalid)?;
        self.extension_bytes += extensions;
        if self.extension_bytes > MAX_CHUNK_EXTENSIONS {
            return Err(invalid("chunk extensions over 16 KiB in one body"));
        }
        self.consume(newline + 1);
        if size == 0 {
            self.state = State::Trailers { bytes: 0 };
        } else if self.body_received.saturating_add(size) > self.limits.max_body_bytes {
            return Err(Error::BodyTooLarge {
                limit: self.limits.max_body_bytes,
            });
        } else {
            self.state = State::ChunkData { remaining: size };
        }
        Ok(Some(Found::Framing))
    }

    /// State `ChunkData`: hand out what is there of the chunk's data.
    pub(super) fn chunk_data(&mut self, remaining: u64) -> Result<Option<Found>, Error> {
        // LAB(chunked-decoder) begin: take min(pending, remaining) bytes as data; when the chunk is used up, expect its CRLF (State::ChunkDataEnd)
        let available = self.pending().len();
        if available == 0 {
            return self.need_more_in_chunked();
        }
        let take = available.min(usize::try_from(remaining).unwrap_or(usize::MAX));
        let data = self.take_data(take);
        let left = remaining - take as u64;
        self.state = if left == 0 {
            State::ChunkDataEnd
        } else {
            State::ChunkData { remaining: left }
        };
        Ok(Some(data))
        // LAB(chunked-decoder) end
    }

    /// State `ChunkDataEnd`: exactly CRLF after the data. A bare LF here is an
    /// error (RFC 9112 §7.1 has no leniency for chunk framing; only header
    /// lines may end in a bare LF).
    pub(super) fn chunk_data_end(&mut self) -> Result<Option<Found>, Error> {
        match self.pending() {
            [b'\r', b'\n', ..] => {
                self.consume(2);
                self.state = State::ChunkSize;
                Ok(Some(Found::Framing))
            }
            [] | [b'\r'] => self.need_more_in_chunked(),
            _ => Err(invalid("missing CRLF after chunk data")),
        }
    }

    /// State `Trailers`: one trailer line, read and dropped (capped at
    /// `max_head_bytes` in all); the empty line ends the response.
    pub(super) fn trailer_line(&mut self, bytes: usize) -> Result<Option<Found>, Error> {
        let limit = self.limits.max_head_bytes;
        let pending = self.pending();
        let Some(newline) = pending.iter().position(|&b| b == b'\n') else {
            if bytes + pending.len() > limit {
                return Err(Error::TrailersTooLarge { limit });
            }
            return self.need_more_in_chunked();
        };
        let line_is_empty = matches!(&pending[..newline], b"" | b"\r");
        let bytes = bytes + newline + 1;
        if bytes > limit {
            return Err(Error::TrailersTooLarge { limit });
        }
        self.consume(newline + 1);
        if line_is_empty {
            return Ok(Some(self.finish(true)));
        }
        self.state = State::Trailers { bytes };
        Ok(Some(Found::Framing))
    }

    /// Out of bytes inside the chunked body: wait, or fail if the server closed.
    fn need_more_in_chunked(&self) -> Result<Option<Found>, Error> {
        if self.eof {
            return Err(Error::IncompleteBody {
                received: self.body_received,
                expected: None,
            });
        }
        Ok(None)
    }
}

fn invalid(reason: &'static str) -> Error {
    Error::InvalidChunk { reason }
}

/// The size of a chunk line (CRLF removed), checked against the grammar in the module docs,
/// and how many bytes follow the size (its extensions).
fn parse_chunk_line(line: &[u8]) -> Result<(u64, usize), &'static str> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return Err("chunk size line has no hex digit");
    }
    let mut size: u64 = 0;
    for &digit in &line[..digits] {
        let value = (digit as char).to_digit(16).unwrap_or(0) as u64;
        size = size
            .checked_mul(16)
            .and_then(|s| s.checked_add(value))
            .ok_or("chunk size overflows 64 bits")?;
    }
    let mut rest = skip_whitespace(&line[digits..]);
    while let Some(after_semicolon) = rest.strip_prefix(b";") {
        rest = chunk_extension(skip_whitespace(after_semicolon))?;
    }
    if !rest.is_empty() {
        return Err("chunk size is not hex, or junk follows it");
    }
    Ok((size, line.len() - digits))
}

/// One `name [= value]` extension (after its `;`); returns what follows it, whitespace skipped.
fn chunk_extension(text: &[u8]) -> Result<&[u8], &'static str> {
    let name = token_len(text);
    if name == 0 {
        return Err("chunk extension without a name");
    }
    let rest = skip_whitespace(&text[name..]);
    let Some(value) = rest.strip_prefix(b"=") else {
        return Ok(rest);
    };
    let value = skip_whitespace(value);
    let used = match value.first() {
        Some(b'"') => quoted_string_len(value).ok_or("chunk extension has a bad quoted string")?,
        _ => token_len(value),
    };
    if used == 0 {
        return Err("chunk extension has '=' but no value");
    }
    Ok(skip_whitespace(&value[used..]))
}

fn skip_whitespace(text: &[u8]) -> &[u8] {
    let n = text.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    &text[n..]
}

/// Length of the RFC 9110 `token` at the start of `text` (0 if none).
fn token_len(text: &[u8]) -> usize {
    let tchar = |b: &&u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
    text.iter().take_while(tchar).count()
}

/// Length of the RFC 9110 `quoted-string` at the start of `text`, closing quote
/// included; `None` if it is not closed or holds a control byte.
fn quoted_string_len(text: &[u8]) -> Option<usize> {
    let text_byte = |b: u8| b == b'\t' || b == b' ' || (0x21..=0x7e).contains(&b) || b >= 0x80;
    let mut i = 1;
    while i < text.len() {
        match text[i] {
            b'"' => return Some(i + 1),
            b'\\' if text.get(i + 1).is_some_and(|&b| text_byte(b)) => i += 2,
            b if b != b'\\' && text_byte(b) => i += 1,
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::parse_chunk_line;

    // RFC 9112 §7.1: at least one hex digit; extensions are name [= token / quoted-string].
    #[test]
    fn chunk_lines_follow_the_grammar() {
        for good in [
            &b"5"[..],
            b"0",
            b"00a",
            b"5 ",
            b"5;a",
            b"5 ; a = b",
            b"5;a=\"x;\\\"y\"",
            b"5;a;b=c",
        ] {
            assert!(
                parse_chunk_line(good).is_ok(),
                "{}",
                String::from_utf8_lossy(good)
            );
        }
        for bad in [
            &b""[..],
            b";ext",
            b" 5",
            b"5;",
            b"5;=x",
            b"5;a=",
            b"5;a=\"open",
            b"5;a=\"x\ry\"",
            b"5;a=\"\x00\"",
            b"5;a=\"\x7f\"",
            b"5;a=\"\\\x01\"",
            b"5 x",
            b"5;a b",
            b"g",
        ] {
            assert!(parse_chunk_line(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(
            parse_chunk_line(b"1f;x"),
            Ok((31, 2)),
            "size, then the extension bytes"
        );
        assert!(parse_chunk_line(b"10000000000000000").is_err(), "overflow");
    }
}
