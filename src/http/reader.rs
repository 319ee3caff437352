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
//! (httparse does so), but chunk size lines and the end of chunk data need CRLF;
//! a chunk size line must have a hex digit and its extensions must follow the
//! grammar (`reader/chunked.rs`); obs-fold in a header value becomes one SP
//! (RFC 9112 §5.2).
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
//! **Split independence.** However the same input is split into `feed` /
//! `filled` calls (as long as the caller reads no more than
//! [`ResponseReader::read_hint`] while the head is arriving), the reader
//! returns the same heads, the same body bytes (`Data` pieces may be cut
//! differently; their concatenation is the same), the same error with the same
//! text, and the same `reusable`, with one exception: when bytes *follow* the
//! end of the response, `End { reusable }` is false if any of them was fed
//! before `End` was returned, and may be true if they only arrive later. Those
//! bytes are no part of this response (an answer nobody asked for); the pools
//! find late ones at checkout. Two rules make the rest hold: a decision is
//! only taken on bytes that cannot change (a whole chunk-size line, the status
//! line once it is complete or 80 bytes long, no more of the head than
//! `max_head_bytes`), and an until-EOF body hands out data up to
//! `max_body_bytes` before refusing the rest. `tests/http_reader_split_prop.rs`
//! and the fuzz target `response_reader` check the contract.
//!
//! **Where.** [`ResponseReader::advance`] is the step the clients drive;
//! `step_once` dispatches on the state, one function per state: `parse_head`
//! (`reader/head.rs`: httparse, 1xx, `decide_framing` for §6.3),
//! `next_length_data`, `next_until_eof`, and the chunked states
//! `chunk_size_line`, `chunk_data`, `chunk_data_end`, `trailer_line`
//! (`reader/chunked.rs`).
//!
//! **In the debugger.** Watch `self.state` change between calls to
//! [`ResponseReader::next_event`], and `self.start` walk towards `self.end`
//! in `self.buf` (the bytes between them are fed but not yet parsed).

use std::ops::Range;

use super::error::Error;
use super::response::{Response, ResponseHead};

mod chunked;
mod head;

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

/// Largest single read we suggest.
const READ_SIZE: usize = 16 * 1024;
/// Most body bytes [`ResponseReader::advance`] reserves up front from a
/// `Content-Length` (a larger body grows as it comes).
const BODY_RESERVE_LIMIT: u64 = 1024 * 1024;

/// What one step of the state machine found; body data as a range of `buf`.
enum Found {
    Head(ResponseHead),
    Data(Range<usize>),
    End {
        reusable: bool,
    },
    /// Framing bytes consumed (a chunk size line, a CRLF, a trailer line): step again.
    Framing,
}

/// What [`ResponseReader::advance`] needs or has: the driving step of all three clients.
#[derive(Debug)]
pub enum Progress {
    /// Read more bytes into [`ResponseReader::read_buffer`] (or report EOF), then advance again.
    NeedBytes,
    /// The whole response. `reusable`: the connection may carry another request
    /// (the framing allows it and no byte beyond the response was fed).
    Done {
        /// Head and body.
        response: Response,
        /// Whether the connection may go back to the pool.
        reusable: bool,
    },
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
    /// Bytes of chunk extensions seen in this body (capped: `chunked.rs`).
    extension_bytes: usize,
    keep_alive: bool,
    state: State,
    /// What [`ResponseReader::advance`] has collected so far.
    collected_head: Option<ResponseHead>,
    collected_body: Vec<u8>,
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
            extension_bytes: 0,
            keep_alive: false,
            state: State::Head,
            collected_head: None,
            collected_body: Vec::new(),
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
            Some(Found::Framing) => unreachable!("step loops over framing"),
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
                Some(Found::Framing) => unreachable!("step loops over framing"),
            }
        }
    }

    /// The driving step the three clients share: collect head and body, and
    /// say whether more bytes are needed or the response is complete. On
    /// `NeedBytes`, read into [`ResponseReader::read_buffer`] and call
    /// [`ResponseReader::filled`] (or [`ResponseReader::feed_eof`] on EOF).
    ///
    /// ```
    /// use corolab::http::{Limits, Progress, ResponseReader};
    /// let mut reader = ResponseReader::new(Limits::default(), false);
    /// assert!(matches!(reader.advance(), Ok(Progress::NeedBytes)));
    /// reader.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    /// let Ok(Progress::Done { response, reusable }) = reader.advance() else { panic!() };
    /// assert_eq!((response.body(), reusable), (&b"hi"[..], true));
    /// ```
    pub fn advance(&mut self) -> Result<Progress, Error> {
        let mut body = std::mem::take(&mut self.collected_body);
        let event = self.next_event_into(&mut body);
        self.collected_body = body;
        match event? {
            None => Ok(Progress::NeedBytes),
            Some(Event::Head(head)) => {
                if let Some(length) = self.body_remaining() {
                    self.collected_body
                        .reserve_exact(length.min(BODY_RESERVE_LIMIT) as usize);
                }
                self.collected_head = Some(head);
                self.advance()
            }
            Some(Event::Data(_)) => unreachable!("next_event_into appends data"),
            Some(Event::End { reusable }) => {
                let head = self
                    .collected_head
                    .take()
                    .expect("the reader yields Head before End");
                let body = std::mem::take(&mut self.collected_body);
                Ok(Progress::Done {
                    response: Response::new(head, body),
                    reusable,
                })
            }
        }
    }

    /// Bytes fed but not (yet) part of the response; after the end, bytes that
    /// followed it (which make the connection unusable).
    pub fn leftover(&self) -> usize {
        self.end - self.start
    }

    /// One step; an error finishes the reader.
    fn checked_step(&mut self) -> Result<Option<Found>, Error> {
        let result = self.step();
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    /// Steps until something the caller sees: an event, or "need more bytes".
    fn step(&mut self) -> Result<Option<Found>, Error> {
        loop {
            match self.step_once()? {
                Some(Found::Framing) => continue,
                found => return Ok(found),
            }
        }
    }

    /// One state, one function: the dispatch the debugger steps through.
    fn step_once(&mut self) -> Result<Option<Found>, Error> {
        match self.state {
            State::Head => self.parse_head(),
            State::Length { remaining, total } => self.next_length_data(remaining, total),
            State::ChunkSize => self.chunk_size_line(),
            State::ChunkData { remaining } => self.chunk_data(remaining),
            State::ChunkDataEnd => self.chunk_data_end(),
            State::Trailers { bytes } => self.trailer_line(bytes),
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
        // Hand out data up to the limit and refuse only what is beyond it, so
        // that how much data came before the error does not depend on the reads.
        let room = self.limits.max_body_bytes.saturating_sub(self.body_received);
        if room == 0 {
            return Err(Error::BodyTooLarge {
                limit: self.limits.max_body_bytes,
            });
        }
        let take = available.min(usize::try_from(room).unwrap_or(usize::MAX));
        Ok(Some(self.take_data(take)))
    }

    /// The next `n` pending bytes are body data: consume and count them.
    fn take_data(&mut self, n: usize) -> Found {
        let range = self.start..self.start + n;
        self.consume(n);
        self.body_received += n as u64;
        Found::Data(range)
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

#[cfg(test)]
mod tests;
