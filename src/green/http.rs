//! `green::http_get`: the HTTP client's sans-I/O core driven by green
//! sockets, so fetching a page is plain blocking-looking code.
//!
//! The protocol work is the same as in `http::Client` and
//! `http::blocking::Client`, and so is the code: [`encode_request`] makes the
//! bytes, the shared exchange loop (`http/exchange.rs`, around
//! [`ResponseReader`](crate::http::ResponseReader)) says what to read and write and with which bound, and
//! `http/connect.rs` resolves and tries each address. Only the waiting
//! differs: here each read or write that would block switches the green
//! thread to the hub. One connection per request (no keep-alive pool, to
//! keep this driver short; the async client has the pool).

use super::hub::wait_for;
use super::tcp::TcpStream;
use crate::http::connect::{Attempts, Resolve, lookup_answer, resolve_plan};
use crate::http::deadline::bounded_wait;
use crate::http::exchange::{Exchange, Next};
use crate::http::{Error, Limits, Phase, Request, Response, Url, encode_request};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Bounds for [`http_send`]: the same settings as `http::Client` and
/// `http::blocking::Client`, with the same defaults.
///
/// # Examples
///
/// ```
/// use corolab::green::HttpConfig;
/// use std::time::Duration;
///
/// let config = HttpConfig { read_timeout: Duration::from_secs(5), ..HttpConfig::default() };
/// assert_eq!(config.request_timeout, Duration::from_secs(30)); // the clients' defaults
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpConfig {
    /// Longest wait for resolving a host name, and for each TCP handshake
    /// (default 10 s).
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
/// # Examples
///
/// ```
/// # let server = corolab_server::spawn_echo();
/// # let base = server.url().to_string(); // a local server that echoes the request line
/// use corolab::green;
///
/// // fetch_pages' `greenlets` strategy is this shape: one green thread per page.
/// let pages = green::run(move || {
///     let jobs = [1, 2].map(|i| {
///         let url = format!("{base}/pages/{i}");
///         green::spawn(move || green::http_get(&url)?.text())
///     });
///     green::joinall(jobs)
/// })
/// .unwrap();
/// assert!(matches!(&pages[..], [Ok(Ok(a)), Ok(Ok(b))] if a == "GET /pages/1" && b == "GET /pages/2"));
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
///
/// # Examples
///
/// ```
/// # let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap(); // never answers
/// # let url = format!("http://{}", silent.local_addr().unwrap());
/// use corolab::green::{self, HttpConfig};
/// use corolab::http::{Error, Phase, Request, Url};
/// use std::time::Duration;
///
/// let config = HttpConfig { read_timeout: Duration::from_millis(50), ..HttpConfig::default() };
/// let silence = green::run(move || green::http_send(Request::new("GET", Url::parse(&url)?), &config));
/// assert!(matches!(silence.unwrap(), Err(Error::Timeout(Phase::Read)))); // `url` never answers
/// ```
pub fn http_send(request: Request, config: &HttpConfig) -> Result<Response, Error> {
    let deadline = crate::time::deadline_after(config.request_timeout);
    let bytes = encode_request(&request)?;
    let stream = connect(&request.url, config.connect_timeout, deadline)?;
    let buffer = Vec::new();
    let mut exchange = Exchange::new(
        &request,
        &bytes,
        buffer,
        config.limits,
        config.read_timeout,
        deadline,
    );
    loop {
        let result = match exchange.next().map_err(|failure| failure.error)? {
            Next::Write(bytes, wait) => stream
                .set_write_timeout(Some(wait.limit))
                .and_then(|()| stream.write(bytes)),
            Next::Read(room, wait) => stream
                .set_read_timeout(Some(wait.limit))
                .and_then(|()| stream.read(room)),
            Next::Done { response, .. } => return Ok(response), // no pool: the connection closes
        };
        exchange.completed(result).map_err(|failure| failure.error)?;
    }
}

/// The addresses of the URL's host. An IP literal needs no resolving; a host
/// name is resolved on a helper thread (the OS resolver blocks) while the
/// green thread is parked, bounded like the TCP handshake.
fn resolve(url: &Url, connect_timeout: Duration, deadline: Instant) -> Result<Vec<SocketAddr>, Error> {
    match resolve_plan(url, connect_timeout, deadline)? {
        Resolve::Literal(addrs) => Ok(addrs),
        Resolve::Lookup(_) => {
            let lookup = crate::net::resolve(url.host(), url.port());
            wait_for_lookup(lookup, url.authority(), connect_timeout, deadline)
        }
    }
}

/// Parks the green thread until `lookup` (a name resolution) finishes, at
/// most `connect_timeout` and never past the request `deadline`: the same
/// bound as the async client. A lookup that runs out of time keeps running
/// on its helper thread (the OS resolver cannot be interrupted); its answer
/// is dropped.
fn wait_for_lookup(
    lookup: impl Future<Output = io::Result<Vec<SocketAddr>>>,
    authority: String,
    connect_timeout: Duration,
    deadline: Instant,
) -> Result<Vec<SocketAddr>, Error> {
    let wait = bounded_wait(connect_timeout, Phase::Connect, deadline)?;
    match wait_for(crate::time::timeout(wait.limit, lookup)) {
        Err(cannot) => Err(Error::Io(cannot.into_io())),
        Ok(answer) => lookup_answer(&authority, answer.ok(), wait),
    }
}

/// Tries each address of the URL's host in turn (the shared `Attempts` loop),
/// each handshake a green connect bounded by its wait.
fn connect(url: &Url, connect_timeout: Duration, deadline: Instant) -> Result<TcpStream, Error> {
    let addrs = resolve(url, connect_timeout, deadline)?;
    let mut attempts = Attempts::new(addrs, url, connect_timeout, deadline);
    while let Some((addr, wait)) = attempts.next()? {
        match TcpStream::connect_timeout(&addr, wait.limit) {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) => attempts.failed(addr, e)?,
        }
    }
    Err(attempts.into_error())
}

#[cfg(test)]
mod tests {
    //! The name-resolution bound, with a lookup that never finishes standing
    //! in for a resolver that hangs (a real one cannot be made to hang
    //! deterministically without the network).
    use super::*;
    use std::sync::mpsc;

    /// Runs `wait_for_lookup` on a never-finishing lookup in a green thread on
    /// a fresh thread; fails the test if that takes more than 5 s.
    fn wait_for_a_hanging_lookup(
        connect_timeout: Duration,
        request_timeout: Duration,
    ) -> Result<Vec<SocketAddr>, Error> {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let result = crate::green::run(move || {
                let deadline = crate::time::deadline_after(request_timeout);
                let never = std::future::pending::<io::Result<Vec<SocketAddr>>>();
                wait_for_lookup(never, "hangs.test:80".to_string(), connect_timeout, deadline)
            });
            let _ = tx.send(result.expect("the green thread did not panic"));
        });
        rx.recv_timeout(Duration::from_secs(5))
            .expect("a hanging DNS lookup must be bounded, not wait forever")
    }

    // Why: every network wait needs a bound; a resolver that never answers
    // must end in the connect phase's timeout, like the TCP handshake.
    #[test]
    fn a_hanging_name_lookup_times_out_in_the_connect_phase() {
        let start = Instant::now();
        let result = wait_for_a_hanging_lookup(Duration::from_millis(50), Duration::from_secs(30));
        assert!(
            matches!(result, Err(Error::Timeout(Phase::Connect))),
            "{result:?}"
        );
        assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
    }

    // Why: the lookup counts against the whole-request budget too, so a
    // short request_timeout also ends it (reported as Phase::Total).
    #[test]
    fn a_hanging_name_lookup_is_counted_in_the_request_deadline() {
        let result = wait_for_a_hanging_lookup(Duration::from_secs(30), Duration::from_millis(50));
        assert!(matches!(result, Err(Error::Timeout(Phase::Total))), "{result:?}");
    }
}
