//! The head states of the reader: status line and headers (httparse), 1xx
//! heads, and the framing decision of RFC 9112 §6.3.
//!
//! **Concept.** httparse does the byte-level grammar; this file decides what
//! its answers mean for us: which limit was hit, whether a bad byte is in the
//! status line or in a header, and how the end of the body will be found.
//! Every decision here looks only at bytes the caller could not have split
//! differently (see "Split independence" in the reader's docs): httparse only
//! ever sees the first `max_head_bytes` of the head, and an error in the status
//! line is reported once the line is known (complete, 80 bytes long, or cut
//! short by EOF or the head limit).
//!
//! **Where.** `parse_head` (called by `step` in state `Head`), `parse_one_head`,
//! `classify_head_error`, `decide_framing`.
//!
//! **In the debugger.** Break in `classify_head_error` and print `first_line`.

use std::mem::MaybeUninit;

use httparse::Status;

use super::{Found, ResponseReader, State};
use crate::http::error::Error;
use crate::http::response::{Headers, ResponseHead, Version};

/// Header slots kept on the stack while parsing a head; more (a larger
/// `max_headers`) are allocated.
const STACK_HEADER_SLOTS: usize = 128;
/// How much of a bad status line an error quotes.
const SHOWN_LINE: usize = 80;

impl ResponseReader {
    /// Parse heads; skip 1xx heads; on the final head decide the framing.
    pub(super) fn parse_head(&mut self) -> Result<Option<Found>, Error> {
        loop {
            let Some((head, head_len)) = self.parse_one_head()? else {
                return Ok(None);
            };
            self.head_bytes += head_len;
            self.consume(head_len);
            if head.status == 101 {
                return Err(Error::InvalidStatusLine {
                    line: "101 Switching Protocols, but no upgrade was requested".into(),
                });
            }
            if (100..200).contains(&head.status) {
                continue; // interim response (100 Continue, 103 Early Hints): skip it
            }
            self.keep_alive = connection_keep_alive(&head);
            self.state = self.decide_framing(&head)?;
            return Ok(Some(Found::Head(head)));
        }
    }

    /// The pending bytes httparse may look at: never more than the head limit
    /// allows, so its answer cannot depend on how much the caller fed at once.
    fn head_window(&self) -> &[u8] {
        let allowed = self.limits.max_head_bytes.saturating_sub(self.head_bytes);
        let pending = self.pending();
        &pending[..pending.len().min(allowed)]
    }

    /// Run httparse on the pending bytes: the head and its length in bytes,
    /// `None` if it is not complete yet. Header slots live on the stack
    /// (uninitialised: httparse fills what it uses) unless `max_headers` is large.
    fn parse_one_head(&self) -> Result<Option<(ResponseHead, usize)>, Error> {
        let mut stack_slots = [const { MaybeUninit::<httparse::Header>::uninit() }; STACK_HEADER_SLOTS];
        let mut heap_slots = Vec::new();
        let slots = if self.limits.max_headers <= STACK_HEADER_SLOTS {
            &mut stack_slots[..self.limits.max_headers]
        } else {
            heap_slots.resize_with(self.limits.max_headers, MaybeUninit::uninit);
            &mut heap_slots[..]
        };
        let mut parsed = httparse::Response::new(&mut []);
        let window = self.head_window();
        let at_limit = window.len() >= self.limits.max_head_bytes.saturating_sub(self.head_bytes);
        let parse = httparse::ParserConfig::default()
            .allow_obsolete_multiline_headers_in_responses(true)
            .parse_response_with_uninit_headers(&mut parsed, window, slots);
        let head_len = match parse {
            Ok(Status::Complete(len)) => len,
            Ok(Status::Partial) if at_limit => {
                return Err(Error::HeadTooLarge {
                    limit: self.limits.max_head_bytes,
                });
            }
            Ok(Status::Partial) if self.eof => {
                return Err(Error::UnexpectedEof {
                    received: self.received,
                });
            }
            Ok(Status::Partial) => return Ok(None),
            Err(e) => return self.classify_head_error(e, window, at_limit).map(|_| None),
        };
        let head = ResponseHead {
            status: parsed.code.unwrap_or(0),
            version: match parsed.version {
                Some(0) => Version::Http10,
                _ => Version::Http11,
            },
            reason: parsed.reason.unwrap_or("").to_string(),
            headers: Headers::from_parsed(parsed.headers),
        };
        Ok(Some((head, head_len)))
    }

    /// httparse reports *what* failed; look at the first line to say *where*.
    /// `Ok(())` means "not yet": the error is in a status line that is still
    /// arriving, and the error will quote it once it is known.
    fn classify_head_error(
        &self,
        error: httparse::Error,
        window: &[u8],
        at_limit: bool,
    ) -> Result<(), Error> {
        if let httparse::Error::TooManyHeaders = error {
            return Err(Error::TooManyHeaders {
                limit: self.limits.max_headers,
            });
        }
        let line_end = window.iter().position(|&b| b == b'\n');
        let line_known = line_end.is_some() || window.len() >= SHOWN_LINE || self.eof || at_limit;
        if !line_known {
            return Ok(()); // wait for the rest of the line the error will quote
        }
        let first_line = &window[..line_end.map_or(window.len(), |i| i + 1)];
        let status_line_bad = match error {
            httparse::Error::Version | httparse::Error::Status => true,
            // Before the first LF httparse is still in the status line.
            _ => line_end.is_none() || !status_line_alone_is_valid(first_line),
        };
        if status_line_bad {
            let shown = &first_line[..first_line.len().min(SHOWN_LINE)];
            return Err(Error::InvalidStatusLine {
                line: String::from_utf8_lossy(shown).trim_end().to_string(),
            });
        }
        let reason = match error {
            httparse::Error::HeaderName => {
                "bad header name (no colon, space before the colon, or a control byte)"
            }
            httparse::Error::HeaderValue => "bad byte in a header value (NUL or control byte)",
            httparse::Error::NewLine => "malformed line ending",
            _ => "malformed header line",
        };
        Err(Error::InvalidHeader { reason })
    }

    /// RFC 9112 §6.3: how is the end of this body found?
    fn decide_framing(&self, head: &ResponseHead) -> Result<State, Error> {
        let no_body = self.head_request || head.status == 204 || head.status == 304;
        if no_body {
            return Ok(State::Length {
                remaining: 0,
                total: 0,
            });
        }
        let has_te = head.headers.get("transfer-encoding").is_some();
        let content_length = parse_content_length(&head.headers)?;
        if has_te {
            if content_length.is_some() {
                return Err(Error::ConflictingFraming);
            }
            check_transfer_encoding(&head.headers)?;
            return Ok(State::ChunkSize);
        }
        match content_length {
            Some(length) if length > self.limits.max_body_bytes => Err(Error::BodyTooLarge {
                limit: self.limits.max_body_bytes,
            }),
            Some(length) => Ok(State::Length {
                remaining: length,
                total: length,
            }),
            None => Ok(State::UntilEof),
        }
    }
}

/// Parse the first line on its own: is the status line itself valid?
fn status_line_alone_is_valid(line: &[u8]) -> bool {
    let mut probe = line.to_vec();
    probe.extend_from_slice(b"\r\n");
    let mut no_headers = [];
    let mut parsed = httparse::Response::new(&mut no_headers);
    parsed.parse(&probe).is_ok()
}

/// `Connection: close` (anywhere in the list) ends the connection; HTTP/1.0
/// keeps it only with an explicit `Connection: keep-alive`.
fn connection_keep_alive(head: &ResponseHead) -> bool {
    let headers = &head.headers;
    if headers.has_token("connection", "close") {
        return false;
    }
    match head.version {
        Version::Http11 => true,
        Version::Http10 => {
            headers.has_token("connection", "keep-alive") && headers.get("transfer-encoding").is_none()
        }
    }
}

/// All Content-Length values (several lines, or a comma list) must be plain
/// digits and equal. Returns `None` when there is no Content-Length.
fn parse_content_length(headers: &Headers) -> Result<Option<u64>, Error> {
    let mut found: Option<u64> = None;
    for value in headers.get_all("content-length") {
        for item in value.split(|&b| b == b',') {
            let item = item.trim_ascii();
            let invalid = || Error::InvalidContentLength {
                value: String::from_utf8_lossy(value).into_owned(),
            };
            if item.is_empty() || !item.iter().all(u8::is_ascii_digit) {
                return Err(invalid());
            }
            let text = std::str::from_utf8(item).map_err(|_| invalid())?;
            let length: u64 = text.parse().map_err(|_| invalid())?;
            match found {
                Some(first) if first != length => {
                    return Err(Error::ConflictingContentLength {
                        first,
                        second: length,
                    });
                }
                _ => found = Some(length),
            }
        }
    }
    Ok(found)
}

/// The codings must be exactly `chunked`: RFC 9112 requires chunked to be
/// last, and since we decode no other coding (gzip, ...) we refuse those too
/// rather than hand the caller bytes it did not ask for.
fn check_transfer_encoding(headers: &Headers) -> Result<(), Error> {
    let mut codings: Vec<Vec<u8>> = Vec::new();
    for value in headers.get_all("transfer-encoding") {
        for item in value.split(|&b| b == b',') {
            codings.push(item.trim_ascii().to_ascii_lowercase());
        }
    }
    if codings == [b"chunked".to_vec()] {
        return Ok(());
    }
    let value: Vec<String> = headers
        .get_all("transfer-encoding")
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect();
    Err(Error::UnsupportedTransferEncoding {
        value: value.join(", "),
    })
}
