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
/// use corolab::http::{Client, ClientBuilder};
///
/// let builder: ClientBuilder = Client::builder().max_connections(8);
/// let client: Client = builder.build();
/// assert_eq!(client.idle_connections(), 0);
/// ```
pub type ClientBuilder = builder::ClientBuilder<Client>;

/// Builds an async request; await it (it implements `IntoFuture`) or call
/// `send`. Errors (bad URL, bad header) surface when awaited.
///
/// # Examples
///
/// ```
/// # let server = corolab_server::spawn_echo();
/// # let url = server.url(); // a local server that echoes the request line
/// # corolab::block_on(async {
/// let client = corolab::http::Client::new();
/// let request: corolab::http::RequestBuilder<'_> = client.get(url).query("page", "2");
/// assert_eq!(request.await?.text()?, "GET /?page=2"); // awaiting it sends it
/// assert!(client.get("not a url").await.is_err()); // the error surfaces here
/// # Ok::<(), corolab::http::Error>(())
/// # }).unwrap();
/// ```
pub type RequestBuilder<'a> = builder::RequestBuilder<'a, Client>;

impl ClientBuilder {
    /// Most live connections (busy or idle) at once, default 100; further
    /// requests wait their turn in FIFO order. Values below 1 count as 1.
    ///
    /// # Examples
    ///
    /// ```
    /// # let server = corolab_server::spawn_echo();
    /// # let url = server.url();
    /// # corolab::block_on(async {
    /// let client = corolab::http::Client::builder().max_connections(1).build();
    /// let requests = [client.get(url).send(), client.get(url).send()];
    /// corolab::future::join_all(requests).await; // the second waits for the first's connection
    /// assert_eq!(server.stats().accepted, 1);
    /// # });
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
    /// # let server = corolab_server::spawn_echo();
    /// # corolab::block_on(async {
    /// let client = corolab::http::Client::builder().max_connections_per_host(1).build();
    /// let pages = ["/a", "/b", "/c"].map(|path| client.get(&format!("{}{path}", server.url())).send());
    /// corolab::future::join_all(pages).await; // one connection to this host, used in turn
    /// assert_eq!(server.stats().accepted, 1);
    /// # });
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
    /// # let server = corolab_server::spawn_echo();
    /// # corolab::block_on(async {
    /// let client = corolab::http::Client::builder().build();
    /// assert_eq!(client.get(server.url()).await?.status(), 200);
    /// # Ok::<(), corolab::http::Error>(())
    /// # }).unwrap();
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
    /// # let server = corolab_server::spawn_echo();
    /// # corolab::block_on(async {
    /// let client = corolab::http::Client::new();
    /// let response = client.get(server.url()).send().await?; // the same as `.await` on the builder
    /// assert_eq!(response.text()?, "GET /");
    /// # Ok::<(), corolab::http::Error>(())
    /// # }).unwrap();
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
