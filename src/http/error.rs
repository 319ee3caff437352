//! One error type for the whole HTTP client.
//!
//! **Concept.** Every way a request can go wrong has its own variant, and each
//! variant carries enough context to say *what* failed and *where*: the
//! address that refused the connection, the phase that timed out, the limit
//! that was exceeded, the header value that was malformed. A caller can
//! `match` on the variant; a human reads the `Display` text.
//!
//! **Where.** [`Error`] and [`Phase`] live here; the response reader
//! (`src/http/reader.rs`) produces the protocol variants, the two clients
//! (`src/http/blocking.rs`, `src/http/client.rs`) produce the I/O and timeout
//! variants through [`Error::from_io`].
//!
//! **In the debugger.** Put a breakpoint on [`Error::from_io`] to see every
//! raw socket error being classified (reset, EOF, timeout, other).

use std::fmt;
use std::io;

/// The phase of a request in which a timeout fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Establishing the TCP connection took longer than `connect_timeout`.
    Connect,
    /// Waiting for a free connection slot (the `max_connections` limit).
    Pool,
    /// The server stayed silent for longer than `read_timeout`.
    Read,
    /// The server did not accept request bytes for longer than `read_timeout`
    /// (for example it never reads a large request body).
    Write,
    /// The whole request took longer than `request_timeout`.
    Total,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Phase::Connect => "connect",
            Phase::Pool => "waiting for a pool slot",
            Phase::Read => "read (server silent)",
            Phase::Write => "write (server not reading)",
            Phase::Total => "whole request",
        };
        f.write_str(name)
    }
}

/// Everything that can go wrong while building, sending or reading an HTTP request.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The URL could not be parsed.
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The URL scheme is not `http` (this client speaks plain HTTP only).
    UnsupportedScheme {
        /// The scheme found in the URL, e.g. `https`.
        scheme: String,
    },
    /// A header given by the caller cannot be sent (bad name, CR/LF in the value).
    InvalidRequestHeader {
        /// The header name as given.
        name: String,
    },
    /// The TCP connection could not be established.
    Connect {
        /// The address we tried (`host:port`, or the resolved socket address).
        addr: String,
        /// The operating system's reason.
        source: io::Error,
    },
    /// A time limit was exceeded.
    Timeout(Phase),
    /// The server reset the connection (RST), or the write side was closed under us.
    ConnectionReset {
        /// The underlying error.
        source: io::Error,
    },
    /// The connection was closed before the response head was complete.
    UnexpectedEof {
        /// How many response bytes had arrived (0 means: nothing at all).
        received: usize,
    },
    /// Any other I/O error.
    Io(io::Error),
    /// The first line is not `HTTP/1.x NNN reason`.
    InvalidStatusLine {
        /// The start of the offending line (lossy UTF-8, shortened).
        line: String,
    },
    /// A header line is malformed (no colon, space before the colon, control bytes...).
    InvalidHeader {
        /// What the head parser reported.
        reason: &'static str,
    },
    /// The response head is larger than `max_head_bytes`.
    HeadTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The response has more than `max_headers` header lines.
    TooManyHeaders {
        /// The configured limit.
        limit: usize,
    },
    /// A `Content-Length` value is not a plain decimal number fitting in 64 bits.
    InvalidContentLength {
        /// The offending value (lossy UTF-8).
        value: String,
    },
    /// Two `Content-Length` values disagree.
    ConflictingContentLength {
        /// The first value seen.
        first: u64,
        /// A later, different value.
        second: u64,
    },
    /// Both `Transfer-Encoding` and `Content-Length` are present. We reject
    /// such responses: the framing is ambiguous (a request-smuggling hazard).
    ConflictingFraming,
    /// `Transfer-Encoding` whose final coding is not `chunked` (we decode no codings).
    UnsupportedTransferEncoding {
        /// The combined header value (lossy UTF-8).
        value: String,
    },
    /// The chunked body is malformed.
    InvalidChunk {
        /// What is wrong.
        reason: &'static str,
    },
    /// The chunked trailer section is larger than the limit (`max_head_bytes`).
    TrailersTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The connection closed before the announced body was complete.
    IncompleteBody {
        /// Body bytes received.
        received: u64,
        /// Body bytes announced by `Content-Length` (`None` for chunked bodies).
        expected: Option<u64>,
    },
    /// The body is larger than `max_body_bytes`; reported before it is buffered.
    BodyTooLarge {
        /// The configured limit in bytes.
        limit: u64,
    },
    /// A response header asked for as text is not valid UTF-8.
    HeaderNotUtf8 {
        /// The header name.
        name: String,
    },
    /// The response body is not valid UTF-8 (from `Response::text`).
    BodyNotUtf8(std::string::FromUtf8Error),
    /// The response body could not be decoded as JSON (from `Response::json`).
    Json(serde_json::Error),
}

impl Error {
    /// Classify a socket error: resets become [`Error::ConnectionReset`],
    /// OS timeouts become [`Error::Timeout`] with the given phase, and an
    /// end-of-stream becomes [`Error::UnexpectedEof`]. Everything else is [`Error::Io`].
    pub fn from_io(err: io::Error, phase: Phase) -> Error {
        match err.kind() {
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted | io::ErrorKind::BrokenPipe => {
                Error::ConnectionReset { source: err }
            }
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Error::Timeout(phase),
            io::ErrorKind::UnexpectedEof => Error::UnexpectedEof { received: 0 },
            _ => Error::Io(err),
        }
    }

    /// True for errors that mean "the connection was already dead": a reset,
    /// or a close before any response byte. The retry-once rule uses this.
    pub fn is_connection_closed(&self) -> bool {
        matches!(
            self,
            Error::ConnectionReset { .. } | Error::UnexpectedEof { received: 0 }
        )
    }

    /// True if this is a timeout (in any phase).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout(_))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidUrl { url, reason } => write!(f, "invalid URL {url:?}: {reason}"),
            Error::UnsupportedScheme { scheme } => {
                write!(f, "unsupported URL scheme {scheme:?} (only http:// is supported)")
            }
            Error::InvalidRequestHeader { name } => {
                write!(f, "request header {name:?} has an invalid name or value")
            }
            Error::Connect { addr, source } => write!(f, "could not connect to {addr}: {source}"),
            Error::Timeout(phase) => write!(f, "timed out: {phase}"),
            Error::ConnectionReset { source } => write!(f, "connection reset by peer: {source}"),
            Error::UnexpectedEof { received: 0 } => {
                write!(f, "connection closed before any response byte")
            }
            Error::UnexpectedEof { received } => write!(
                f,
                "connection closed in the middle of the response head (after {received} bytes)"
            ),
            Error::Io(e) => write!(f, "I/O error: {e}"),
            _ => self.fmt_response_error(f),
        }
    }
}

impl Error {
    /// Display for what a bad (or unexpected) response produces.
    fn fmt_response_error(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidStatusLine { line } => write!(f, "invalid status line: {line:?}"),
            Error::InvalidHeader { reason } => write!(f, "invalid response header: {reason}"),
            Error::HeadTooLarge { limit } => {
                write!(f, "response head larger than the limit of {limit} bytes")
            }
            Error::TooManyHeaders { limit } => {
                write!(f, "response has more than the limit of {limit} headers")
            }
            Error::InvalidContentLength { value } => {
                write!(f, "invalid Content-Length value {value:?}")
            }
            Error::ConflictingContentLength { first, second } => {
                write!(f, "conflicting Content-Length values {first} and {second}")
            }
            Error::ConflictingFraming => {
                write!(f, "response has both Transfer-Encoding and Content-Length")
            }
            Error::UnsupportedTransferEncoding { value } => {
                write!(
                    f,
                    "unsupported Transfer-Encoding {value:?} (last coding must be chunked)"
                )
            }
            Error::InvalidChunk { reason } => write!(f, "invalid chunked body: {reason}"),
            Error::TrailersTooLarge { limit } => {
                write!(f, "chunked trailers larger than the limit of {limit} bytes")
            }
            Error::IncompleteBody {
                received,
                expected: Some(expected),
            } => write!(f, "connection closed after {received} of {expected} body bytes"),
            Error::IncompleteBody {
                received,
                expected: None,
            } => write!(
                f,
                "connection closed before the last chunk (after {received} body bytes)"
            ),
            Error::BodyTooLarge { limit } => {
                write!(f, "response body larger than the limit of {limit} bytes")
            }
            Error::HeaderNotUtf8 { name } => write!(f, "header {name:?} is not valid UTF-8"),
            Error::BodyNotUtf8(e) => write!(f, "response body is not valid UTF-8: {e}"),
            Error::Json(e) => write!(f, "response body is not the expected JSON: {e}"),
            other => write!(f, "{other:?}"), // request and connection errors: shown by Display::fmt
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Connect { source, .. } | Error::ConnectionReset { source } => Some(source),
            Error::Io(e) => Some(e),
            Error::BodyNotUtf8(e) => Some(e),
            Error::Json(e) => Some(e),
            _ => None,
        }
    }
}
