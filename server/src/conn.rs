//! One connection, one task: read a request, call the handler, write the response, repeat.

use super::request::{BodyFraming, RequestError, decode_chunked, parse_head};
use super::response::{Response, encode_response};
use super::stats::OpenConnection;
use super::{Config, Request};
use corolab::net::TcpStream;
use corolab::time::{Instant, timeout};
use std::future::{Future, poll_fn};
use std::net::Shutdown;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

/// Bytes asked for per `read` call.
const READ_CHUNK: usize = 8 * 1024;
/// Buffers bigger than this are given back to the allocator between requests, so thousands
/// of idle keep-alive connections do not each hold on to one large request's memory.
const KEEP_CAPACITY: usize = 64 * 1024;
/// After the last response on a connection: how long, and how much, to keep reading (and
/// discarding) what the client still sends, so closing does not turn into a reset (RST) that
/// could destroy the response before the client has read it ("lingering close").
const LINGER_TIME: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 64 * 1024;

/// Why reading a request stopped.
enum ReadError {
    /// Refuse the request with this error's status, then close.
    Refuse(RequestError),
    /// The client went away (EOF or socket error in the middle of a request): just close.
    Gone,
}

/// A connection's socket and buffers.
struct Connection {
    stream: TcpStream,
    /// Bytes received but not used yet (may hold the start of the next, pipelined request).
    input: Vec<u8>,
    /// The encoded response being written.
    output: Vec<u8>,
    config: Rc<Config>,
}

/// The body of a connection task. `open` counts the connection until this returns (or the
/// task is cancelled).
pub(crate) async fn serve_connection<H, F>(
    stream: TcpStream,
    handler: Rc<H>,
    config: Rc<Config>,
    open: OpenConnection,
) where
    H: Fn(Request) -> F,
    F: Future<Output = Response>,
{
    // Responses are written in one piece; Nagle's algorithm would only delay them.
    let _ = stream.set_nodelay(true);
    let mut conn = Connection {
        stream,
        input: Vec::new(),
        output: Vec::new(),
        config,
    };
    loop {
        let request = match conn.read_request().await {
            Ok(Some(request)) => request,
            Ok(None) | Err(ReadError::Gone) => return,
            Err(ReadError::Refuse(error)) => {
                open.counters().count_rejected();
                let response = Response::text(error.status(), error.to_string());
                if conn.send(&response, false, false).await {
                    conn.close_gracefully().await;
                }
                return;
            }
        };
        open.counters().count_request();
        let keep_alive = request.wants_keep_alive();
        let head_only = request.method == "HEAD";
        let response = handler(request).await;
        if !conn.send(&response, head_only, keep_alive).await {
            return;
        }
        if !keep_alive {
            conn.close_gracefully().await;
            return;
        }
        conn.shrink_buffers();
    }
}

impl Connection {
    /// Reads the next whole request. `Ok(None)`: the client closed the connection, or sent
    /// nothing for `idle_timeout`, between requests (a normal end of a keep-alive connection).
    async fn read_request(&mut self) -> Result<Option<Request>, ReadError> {
        if self.input.is_empty() {
            match timeout(self.config.idle_timeout, self.read_more()).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => return Ok(None),
            }
        }
        // From the first byte on, the whole request must arrive within `read_timeout`.
        let deadline = corolab::time::deadline_after(self.config.read_timeout);
        let limits = self.config.limits;
        let head = loop {
            match parse_head(&self.input, &limits).map_err(ReadError::Refuse)? {
                Some(head) => break head,
                None => self.read_more_before(deadline).await?,
            }
        };
        self.input.drain(..head.len);
        let mut request = head.request;
        if head.framing != BodyFraming::Empty && expects_continue(&request) {
            // curl and others wait for this before sending a large body.
            let interim = b"HTTP/1.1 100 Continue\r\n\r\n";
            match timeout(self.config.write_timeout, self.stream.write_all(interim)).await {
                Ok(Ok(())) => {}
                _ => return Err(ReadError::Gone),
            }
        }
        request.body = match head.framing {
            BodyFraming::Empty => Vec::new(),
            BodyFraming::Length(len) => {
                while self.input.len() < len {
                    self.read_more_before(deadline).await?;
                }
                self.input.drain(..len).collect()
            }
            BodyFraming::Chunked => loop {
                match decode_chunked(&self.input, &limits).map_err(ReadError::Refuse)? {
                    Some((body, used)) => {
                        self.input.drain(..used);
                        break body;
                    }
                    None => self.read_more_before(deadline).await?,
                }
            },
        };
        Ok(Some(request))
    }

    /// Reads more bytes into `input`, failing with 408 if `deadline` passes first.
    async fn read_more_before(&mut self, deadline: Instant) -> Result<(), ReadError> {
        let left = deadline.saturating_duration_since(Instant::now());
        match timeout(left, self.read_more()).await {
            Err(_elapsed) => Err(ReadError::Refuse(RequestError::Timeout)),
            Ok(Ok(0)) | Ok(Err(_)) => Err(ReadError::Gone),
            Ok(Ok(_)) => Ok(()),
        }
    }

    /// Appends whatever the socket has (waiting until it has something) to `input`.
    ///
    /// Cancellation-safe: the buffer is grown and trimmed back *inside one poll*, so if a
    /// timeout drops this future between polls, `input` holds only real bytes.
    async fn read_more(&mut self) -> std::io::Result<usize> {
        let Connection { stream, input, .. } = self;
        poll_fn(|cx| {
            let old_len = input.len();
            input.resize(old_len + READ_CHUNK, 0);
            let poll = stream.poll_read(cx, &mut input[old_len..]);
            let got = match &poll {
                Poll::Ready(Ok(n)) => *n,
                _ => 0,
            };
            input.truncate(old_len + got);
            poll
        })
        .await
    }

    /// Encodes and writes `response`; `false` if the client is gone or too slow to read it.
    async fn send(&mut self, response: &Response, head_only: bool, keep_alive: bool) -> bool {
        self.output.clear();
        encode_response(response, head_only, keep_alive, &mut self.output);
        matches!(
            timeout(self.config.write_timeout, self.stream.write_all(&self.output)).await,
            Ok(Ok(()))
        )
    }

    /// Sends FIN, then reads and discards what the client still sends (bounded in time and
    /// bytes) so that closing does not reset the connection under the response.
    async fn close_gracefully(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Write);
        let _ = timeout(LINGER_TIME, async {
            let mut discarded = 0;
            while discarded < LINGER_BYTES {
                self.input.clear();
                match self.read_more().await {
                    Ok(n) if n > 0 => discarded += n,
                    _ => return,
                }
            }
        })
        .await;
    }

    /// Gives big buffers back between requests (see `KEEP_CAPACITY`).
    fn shrink_buffers(&mut self) {
        if self.input.capacity() > KEEP_CAPACITY {
            self.input.shrink_to(KEEP_CAPACITY.max(self.input.len()));
        }
        if self.output.capacity() > KEEP_CAPACITY {
            self.output = Vec::new();
        }
    }
}

/// `Expect: 100-continue` on an HTTP/1.1 request.
fn expects_continue(request: &Request) -> bool {
    request.minor_version >= 1
        && request
            .header("expect")
            .is_some_and(|v| v.trim_ascii().eq_ignore_ascii_case(b"100-continue"))
}
