//! Responses: the [`Response`] a handler returns, and [`encode_response`], which turns it
//! into bytes (sans-I/O, like the request parser).

use std::io::Write;

/// An HTTP response built by a handler.
///
/// The server writes the framing headers itself (`Content-Length` or
/// `Transfer-Encoding: chunked`, and `Connection`), so a handler never sets those.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// Status code, e.g. 200.
    pub status: u16,
    /// Extra headers (`Content-Type`, ...). Names or values containing CR or LF are dropped
    /// when encoding, so a handler cannot split the response by mistake.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// `None`: send `Content-Length`. `Some(n)`: send `Transfer-Encoding: chunked` in
    /// chunks of at most `n` bytes.
    pub chunk_size: Option<usize>,
}

impl Response {
    /// A response with `status`, no headers and an empty body.
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            chunk_size: None,
        }
    }

    /// A `text/plain` response; used for the short error messages (`"bad request: ..."`).
    pub fn text(status: u16, text: impl Into<String>) -> Response {
        let mut body = text.into().into_bytes();
        body.push(b'\n');
        Response::new(status)
            .with_header("Content-Type", "text/plain; charset=utf-8")
            .with_body(body)
    }

    /// An `application/json` response with an already-serialized body.
    pub fn json(status: u16, body: Vec<u8>) -> Response {
        Response::new(status)
            .with_header("Content-Type", "application/json")
            .with_body(body)
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Replaces the body.
    pub fn with_body(mut self, body: Vec<u8>) -> Response {
        self.body = body;
        self
    }

    /// Sends the body with `Transfer-Encoding: chunked`, `chunk_size` bytes per chunk (min 1).
    pub fn chunked(mut self, chunk_size: usize) -> Response {
        self.chunk_size = Some(chunk_size.max(1));
        self
    }
}

/// The standard reason phrase for the status codes this server uses.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        304 => "Not Modified",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

/// Headers the server owns; a handler's copies are ignored.
fn is_framing_header(name: &str) -> bool {
    ["content-length", "transfer-encoding", "connection"]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
}

/// Appends the bytes of `response` to `out`.
///
/// `head_only`: answer to a `HEAD` request (headers as for `GET`, no body).
/// `keep_alive`: whether the connection stays open afterwards (`Connection: close` if not).
/// 1xx, 204 and 304 responses never carry a body or framing headers.
pub fn encode_response(response: &Response, head_only: bool, keep_alive: bool, out: &mut Vec<u8>) {
    let status = response.status;
    // Writing into a Vec cannot fail, so the io::Results below are always Ok.
    let _ = write!(out, "HTTP/1.1 {status} {}\r\n", reason_phrase(status));
    for (name, value) in &response.headers {
        let clean = |s: &str| !s.contains(['\r', '\n']);
        if clean(name) && clean(value) && !name.is_empty() && !is_framing_header(name) {
            let _ = write!(out, "{name}: {value}\r\n");
        }
    }
    let bodiless = (100..200).contains(&status) || status == 204 || status == 304;
    if !bodiless {
        match response.chunk_size {
            None => {
                let _ = write!(out, "Content-Length: {}\r\n", response.body.len());
            }
            Some(_) => out.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
        }
    }
    if !keep_alive {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if bodiless || head_only {
        return;
    }
    match response.chunk_size {
        None => out.extend_from_slice(&response.body),
        Some(size) => encode_chunks(&response.body, size, out),
    }
}

/// `size-in-hex CRLF data CRLF` per chunk, then the last chunk `0 CRLF CRLF`.
fn encode_chunks(body: &[u8], chunk_size: usize, out: &mut Vec<u8>) {
    for chunk in body.chunks(chunk_size.max(1)) {
        let _ = write!(out, "{:x}\r\n", chunk.len());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(response: &Response, head_only: bool, keep_alive: bool) -> String {
        let mut out = Vec::new();
        encode_response(response, head_only, keep_alive, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn content_length_response_bytes() {
        // The exact wire format is what every client depends on.
        let r = Response::text(200, "hi");
        assert_eq!(
            encode(&r, false, true),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n\r\nhi\n"
        );
    }

    #[test]
    fn chunked_response_bytes() {
        // Chunk sizes are hex and the body ends with the zero-size chunk.
        let r = Response::new(200).with_body(b"abcdefghijk".to_vec()).chunked(10);
        assert_eq!(
            encode(&r, false, false),
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\na\r\nabcdefghij\r\n1\r\nk\r\n0\r\n\r\n"
        );
    }

    #[test]
    fn head_and_204_have_no_body() {
        // Sending a body where none is allowed desynchronizes keep-alive clients.
        let r = Response::text(200, "hello");
        assert!(encode(&r, true, true).ends_with("Content-Length: 6\r\n\r\n"));
        let r = Response::new(204).with_body(b"x".to_vec());
        assert_eq!(encode(&r, false, true), "HTTP/1.1 204 No Content\r\n\r\n");
    }

    #[test]
    fn handler_cannot_inject_or_override_framing() {
        // A CRLF in a header value or a second Content-Length would corrupt the stream.
        let r = Response::new(200)
            .with_header("X-Evil", "a\r\nContent-Length: 0")
            .with_header("Content-Length", "999")
            .with_header("X-Ok", "1");
        assert_eq!(
            encode(&r, false, true),
            "HTTP/1.1 200 OK\r\nX-Ok: 1\r\nContent-Length: 0\r\n\r\n"
        );
    }
}
