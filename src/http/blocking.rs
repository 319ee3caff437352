//! A blocking HTTP/1.1 client on `std::net`, driving the same sans-I/O core.
//!
//! **Concept.** This is the "one thread waits per request" way of doing
//! HTTP, the baseline the coroutine version is compared with (fetch_pages'
//! `sequential` and `threads` strategies). The protocol work is done by
//! [`ResponseReader`] and [`encode_request`], exactly as in the async client;
//! only the waiting differs: here a thread sleeps inside `read(2)` with an OS
//! socket timeout, there a task is parked until the reactor wakes it.
//!
//! Every wait is bounded:
//! - name resolution: `connect_timeout` (the system resolver blocks and cannot
//!   be interrupted, so it runs on a helper thread and we stop waiting for it);
//! - connect: `connect_timeout` per resolved address;
//! - each read and write: `read_timeout`, the longest silence allowed;
//! - the whole request: `request_timeout` (connect + write + read, retry included).
//!
//! Keep-alive: after a response whose framing allows it, the socket goes
//! back to an idle pool keyed by `host:port`. On checkout a pooled socket is
//! tested with a non-blocking `peek`: EOF (the server closed it) or unexpected
//! bytes mean it is discarded. Idle sockets older than `pool_idle_timeout` are
//! dropped. If an idempotent request on a *reused* socket fails before any
//! response byte arrives (the server closed it while we were writing), it is
//! retried once on a fresh connection, never more.
//!
//! This client does not limit how many connections are open at once: the
//! number of threads using it already does.
//!
//! **Where.** [`Client::send`] is the whole story: `checkout` or `connect`,
//! then `exchange` (write, read into the reader's buffer, collect the body),
//! then `checkin`.
//!
//! **In the debugger.** Break in `exchange` and watch `reader` consume each
//! read; break in `checkout` to see why a pooled socket is kept or dropped.
//!
//! ```no_run
//! let client = corolab::http::blocking::Client::new();
//! let response = client.get("http://127.0.0.1:8080/pages/1")?;
//! println!("{} {}", response.status(), response.text()?);
//! # Ok::<(), corolab::http::Error>(())
//! ```

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use super::deadline::bounded_wait;
use super::error::{Error, Phase};
use super::reader::{Event, Limits, ResponseReader};
use super::request::{Request, encode_request};
use super::response::Response;
use super::url::Url;

/// Settings of a blocking [`Client`]; see [`ClientBuilder`] for the meaning of each.
#[derive(Debug, Clone)]
struct Config {
    connect_timeout: Duration,
    read_timeout: Duration,
    request_timeout: Duration,
    pool_idle_timeout: Duration,
    max_idle_per_host: usize,
    limits: Limits,
}

/// Configures a blocking [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    config: Config,
}

impl Default for ClientBuilder {
    fn default() -> ClientBuilder {
        ClientBuilder {
            config: Config {
                connect_timeout: Duration::from_secs(10),
                read_timeout: Duration::from_secs(30),
                request_timeout: Duration::from_secs(30),
                pool_idle_timeout: Duration::from_secs(4),
                max_idle_per_host: 32,
                limits: Limits::default(),
            },
        }
    }
}

impl ClientBuilder {
    /// Longest wait for a TCP connection to be established (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.config.connect_timeout = timeout;
        self
    }

    /// Longest silence between bytes, reading or writing (default 30 s).
    pub fn read_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.config.read_timeout = timeout;
        self
    }

    /// Longest time for a whole request, connect and retry included (default 30 s).
    pub fn request_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.config.request_timeout = timeout;
        self
    }

    /// Idle pooled connections older than this are closed (default 4 s,
    /// below the 5 s keep-alive timeout of common servers such as Apache httpd and Node).
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.config.pool_idle_timeout = timeout;
        self
    }

    /// Most idle connections kept per `host:port` (default 32; 0 disables keep-alive).
    pub fn max_idle_per_host(mut self, count: usize) -> ClientBuilder {
        self.config.max_idle_per_host = count;
        self
    }

    /// Largest response head in bytes (default 64 KiB).
    pub fn max_head_bytes(mut self, bytes: usize) -> ClientBuilder {
        self.config.limits.max_head_bytes = bytes;
        self
    }

    /// Most header lines in a response (default 100).
    pub fn max_headers(mut self, count: usize) -> ClientBuilder {
        self.config.limits.max_headers = count;
        self
    }

    /// Largest response body in bytes (default 16 MiB).
    pub fn max_body_bytes(mut self, bytes: u64) -> ClientBuilder {
        self.config.limits.max_body_bytes = bytes;
        self
    }

    /// Build the client.
    pub fn build(self) -> Client {
        Client {
            inner: Arc::new(Inner {
                config: self.config,
                pool: Mutex::new(HashMap::new()),
            }),
        }
    }
}

/// A blocking HTTP/1.1 client with a keep-alive pool. Cheap to clone; clones
/// share the pool, and it can be used from many threads at once.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    pool: Mutex<HashMap<String, Vec<IdleConnection>>>,
}

/// An open socket and its reader's buffer (allocated once per connection).
#[derive(Debug)]
struct Connection {
    stream: TcpStream,
    read_buf: Vec<u8>,
}

#[derive(Debug)]
struct IdleConnection {
    connection: Connection,
    since: Instant,
}

/// Why an exchange failed, and whether any response byte had arrived (for the retry rule).
struct Failure {
    error: Error,
    response_bytes: usize,
}

impl Default for Client {
    fn default() -> Client {
        Client::new()
    }
}

impl Client {
    /// A client with the default settings.
    pub fn new() -> Client {
        ClientBuilder::default().build()
    }

    /// Start configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// `GET url`.
    pub fn get(&self, url: &str) -> Result<Response, Error> {
        self.request("GET", url).send()
    }

    /// Start a request with any method; add headers, query and body, then `send()`.
    pub fn request(&self, method: &str, url: &str) -> RequestBuilder<'_> {
        RequestBuilder {
            client: self,
            request: Url::parse(url).map(|url| Request::new(method, url)),
            timeout: None,
        }
    }

    /// Number of idle pooled connections (all hosts).
    pub fn idle_connections(&self) -> usize {
        let pool = self.inner.pool.lock().unwrap_or_else(|e| e.into_inner());
        pool.values().map(Vec::len).sum()
    }

    /// Send a request and read the whole response.
    pub fn send(&self, request: Request) -> Result<Response, Error> {
        self.send_within(request, self.inner.config.request_timeout)
    }

    /// Send a request with its own whole-request time budget (instead of `request_timeout`).
    pub fn send_within(&self, request: Request, budget: Duration) -> Result<Response, Error> {
        let deadline = crate::time::deadline_after(budget);
        let bytes = encode_request(&request)?;
        let key = request.url.authority_str();
        let (connection, reused) = match self.checkout(key) {
            Some(connection) => (connection, true),
            None => (self.connect(&request.url, deadline)?, false),
        };
        match self.exchange(connection, &request, &bytes, deadline) {
            Ok(response) => Ok(response),
            Err(failure) if reused && should_retry(&request, &failure) => {
                let connection = self.connect(&request.url, deadline)?;
                self.exchange(connection, &request, &bytes, deadline)
                    .map_err(|failure| failure.error)
            }
            Err(failure) => Err(failure.error),
        }
    }

    /// Write the request, read into the reader's buffer, collect the response,
    /// and return the socket to the pool if the framing allows it.
    fn exchange(
        &self,
        mut connection: Connection,
        request: &Request,
        bytes: &[u8],
        deadline: Instant,
    ) -> Result<Response, Failure> {
        let config = &self.inner.config;
        let fail = |error, response_bytes| Failure {
            error,
            response_bytes,
        };
        write_all_bounded(&mut connection.stream, bytes, config.read_timeout, deadline)
            .map_err(|e| fail(e, 0))?;
        let buffer = std::mem::take(&mut connection.read_buf);
        let mut reader = ResponseReader::with_buffer(config.limits, request.is_head(), buffer);
        let mut head = None;
        let mut body = Vec::new();
        loop {
            let event = match reader.next_event_into(&mut body) {
                Ok(event) => event,
                Err(error) => return Err(fail(error, reader.bytes_received())),
            };
            match event {
                Some(Event::Head(h)) => head = Some(h),
                Some(Event::Data(_)) => {} // next_event_into appends body data to `body` instead
                Some(Event::End { reusable }) => {
                    if reusable && request.wants_keep_alive() {
                        connection.read_buf = reader.into_buffer();
                        self.checkin(request.url.authority_str(), connection);
                    }
                    let head = head.expect("the reader yields Head before End");
                    return Ok(Response::new(head, body));
                }
                None => {
                    let room = reader.read_buffer();
                    match read_bounded(&mut connection.stream, room, config.read_timeout, deadline) {
                        Ok(0) => reader.feed_eof(),
                        Ok(n) => reader.filled(n),
                        Err(error) => return Err(fail(error, reader.bytes_received())),
                    }
                }
            }
        }
    }

    /// Take a live idle connection for `key`, dropping stale or dead ones.
    fn checkout(&self, key: &str) -> Option<Connection> {
        let mut pool = self.inner.pool.lock().unwrap_or_else(|e| e.into_inner());
        let idle = pool.get_mut(key)?;
        while let Some(entry) = idle.pop() {
            let fresh = entry.since.elapsed() < self.inner.config.pool_idle_timeout;
            if fresh && still_open(&entry.connection.stream) {
                return Some(entry.connection);
            }
        }
        None
    }

    /// Put a connection back in the pool (closing it if the pool is full).
    fn checkin(&self, key: &str, connection: Connection) {
        let config = &self.inner.config;
        let entry = IdleConnection {
            connection,
            since: Instant::now(),
        };
        let mut pool = self.inner.pool.lock().unwrap_or_else(|e| e.into_inner());
        match pool.get_mut(key) {
            Some(idle) => {
                idle.retain(|conn| conn.since.elapsed() < config.pool_idle_timeout);
                if idle.len() < config.max_idle_per_host {
                    idle.push(entry);
                }
            }
            None if config.max_idle_per_host > 0 => {
                pool.insert(key.to_string(), vec![entry]);
            }
            None => {}
        }
    }

    /// Resolve and connect, trying each address in turn, within both timeouts.
    fn connect(&self, url: &Url, deadline: Instant) -> Result<Connection, Error> {
        let addrs = resolve(url, self.inner.config.connect_timeout, deadline)?;
        let mut last_error = None;
        for addr in addrs {
            let (wait, phase) = bounded_wait(self.inner.config.connect_timeout, Phase::Connect, deadline)?;
            match TcpStream::connect_timeout(&addr, wait) {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    return Ok(Connection {
                        stream,
                        read_buf: Vec::new(),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::TimedOut => last_error = Some(Error::Timeout(phase)),
                Err(source) => {
                    last_error = Some(Error::Connect {
                        addr: addr.to_string(),
                        source,
                    })
                }
            }
        }
        Err(last_error.unwrap_or_else(|| Error::Connect {
            addr: url.authority(),
            source: io::Error::new(io::ErrorKind::NotFound, "name resolved to no address"),
        }))
    }
}

/// Builds a request for a blocking [`Client`]; errors (bad URL, bad header)
/// are kept and reported by [`RequestBuilder::send`].
#[derive(Debug)]
pub struct RequestBuilder<'a> {
    client: &'a Client,
    request: Result<Request, Error>,
    timeout: Option<Duration>,
}

impl RequestBuilder<'_> {
    /// Add a request header (checked when the request is encoded).
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        if let Ok(request) = &mut self.request {
            request.headers.push((name.to_string(), value.as_ref().to_vec()));
        }
        self
    }

    /// Add a percent-encoded query parameter.
    pub fn query(mut self, key: &str, value: &str) -> Self {
        if let Ok(request) = &mut self.request {
            request.url.append_query(key, value);
        }
        self
    }

    /// Set the body (sent with `Content-Length`).
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        if let Ok(request) = &mut self.request {
            request.body = body.into();
        }
        self
    }

    /// Bound this request by `budget` instead of the client's `request_timeout`.
    pub fn timeout(mut self, budget: Duration) -> Self {
        self.timeout = Some(budget);
        self
    }

    /// Send the request and read the whole response.
    pub fn send(self) -> Result<Response, Error> {
        let budget = self.timeout.unwrap_or(self.client.inner.config.request_timeout);
        self.client.send_within(self.request?, budget)
    }
}

/// The retry-once rule: only idempotent requests, only when the connection
/// turned out to be dead before the server sent a single byte.
fn should_retry(request: &Request, failure: &Failure) -> bool {
    request.is_idempotent() && failure.response_bytes == 0 && failure.error.is_connection_closed()
}

/// IP literals need no lookup; host names go to the OS resolver on a helper
/// thread, and we wait for its answer at most `connect_timeout` (or what is
/// left of the request).
fn resolve(url: &Url, connect_timeout: Duration, deadline: Instant) -> Result<Vec<SocketAddr>, Error> {
    if let Ok(ip) = url.host().parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, url.port())]);
    }
    let authority = url.authority();
    let lookup = {
        let authority = authority.clone();
        move || authority.to_socket_addrs().map(Vec::from_iter)
    };
    resolve_bounded(&authority, lookup, connect_timeout, deadline)
}

/// Run `lookup` on a helper thread and wait for it within the connect bound.
/// `getaddrinfo` cannot be cancelled: on timeout the thread is left to finish
/// on its own and its answer is dropped (the channel's receiver is gone).
fn resolve_bounded(
    authority: &str,
    lookup: impl FnOnce() -> io::Result<Vec<SocketAddr>> + Send + 'static,
    connect_timeout: Duration,
    deadline: Instant,
) -> Result<Vec<SocketAddr>, Error> {
    let (wait, phase) = bounded_wait(connect_timeout, Phase::Connect, deadline)?;
    let (answer, receive) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("corolab-resolve".into())
        .spawn(move || {
            let _ = answer.send(lookup()); // the receiver may have given up: fine
        })
        .map_err(Error::Io)?;
    let connect_error = |source| Error::Connect {
        addr: authority.to_string(),
        source,
    };
    match receive.recv_timeout(wait) {
        Ok(Ok(addrs)) => Ok(addrs),
        Ok(Err(source)) => Err(connect_error(source)),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(Error::Timeout(phase)),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err(connect_error(io::Error::other("the resolver thread panicked")))
        }
    }
}

fn read_bounded(
    stream: &mut TcpStream,
    buf: &mut [u8],
    silence: Duration,
    deadline: Instant,
) -> Result<usize, Error> {
    loop {
        let (wait, phase) = bounded_wait(silence, Phase::Read, deadline)?;
        stream.set_read_timeout(Some(wait)).map_err(Error::Io)?;
        match stream.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::from_io(e, phase)),
        }
    }
}

fn write_all_bounded(
    stream: &mut TcpStream,
    mut bytes: &[u8],
    silence: Duration,
    deadline: Instant,
) -> Result<(), Error> {
    while !bytes.is_empty() {
        let (wait, phase) = bounded_wait(silence, Phase::Write, deadline)?;
        stream.set_write_timeout(Some(wait)).map_err(Error::Io)?;
        match stream.write(bytes) {
            Ok(0) => return Err(Error::from_io(io::ErrorKind::WriteZero.into(), phase)),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::from_io(e, phase)),
        }
    }
    Ok(())
}

/// A pooled socket is usable only if a non-blocking peek finds nothing to
/// read: `Ok(0)` means the server closed it, bytes mean it sent something we
/// never asked for.
fn still_open(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let mut probe = [0u8; 1];
    let alive = matches!(stream.peek(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
    alive && stream.set_nonblocking(false).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // A resolver that never answers must not hang the request: the wait is the connect timeout.
    #[test]
    fn a_hanging_name_lookup_is_bounded_by_the_connect_timeout() {
        let hang = || {
            std::thread::sleep(Duration::from_secs(3));
            Ok(Vec::new())
        };
        let started = Instant::now();
        let deadline = started + Duration::from_secs(30);
        let err = resolve_bounded("slow.invalid:80", hang, Duration::from_millis(100), deadline).unwrap_err();
        assert!(matches!(err, Error::Timeout(Phase::Connect)), "{err:?}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    // The request budget bounds the lookup too, and says so.
    #[test]
    fn a_name_lookup_past_the_request_budget_is_a_total_timeout() {
        let hang = || {
            std::thread::sleep(Duration::from_secs(3));
            Ok(Vec::new())
        };
        let deadline = Instant::now() + Duration::from_millis(100);
        let err = resolve_bounded("slow.invalid:80", hang, Duration::from_secs(10), deadline).unwrap_err();
        assert!(matches!(err, Error::Timeout(Phase::Total)), "{err:?}");
    }

    // A resolver failure is a Connect error naming what was looked up.
    #[test]
    fn a_failed_name_lookup_is_a_connect_error() {
        let fail = || Err(io::Error::new(io::ErrorKind::NotFound, "no such host"));
        let deadline = Instant::now() + Duration::from_secs(5);
        let err = resolve_bounded("nowhere.invalid:80", fail, Duration::from_secs(1), deadline).unwrap_err();
        assert!(
            matches!(err, Error::Connect { ref addr, .. } if addr == "nowhere.invalid:80"),
            "{err:?}"
        );
    }
}
