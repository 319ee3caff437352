//! The settings and the request builder both clients share.
//!
//! **Concept.** `ClientBuilder<C>` and `RequestBuilder<'a, C>` are written
//! once, for either client: `C` is [`Client`] (the async one, the default) or
//! [`blocking::Client`]. The methods every client has (timeouts, limits;
//! headers, query, body) live in `impl<C>` blocks here; what only one client
//! has (`max_connections`, `max_idle_per_host`, how `send` waits) lives beside
//! that client. No trait: the type parameter only says which `build` and
//! `send` apply.
//!
//! **Where.** [`ClientBuilder`] and its [`Config`]; [`RequestBuilder`].
//!
//! **In the debugger.** `print self.config` in any builder method.
//!
//! [`Client`]: super::Client
//! [`blocking::Client`]: super::blocking::Client

use std::marker::PhantomData;
use std::time::Duration;

use super::error::Error;
use super::reader::Limits;
use super::request::Request;
use super::url::Url;

/// Every client setting (each client reads the ones it has).
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Async: most live connections (busy or idle).
    pub(crate) max_connections: usize,
    /// Async: most live connections to one `host:port`.
    pub(crate) max_connections_per_host: Option<usize>,
    /// Blocking: most idle connections kept per `host:port`.
    pub(crate) max_idle_per_host: usize,
    pub(crate) connect_timeout: Duration,
    pub(crate) read_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) pool_idle_timeout: Duration,
    pub(crate) limits: Limits,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_connections: 100,
            max_connections_per_host: None,
            max_idle_per_host: 32,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            pool_idle_timeout: Duration::from_secs(4),
            limits: Limits::default(),
        }
    }
}

/// Configures a client: [`Client::builder`](super::Client::builder) or
/// [`blocking::Client::builder`](super::blocking::Client::builder).
///
/// # Examples
///
/// ```
/// use corolab::http::{Client, blocking};
/// use std::time::Duration;
///
/// let five = Duration::from_secs(5);
/// let async_client: Client = Client::builder().read_timeout(five).build();
/// let blocking_client: blocking::Client = blocking::Client::builder().read_timeout(five).build();
/// # let _ = (async_client, blocking_client);
/// ```
#[derive(Debug)]
pub struct ClientBuilder<C = super::Client> {
    pub(crate) config: Config,
    client: PhantomData<fn() -> C>,
}

impl<C> Default for ClientBuilder<C> {
    fn default() -> Self {
        ClientBuilder::with_config(Config::default())
    }
}

impl<C> Clone for ClientBuilder<C> {
    fn clone(&self) -> Self {
        ClientBuilder::with_config(self.config.clone())
    }
}

impl<C> ClientBuilder<C> {
    pub(crate) fn with_config(config: Config) -> ClientBuilder<C> {
        ClientBuilder {
            config,
            client: PhantomData,
        }
    }

    /// Longest wait for one connect attempt, and for a host-name lookup (default 10 s).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let builder = corolab::http::Client::builder().connect_timeout(Duration::from_millis(500));
    /// assert!(format!("{builder:?}").contains("connect_timeout: 500ms"));
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// Longest silence while reading, or stall while writing (default 30 s).
    ///
    /// # Examples
    ///
    /// ```
    /// # let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap(); // never answers
    /// # let url = format!("http://{}", silent.local_addr().unwrap());
    /// # corolab::block_on(async {
    /// use corolab::http::{Client, Error, Phase};
    /// use std::time::Duration;
    ///
    /// let client = Client::builder().read_timeout(Duration::from_millis(50)).build();
    /// let silence = client.get(&url).await; // `url`: a server that never answers
    /// assert!(matches!(silence, Err(Error::Timeout(Phase::Read))));
    /// # });
    /// ```
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.config.read_timeout = timeout;
        self
    }

    /// Longest time for a whole request: pool wait, connect, retry included (default 30 s).
    ///
    /// # Examples
    ///
    /// ```
    /// # let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap(); // never answers
    /// # let url = format!("http://{}", silent.local_addr().unwrap());
    /// # corolab::block_on(async {
    /// use corolab::http::{Client, Error, Phase};
    /// use std::time::Duration;
    ///
    /// let client = Client::builder().request_timeout(Duration::from_millis(50)).build();
    /// let silence = client.get(&url).await; // `url`: a server that never answers
    /// assert!(matches!(silence, Err(Error::Timeout(Phase::Total))));
    /// # });
    /// ```
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.config.request_timeout = timeout;
        self
    }

    /// Idle connections older than this are closed (default 4 s, below the
    /// 5 s keep-alive timeout of common servers such as Apache httpd and Node).
    ///
    /// # Examples
    ///
    /// ```
    /// # let server = corolab_server::spawn_echo();
    /// # let url = server.url();
    /// # corolab::block_on(async {
    /// let client = corolab::http::Client::builder().pool_idle_timeout(std::time::Duration::ZERO).build();
    /// client.get(url).await?;
    /// client.get(url).await?; // the idle connection had already expired: a new one
    /// assert_eq!(server.stats().accepted, 2);
    /// # Ok::<(), corolab::http::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.pool_idle_timeout = timeout;
        self
    }

    /// Largest response head in bytes (default 64 KiB).
    ///
    /// # Examples
    ///
    /// ```
    /// # let server = corolab_server::spawn_echo();
    /// # corolab::block_on(async {
    /// use corolab::http::{Client, Error};
    ///
    /// let client = Client::builder().max_head_bytes(16).build();
    /// let response = client.get(server.url()).await; // a 38-byte head
    /// assert!(matches!(response, Err(Error::HeadTooLarge { limit: 16 })));
    /// # });
    /// ```
    pub fn max_head_bytes(mut self, bytes: usize) -> Self {
        self.config.limits.max_head_bytes = bytes;
        self
    }

    /// Most header lines in a response (default 100).
    ///
    /// # Examples
    ///
    /// ```
    /// # let server = corolab_server::spawn_echo();
    /// # corolab::block_on(async {
    /// use corolab::http::{Client, Error};
    ///
    /// let client = Client::builder().max_headers(0).build();
    /// let response = client.get(server.url()).await; // it has a Content-Length header
    /// assert!(matches!(response, Err(Error::TooManyHeaders { limit: 0 })));
    /// # });
    /// ```
    pub fn max_headers(mut self, count: usize) -> Self {
        self.config.limits.max_headers = count;
        self
    }

    /// Largest response body in bytes (default 16 MiB).
    ///
    /// # Examples
    ///
    /// ```
    /// # let server = corolab_server::spawn_echo();
    /// # corolab::block_on(async {
    /// use corolab::http::{Client, Error};
    ///
    /// let client = Client::builder().max_body_bytes(3).build();
    /// let response = client.get(server.url()).await; // the body is "GET /"
    /// assert!(matches!(response, Err(Error::BodyTooLarge { limit: 3 })));
    /// # });
    /// ```
    pub fn max_body_bytes(mut self, bytes: u64) -> Self {
        self.config.limits.max_body_bytes = bytes;
        self
    }
}

/// Builds a request: add headers, query parameters and a body, then send it
/// (`.await` it, or `send()`, for the async client; `send()` for the blocking
/// one). Errors (bad URL, bad header) are kept and reported when it is sent.
///
/// # Examples
///
/// ```
/// # let server = corolab_server::spawn_echo();
/// // The blocking client's builder is the same type; its `send` waits on the thread.
/// let client = corolab::http::blocking::Client::new();
/// let response = client.request("PUT", server.url()).body("hi").send()?;
/// assert_eq!(response.text()?, "PUT /\nhi");
/// # Ok::<(), corolab::http::Error>(())
/// ```
#[derive(Debug)]
pub struct RequestBuilder<'a, C = super::Client> {
    pub(crate) client: &'a C,
    pub(crate) request: Result<Request, Error>,
    pub(crate) timeout: Option<Duration>,
}

impl<'a, C> RequestBuilder<'a, C> {
    pub(crate) fn new(client: &'a C, method: &str, url: &str) -> RequestBuilder<'a, C> {
        RequestBuilder {
            client,
            request: Url::parse(url).map(|url| Request::new(method, url)),
            timeout: None,
        }
    }

    /// Add a request header (checked when the request is encoded).
    ///
    /// # Examples
    ///
    /// ```
    /// # let server = corolab_server::spawn_echo();
    /// # let url = server.url();
    /// # corolab::block_on(async {
    /// let client = corolab::http::Client::new();
    /// assert_eq!(client.get(url).header("Accept", "text/plain").await?.status(), 200);
    /// let bad = client.get(url).header("Bad Name", "x").await; // checked when it is sent
    /// assert!(matches!(bad, Err(corolab::http::Error::InvalidRequestHeader { .. })));
    /// # Ok::<(), corolab::http::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        if let Ok(request) = &mut self.request {
            request.headers.push((name.to_string(), value.as_ref().to_vec()));
        }
        self
    }

    /// Add a percent-encoded query parameter.
    ///
    /// # Examples
    ///
    /// ```
    /// # let server = corolab_server::spawn_echo();
    /// # corolab::block_on(async {
    /// let client = corolab::http::Client::new();
    /// let echoed = client.get(server.url()).query("q", "a b").await?.text()?;
    /// assert_eq!(echoed, "GET /?q=a%20b");
    /// # Ok::<(), corolab::http::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn query(mut self, key: &str, value: &str) -> Self {
        if let Ok(request) = &mut self.request {
            request.url.append_query(key, value);
        }
        self
    }

    /// Set the body (sent with `Content-Length`).
    ///
    /// # Examples
    ///
    /// ```
    /// # let server = corolab_server::spawn_echo();
    /// # corolab::block_on(async {
    /// let client = corolab::http::Client::new();
    /// let echoed = client.request("POST", server.url()).body("hi").await?.text()?;
    /// assert_eq!(echoed, "POST /\nhi");
    /// # Ok::<(), corolab::http::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        if let Ok(request) = &mut self.request {
            request.body = body.into();
        }
        self
    }

    /// Bound this request by `budget` instead of the client's `request_timeout`.
    ///
    /// # Examples
    ///
    /// ```
    /// # let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap(); // never answers
    /// # let url = format!("http://{}", silent.local_addr().unwrap());
    /// # corolab::block_on(async {
    /// use corolab::http::{Client, Error, Phase};
    ///
    /// let client = Client::new(); // request_timeout: 30 s
    /// let silence = client.get(&url).timeout(std::time::Duration::from_millis(50)).await;
    /// assert!(matches!(silence, Err(Error::Timeout(Phase::Total))));
    /// # });
    /// ```
    pub fn timeout(mut self, budget: Duration) -> Self {
        self.timeout = Some(budget);
        self
    }

    /// The request and its budget (`default` if none was set), or the builder's error.
    pub(crate) fn into_parts(self, default: Duration) -> Result<(Request, Duration), Error> {
        Ok((self.request?, self.timeout.unwrap_or(default)))
    }
}
