//! A blocking HTTP/1.1 client on `std::net`, driving the same sans-I/O core.
//!
//! **Concept.** This is the "one thread waits per request" way of doing
//! HTTP, the baseline the coroutine version is compared with (fetch_pages'
//! `sequential` and `threads` strategies). The protocol work is done by
//! [`ResponseReader`](super::ResponseReader) and [`encode_request`], exactly as
//! in the async client;
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
//! then `exchange` (the shared `Exchange` loop: each write and read is a
//! blocking call with an OS socket timeout), then `checkin`. The rest is
//! shared with the other clients: `builder.rs` (settings, request builder),
//! `exchange.rs` (the loop's decisions, the retry rule), `connect.rs`
//! (resolution and the connect loop).
//!
//! **In the debugger.** Break in `exchange` and step over `exchange.next()`
//! to see each read and write; break in `checkout` to see why a pooled
//! socket is kept or dropped.
//!
//! ```no_run
//! let client = corolab::http::blocking::Client::new();
//! let response = client.get("http://127.0.0.1:8080/pages/1")?;
//! println!("{} {}", response.status(), response.text()?);
//! # Ok::<(), corolab::http::Error>(())
//! ```

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use super::builder::{self, Config};
use super::connect::{Attempts, Resolve, lookup, lookup_answer, resolve_plan};
use super::deadline::{Wait, bounded_wait};
use super::error::{Error, Phase};
use super::exchange::{Exchange, Failure, Next};
use super::request::{Request, encode_request};
use super::response::Response;
use super::url::Url;

/// Configures a blocking [`Client`] (the builder shared with the async client).
pub type ClientBuilder = builder::ClientBuilder<Client>;

/// Builds a request for a blocking [`Client`]; errors (bad URL, bad header)
/// are kept and reported by `send`.
pub type RequestBuilder<'a> = builder::RequestBuilder<'a, Client>;

impl ClientBuilder {
    /// Most idle connections kept per `host:port` (default 32; 0 disables keep-alive).
    pub fn max_idle_per_host(mut self, count: usize) -> ClientBuilder {
        self.config.max_idle_per_host = count;
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

impl RequestBuilder<'_> {
    /// Send the request and read the whole response.
    pub fn send(self) -> Result<Response, Error> {
        let client = self.client;
        let (request, budget) = self.into_parts(client.inner.config.request_timeout)?;
        client.send_within(request, budget)
    }
}

/// A blocking HTTP/1.1 client with a keep-alive pool. Cheap to clone; clones
/// share the pool, and it can be used from many threads at once.
///
/// # Examples
///
/// ```
/// # let server = corolab_server::spawn_echo();
/// # let url = server.url().to_string();
/// let client = corolab::http::blocking::Client::new();
/// let other = client.clone(); // the same pool, on another thread
/// let answer = std::thread::spawn(move || other.get(&url).and_then(|r| r.text()));
/// assert_eq!(answer.join().unwrap()?, "GET /");
/// assert_eq!(client.idle_connections(), 1); // the thread's connection came back here
/// # Ok::<(), corolab::http::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
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

impl Client {
    /// A client with the default settings.
    ///
    /// # Examples
    ///
    /// ```
    /// let client = corolab::http::blocking::Client::new();
    /// assert_eq!(client.idle_connections(), 0); // no connection is opened before a request
    /// ```
    pub fn new() -> Client {
        ClientBuilder::default().build()
    }

    /// Start configuring a client.
    ///
    /// # Examples
    ///
    /// ```
    /// # let server = corolab_server::spawn_echo();
    /// let client = corolab::http::blocking::Client::builder().max_idle_per_host(0).build();
    /// client.get(server.url())?;
    /// assert_eq!(client.idle_connections(), 0); // keep-alive is off: the socket was closed
    /// # Ok::<(), corolab::http::Error>(())
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// `GET url`.
    ///
    /// # Examples
    ///
    /// ```
    /// # let server = corolab_server::spawn_echo();
    /// # let url = server.url();
    /// let client = corolab::http::blocking::Client::new();
    /// let response = client.get(&format!("{url}/pages/1"))?; // this thread waits in read(2)
    /// assert_eq!((response.status(), response.text()?.as_str()), (200, "GET /pages/1"));
    /// # Ok::<(), corolab::http::Error>(())
    /// ```
    pub fn get(&self, url: &str) -> Result<Response, Error> {
        self.request("GET", url).send()
    }

    /// Start a request with any method; add headers, query and body, then `send()`.
    ///
    /// # Examples
    ///
    /// ```
    /// # let server = corolab_server::spawn_echo();
    /// # let url = server.url();
    /// let client = corolab::http::blocking::Client::new();
    /// let response = client.request("PUT", &format!("{url}/orders/7")).body("paid").send()?;
    /// assert_eq!(response.text()?, "PUT /orders/7\npaid"); // the echo server's answer
    /// # Ok::<(), corolab::http::Error>(())
    /// ```
    pub fn request(&self, method: &str, url: &str) -> RequestBuilder<'_> {
        RequestBuilder::new(self, method, url)
    }

    /// Number of idle pooled connections (all hosts).
    ///
    /// # Examples
    ///
    /// ```
    /// # let server = corolab_server::spawn_echo();
    /// let client = corolab::http::blocking::Client::new();
    /// client.get(server.url())?;
    /// client.get(server.url())?; // reuses the socket the first request left in the pool
    /// assert_eq!(client.idle_connections(), 1);
    /// # Ok::<(), corolab::http::Error>(())
    /// ```
    pub fn idle_connections(&self) -> usize {
        let pool = self.inner.pool.lock().unwrap_or_else(|e| e.into_inner());
        pool.values().map(Vec::len).sum()
    }

    /// Send a request and read the whole response.
    ///
    /// # Examples
    ///
    /// ```
    /// # let server = corolab_server::spawn_echo();
    /// use corolab::http::{Request, Url, blocking::Client};
    ///
    /// let request = Request::new("HEAD", Url::parse(server.url())?);
    /// let response = Client::new().send(request)?;
    /// assert_eq!((response.status(), response.text()?.as_str()), (200, "")); // HEAD: no body
    /// # Ok::<(), corolab::http::Error>(())
    /// ```
    pub fn send(&self, request: Request) -> Result<Response, Error> {
        self.send_within(request, self.inner.config.request_timeout)
    }

    /// Send a request with its own whole-request time budget (instead of `request_timeout`).
    ///
    /// # Examples
    ///
    /// ```
    /// # let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap(); // never answers
    /// # let url = format!("http://{}", silent.local_addr().unwrap());
    /// use corolab::http::{Error, Phase, Request, Url, blocking::Client};
    /// use std::time::Duration;
    ///
    /// let request = Request::new("GET", Url::parse(&url)?); // a server that accepts, then says nothing
    /// let silence = Client::new().send_within(request, Duration::from_millis(50));
    /// assert!(matches!(silence, Err(Error::Timeout(Phase::Total))));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn send_within(&self, request: Request, budget: Duration) -> Result<Response, Error> {
        let deadline = crate::time::deadline_after(budget);
        let bytes = encode_request(&request)?;
        let (connection, reused) = match self.checkout(request.url.authority_str()) {
            Some(connection) => (connection, true),
            None => (self.connect(&request.url, deadline)?, false),
        };
        let failure = match self.exchange(connection, &request, &bytes, deadline) {
            Ok(response) => return Ok(response),
            Err(failure) => failure,
        };
        failure.retry_or_error(&request, reused)?;
        let connection = self.connect(&request.url, deadline)?;
        self.exchange(connection, &request, &bytes, deadline)
            .map_err(|failure| failure.error)
    }

    /// Drive the shared [`Exchange`] with blocking calls (each bounded by an
    /// OS socket timeout); return the socket to the pool if it may be reused.
    fn exchange(
        &self,
        mut connection: Connection,
        request: &Request,
        bytes: &[u8],
        deadline: Instant,
    ) -> Result<Response, Failure> {
        let config = &self.inner.config;
        let buffer = std::mem::take(&mut connection.read_buf);
        let mut exchange = Exchange::new(
            request,
            bytes,
            buffer,
            config.limits,
            config.read_timeout,
            deadline,
        );
        let stream = &mut connection.stream;
        loop {
            let result = match exchange.next()? {
                Next::Write(bytes, wait) => stream
                    .set_write_timeout(Some(wait.limit))
                    .and_then(|()| stream.write(bytes)),
                Next::Read(room, wait) => stream
                    .set_read_timeout(Some(wait.limit))
                    .and_then(|()| stream.read(room)),
                Next::Done { response, reusable } => {
                    if reusable {
                        connection.read_buf = exchange.into_buffer();
                        self.checkin(request.url.authority_str(), connection);
                    }
                    return Ok(response);
                }
            };
            exchange.completed(result)?;
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

    /// Resolve and connect (the shared [`Attempts`] loop, each attempt a blocking `connect_timeout`).
    fn connect(&self, url: &Url, deadline: Instant) -> Result<Connection, Error> {
        let config = &self.inner.config;
        let addrs = resolve(url, config.connect_timeout, deadline)?;
        let mut attempts = Attempts::new(addrs, url, config.connect_timeout, deadline);
        while let Some((addr, wait)) = attempts.next()? {
            match TcpStream::connect_timeout(&addr, wait.limit) {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    let read_buf = Vec::new();
                    return Ok(Connection { stream, read_buf });
                }
                Err(e) => attempts.failed(addr, e)?,
            }
        }
        Err(attempts.into_error())
    }
}

/// The addresses of the URL's host; a host name is looked up on a helper thread.
fn resolve(url: &Url, connect_timeout: Duration, deadline: Instant) -> Result<Vec<SocketAddr>, Error> {
    match resolve_plan(url, connect_timeout, deadline)? {
        Resolve::Literal(addrs) => Ok(addrs),
        Resolve::Lookup(_) => {
            let authority = url.authority();
            let host = authority.clone();
            resolve_bounded(&authority, move || lookup(&host), connect_timeout, deadline)
        }
    }
}

/// Run `lookup` on a helper thread and wait for its answer within the connect bound.
fn resolve_bounded(
    authority: &str,
    lookup: impl FnOnce() -> io::Result<Vec<SocketAddr>> + Send + 'static,
    connect_timeout: Duration,
    deadline: Instant,
) -> Result<Vec<SocketAddr>, Error> {
    let wait = bounded_wait(connect_timeout, Phase::Connect, deadline)?;
    lookup_answer(authority, wait_for_lookup(lookup, wait), wait)
}

/// Run `lookup` on a helper thread and wait for it at most `wait`; `None` if it
/// did not answer in time. `getaddrinfo` cannot be cancelled: the thread is
/// left to finish on its own and its answer is dropped (the receiver is gone).
fn wait_for_lookup(
    lookup: impl FnOnce() -> io::Result<Vec<SocketAddr>> + Send + 'static,
    wait: Wait,
) -> Option<io::Result<Vec<SocketAddr>>> {
    let (answer, receive) = mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("corolab-resolve".into())
        .spawn(move || {
            let _ = answer.send(lookup()); // the receiver may have given up: fine
        });
    if let Err(e) = spawned {
        return Some(Err(e));
    }
    match receive.recv_timeout(wait.limit) {
        Ok(result) => Some(result),
        Err(mpsc::RecvTimeoutError::Timeout) => None,
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Some(Err(io::Error::other("the resolver thread panicked")))
        }
    }
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
