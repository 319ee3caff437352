//! The sans-I/O response reader: feed bytes in, get head, body data and end out.
//!
//! **Concept.** Reading an HTTP/1.1 response is a state machine that does not
//! need a socket at all. The caller reads bytes however it likes (a blocking
//! `std::net` socket, a corolab `TcpStream`, a test vector split at every
//! offset), hands them to [`ResponseReader::feed`], and asks
//! [`ResponseReader::next_event`] what they mean:
//!
//! ```text
//!   Head ──► (1xx? skip and parse the next head)
//!     │
//!     ├─ HEAD request / 204 / 304 ───────────────► End
//!     ├─ Transfer-Encoding: ... chunked ─► Size ─► Data ─► CRLF ─► Size ... 0 ─► Trailers ─► End
//!     ├─ Content-Length: n ─► Data (n bytes) ────► End
//!     └─ neither ─► Data until the server closes ► End (never reusable)
//! ```
//!
//! `Ok(None)` means "I need more bytes" (or, after [`Event::End`], "done").
//!
//! **Buffers.** The reader owns one buffer. A driver that owns the socket can
//! read straight into it ([`ResponseReader::read_buffer`], then
//! [`ResponseReader::filled`]) instead of handing over a copy with `feed`,
//! and [`ResponseReader::next_event_into`] appends body data straight from
//! that buffer to the caller's body (where [`ResponseReader::next_event`]
//! hands out each piece as its own `Vec`): each body byte is copied once.
//! The clients keep the buffer with the connection
//! ([`ResponseReader::with_buffer`], [`ResponseReader::into_buffer`]) so it is
//! allocated once per connection.
//! The framing rules are RFC 9112 §6.3; the strictness choices are:
//! Content-Length must be plain digits and all copies must agree; a response
//! with both Transfer-Encoding and Content-Length is *rejected*
//! ([`Error::ConflictingFraming`]); a Transfer-Encoding whose last coding is
//! not `chunked` is rejected, and so is any coding besides `chunked` (we decode
//! no codings); bare LF line endings in
//! the head (and in trailer lines, which are header lines) are accepted
//! (httparse does so), but chunk size lines and the end of chunk data need CRLF.
//!
//! Whether the connection may be reused is decided at the end
//! ([`Event::End::reusable`]): only if the body length was known from the
//! framing, the server did not say `Connection: close` (HTTP/1.0: only with
//! `Connection: keep-alive`), and no extra bytes followed the body.
//!
//! Limits are enforced *before* buffering: [`ResponseReader::read_hint`]
//! tells the caller how many bytes it may read next so the head buffer never
//! exceeds `max_head_bytes`, and a body larger than `max_body_bytes` is
//! refused as soon as its announced length (or the running total) passes it.
//!
//! **Where.** `parse_head` runs httparse; `decide_framing` applies §6.3;
//! `next_length_data`, `next_chunked` and `next_until_eof` produce body events.
//!
//! **In the debugger.** Watch `self.state` change between calls to
//! [`ResponseReader::next_event`], and `self.start` walk towards `self.end`
//! in `self.buf` (the bytes between them are fed but not yet parsed).

use std::mem::MaybeUninit;
use std::ops::Range;

use httparse::Status;

use super::error::Error;
use super::response::{Headers, ResponseHead, Version};

/// Size limits applied while reading a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest response head (status line + headers, 1xx heads included). Default 64 KiB.
    pub max_head_bytes: usize,
    /// Most header lines in one head. Default 100.
    pub max_headers: usize,
    /// Largest body. Default 16 MiB.
    pub max_body_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_head_bytes: 64 * 1024,
            max_headers: 100,
            max_body_bytes: 16 * 1024 * 1024,
        }
    }
}

/// What the bytes fed so far mean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The final (non-1xx) response head.
    Head(ResponseHead),
    /// Some decoded body bytes (chunk framing removed).
    Data(Vec<u8>),
    /// The response is complete.
    End {
        /// True if the connection may carry another request.
        reusable: bool,
    },
}

/// Longest chunk-size line (size plus extensions) we accept.
const MAX_CHUNK_LINE: usize = 4096;
/// Largest single read we suggest.
const READ_SIZE: usize = 16 * 1024;
/// Header slots kept on the stack while parsing a head; more (a larger
/// `max_headers`) are allocated.
const STACK_HEADER_SLOTS: usize = 128;

/// What one step of the state machine found; body data as a range of `buf`.
enum Found {
    Head(ResponseHead),
    Data(Range<usize>),
    End { reusable: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Head,
    Length { remaining: u64, total: u64 },
    ChunkSize,
    ChunkData { remaining: u64 },
    ChunkDataEnd,
    Trailers { bytes: usize },
    UntilEof,
    Done,
    Failed,
}

/// The response state machine. One reader per response.
#[derive(Debug)]
pub struct ResponseReader {
    limits: Limits,
    head_request: bool,
    /// Storage: `buf[start..end]` is fed but not yet parsed; `buf[end..]` is room to read into.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Length of the room the last `read_buffer` call offered (what `filled` may accept).
    offered: usize,
    eof: bool,
    received: usize,
    head_bytes: usize,
    body_received: u64,
    keep_alive: bool,
    state: State,
}

impl ResponseReader {
    /// A reader for the response to a request; `head_request` is true for `HEAD`
    /// (whose response never has a body).
    pub fn new(limits: Limits, head_request: bool) -> ResponseReader {
        ResponseReader::with_buffer(limits, head_request, Vec::new())
    }

    /// Like [`ResponseReader::new`], reusing `buffer`'s storage (its contents
    /// are ignored): a connection keeps one buffer for all its responses.
    pub fn with_buffer(limits: Limits, head_request: bool, buffer: Vec<u8>) -> ResponseReader {
        ResponseReader {
            limits,
            head_request,
            buf: buffer,
            start: 0,
            end: 0,
            offered: 0,
            eof: false,
            received: 0,
            head_bytes: 0,
            body_received: 0,
            keep_alive: false,
            state: State::Head,
        }
    }

    /// Give the buffer back (for the next response on the same connection).
    pub fn into_buffer(self) -> Vec<u8> {
        self.buf
    }

    /// Append bytes read from the connection (a copy; see [`ResponseReader::read_buffer`]).
    pub fn feed(&mut self, data: &[u8]) {
        self.offered = 0;
        self.make_room(data.len());
        self.buf[self.end..self.end + data.len()].copy_from_slice(data);
        self.end += data.len();
        self.received += data.len();
    }

    /// Room to read the next bytes into, [`ResponseReader::read_hint`] bytes
    /// long; say how many arrived with [`ResponseReader::filled`].
    ///
    /// ```
    /// use corolab::http::{Event, Limits, ResponseReader};
    /// let mut reader = ResponseReader::new(Limits::default(), false);
    /// let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    /// let room = reader.read_buffer();
    /// room[..wire.len()].copy_from_slice(wire); // a socket read, in real life
    /// reader.filled(wire.len());
    /// let mut body = Vec::new();
    /// assert!(matches!(reader.next_event_into(&mut body), Ok(Some(Event::Head(_)))));
    /// let end = reader.next_event_into(&mut body).unwrap();
    /// assert_eq!((end, &body[..]), (Some(Event::End { reusable: true }), &b"hi"[..]));
    /// ```
    pub fn read_buffer(&mut self) -> &mut [u8] {
        let want = self.read_hint();
        self.make_room(want);
        self.offered = want;
        &mut self.buf[self.end..self.end + want]
    }

    /// `n` bytes were written at the start of the last [`ResponseReader::read_buffer`]
    /// (more than it offered counts as what it offered; without it, nothing counts).
    pub fn filled(&mut self, n: usize) {
        let n = n.min(self.offered);
        self.offered = 0;
        self.end += n;
        self.received += n;
    }

    /// Make `buf[end..]` at least `n` bytes long: forget consumed bytes (moving
    /// what is still pending to the front) before growing the storage.
    fn make_room(&mut self, n: usize) {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.start > 0 && self.buf.len() - self.end < n {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < n {
            self.buf.resize(self.end + n, 0);
        }
    }

    /// Tell the reader the server closed its side (a read returned 0).
    pub fn feed_eof(&mut self) {
        self.eof = true;
    }

    /// How many bytes the caller should read next. While reading the head
    /// this never lets the buffer grow past `max_head_bytes`.
    pub fn read_hint(&self) -> usize {
        match self.state {
            State::Head => {
                let allowed = self.limits.max_head_bytes.saturating_sub(self.head_bytes);
                allowed.saturating_sub(self.pending().len()).clamp(1, READ_SIZE)
            }
            _ => READ_SIZE,
        }
    }

    /// Body bytes still to come when the head announced them (`Content-Length`,
    /// or 0 for a response without a body); `None` for chunked and until-EOF
    /// bodies. Handy for sizing the body buffer once the head is read.
    pub fn body_remaining(&self) -> Option<u64> {
        match self.state {
            State::Length { remaining, .. } => Some(remaining),
            _ => None,
        }
    }

    /// Total bytes fed so far (0 means the server has sent nothing yet).
    pub fn bytes_received(&self) -> usize {
        self.received
    }

    /// True once [`Event::End`] has been returned.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The next event, `Ok(None)` if more bytes are needed (or the response is done).
    /// After an error the reader is finished; drop it with its connection.
    pub fn next_event(&mut self) -> Result<Option<Event>, Error> {
        match self.checked_step()? {
            None => Ok(None),
            Some(Found::Head(head)) => Ok(Some(Event::Head(head))),
            Some(Found::Data(range)) => Ok(Some(Event::Data(self.buf[range].to_vec()))),
            Some(Found::End { reusable }) => Ok(Some(Event::End { reusable })),
        }
    }

    /// Like [`ResponseReader::next_event`], but body data is appended to `body`
    /// (straight from the reader's buffer) instead of being returned: the
    /// answer is only ever `Head`, `End` or `None` (need more bytes).
    pub fn next_event_into(&mut self, body: &mut Vec<u8>) -> Result<Option<Event>, Error> {
        loop {
            match self.checked_step()? {
                None => return Ok(None),
                Some(Found::Head(head)) => return Ok(Some(Event::Head(head))),
                Some(Found::Data(range)) => body.extend_from_slice(&self.buf[range]),
                Some(Found::End { reusable }) => return Ok(Some(Event::End { reusable })),
            }
        }
    }

    /// One step; an error finishes the reader.
    fn checked_step(&mut self) -> Result<Option<Found>, Error> {
        let result = self.step();
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    fn step(&mut self) -> Result<Option<Found>, Error> {
        match self.state {
            State::Head => self.parse_head(),
            State::Length { remaining, total } => self.next_length_data(remaining, total),
            State::ChunkSize | State::ChunkData { .. } | State::ChunkDataEnd | State::Trailers { .. } => {
                self.next_chunked()
            }
            State::UntilEof => self.next_until_eof(),
            State::Done => Ok(None),
            State::Failed => Err(Error::Io(std::io::Error::other(
                "response reader used after an error",
            ))),
        }
    }

    fn pending(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
    }

    /// Parse heads; skip 1xx heads; on the final head decide the framing.
    fn parse_head(&mut self) -> Result<Option<Found>, Error> {
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
        let pending = self.pending();
        let allowed = self.limits.max_head_bytes.saturating_sub(self.head_bytes);
        let parse =
            httparse::ParserConfig::default().parse_response_with_uninit_headers(&mut parsed, pending, slots);
        let head_len = match parse {
            Ok(Status::Complete(len)) => len,
            Ok(Status::Partial) => {
                if pending.len() >= allowed {
                    return Err(Error::HeadTooLarge {
                        limit: self.limits.max_head_bytes,
                    });
                }
                if self.eof {
                    return Err(Error::UnexpectedEof {
                        received: self.received,
                    });
                }
                return Ok(None);
            }
            Err(e) => return Err(self.classify_head_error(e)),
        };
        if head_len > allowed {
            return Err(Error::HeadTooLarge {
                limit: self.limits.max_head_bytes,
            });
        }
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
    fn classify_head_error(&self, error: httparse::Error) -> Error {
        let pending = self.pending();
        let first_line_end = pending
            .iter()
            .position(|&b| b == b'\n')
            .map_or(pending.len(), |i| i + 1);
        let first_line = &pending[..first_line_end];
        let status_line_bad = match error {
            httparse::Error::Version | httparse::Error::Status => true,
            httparse::Error::TooManyHeaders => {
                return Error::TooManyHeaders {
                    limit: self.limits.max_headers,
                };
            }
            _ => !status_line_alone_is_valid(first_line),
        };
        if status_line_bad {
            let shown: Vec<u8> = first_line.iter().take(80).copied().collect();
            return Error::InvalidStatusLine {
                line: String::from_utf8_lossy(&shown).trim_end().to_string(),
            };
        }
        let reason = match error {
            httparse::Error::HeaderName => {
                "bad header name (no colon, space before the colon, or a control byte)"
            }
            httparse::Error::HeaderValue => "bad byte in a header value (NUL or control byte)",
            httparse::Error::NewLine => "malformed line ending",
            _ => "malformed header line",
        };
        Error::InvalidHeader { reason }
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

    fn next_length_data(&mut self, remaining: u64, total: u64) -> Result<Option<Found>, Error> {
        if remaining == 0 {
            return Ok(Some(self.finish(true)));
        }
        let available = self.pending().len();
        if available == 0 {
            if self.eof {
                return Err(Error::IncompleteBody {
                    received: total - remaining,
                    expected: Some(total),
                });
            }
            return Ok(None);
        }
        let take = available.min(usize::try_from(remaining).unwrap_or(usize::MAX));
        let data = self.take_data(take);
        self.state = State::Length {
            remaining: remaining - take as u64,
            total,
        };
        Ok(Some(data))
    }

    fn next_until_eof(&mut self) -> Result<Option<Found>, Error> {
        let available = self.pending().len();
        if available == 0 {
            return Ok(if self.eof { Some(self.finish(false)) } else { None });
        }
        if self.body_received + available as u64 > self.limits.max_body_bytes {
            return Err(Error::BodyTooLarge {
                limit: self.limits.max_body_bytes,
            });
        }
        Ok(Some(self.take_data(available)))
    }

    /// One step of the chunked decoder; loops over framing-only states so
    /// that each call returns data, the end, or "need more".
    fn next_chunked(&mut self) -> Result<Option<Found>, Error> {
        loop {
            let pending = self.pending();
            match self.state {
                State::ChunkSize => match httparse::parse_chunk_size(pending) {
                    Ok(Status::Complete((used, size))) => {
                        self.consume(used);
                        if size == 0 {
                            self.state = State::Trailers { bytes: 0 };
                        } else if self.body_received.saturating_add(size) > self.limits.max_body_bytes {
                            return Err(Error::BodyTooLarge {
                                limit: self.limits.max_body_bytes,
                            });
                        } else {
                            self.state = State::ChunkData { remaining: size };
                        }
                    }
                    Ok(Status::Partial) => {
                        if pending.len() > MAX_CHUNK_LINE {
                            return Err(Error::InvalidChunk {
                                reason: "chunk size line too long",
                            });
                        }
                        return self.need_more_in_chunked();
                    }
                    Err(_) => {
                        return Err(Error::InvalidChunk {
                            reason: "chunk size is not hex, overflows, or lacks CRLF",
                        });
                    }
                },
                State::ChunkData { remaining } => {
                    if pending.is_empty() {
                        return self.need_more_in_chunked();
                    }
                    let take = pending
                        .len()
                        .min(usize::try_from(remaining).unwrap_or(usize::MAX));
                    let data = self.take_data(take);
                    let left = remaining - take as u64;
                    self.state = if left == 0 {
                        State::ChunkDataEnd
                    } else {
                        State::ChunkData { remaining: left }
                    };
                    return Ok(Some(data));
                }
                State::ChunkDataEnd => match pending {
                    // CRLF exactly: a bare LF here is an error (RFC 9112 §7.1 has no
                    // leniency for chunk framing; only header lines may end in bare LF).
                    [b'\r', b'\n', ..] => {
                        self.consume(2);
                        self.state = State::ChunkSize;
                    }
                    [] | [b'\r'] => return self.need_more_in_chunked(),
                    _ => {
                        return Err(Error::InvalidChunk {
                            reason: "missing CRLF after chunk data",
                        });
                    }
                },
                State::Trailers { bytes } => {
                    let limit = self.limits.max_head_bytes;
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
                    self.state = State::Trailers { bytes }; // trailer field read and dropped
                }
                _ => unreachable!("next_chunked called outside the chunked states"),
            }
        }
    }

    /// The next `n` pending bytes are body data: consume and count them.
    fn take_data(&mut self, n: usize) -> Found {
        let range = self.start..self.start + n;
        self.consume(n);
        self.body_received += n as u64;
        Found::Data(range)
    }

    fn need_more_in_chunked(&self) -> Result<Option<Found>, Error> {
        if self.eof {
            return Err(Error::IncompleteBody {
                received: self.body_received,
                expected: None,
            });
        }
        Ok(None)
    }

    /// The response is complete. Reusable only if the framing told us where
    /// it ended, keep-alive holds, and nothing unexpected follows it.
    fn finish(&mut self, length_known: bool) -> Found {
        self.state = State::Done;
        let leftover = !self.pending().is_empty();
        Found::End {
            reusable: length_known && self.keep_alive && !leftover,
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

#[cfg(test)]
mod tests;
