//! Requests: the [`Request`] a handler gets, and the sans-I/O code that builds it from bytes.
//!
//! Nothing here touches a socket. [`parse_head`] looks at the bytes received so far and says
//! "need more", "here is a head of N bytes", or "this is not HTTP" (a typed [`RequestError`]).
//! [`decode_chunked`] does the same for a chunked request body. The connection loop in
//! `conn.rs` feeds them bytes; the unit tests feed them strings.

use super::Limits;
use std::fmt;

/// One HTTP request, fully read (head and body).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, ... exactly as sent.
    pub method: String,
    /// The request target as sent, e.g. `/orders?page=3`.
    pub target: String,
    /// The `1` of `HTTP/1.1` (0 for HTTP/1.0).
    pub minor_version: u8,
    /// Header names and values in the order received (names as sent; compare them ignoring case).
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body (already de-chunked).
    pub body: Vec<u8>,
}

impl Request {
    /// A bodiless HTTP/1.1 `GET` for `target` (handy for calling a handler directly in tests).
    pub fn get(target: &str) -> Request {
        Request {
            method: "GET".to_string(),
            target: target.to_string(),
            minor_version: 1,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// The path part of the target: `/orders` for `/orders?page=3`.
    pub fn path(&self) -> &str {
        match self.target.split_once('?') {
            Some((path, _)) => path,
            None => &self.target,
        }
    }

    /// The raw query string (`page=3` for `/orders?page=3`), if there is one.
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, query)| query)
    }

    /// The first value of query parameter `key`, undecoded (`None` if absent).
    pub fn query_param(&self, key: &str) -> Option<&str> {
        self.query()?.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k == key).then_some(v)
        })
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// Does the client want the connection kept open after this request? HTTP/1.1 says yes
    /// unless `Connection: close`; HTTP/1.0 says no unless `Connection: keep-alive`.
    pub fn wants_keep_alive(&self) -> bool {
        let has = |token: &str| connection_has_token(&self.headers, token);
        if self.minor_version >= 1 {
            !has("close")
        } else {
            has("keep-alive")
        }
    }
}

/// Is `token` one of the comma-separated values of the `Connection` headers?
fn connection_has_token(headers: &[(String, Vec<u8>)], token: &str) -> bool {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
        .flat_map(|(_, v)| v.split(|&b| b == b','))
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// Why a request was refused. Each kind maps to one status code ([`RequestError::status`]);
/// the `Display` text is the short message sent in the response body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// Not valid HTTP/1.x (400). The text says what was wrong.
    Malformed(String),
    /// The request line and headers are longer than [`Limits::max_head_bytes`] (431).
    HeadTooLarge(usize),
    /// More headers than [`Limits::max_headers`] (431).
    TooManyHeaders(usize),
    /// The body is longer than [`Limits::max_body_bytes`] (413).
    BodyTooLarge(usize),
    /// A `Transfer-Encoding` other than `chunked` (501).
    UnsupportedTransferEncoding,
    /// The request did not arrive completely within the read timeout (408).
    Timeout,
}

impl RequestError {
    /// The HTTP status code to answer with.
    pub fn status(&self) -> u16 {
        match self {
            RequestError::Malformed(_) => 400,
            RequestError::HeadTooLarge(_) | RequestError::TooManyHeaders(_) => 431,
            RequestError::BodyTooLarge(_) => 413,
            RequestError::UnsupportedTransferEncoding => 501,
            RequestError::Timeout => 408,
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Malformed(why) => write!(f, "bad request: {why}"),
            RequestError::HeadTooLarge(limit) => write!(f, "request head longer than {limit} bytes"),
            RequestError::TooManyHeaders(limit) => write!(f, "more than {limit} request headers"),
            RequestError::BodyTooLarge(limit) => write!(f, "request body longer than {limit} bytes"),
            RequestError::UnsupportedTransferEncoding => {
                write!(f, "only the chunked transfer-encoding is supported")
            }
            RequestError::Timeout => write!(f, "request not received in time"),
        }
    }
}

impl std::error::Error for RequestError {}

/// How the body of a request is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body at all.
    Empty,
    /// Exactly this many bytes follow the head.
    Length(usize),
    /// `Transfer-Encoding: chunked`: chunks until a zero-size chunk.
    Chunked,
}

/// A parsed head: the request without its body yet, and how the body is framed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// The request, with an empty body.
    pub request: Request,
    /// How many bytes of the buffer the head took (request line, headers, blank line).
    pub len: usize,
    /// How to read the body.
    pub framing: BodyFraming,
}

/// Tries to parse a request head from the start of `buf`.
///
/// `Ok(None)`: not complete yet, read more. `Ok(Some(head))`: done; the body (if any) starts
/// at `buf[head.len..]`. `Err`: refuse the request with `err.status()`.
pub fn parse_head(buf: &[u8], limits: &Limits) -> Result<Option<Head>, RequestError> {
    // Tolerate blank lines before a request (RFC 9112 §2.2), e.g. a stray CRLF after a body.
    let received = buf.len();
    let skipped = buf.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
    let buf = &buf[skipped..];
    let mut slots = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let mut parsed = httparse::Request::new(&mut slots);
    let status = match parsed.parse(buf) {
        Ok(status) => status,
        Err(httparse::Error::TooManyHeaders) => return Err(RequestError::TooManyHeaders(limits.max_headers)),
        Err(e) => return Err(RequestError::Malformed(e.to_string())),
    };
    let head_len = match status {
        httparse::Status::Complete(len) => len,
        httparse::Status::Partial if received > limits.max_head_bytes => {
            return Err(RequestError::HeadTooLarge(limits.max_head_bytes));
        }
        httparse::Status::Partial => return Ok(None),
    };
    if skipped + head_len > limits.max_head_bytes {
        return Err(RequestError::HeadTooLarge(limits.max_head_bytes));
    }
    let request = Request {
        method: parsed.method.unwrap_or_default().to_string(),
        target: parsed.path.unwrap_or_default().to_string(),
        minor_version: parsed.version.unwrap_or(1),
        headers: parsed
            .headers
            .iter()
            .map(|h| (h.name.to_string(), h.value.to_vec()))
            .collect(),
        body: Vec::new(),
    };
    let framing = body_framing(&request.headers, limits)?;
    Ok(Some(Head {
        request,
        len: skipped + head_len,
        framing,
    }))
}

/// Decides how the body is framed from `Transfer-Encoding` and `Content-Length`.
fn body_framing(headers: &[(String, Vec<u8>)], limits: &Limits) -> Result<BodyFraming, RequestError> {
    let values = |name: &'static str| header_values(headers, name);
    let mut codings = values("transfer-encoding").peekable();
    let has_length = values("content-length").next().is_some();
    if codings.peek().is_some() {
        if has_length {
            // Both framings at once is how request smuggling starts: refuse.
            return Err(RequestError::Malformed(
                "both Transfer-Encoding and Content-Length".to_string(),
            ));
        }
        let all: Vec<&[u8]> = codings.collect();
        return match all.as_slice() {
            [only] if only.eq_ignore_ascii_case(b"chunked") => Ok(BodyFraming::Chunked),
            _ => Err(RequestError::UnsupportedTransferEncoding),
        };
    }
    let mut length = None;
    for value in values("content-length") {
        let parsed = parse_content_length(value)?;
        if length.is_some_and(|l| l != parsed) {
            return Err(RequestError::Malformed(
                "conflicting Content-Length headers".to_string(),
            ));
        }
        length = Some(parsed);
    }
    match length {
        None | Some(0) => Ok(BodyFraming::Empty),
        Some(n) if n > limits.max_body_bytes as u64 => Err(RequestError::BodyTooLarge(limits.max_body_bytes)),
        Some(n) => Ok(BodyFraming::Length(n as usize)),
    }
}

/// The trimmed values of every header called `name` (case-insensitive).
fn header_values<'a>(headers: &'a [(String, Vec<u8>)], name: &'a str) -> impl Iterator<Item = &'a [u8]> {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim_ascii())
}

/// Digits only: no sign, no spaces inside, no overflow.
fn parse_content_length(value: &[u8]) -> Result<u64, RequestError> {
    let bad = || RequestError::Malformed("invalid Content-Length".to_string());
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    std::str::from_utf8(value)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)
}

/// Tries to decode a whole chunked body from the start of `buf`.
///
/// `Ok(None)`: not complete yet. `Ok(Some((body, used)))`: the de-chunked body and how many
/// bytes of `buf` it took (chunks, last chunk, trailers, final blank line).
pub fn decode_chunked(buf: &[u8], limits: &Limits) -> Result<Option<(Vec<u8>, usize)>, RequestError> {
    let mut body = Vec::new();
    let mut pos = 0;
    loop {
        let (size_len, size) = match httparse::parse_chunk_size(&buf[pos..]) {
            Ok(httparse::Status::Complete(found)) => found,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(_) => return Err(RequestError::Malformed("invalid chunk size line".to_string())),
        };
        pos += size_len;
        if size == 0 {
            return Ok(skip_trailers(&buf[pos..], limits)?.map(|used| (body, pos + used)));
        }
        if size > (limits.max_body_bytes - body.len()) as u64 {
            return Err(RequestError::BodyTooLarge(limits.max_body_bytes));
        }
        let size = size as usize;
        // The chunk data, then CRLF.
        if buf.len() < pos + size + 2 {
            return Ok(None);
        }
        if &buf[pos + size..pos + size + 2] != b"\r\n" {
            return Err(RequestError::Malformed("chunk not followed by CRLF".to_string()));
        }
        body.extend_from_slice(&buf[pos..pos + size]);
        pos += size + 2;
    }
}

/// After the last chunk: trailer lines (ignored) up to an empty line. Returns bytes used.
fn skip_trailers(buf: &[u8], limits: &Limits) -> Result<Option<usize>, RequestError> {
    let mut pos = 0;
    loop {
        let Some(end) = buf[pos..].windows(2).position(|w| w == b"\r\n") else {
            if buf.len() > limits.max_head_bytes {
                return Err(RequestError::HeadTooLarge(limits.max_head_bytes));
            }
            return Ok(None);
        };
        let line_len = end;
        pos += end + 2;
        if line_len == 0 {
            return Ok(Some(pos));
        }
        if pos > limits.max_head_bytes {
            return Err(RequestError::HeadTooLarge(limits.max_head_bytes));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::default()
    }

    #[test]
    fn partial_head_asks_for_more() {
        // A head split across reads must wait, not fail.
        assert_eq!(parse_head(b"GET / HTTP/1.1\r\nHost: x\r\n", &limits()), Ok(None));
    }

    #[test]
    fn complete_head_parses_target_and_headers() {
        // The handler sees exactly what the client sent.
        let wire = b"GET /orders?page=3 HTTP/1.1\r\nHost: a\r\n\r\nrest";
        let head = parse_head(wire, &limits()).unwrap().unwrap();
        assert_eq!(&wire[head.len..], b"rest");
        assert_eq!(head.request.path(), "/orders");
        assert_eq!(head.request.query_param("page"), Some("3"));
        assert_eq!(head.request.header("HOST"), Some(&b"a"[..]));
        assert_eq!(head.framing, BodyFraming::Empty);
    }

    #[test]
    fn garbage_is_malformed_not_partial() {
        // Binary junk must get a 400 right away, not wait for more bytes.
        let err = parse_head(b"\x16\x03\x01\x02\x00\x01\x00", &limits()).unwrap_err();
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn oversized_head_is_refused() {
        // A client may not make the server buffer an endless head.
        let limits = Limits {
            max_head_bytes: 64,
            ..Limits::default()
        };
        let long = format!("GET /{} HTTP/1.1\r\n", "a".repeat(100));
        assert_eq!(
            parse_head(long.as_bytes(), &limits),
            Err(RequestError::HeadTooLarge(64))
        );
    }

    #[test]
    fn too_many_headers_is_431() {
        // The header table has a fixed size; overflowing it is the client's error.
        let limits = Limits {
            max_headers: 2,
            ..Limits::default()
        };
        let err = parse_head(b"GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n", &limits).unwrap_err();
        assert_eq!(err.status(), 431);
    }

    #[test]
    fn content_length_rules() {
        // Signs, conflicting values and oversize bodies are refused before reading the body.
        let parse = |h: &str| parse_head(format!("POST / HTTP/1.1\r\n{h}\r\n\r\n").as_bytes(), &limits());
        assert_eq!(
            parse("Content-Length: 5").unwrap().unwrap().framing,
            BodyFraming::Length(5)
        );
        assert_eq!(parse("Content-Length: +5").unwrap_err().status(), 400);
        assert_eq!(
            parse("Content-Length: 5\r\nContent-Length: 6")
                .unwrap_err()
                .status(),
            400
        );
        assert_eq!(
            parse("Content-Length: 99999999999999999999999")
                .unwrap_err()
                .status(),
            400
        );
        assert_eq!(parse("Content-Length: 99999999999").unwrap_err().status(), 413);
        assert_eq!(parse("Transfer-Encoding: gzip").unwrap_err().status(), 501);
        assert_eq!(
            parse("Transfer-Encoding: chunked\r\nContent-Length: 5")
                .unwrap_err()
                .status(),
            400
        );
    }

    #[test]
    fn chunked_body_decodes_with_trailers() {
        // Chunked uploads are legal HTTP/1.1 and must be reassembled exactly.
        let wire = b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: y\r\n\r\nNEXT";
        let (body, used) = decode_chunked(wire, &limits()).unwrap().unwrap();
        assert_eq!(body, b"Wikipedia");
        assert_eq!(&wire[used..], b"NEXT");
        assert_eq!(decode_chunked(&wire[..10], &limits()), Ok(None));
        assert_eq!(decode_chunked(b"zz\r\n", &limits()).unwrap_err().status(), 400);
        assert_eq!(
            decode_chunked(b"3\r\nabcX\r\n", &limits()).unwrap_err().status(),
            400
        );
    }

    #[test]
    fn keep_alive_defaults_follow_the_version() {
        // HTTP/1.0 closes by default, HTTP/1.1 keeps the connection.
        let mut req = Request::get("/");
        assert!(req.wants_keep_alive());
        req.headers.push(("Connection".into(), b"Close".to_vec()));
        assert!(!req.wants_keep_alive());
        let mut old = Request::get("/");
        old.minor_version = 0;
        assert!(!old.wants_keep_alive());
        old.headers.push(("connection".into(), b"keep-alive".to_vec()));
        assert!(old.wants_keep_alive());
    }
}
