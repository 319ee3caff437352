//! One request on one connection, sans-I/O: the loop all three clients drive.
//!
//! **Concept.** An exchange writes the request bytes, then reads until the
//! [`ResponseReader`] has the whole response. [`Exchange::next`] says what to
//! do next (write these bytes, read into this room, each with its bounded
//! [`Wait`]; or done), the driver does it *its* way (an awaited corolab
//! socket, a blocking `std::net` call, a green socket) and reports the result
//! with [`Exchange::completed`]. Everything else is here, once: the deadline
//! arithmetic, `EINTR`, `WriteZero`, which errors end the exchange, whether
//! the connection may be reused, and the retry-once rule ([`Failure`]).
//!
//! **Early answer, then reset.** A server may answer before reading the
//! whole upload (`413 Payload Too Large`) and reset the connection; our
//! write then fails with `ConnectionReset`/`BrokenPipe`. The response may
//! already be in our receive buffer (Linux keeps received data readable after
//! an RST), so the exchange stops writing and reads on: a complete response
//! is returned (never reused); anything less reports the write's error.
//!
//! **Where.** [`Exchange::next`], [`Exchange::completed`], [`Failure::retry_or_error`].
//!
//! **In the debugger.** Break in `Exchange::completed` and print `self.last`
//! and `result`: one stop per system call of the request.

use std::io;
use std::time::{Duration, Instant};

use super::deadline::{Wait, bounded_wait};
use super::error::{Error, Phase};
use super::reader::{Limits, Progress, ResponseReader};
use super::request::Request;
use super::response::Response;

/// The request on one connection: what is left to write, and the reader.
#[derive(Debug)]
pub(crate) struct Exchange<'b> {
    unsent: &'b [u8],
    reader: ResponseReader,
    read_timeout: Duration,
    deadline: Instant,
    /// The request allows keep-alive (no `Connection: close` of its own).
    keep_alive: bool,
    /// The write failed with a reset: report this unless a whole response arrives.
    write_failed: Option<Error>,
    /// The operation [`Exchange::next`] handed out last, and its wait.
    last: (Op, Wait),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Write,
    Read,
}

/// What the driver must do next.
pub(crate) enum Next<'x> {
    /// Write (some of) these bytes, waiting at most `Wait::limit`.
    Write(&'x [u8], Wait),
    /// Read into this room, waiting at most `Wait::limit`.
    Read(&'x mut [u8], Wait),
    /// The response; `reusable`: the connection may go back to the pool.
    Done { response: Response, reusable: bool },
}

/// Why an exchange failed, and how many response bytes had arrived (for the retry rule).
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) error: Error,
    response_bytes: usize,
}

impl Failure {
    /// The retry-once rule: an idempotent request sent on a *reused*
    /// connection that turned out dead before a single response byte (the
    /// server closed it as we wrote) may be sent again on a fresh connection,
    /// once. `Ok(())` means "retry"; otherwise the error to report.
    pub(crate) fn retry_or_error(self, request: &Request, reused: bool) -> Result<(), Error> {
        let dead_before_answer = self.response_bytes == 0 && self.error.is_connection_closed();
        if reused && request.is_idempotent() && dead_before_answer {
            Ok(())
        } else {
            Err(self.error)
        }
    }
}

impl<'b> Exchange<'b> {
    /// An exchange sending `bytes` (the encoded `request`), reading into
    /// `buffer` (the connection's, reused across responses).
    pub(crate) fn new(
        request: &Request,
        bytes: &'b [u8],
        buffer: Vec<u8>,
        limits: Limits,
        read_timeout: Duration,
        deadline: Instant,
    ) -> Exchange<'b> {
        let idle = Wait {
            limit: Duration::ZERO,
            phase: Phase::Write,
        };
        Exchange {
            unsent: bytes,
            reader: ResponseReader::with_buffer(limits, request.is_head(), buffer),
            read_timeout,
            deadline,
            keep_alive: request.wants_keep_alive(),
            write_failed: None,
            last: (Op::Write, idle),
        }
    }

    /// The next operation: write the rest of the request, read more, or done.
    pub(crate) fn next(&mut self) -> Result<Next<'_>, Failure> {
        if !self.unsent.is_empty() {
            let wait = self.wait(Phase::Write)?;
            self.last = (Op::Write, wait);
            return Ok(Next::Write(self.unsent, wait));
        }
        match self.reader.advance() {
            Err(error) => Err(self.failed(error)),
            Ok(Progress::Done { response, reusable }) => Ok(Next::Done {
                response,
                reusable: reusable && self.keep_alive && self.write_failed.is_none(),
            }),
            Ok(Progress::NeedBytes) => {
                let wait = self.wait(Phase::Read)?;
                self.last = (Op::Read, wait);
                Ok(Next::Read(self.reader.read_buffer(), wait))
            }
        }
    }

    /// The result of the operation [`Exchange::next`] handed out.
    pub(crate) fn completed(&mut self, result: io::Result<usize>) -> Result<(), Failure> {
        let (op, wait) = self.last;
        match (op, result) {
            (_, Err(e)) if e.kind() == io::ErrorKind::Interrupted => Ok(()), // EINTR: again
            (Op::Write, Ok(0)) => Err(self.failed(wait.error(io::ErrorKind::WriteZero.into()))),
            (Op::Write, Ok(n)) => {
                self.unsent = &self.unsent[n.min(self.unsent.len())..];
                Ok(())
            }
            (Op::Write, Err(e)) if is_reset(&e) => {
                self.write_failed = Some(wait.error(e));
                self.unsent = &[]; // the server may have answered before it reset: read it
                Ok(())
            }
            (Op::Read, Ok(0)) => {
                self.reader.feed_eof();
                Ok(())
            }
            (Op::Read, Ok(n)) => {
                self.reader.filled(n);
                Ok(())
            }
            (_, Err(e)) => Err(self.failed(wait.error(e))),
        }
    }

    /// The reader's buffer, for the connection's next response.
    pub(crate) fn into_buffer(self) -> Vec<u8> {
        self.reader.into_buffer()
    }

    fn wait(&mut self, phase: Phase) -> Result<Wait, Failure> {
        bounded_wait(self.read_timeout, phase, self.deadline).map_err(|e| self.failed(e))
    }

    /// The exchange is over: a failed write's error wins (the read after it was a bonus).
    fn failed(&mut self, error: Error) -> Failure {
        Failure {
            error: self.write_failed.take().unwrap_or(error),
            response_bytes: self.reader.bytes_received(),
        }
    }
}

fn is_reset(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionAborted
    )
}
