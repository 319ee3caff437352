//! The async client's builders: [`ClientBuilder`] and [`RequestBuilder`] for [`Client`].
//!
//! **Concept.** One builder type is shared by both clients (`builder.rs`); these aliases fix
//! it to the async [`Client`] and add what only the async client has: the pool's limits, and
//! a request that is sent by `.await`ing it (`IntoFuture`).
//!
//! **Where.** `ClientBuilder::build` makes the `Pool`; `RequestBuilder::send` hands the
//! finished request to `Client::send_within` (in `client.rs`).
//!
//! **In the debugger.** `rbreak client_builder.*send` stops in `RequestBuilder::send` when a
//! request is awaited; `step` from there goes into `Client::send_within`.

use super::builder;
use super::client::Client;
use super::error::Error;
use super::pool::Pool;
use super::response::Response;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;

/// Configures an async [`Client`] (the shared builder; the async-only settings are here).
///
/// # Examples
///
/// ```
/// # use corolab_server::{Config, Request as ServerRequest, Response, spawn_on_thread};
/// # let server = spawn_on_thread("127.0.0.1:0", Config::default(), |_: ServerRequest| async {
/// #     Response::new(200).with_body(b"hello".to_vec())
/// # })
/// # .unwrap();
/// # let url = server.url().to_string();
/// use corolab::http::{Client, ClientBuilder};
/// use std::time::Duration;
///
/// let builder: ClientBuilder = Client::builder().max_connections_per_host(2);
/// let client = builder.connect_timeout(Duration::from_secs(2)).build();
/// corolab::block_on(async {
///     assert_eq!(client.get(&url).await?.text()?, "hello"); // `url`: a local test server
///     Ok::<(), corolab::http::Error>(())
/// })
/// .unwrap();
/// # server.shutdown();
/// ```
pub type ClientBuilder = builder::ClientBuilder<Client>;

/// Builds an async request; await it (it implements `IntoFuture`) or call
/// `send`. Errors (bad URL, bad header) surface when awaited.
///
/// # Examples
///
/// ```
/// # use corolab_server::{Config, Request as ServerRequest, Response, spawn_on_thread};
/// # let server = spawn_on_thread("127.0.0.1:0", Config::default(), |_: ServerRequest| async {
/// #     Response::new(200).with_body(b"hello".to_vec())
/// # })
/// # .unwrap();
/// # let url = server.url().to_string();
/// use corolab::http::{Client, RequestBuilder};
///
/// corolab::block_on(async {
///     let client = Client::new();
///     let request: RequestBuilder<'_> = client.get(&url).header("Accept", "text/plain");
///     assert_eq!(request.await?.status(), 200); // awaiting it sends it
///     assert!(client.get("not a url").await.is_err()); // the error surfaces here
///     Ok::<(), corolab::http::Error>(())
/// })
/// .unwrap();
/// # server.shutdown();
/// ```
pub type RequestBuilder<'a> = builder::RequestBuilder<'a, Client>;

impl ClientBuilder {
    /// Most live connections (busy or idle) at once, default 100; further
    /// requests wait their turn in FIFO order. Values below 1 count as 1.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corolab_server::{Config, Request as ServerRequest, Response, spawn_on_thread};
    /// # let server = spawn_on_thread("127.0.0.1:0", Config::default(), |_: ServerRequest| async {
    /// #     Response::new(200).with_body(b"hello".to_vec())
    /// # })
    /// # .unwrap();
    /// # let url = server.url().to_string();
    /// use corolab::http::Client;
    /// use std::time::Duration;
    ///
    /// corolab::block_on(async {
    ///     let client = Client::builder().max_connections(10).read_timeout(Duration::from_secs(5)).build();
    ///     let response = client.get(&url).await?; // `url`: a local test server
    ///     assert_eq!(response.status(), 200);
    ///     assert_eq!(client.idle_connections(), 1); // kept alive for the next request
    ///     Ok::<(), corolab::http::Error>(())
    /// })
    /// .unwrap();
    /// # server.shutdown();
    /// ```
    pub fn max_connections(mut self, count: usize) -> ClientBuilder {
        self.config.max_connections = count.max(1);
        self
    }

    /// Most live connections to one `host:port` (default: no per-host limit).
    ///
    /// # Examples
    ///
    /// ```
    /// # use corolab_server::{Config, Request as ServerRequest, Response, spawn_on_thread};
    /// # let server = spawn_on_thread("127.0.0.1:0", Config::default(), |_: ServerRequest| async {
    /// #     Response::new(200).with_body(b"hello".to_vec())
    /// # })
    /// # .unwrap();
    /// # let url = server.url().to_string();
    /// use corolab::http::Client;
    /// use std::time::Duration;
    ///
    /// corolab::block_on(async {
    ///     let client = Client::builder().max_connections(10).read_timeout(Duration::from_secs(5)).build();
    ///     let response = client.get(&url).await?; // `url`: a local test server
    ///     assert_eq!(response.status(), 200);
    ///     assert_eq!(client.idle_connections(), 1); // kept alive for the next request
    ///     Ok::<(), corolab::http::Error>(())
    /// })
    /// .unwrap();
    /// # server.shutdown();
    /// ```
    pub fn max_connections_per_host(mut self, count: usize) -> ClientBuilder {
        self.config.max_connections_per_host = Some(count.max(1));
        self
    }

    /// Build the client.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corolab_server::{Config, Request as ServerRequest, Response, spawn_on_thread};
    /// # let server = spawn_on_thread("127.0.0.1:0", Config::default(), |_: ServerRequest| async {
    /// #     Response::new(200).with_body(b"hello".to_vec())
    /// # })
    /// # .unwrap();
    /// # let url = server.url().to_string();
    /// use corolab::http::Client;
    /// use std::time::Duration;
    ///
    /// corolab::block_on(async {
    ///     let client = Client::builder().max_connections(10).read_timeout(Duration::from_secs(5)).build();
    ///     let response = client.get(&url).await?; // `url`: a local test server
    ///     assert_eq!(response.status(), 200);
    ///     assert_eq!(client.idle_connections(), 1); // kept alive for the next request
    ///     Ok::<(), corolab::http::Error>(())
    /// })
    /// .unwrap();
    /// # server.shutdown();
    /// ```
    pub fn build(self) -> Client {
        Client {
            pool: Rc::new(Pool::new(self.config)),
        }
    }
}

impl<'a> RequestBuilder<'a> {
    /// Send the request and read the whole response.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corolab_server::{Config, Request as ServerRequest, Response, spawn_on_thread};
    /// # let server = spawn_on_thread("127.0.0.1:0", Config::default(), |_: ServerRequest| async {
    /// #     Response::new(200).with_body(b"hello".to_vec())
    /// # })
    /// # .unwrap();
    /// # let url = server.url().to_string();
    /// corolab::block_on(async {
    ///     let client = corolab::http::Client::new();
    ///     let response = client.get(&url).send().await?; // the same as `.await` on the builder
    ///     assert_eq!(response.text()?, "hello");
    ///     Ok::<(), corolab::http::Error>(())
    /// })
    /// .unwrap();
    /// # server.shutdown();
    /// ```
    pub async fn send(self) -> Result<Response, Error> {
        let client = self.client;
        let (request, budget) = self.into_parts(client.pool.config.request_timeout)?;
        client.send_within(request, budget).await
    }
}

impl<'a> IntoFuture for RequestBuilder<'a> {
    type Output = Result<Response, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Response, Error>> + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
