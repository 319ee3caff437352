//! The async HTTP/1.1 client on corolab's own sockets, timers and semaphore.
//!
//! **Concept.** The same [`ResponseReader`] as the blocking client, driven by
//! a task instead of a thread: a read that would block parks the task and the
//! reactor wakes it when bytes arrive, so one thread can keep a hundred
//! requests in flight (the aiohttp `TCPConnector(limit=100)` story).
//!
//! **The pool.** Each live connection holds a slot of `max_connections`
//! (and of `max_connections_per_host`, if set); requests beyond the limit
//! wait in one FIFO queue. The rules are in `pool.rs`.
//!
//! **Timeouts.** `request_timeout` bounds the whole request *including the
//! wait for a pool slot* (a timeout there is [`Phase::Pool`]), the connect,
//! and the one retry. `connect_timeout` bounds each connect attempt and
//! `read_timeout` each read and each write (the longest silence).
//!
//! **Retry once.** An idempotent request sent on a *reused* connection that
//! fails before a single response byte (the server closed it as we wrote) is
//! sent again on a fresh connection, once.
//!
//! **Where.** [`Client::send`] is the whole path: `wait_for_connection`
//! (`pool.rs`: checkout, or a slot and `connect`), `exchange` (the shared
//! [`Exchange`] loop, each read and write an awaited socket operation under a
//! timer), `checkin` (`pool.rs`). The retry rule is `Failure::retry_or_error`
//! (`exchange.rs`), settings and the request builder are `builder.rs` (the async client's
//! additions: `client_builder.rs`), name
//! resolution and the connect loop `connect.rs`: shared with the other clients.
//!
//! **In the debugger.** Break in `Pool::checkin` and print `self.waiters` to
//! see who gets a finished connection; break in `exchange` to watch each read.
//! `COROLAB_TRACE=1` shows the task parking on reads.
//!
//! ```no_run
//! corolab::block_on(async {
//!     let client = corolab::http::Client::new();
//!     let response = client.get("http://127.0.0.1:8080/pages/1").await?;
//!     println!("{}", response.text()?);
//!     let search = client
//!         .request("POST", "http://127.0.0.1:8080/search")
//!         .query("q", "coroutines")
//!         .header("Accept", "application/json")
//!         .body("{}")
//!         .await?;
//!     println!("{}", search.status());
//!     Ok::<(), corolab::http::Error>(())
//! })
//! .unwrap();
//! ```

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::client_builder::{ClientBuilder, RequestBuilder};
use super::connect::{Attempts, Resolve, lookup_answer, resolve_plan};
use super::deadline::Wait;
use super::error::Error;
use super::exchange::{Exchange, Failure, Next};
use super::pool::{Connection, Pool};
use super::request::{Request, encode_request};
use super::response::Response;
use super::url::Url;
use crate::net::TcpStream;
use crate::time::timeout;

/// An async HTTP/1.1 client with a keep-alive pool. Cheap to clone (clones
/// share the pool); `!Send`, like every corolab network type: use it on the
/// runtime thread it was first used on.
///
/// # Examples
///
/// ```
/// # let server = corolab_server::spawn_echo();
/// # let url = server.url(); // a local server that echoes the request line
/// use corolab::http::Client;
///
/// corolab::block_on(async {
///     let client = Client::new();
///     assert_eq!(client.get(url).await?.text()?, "GET /");
///     assert_eq!(client.idle_connections(), 1); // kept alive for the next request
///     Ok::<(), corolab::http::Error>(())
/// })
/// .unwrap();
/// ```
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub(super) pool: Rc<Pool>,
}

impl Client {
    /// A client with the default settings.
    ///
    /// # Examples
    ///
    /// ```
    /// let client = corolab::http::Client::new();
    /// assert_eq!(client.idle_connections(), 0); // the pool fills on first use
    /// ```
    pub fn new() -> Client {
        ClientBuilder::default().build()
    }

    /// Start configuring a client.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::http::{Client, ClientBuilder};
    ///
    /// let builder: ClientBuilder = Client::builder();
    /// let client = builder.max_connections(4).build();
    /// # let _ = client;
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// `GET url`; await it directly or add headers and query parameters first.
    ///
    /// # Examples
    ///
    /// ```
    /// # let server = corolab_server::spawn_echo();
    /// # let url = server.url();
    /// # corolab::block_on(async {
    /// let client = corolab::http::Client::new();
    /// let response = client.get(&format!("{url}/hello")).await?;
    /// assert_eq!(response.text()?, "GET /hello");
    /// # Ok::<(), corolab::http::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn get(&self, url: &str) -> RequestBuilder<'_> {
        self.request("GET", url)
    }

    /// A request with any method; await it (or call `send`).
    ///
    /// # Examples
    ///
    /// ```
    /// # let server = corolab_server::spawn_echo();
    /// # let url = server.url();
    /// # corolab::block_on(async {
    /// let client = corolab::http::Client::new();
    /// let response = client.request("DELETE", &format!("{url}/orders/7")).await?;
    /// assert_eq!(response.text()?, "DELETE /orders/7");
    /// # Ok::<(), corolab::http::Error>(())
    /// # }).unwrap();
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
    /// # corolab::block_on(async {
    /// let client = corolab::http::Client::new();
    /// assert_eq!(client.idle_connections(), 0);
    /// client.get(server.url()).await?;
    /// assert_eq!(client.idle_connections(), 1); // back in the pool once the response is read
    /// # Ok::<(), corolab::http::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn idle_connections(&self) -> usize {
        self.pool.idle_count()
    }

    /// Send a request and read the whole response.
    ///
    /// # Examples
    ///
    /// ```
    /// # let server = corolab_server::spawn_echo();
    /// # corolab::block_on(async {
    /// use corolab::http::{Client, Request, Url};
    ///
    /// let request = Request::new("GET", Url::parse(server.url())?);
    /// assert_eq!(Client::new().send(request).await?.text()?, "GET /");
    /// # Ok::<(), corolab::http::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn send(&self, request: Request) -> Result<Response, Error> {
        self.send_within(request, self.pool.config.request_timeout).await
    }

    /// Send a request with its own whole-request time budget (instead of `request_timeout`).
    ///
    /// # Examples
    ///
    /// ```
    /// # let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap(); // never answers
    /// # let url = format!("http://{}", silent.local_addr().unwrap());
    /// # corolab::block_on(async {
    /// use corolab::http::{Client, Error, Phase, Request, Url};
    /// use std::time::Duration;
    ///
    /// let request = Request::new("GET", Url::parse(&url)?); // `url`: a server that never answers
    /// let silence = Client::new().send_within(request, Duration::from_millis(50)).await;
    /// assert!(matches!(silence, Err(Error::Timeout(Phase::Total))));
    /// # Ok::<(), Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn send_within(&self, request: Request, budget: Duration) -> Result<Response, Error> {
        let deadline = crate::time::deadline_after(budget);
        let bytes = encode_request(&request)?;
        let (key, url) = (request.url.authority_str(), &request.url);
        let (connection, reused) = self.wait_for_connection(key, url, deadline).await?;
        let failure = match self.exchange(connection, &request, &bytes, deadline).await {
            Ok(response) => return Ok(response),
            Err(failure) => failure,
        };
        failure.retry_or_error(&request, reused)?;
        let (connection, _) = self.fresh_connection(key, url, deadline, false).await?;
        let retried = self.exchange(connection, &request, &bytes, deadline).await;
        retried.map_err(|failure| failure.error)
    }

    /// Drive the shared [`Exchange`]: each write and read is an awaited socket
    /// operation under a timer. A reusable connection goes back to the pool.
    async fn exchange(
        &self,
        mut connection: Connection,
        request: &Request,
        bytes: &[u8],
        deadline: Instant,
    ) -> Result<Response, Failure> {
        let (limits, read_timeout) = (self.pool.config.limits, self.pool.config.read_timeout);
        let buffer = std::mem::take(&mut connection.read_buf);
        let mut exchange = Exchange::new(request, bytes, buffer, limits, read_timeout, deadline);
        loop {
            let stream = &connection.stream;
            let result = match exchange.next()? {
                Next::Write(bytes, wait) => bounded(wait, stream.write(bytes)).await,
                // Read straight into the reader's buffer: no copy on the way in.
                Next::Read(room, wait) => bounded(wait, stream.read(room)).await,
                Next::Done { response, reusable } => {
                    if reusable {
                        connection.read_buf = exchange.into_buffer();
                        self.pool.checkin(request.url.authority_str(), connection);
                    }
                    return Ok(response);
                }
            };
            exchange.completed(result)?;
        }
    }

    /// Resolve (host names on a helper thread) and connect: the shared
    /// [`Attempts`] loop, each attempt an awaited connect under a timer.
    pub(super) async fn connect(&self, url: &Url, deadline: Instant) -> Result<TcpStream, Error> {
        let connect_timeout = self.pool.config.connect_timeout;
        let addrs = resolve(url, connect_timeout, deadline).await?;
        let mut attempts = Attempts::new(addrs, url, connect_timeout, deadline);
        while let Some((addr, wait)) = attempts.next()? {
            match bounded(wait, TcpStream::connect_addr(addr)).await {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    return Ok(stream);
                }
                Err(e) => attempts.failed(addr, e)?,
            }
        }
        Err(attempts.into_error())
    }
}

/// The addresses of the URL's host; a host name is looked up on a helper
/// thread (`crate::net::resolve`) while the task waits under a timer.
async fn resolve(url: &Url, connect_timeout: Duration, deadline: Instant) -> Result<Vec<SocketAddr>, Error> {
    match resolve_plan(url, connect_timeout, deadline)? {
        Resolve::Literal(addrs) => Ok(addrs),
        Resolve::Lookup(wait) => {
            let answer = timeout(wait.limit, crate::net::resolve(url.host(), url.port())).await;
            lookup_answer(&url.authority(), answer.ok(), wait)
        }
    }
}

/// `operation`, given up after `wait.limit` (a timeout is `TimedOut`, which
/// the shared code turns into `Timeout(phase)`).
async fn bounded<T>(wait: Wait, operation: impl Future<Output = io::Result<T>>) -> io::Result<T> {
    match timeout(wait.limit, operation).await {
        Ok(result) => result,
        Err(_elapsed) => Err(io::ErrorKind::TimedOut.into()),
    }
}
