//! What a response looks like once it has been read: head, headers, body.
//!
//! **Concept.** Header values on the wire are bytes, not text: servers send
//! Latin-1, raw UTF-8 and worse. We keep them as bytes ([`Headers::get`]) and
//! only convert to `&str` when asked ([`Response::header_str`]), which fails
//! with [`Error::HeaderNotUtf8`] instead of guessing.
//!
//! **Where.** [`ResponseHead`] is what the reader yields first; [`Response`]
//! is head plus the whole body, built by the clients.
//!
//! **In the debugger.** `{:?}` on a [`Headers`] lists `name: value` pairs in
//! arrival order; inside, `names` and `values` hold every name and every value
//! back to back, and `ends` says where each pair ends (one allocation each for
//! the whole head, instead of two per header line).

use std::fmt;

use serde::de::DeserializeOwned;

use super::error::Error;

/// The HTTP version of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `HTTP/1.0`: connections close after each response unless `Connection: keep-alive`.
    Http10,
    /// `HTTP/1.1`: connections stay open unless `Connection: close`.
    Http11,
}

/// Response headers in arrival order; names compare case-insensitively, values are bytes.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers {
    /// Every header name, back to back.
    names: String,
    /// Every header value, back to back.
    values: Vec<u8>,
    /// For header `i`: where its name ends in `names` and its value ends in
    /// `values` (each starts where header `i - 1`'s ended).
    ends: Vec<(usize, usize)>,
}

impl Headers {
    /// An empty header list.
    pub fn new() -> Headers {
        Headers::default()
    }

    /// The headers httparse found, copied out of the read buffer in three allocations.
    pub(crate) fn from_parsed(parsed: &[httparse::Header<'_>]) -> Headers {
        let names_len = parsed.iter().map(|h| h.name.len()).sum();
        let values_len = parsed.iter().map(|h| h.value.len()).sum();
        let mut headers = Headers {
            names: String::with_capacity(names_len),
            values: Vec::with_capacity(values_len),
            ends: Vec::with_capacity(parsed.len()),
        };
        for header in parsed {
            if header.value.contains(&b'\n') {
                headers.push(header.name, &unfold(header.value));
            } else {
                headers.push(header.name, header.value);
            }
        }
        headers
    }

    /// Add a header at the end.
    pub fn push(&mut self, name: &str, value: &[u8]) {
        self.names.push_str(name);
        self.values.extend_from_slice(value);
        self.ends.push((self.names.len(), self.values.len()));
    }

    /// The first value of header `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// All values of header `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Every `(name, value)` pair in arrival order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        let mut name_start = 0;
        let mut value_start = 0;
        self.ends.iter().map(move |&(name_end, value_end)| {
            let name = &self.names[name_start..name_end];
            let value = &self.values[value_start..value_end];
            (name_start, value_start) = (name_end, value_end);
            (name, value)
        })
    }

    /// Number of header lines.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True if there are no headers.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// True if header `name` holds `token` in its comma-separated list
    /// (case-insensitive), e.g. `Connection: keep-alive, close` has `close`.
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.get_all(name).any(|value| {
            value
                .split(|&b| b == b',')
                .any(|item| item.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
        })
    }
}

/// RFC 9112 §5.2: a user agent replaces each obs-fold (a line break followed by
/// spaces or tabs, inside a header value) with one SP.
fn unfold(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut rest = value;
    while let Some(&byte) = rest.first() {
        if byte == b'\r' || byte == b'\n' {
            let fold = rest
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
                .count();
            out.push(b' ');
            rest = &rest[fold..];
        } else {
            out.push(byte);
            rest = &rest[1..];
        }
    }
    out
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.iter()
                    .map(|(name, value)| (name, String::from_utf8_lossy(value))),
            )
            .finish()
    }
}

/// Status line and headers of a response: what the reader yields before any body byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// Status code, e.g. 200.
    pub status: u16,
    /// Protocol version of the response.
    pub version: Version,
    /// Reason phrase (empty when missing or not UTF-8; it carries no meaning).
    pub reason: String,
    /// The headers.
    pub headers: Headers,
}

/// A complete response: head plus the whole body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    head: ResponseHead,
    body: Vec<u8>,
}

impl Response {
    /// Assemble a response from its head and body.
    pub fn new(head: ResponseHead, body: Vec<u8>) -> Response {
        Response { head, body }
    }

    /// Status code, e.g. 200.
    pub fn status(&self) -> u16 {
        self.head.status
    }

    /// Protocol version.
    pub fn version(&self) -> Version {
        self.head.version
    }

    /// The headers (values as bytes).
    pub fn headers(&self) -> &Headers {
        &self.head.headers
    }

    /// The head (status line and headers).
    pub fn head(&self) -> &ResponseHead {
        &self.head
    }

    /// The first value of header `name` as text; `Ok(None)` if absent,
    /// [`Error::HeaderNotUtf8`] if present but not UTF-8.
    pub fn header_str(&self, name: &str) -> Result<Option<&str>, Error> {
        match self.head.headers.get(name) {
            None => Ok(None),
            Some(bytes) => std::str::from_utf8(bytes)
                .map(Some)
                .map_err(|_| Error::HeaderNotUtf8 {
                    name: name.to_string(),
                }),
        }
    }

    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Take the body bytes out of the response.
    pub fn into_body(self) -> Vec<u8> {
        self.body
    }

    /// The body as UTF-8 text ([`Error::BodyNotUtf8`] otherwise; no charset guessing).
    pub fn text(&self) -> Result<String, Error> {
        String::from_utf8(self.body.clone()).map_err(Error::BodyNotUtf8)
    }

    /// Decode the body as JSON into `T`.
    ///
    /// ```
    /// use corolab::http::{Headers, Response, ResponseHead, Version};
    /// #[derive(serde::Deserialize)]
    /// struct Page { n: u32 }
    /// let head = ResponseHead { status: 200, version: Version::Http11,
    ///                           reason: "OK".into(), headers: Headers::new() };
    /// let response = Response::new(head, br#"{"n": 7}"#.to_vec());
    /// assert_eq!(response.json::<Page>().unwrap().n, 7);
    /// ```
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(Error::Json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response_with(name: &str, value: &[u8], body: &[u8]) -> Response {
        let mut headers = Headers::new();
        headers.push(name, value);
        let head = ResponseHead {
            status: 200,
            version: Version::Http11,
            reason: String::new(),
            headers,
        };
        Response::new(head, body.to_vec())
    }

    // Non-UTF-8 header bytes are kept, and text access says which header failed.
    #[test]
    fn header_str_fails_clearly_on_non_utf8() {
        let response = response_with("X-Name", b"caf\xe9", b"");
        assert_eq!(response.headers().get("x-name"), Some(&b"caf\xe9"[..]));
        let err = response.header_str("X-NAME").unwrap_err();
        assert!(matches!(err, Error::HeaderNotUtf8 { ref name } if name == "X-NAME"));
        assert_eq!(response.header_str("missing").unwrap(), None);
    }

    // Connection tokens are matched inside comma lists, case-insensitively.
    #[test]
    fn has_token_finds_close_inside_a_list() {
        let response = response_with("Connection", b"keep-alive, Close", b"");
        assert!(response.headers().has_token("connection", "close"));
        assert!(!response.headers().has_token("connection", "upgrade"));
    }

    // Bad JSON and bad UTF-8 bodies are typed errors.
    #[test]
    fn json_and_text_errors_are_typed() {
        let response = response_with("A", b"b", b"\xff{");
        assert!(matches!(response.text(), Err(Error::BodyNotUtf8(_))));
        assert!(matches!(
            response.json::<serde_json::Value>(),
            Err(Error::Json(_))
        ));
    }
}
