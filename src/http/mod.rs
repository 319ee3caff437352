//! A tiny HTTP/1.1 client: strict framing, keep-alive, limits, timeouts.
//!
//! **Concept.** The protocol code is *sans-I/O*: [`ResponseReader`] turns
//! bytes into a response ([`ResponseReader::advance`]: need more bytes, or
//! done) and [`encode_request`] turns a [`Request`] into bytes, and neither
//! touches a socket. Around them one *exchange* (`exchange.rs`: write, read,
//! every bounded wait, the retry rule) and one connect loop (`connect.rs`)
//! are shared by three drivers: [`blocking::Client`] on `std::net` threads,
//! [`Client`] on corolab's own sockets, timers and semaphore, and
//! `green::http_send` on green sockets. Same protocol code, different ways of
//! waiting: that is the lesson.
//!
//! No misbehaving server may hang, crash or leak the client: every wait has a
//! bound (connect, read silence, whole request), every size has a limit
//! ([`Limits`]), and every bad response is a typed [`Error`].
//!
//! **Where.**
//! - `url.rs`: [`Url`] parsing and query encoding.
//! - `request.rs`: [`Request`], [`encode_request`], [`encode_chunked`].
//! - `reader.rs`: [`ResponseReader`], the framing state machine (RFC 9112 §6);
//!   `reader/head.rs` (status line, headers, framing decision) and
//!   `reader/chunked.rs` (one function per chunked state, the chunk-line grammar).
//! - `response.rs`: [`Response`], [`Headers`], [`Version`].
//! - `error.rs`: [`Error`] and the timeout [`Phase`].
//! - `exchange.rs`: one request on one connection, the loop every driver drives.
//! - `connect.rs`: name resolution and the connect-attempt loop.
//! - `deadline.rs`: how long each wait may last (per-operation limit vs. whole-request budget).
//! - `builder.rs`: the settings and the request builder, shared by both clients
//!   ([`ClientBuilder`], [`RequestBuilder`], [`blocking::ClientBuilder`], ...).
//! - `blocking.rs`: [`blocking::Client`], a keep-alive pool on `std::net`.
//! - `client.rs`: [`Client`], the async driver (its builders' additions in
//!   `client_builder.rs`); `pool.rs`: its pool (FIFO
//!   connection limit, keep-alive, checkout probe, handover).
//!
//! **In the debugger.** Break in `ResponseReader::step_once` and step: each
//! call moves the state machine one state forward. Break in
//! `Exchange::completed` to stop once per read and write of a request, in
//! either client. In the async client, break in `Pool::checkin` to watch a
//! connection being handed from one task to the next.
//!
//! ```no_run
//! corolab::block_on(async {
//!     let client = corolab::http::Client::builder().max_connections(10).build();
//!     let page = client.get("http://127.0.0.1:8080/pages/1").await?;
//!     println!("{} bytes", page.body().len());
//!     Ok::<(), corolab::http::Error>(())
//! })
//! .unwrap();
//! ```

pub mod blocking;
mod builder;
mod client;
mod client_builder;
pub(crate) mod connect;
pub(crate) mod deadline;
mod error;
pub(crate) mod exchange;
mod pool;
mod reader;
mod request;
mod response;
mod url;

pub use client::Client;
pub use client_builder::{ClientBuilder, RequestBuilder};
pub use error::{Error, Phase};
pub use reader::{Event, Limits, Progress, ResponseReader};
pub use request::{Request, encode_chunked, encode_request};
pub use response::{Headers, Response, ResponseHead, Version};
pub use url::{Url, percent_encode};

/// The code in the chapter draft `docs/07-http-client.md` is compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/07-http-client.md")]
struct ChapterDoctests;
