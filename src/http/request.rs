//! Turning a request into bytes.
//!
//! **Concept.** An HTTP/1.1 request is plain text followed by an optional body:
//!
//! ```text
//! GET /search?q=rust HTTP/1.1\r\n
//! Host: example.com\r\n
//! User-Agent: corolab/0.1\r\n
//! \r\n
//! ```
//!
//! The client always sends `Host` (required by HTTP/1.1) and, when there is a
//! body (or the method usually carries one), a `Content-Length`, so the server
//! knows where the body ends. No `Connection` header is sent: HTTP/1.1
//! connections are keep-alive by default. Caller headers are checked before
//! they are written: a CR or LF in a value would let a caller inject headers.
//!
//! **Where.** [`Request`] holds method, URL, headers and body;
//! [`encode_request`] writes the bytes; [`encode_chunked`] is the inverse of
//! the chunked decoder (used by tests and handy for reading the format).
//!
//! **In the debugger.** Break at the end of [`encode_request`] and print
//! `String::from_utf8_lossy(&out)` to see exactly what goes on the wire.

use super::error::Error;
use super::url::Url;

/// A request to send: method, URL, extra headers and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Method, e.g. `GET`.
    pub method: String,
    /// Target URL.
    pub url: Url,
    /// Extra headers, sent in order after `Host` and `User-Agent`.
    pub headers: Vec<(String, Vec<u8>)>,
    /// Body bytes (sent with a `Content-Length`).
    pub body: Vec<u8>,
}

impl Request {
    /// A request with no extra headers and an empty body.
    pub fn new(method: &str, url: Url) -> Request {
        Request {
            method: method.to_string(),
            url,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// True if `HEAD`: the response then has no body whatever its headers say.
    pub fn is_head(&self) -> bool {
        self.method.eq_ignore_ascii_case("HEAD")
    }

    /// True for methods that may safely be sent twice (RFC 9110 §9.2.2).
    /// Only these are retried after a reused connection turns out to be dead.
    pub fn is_idempotent(&self) -> bool {
        ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"]
            .iter()
            .any(|m| self.method.eq_ignore_ascii_case(m))
    }

    /// True unless the caller sent `Connection: close` (then the connection is not reused).
    pub fn wants_keep_alive(&self) -> bool {
        !self.headers.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case("connection")
                && value
                    .split(|&b| b == b',')
                    .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"))
        })
    }
}

/// Serialize `request` to the bytes sent on the wire.
///
/// Fails with [`Error::InvalidRequestHeader`] for a method or header name that
/// is not a token, a value containing CR, LF or NUL, or a caller-supplied
/// `Content-Length`/`Transfer-Encoding`/`Host` (the client computes those).
///
/// ```
/// use corolab::http::{encode_request, Request, Url};
/// let mut request = Request::new("POST", Url::parse("http://h:8080/x").unwrap());
/// request.body = b"hi".to_vec();
/// let bytes = encode_request(&request).unwrap();
/// assert!(bytes.starts_with(b"POST /x HTTP/1.1\r\nHost: h:8080\r\n"));
/// assert!(bytes.ends_with(b"Content-Length: 2\r\n\r\nhi"));
/// ```
pub fn encode_request(request: &Request) -> Result<Vec<u8>, Error> {
    if !is_token(&request.method) {
        return Err(Error::InvalidRequestHeader {
            name: format!("(method) {}", request.method),
        });
    }
    let mut out = Vec::with_capacity(256 + request.body.len());
    out.extend_from_slice(request.method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(request.url.path_and_query().as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    write_header(&mut out, "Host", request.url.host_header().as_bytes());
    write_header(&mut out, "User-Agent", b"corolab/0.1");
    for (name, value) in &request.headers {
        check_header(name, value)?;
        write_header(&mut out, name, value);
    }
    if !request.body.is_empty() || method_expects_body(&request.method) {
        let length = request.body.len().to_string();
        write_header(&mut out, "Content-Length", length.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&request.body);
    Ok(out)
}

/// Encode `parts` as a chunked body: one chunk per non-empty part, then the
/// zero-size last chunk and an empty trailer section.
///
/// ```
/// use corolab::http::encode_chunked;
/// assert_eq!(encode_chunked(&[b"hello", b"!"]), b"5\r\nhello\r\n1\r\n!\r\n0\r\n\r\n");
/// ```
pub fn encode_chunked(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts.iter().filter(|p| !p.is_empty()) {
        out.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        out.extend_from_slice(part);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

fn write_header(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

fn check_header(name: &str, value: &[u8]) -> Result<(), Error> {
    let reserved = ["host", "content-length", "transfer-encoding"]
        .iter()
        .any(|r| name.eq_ignore_ascii_case(r));
    let bad_value = value.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0);
    if reserved || bad_value || !is_token(name) {
        return Err(Error::InvalidRequestHeader {
            name: name.to_string(),
        });
    }
    Ok(())
}

/// RFC 9110 token: visible ASCII except delimiters.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// POST, PUT and PATCH send `Content-Length: 0` even with an empty body, so
/// servers do not wait for a body that never comes.
fn method_expects_body(method: &str) -> bool {
    ["POST", "PUT", "PATCH"]
        .iter()
        .any(|m| method.eq_ignore_ascii_case(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(url: &str) -> Request {
        Request::new("GET", Url::parse(url).unwrap())
    }

    // The exact bytes of a plain GET: request line, Host, User-Agent, blank line.
    #[test]
    fn get_is_encoded_exactly() {
        let mut request = get("http://example.com/a?b=1");
        request.headers.push(("Accept".into(), b"*/*".to_vec()));
        let bytes = encode_request(&request).unwrap();
        assert_eq!(
            bytes,
            b"GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: corolab/0.1\r\nAccept: */*\r\n\r\n"
        );
    }

    // An empty POST still says Content-Length: 0, or the server would wait for a body.
    #[test]
    fn empty_post_sends_content_length_zero() {
        let request = Request::new("POST", Url::parse("http://h/").unwrap());
        let text = String::from_utf8(encode_request(&request).unwrap()).unwrap();
        assert!(text.contains("Content-Length: 0\r\n"), "{text}");
    }

    // CR/LF in a value would inject headers: refused with the header's name.
    #[test]
    fn header_injection_is_refused() {
        let mut request = get("http://h/");
        request
            .headers
            .push(("X-Evil".into(), b"a\r\nHost: other".to_vec()));
        let err = encode_request(&request).unwrap_err();
        assert!(matches!(err, Error::InvalidRequestHeader { ref name } if name == "X-Evil"));
        let mut request = get("http://h/");
        request.headers.push(("Bad Name".into(), b"v".to_vec()));
        assert!(encode_request(&request).is_err());
        let mut request = get("http://h/");
        request.headers.push(("content-length".into(), b"5".to_vec()));
        assert!(encode_request(&request).is_err());
        let mut request = get("http://h/");
        request.method = "GE T".into();
        assert!(encode_request(&request).is_err());
    }

    // Only idempotent methods may be retried; Connection: close disables reuse.
    #[test]
    fn idempotency_and_keep_alive_flags() {
        assert!(get("http://h/").is_idempotent());
        assert!(!Request::new("POST", Url::parse("http://h/").unwrap()).is_idempotent());
        let mut request = get("http://h/");
        assert!(request.wants_keep_alive());
        request
            .headers
            .push(("Connection".into(), b"foo, close".to_vec()));
        assert!(!request.wants_keep_alive());
    }
}
