//! `green::http_get`: the HTTP client's sans-I/O core driven by green
//! sockets, so fetching a page is plain blocking-looking code.
//!
//! The protocol work is the same as in `http::Client` and
//! `http::blocking::Client`: [`encode_request`] makes the bytes,
//! [`ResponseReader`] turns what arrives into events. Only the waiting
//! differs: here each `read` that would block switches the green thread to
//! the hub. One connection per request (no keep-alive pool, to keep this
//! driver short; the async client has the pool).

use super::hub::{CannotWait, wait_for};
use super::tcp::TcpStream;
use crate::http::{Error, Event, Limits, Phase, Request, Response, ResponseReader, Url, encode_request};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// Bounds for [`http_send`]: the same settings as `http::Client` and
/// `http::blocking::Client`, with the same defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpConfig {
    /// Longest wait for the TCP handshake (default 10 s).
    pub connect_timeout: Duration,
    /// Longest silence while reading or writing (default 30 s).
    pub read_timeout: Duration,
    /// Longest time for the whole request (default 30 s).
    pub request_timeout: Duration,
    /// Size limits for the response head and body.
    pub limits: Limits,
}

impl Default for HttpConfig {
    fn default() -> HttpConfig {
        HttpConfig {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            limits: Limits::default(),
        }
    }
}

/// `GET url` from a green thread, with the default [`HttpConfig`]. While
/// waiting for the network the green thread is parked and others run.
///
/// ```no_run
/// use corolab::green;
///
/// // fetch_pages' `greenlets` strategy is this shape: one green thread per page.
/// let pages = green::run(|| {
///     let jobs: Vec<_> = (1..=3)
///         .map(|i| green::spawn(move || green::http_get(&format!("http://127.0.0.1:8080/pages/{i}"))))
///         .collect();
///     green::joinall(jobs)
/// });
/// ```
///
/// # Errors
/// Any [`Error`]: bad URL, connect failure, timeout (with its [`Phase`]), or
/// a malformed response. Outside a green thread: `Error::Io` of kind
/// `Unsupported`.
pub fn http_get(url: &str) -> Result<Response, Error> {
    http_send(Request::new("GET", Url::parse(url)?), &HttpConfig::default())
}

/// Sends any request from a green thread and reads the whole response,
/// within `config`'s bounds.
///
/// # Errors
/// As [`http_get`].
pub fn http_send(request: Request, config: &HttpConfig) -> Result<Response, Error> {
    let deadline = crate::time::deadline_after(config.request_timeout);
    let bytes = encode_request(&request)?;
    let stream = connect(&request.url, config.connect_timeout, deadline)?;
    write_all(&stream, &bytes, config.read_timeout, deadline)?;
    let mut reader = ResponseReader::new(config.limits, request.is_head());
    let mut head = None;
    let mut body = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match reader.next_event()? {
            Some(Event::Head(h)) => head = Some(h),
            Some(Event::Data(data)) => body.extend_from_slice(&data),
            Some(Event::End { .. }) => {
                let head = head.expect("the reader yields Head before End");
                return Ok(Response::new(head, body));
            }
            None => {
                let (wait, phase) = bounded_wait(config.read_timeout, Phase::Read, deadline)?;
                stream.set_read_timeout(Some(wait)).map_err(Error::Io)?;
                let want = reader.read_hint().clamp(1, buf.len());
                match stream.read(&mut buf[..want]) {
                    Ok(0) => reader.feed_eof(),
                    Ok(n) => reader.feed(&buf[..n]),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {} // EINTR: try again
                    Err(e) => return Err(Error::from_io(e, phase)),
                }
            }
        }
    }
}

/// Tries each address of the URL's host in turn, each connect bounded. A
/// host name is resolved on a helper thread (the OS resolver blocks) while
/// the green thread is parked; an IP literal needs no resolving.
fn connect(url: &Url, connect_timeout: Duration, deadline: Instant) -> Result<TcpStream, Error> {
    let authority = url.authority();
    let addrs: Vec<SocketAddr> = match url.host().parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, url.port())],
        Err(_) => wait_for(crate::net::resolve(url.host(), url.port()))
            .map_err(|cannot| Error::Io(CannotWait::into_io(cannot)))?
            .map_err(|source| Error::Connect {
                addr: authority.clone(),
                source,
            })?,
    };
    let mut last_error = None;
    for addr in addrs {
        let (wait, phase) = bounded_wait(connect_timeout, Phase::Connect, deadline)?;
        match TcpStream::connect_timeout(&addr, wait) {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) if e.kind() == io::ErrorKind::TimedOut => last_error = Some(Error::Timeout(phase)),
            Err(e) if e.kind() == io::ErrorKind::Unsupported => return Err(Error::Io(e)),
            Err(source) => {
                last_error = Some(Error::Connect {
                    addr: addr.to_string(),
                    source,
                })
            }
        }
    }
    Err(last_error.unwrap_or_else(|| Error::Connect {
        addr: authority,
        source: io::Error::new(io::ErrorKind::NotFound, "name resolved to no address"),
    }))
}

/// Writes the whole request; each write may wait at most `silence`.
fn write_all(
    stream: &TcpStream,
    mut bytes: &[u8],
    silence: Duration,
    deadline: Instant,
) -> Result<(), Error> {
    while !bytes.is_empty() {
        let (wait, phase) = bounded_wait(silence, Phase::Write, deadline)?;
        stream.set_write_timeout(Some(wait)).map_err(Error::Io)?;
        match stream.write(bytes) {
            Ok(0) => return Err(Error::Io(io::ErrorKind::WriteZero.into())),
            Ok(n) => bytes = &bytes[n..],
            Err(e) => return Err(Error::from_io(e, phase)),
        }
    }
    Ok(())
}

/// The next wait: `limit` (a timeout then reports `phase`), or what is left
/// of the whole-request budget if that is shorter (reported as
/// `Phase::Total`). The same rule as the other two clients use.
fn bounded_wait(limit: Duration, phase: Phase, deadline: Instant) -> Result<(Duration, Phase), Error> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(Error::Timeout(Phase::Total));
    }
    if left < limit {
        Ok((left, Phase::Total))
    } else {
        Ok((limit.max(Duration::from_millis(1)), phase))
    }
}
