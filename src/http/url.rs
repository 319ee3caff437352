//! Just enough URL parsing for `http://host[:port]/path?query`.
//!
//! **Concept.** A request needs three things from a URL: where to connect
//! (host and port), what to put on the request line (path and query), and
//! what to put in the `Host` header. Everything else (user info, fragments,
//! other schemes) is either dropped (`#fragment`) or refused with a typed error.
//! Host names, IPv4 addresses and bracketed IPv6 literals (`http://[::1]:8080/`)
//! are accepted. `https://` is [`Error::UnsupportedScheme`], never a panic.
//!
//! **Where.** [`Url::parse`] splits the string; [`percent_encode`] encodes
//! query parameters added with [`Url::append_query`].
//!
//! **In the debugger.** Break in [`Url::parse`] and watch `authority` and
//! `rest` as the string is cut into pieces.

use std::fmt;
use std::net::Ipv6Addr;

use super::error::Error;

/// A parsed `http://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `host:port`, built once at parse time: the connect address, the pool
    /// key and (without `:80`) the `Host` header. The host is lower-cased, an
    /// IPv6 literal keeps its brackets, the port is always written out.
    authority: String,
    /// Length of the host part of `authority` (brackets included).
    host_len: usize,
    port: u16,
    path_and_query: String,
}

impl Url {
    /// Parse `http://host[:port][/path][?query][#fragment]`.
    ///
    /// ```
    /// use corolab::http::Url;
    /// let url = Url::parse("http://[::1]:8080/a?b=c").unwrap();
    /// assert_eq!(url.host(), "::1");
    /// assert_eq!(url.port(), 8080);
    /// assert_eq!(url.path_and_query(), "/a?b=c");
    /// assert!(Url::parse("https://example.com/").is_err());
    /// ```
    pub fn parse(input: &str) -> Result<Url, Error> {
        let invalid = |reason| Error::InvalidUrl {
            url: input.to_string(),
            reason,
        };
        let trimmed = input.trim();
        let Some((scheme, after_scheme)) = split_scheme(trimmed) else {
            return Err(invalid("missing scheme (expected http://)"));
        };
        check_scheme(scheme).map_err(&invalid)?;
        if !scheme.eq_ignore_ascii_case("http") {
            return Err(Error::UnsupportedScheme {
                scheme: scheme.to_ascii_lowercase(),
            });
        }
        let authority_end = after_scheme
            .bytes()
            .position(|b| matches!(b, b'/' | b'?' | b'#'))
            .unwrap_or(after_scheme.len());
        let (authority, rest) = after_scheme.split_at(authority_end);
        let (authority, host_len, port) = parse_authority(authority).map_err(invalid)?;
        let path_and_query = parse_path_and_query(rest).map_err(invalid)?;
        Ok(Url {
            authority,
            host_len,
            port,
            path_and_query,
        })
    }

    /// The host: a lower-cased name, an IPv4 address, or an IPv6 address without brackets.
    pub fn host(&self) -> &str {
        let host = &self.authority[..self.host_len];
        host.strip_prefix('[')
            .and_then(|inner| inner.strip_suffix(']'))
            .unwrap_or(host)
    }

    /// The port (80 when the URL names none).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The request target sent on the request line, e.g. `/search?q=rust`.
    pub fn path_and_query(&self) -> &str {
        &self.path_and_query
    }

    /// The value of the `Host` request header: `host`, or `host:port` when the port is not 80.
    pub fn host_header(&self) -> &str {
        if self.port == 80 {
            &self.authority[..self.host_len]
        } else {
            &self.authority
        }
    }

    /// `host:port` in the form `std::net::ToSocketAddrs` understands (IPv6 in brackets).
    pub fn authority(&self) -> String {
        self.authority.clone()
    }

    /// [`Url::authority`], borrowed: the clients' pool key.
    pub fn authority_str(&self) -> &str {
        &self.authority
    }

    /// Append one percent-encoded `key=value` pair to the query string.
    ///
    /// ```
    /// use corolab::http::Url;
    /// let mut url = Url::parse("http://h/p?x=1").unwrap();
    /// url.append_query("q", "a b&c");
    /// assert_eq!(url.path_and_query(), "/p?x=1&q=a%20b%26c");
    /// ```
    pub fn append_query(&mut self, key: &str, value: &str) {
        let separator = if self.path_and_query.contains('?') {
            '&'
        } else {
            '?'
        };
        self.path_and_query.push(separator);
        self.path_and_query.push_str(&percent_encode(key));
        self.path_and_query.push('=');
        self.path_and_query.push_str(&percent_encode(value));
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}{}", self.host_header(), self.path_and_query)
    }
}

/// Percent-encode every byte except the RFC 3986 "unreserved" set (`A-Z a-z 0-9 - . _ ~`).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            push_percent_encoded(&mut out, byte);
        }
    }
    out
}

/// Append `n` in decimal (what `write!(out, "{n}")` does, without the formatting machinery).
fn push_decimal(out: &mut String, n: u16) {
    let mut digits = [0u8; 5];
    let mut start = digits.len();
    let mut rest = n;
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for &digit in &digits[start..] {
        out.push(char::from(digit));
    }
}

/// Append `%XX` (upper-case hex) for `byte`.
fn push_percent_encoded(out: &mut String, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(HEX[usize::from(byte >> 4)] as char);
    out.push(HEX[usize::from(byte & 0x0f)] as char);
}

/// `scheme://rest` split at the first `:` (a scheme never contains one), which must start `://`.
fn split_scheme(input: &str) -> Option<(&str, &str)> {
    let colon = input.bytes().position(|b| b == b':')?;
    let (scheme, rest) = input.split_at(colon);
    Some((scheme, rest.strip_prefix("://")?))
}

fn check_scheme(scheme: &str) -> Result<(), &'static str> {
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if first_ok && rest_ok {
        Ok(())
    } else {
        Err("malformed scheme")
    }
}

/// Check `host[:port]` and write it out canonically (see [`Url`]'s `authority`):
/// returns that text, the length of its host part, and the port.
fn parse_authority(authority: &str) -> Result<(String, usize, u16), &'static str> {
    if authority.bytes().any(|b| b == b'@') {
        return Err("user info (user@host) is not supported");
    }
    if authority.is_empty() {
        return Err("missing host");
    }
    let (host, port_text) = if let Some(inner) = authority.strip_prefix('[') {
        let Some((literal, after)) = inner.split_once(']') else {
            return Err("unclosed '[' in IPv6 literal");
        };
        if literal.parse::<Ipv6Addr>().is_err() {
            return Err("invalid IPv6 literal");
        }
        let port_text = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or("junk after IPv6 literal")?),
        };
        (&authority[..literal.len() + 2], port_text) // with its brackets
    } else {
        let (host, port_text) = match authority.bytes().position(|b| b == b':') {
            Some(colon) => (&authority[..colon], Some(&authority[colon + 1..])),
            None => (authority, None),
        };
        check_host_name(host)?;
        (host, port_text)
    };
    let port = match port_text {
        None | Some("") => 80,
        Some(text) => parse_port(text)?,
    };
    let mut canonical = String::with_capacity(host.len() + 6);
    canonical.push_str(host);
    canonical.make_ascii_lowercase();
    let host_len = canonical.len();
    canonical.push(':');
    push_decimal(&mut canonical, port);
    Ok((canonical, host_len, port))
}

fn check_host_name(host: &str) -> Result<(), &'static str> {
    if host.is_empty() {
        return Err("missing host");
    }
    let ok = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if ok {
        Ok(())
    } else {
        Err("invalid character in host name")
    }
}

fn parse_port(text: &str) -> Result<u16, &'static str> {
    if !text.bytes().all(|b| b.is_ascii_digit()) || text.len() > 5 {
        return Err("port is not a number");
    }
    match text.parse::<u16>() {
        Ok(0) | Err(_) => Err("port out of range (1-65535)"),
        Ok(port) => Ok(port),
    }
}

/// Drop the fragment, make sure the target starts with '/', and percent-encode
/// spaces and non-ASCII bytes (as browsers do). Control characters are refused.
fn parse_path_and_query(rest: &str) -> Result<String, &'static str> {
    let fragment_start = rest.bytes().position(|b| b == b'#').unwrap_or(rest.len());
    let without_fragment = &rest[..fragment_start];
    let mut out = String::with_capacity(without_fragment.len() + 1);
    if !without_fragment.starts_with('/') {
        out.push('/');
    }
    if without_fragment.bytes().any(|b| b.is_ascii_control()) {
        return Err("control character in path or query");
    }
    if !without_fragment.bytes().any(|b| b == b' ' || !b.is_ascii()) {
        out.push_str(without_fragment); // the usual case: nothing to encode
        return Ok(out);
    }
    for byte in without_fragment.bytes() {
        if byte == b' ' || !byte.is_ascii() {
            push_percent_encoded(&mut out, byte);
        } else {
            out.push(byte as char);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The common shapes parse into host, port and target.
    #[test]
    fn parses_host_port_path_query() {
        let url = Url::parse("http://Example.COM:8080/a/b?x=1#frag").unwrap();
        assert_eq!(url.host(), "example.com");
        assert_eq!(url.port(), 8080);
        assert_eq!(url.path_and_query(), "/a/b?x=1");
        assert_eq!(url.host_header(), "example.com:8080");
        let bare = Url::parse("http://127.0.0.1").unwrap();
        assert_eq!((bare.port(), bare.path_and_query()), (80, "/"));
        assert_eq!(bare.host_header(), "127.0.0.1");
        let query_only = Url::parse("http://h?q=1").unwrap();
        assert_eq!(query_only.path_and_query(), "/?q=1");
    }

    // The pool key is built once and canonical: two spellings of one server share connections.
    #[test]
    fn authority_is_canonical() {
        let a = Url::parse("http://LocalHost:0080/x").unwrap();
        let b = Url::parse("http://localhost/y").unwrap();
        assert_eq!(a.authority_str(), "localhost:80");
        assert_eq!(a.authority_str(), b.authority_str());
        assert_eq!(a.authority(), "localhost:80");
        assert_eq!((a.host(), a.host_header()), ("localhost", "localhost"));
        let v6 = Url::parse("http://[::1]/").unwrap();
        assert_eq!(
            (v6.host(), v6.host_header(), v6.authority_str()),
            ("::1", "[::1]", "[::1]:80")
        );
        assert_eq!(v6.to_string(), "http://[::1]/");
        for (url, authority) in [
            ("http://h:1/", "h:1"),
            ("http://h:65535", "h:65535"),
            ("http://h:10/", "h:10"),
        ] {
            assert_eq!(Url::parse(url).unwrap().authority_str(), authority);
        }
    }

    // IPv6 literals keep their brackets in Host and in the connect address only.
    #[test]
    fn parses_ipv6_literals() {
        let url = Url::parse("http://[::1]:9000/x").unwrap();
        assert_eq!(url.host(), "::1");
        assert_eq!(url.authority(), "[::1]:9000");
        assert_eq!(url.host_header(), "[::1]:9000");
        assert!(Url::parse("http://[::1/").is_err());
        assert!(Url::parse("http://[nonsense]/").is_err());
        assert!(Url::parse("http://[::1]x/").is_err());
    }

    // https must be a typed error, not a panic nor a plain-text connection to port 443.
    #[test]
    fn https_is_unsupported_scheme() {
        let err = Url::parse("https://example.com/").unwrap_err();
        assert!(matches!(err, Error::UnsupportedScheme { ref scheme } if scheme == "https"));
    }

    // Garbage in is InvalidUrl with a reason, never a panic.
    #[test]
    fn garbage_is_invalid_url() {
        for bad in [
            "",
            "example.com",
            "http://",
            "http:///path",
            "http://user@host/",
            "http://host:99999/",
            "http://host:0/",
            "http://host:8a/",
            "http://ho st/",
            "http://host/a\nb",
            "1http://host/",
            "a:b://host/",
            "http:/host/",
        ] {
            let err = Url::parse(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidUrl { .. }), "{bad:?} -> {err:?}");
        }
    }

    // Query values with reserved characters must not change the query's structure.
    #[test]
    fn append_query_percent_encodes() {
        let mut url = Url::parse("http://h/search").unwrap();
        url.append_query("q", "rust & tokio=fast");
        url.append_query("lang", "中");
        assert_eq!(
            url.path_and_query(),
            "/search?q=rust%20%26%20tokio%3Dfast&lang=%E4%B8%AD"
        );
    }

    // Spaces and non-ASCII in a typed URL are encoded rather than sent raw.
    #[test]
    fn path_spaces_and_unicode_are_encoded() {
        let url = Url::parse("http://h/a b/é").unwrap();
        assert_eq!(url.path_and_query(), "/a%20b/%C3%A9");
    }
}
