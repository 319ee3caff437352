//! # corolab-server: a tiny HTTP/1.1 server built on corolab from outside
//!
//! This crate is a worked example of building on corolab as any user would: it lives outside
//! the library, in its own workspace member, and uses only corolab's public API (`spawn`,
//! `net::TcpListener`, `time::timeout`, `future::select`, `Runtime`). Nothing in corolab
//! imports it; corolab's examples, tests and benchmarks take it as a dev-dependency. Read it
//! after chapter 7, as the mirror image of the HTTP client: if something here needed a
//! private corner of the runtime, that would be a gap in corolab's API.
//!
//! **Concept.** A server is the mirror image of the coroutine client: one task waits in
//! `accept`, and every accepted connection gets a task of its own that loops "read a request,
//! call the handler, write the response" for as long as the client keeps the connection
//! alive. While a connection waits for its next request (or a handler waits on a timer) its
//! task is parked in the reactor and costs no thread, just its small future, so one thread
//! serves thousands of keep-alive connections. The handler is a plain async function
//! `Fn(Request) -> impl Future<Output = Response>`, like a Flask view that may `await`.
//! The server defends itself: bounded head size, header count and body size, a timeout on
//! every wait (idle between requests, reading a request, writing a response), and a short
//! `400 Bad Request` (or 408, 413, 431, 501) for anything that is not HTTP. Bad input never
//! panics the server; it only ends that one connection.
//!
//! **Where.** `request.rs` turns bytes into a [`Request`] without touching a socket
//! ([`parse_head`] uses httparse; [`decode_chunked`] reassembles chunked uploads);
//! `response.rs` turns a [`Response`] into bytes ([`encode_response`]: `Content-Length` or
//! chunked). `conn.rs` is the per-connection loop (`serve_connection`), the only code here
//! that awaits. [`Server::serve_until`] is the accept loop. [`spawn_on_thread`] runs a server
//! on its own OS thread with its own runtime and returns a [`ServerHandle`] (URL, counters,
//! shutdown); [`spawn_echo`] is the echo server of corolab's doc examples. [`ServerCounters`]
//! counts accepted and concurrently open connections.
//! [`orders`] is the order API of the fetch_pages example, built on all of the above.
//!
//! **In the debugger.** `break corolab_server::conn::Connection::read_request` stops each
//! time a connection starts waiting for a request; `print self.input` shows the raw bytes
//! received so far. `break corolab_server::request::parse_head` shows httparse at work. In the
//! trace (`COROLAB_TRACE=1`), a keep-alive connection is one task that goes `Pending` on
//! `fd N readable` between requests.
//!
//! ```
//! use corolab_server::{Config, Request, Response, spawn_on_thread};
//!
//! // A server on its own thread: the handler answers every request with its path.
//! let server = spawn_on_thread("127.0.0.1:0", Config::default(), |req: Request| async move {
//!     Response::text(200, format!("you asked for {}", req.path()))
//! })
//! .unwrap();
//! println!("listening on {}", server.url());
//! assert_eq!(server.stats().accepted, 0);
//! server.shutdown();
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod conn;
pub mod orders;
mod request;
mod response;
mod stats;
mod thread;

pub use request::{BodyFraming, Head, Request, RequestError, decode_chunked, parse_head};
pub use response::{Response, encode_response, reason_phrase};
pub use stats::{ServerCounters, ServerStats};
pub use thread::{ServerHandle, StopSignal, spawn_echo, spawn_on_thread};

use corolab::executor::{JoinHandle, spawn};
use corolab::future::select;
use corolab::net::TcpListener;
use corolab::time::sleep;
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// Size limits on what a client may send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Request line plus headers, in bytes (default 16 KiB). Longer: 431.
    pub max_head_bytes: usize,
    /// Number of headers (default 64). More: 431.
    pub max_headers: usize,
    /// Request body, in bytes (default 1 MiB). Longer: 413.
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_bytes: 16 * 1024,
            max_headers: 64,
            max_body_bytes: 1024 * 1024,
        }
    }
}

/// Server settings: limits and the timeout of every kind of wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Size limits.
    pub limits: Limits,
    /// How long a keep-alive connection may sit silent between requests before the server
    /// closes it (default 60 s).
    pub idle_timeout: Duration,
    /// From the first byte of a request, how long the whole request (head and body) may take
    /// to arrive (default 10 s). Too slow: 408 and close.
    pub read_timeout: Duration,
    /// How long writing one response may take (default 10 s). Too slow: close.
    pub write_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            limits: Limits::default(),
            idle_timeout: Duration::from_secs(60),
            read_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
        }
    }
}

/// Pause after an `accept` error (e.g. out of file descriptors) before trying again, so the
/// accept loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);

/// A bound listening socket plus settings: call [`Server::serve`] or [`Server::serve_until`]
/// with a handler. Must be created inside a runtime (`block_on`), like every corolab socket.
pub struct Server {
    listener: TcpListener,
    config: Config,
    counters: Arc<ServerCounters>,
}

/// The open connections' tasks, so that stopping the server can cancel them.
type Connections = Rc<RefCell<HashMap<u64, JoinHandle<()>>>>;

impl Server {
    /// Binds a listening socket (port 0 picks a free port; see [`Server::local_addr`]).
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<Server> {
        Ok(Server {
            listener: TcpListener::bind(addr)?,
            config: Config::default(),
            counters: Arc::default(),
        })
    }

    /// Replaces the settings.
    pub fn with_config(mut self, config: Config) -> Server {
        self.config = config;
        self
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The connection counters, shareable with other threads.
    pub fn counters(&self) -> Arc<ServerCounters> {
        self.counters.clone()
    }

    /// Serves forever (until the task running it is dropped).
    pub async fn serve<H, F>(self, handler: H)
    where
        H: Fn(Request) -> F + 'static,
        F: Future<Output = Response> + 'static,
    {
        self.serve_until(handler, std::future::pending()).await
    }

    /// Accepts connections and spawns a task for each until `stop` completes; then stops
    /// accepting, cancels the connection tasks (closing their sockets) and returns.
    pub async fn serve_until<H, F, S>(self, handler: H, stop: S)
    where
        H: Fn(Request) -> F + 'static,
        F: Future<Output = Response> + 'static,
        S: Future<Output = ()>,
    {
        let connections: Connections = Rc::default();
        let accept_loop = accept_loop(
            &self.listener,
            Rc::new(handler),
            Rc::new(self.config),
            &self.counters,
            &connections,
        );
        select(stop, accept_loop).await;
        // Take the handles out first: a cancelled task removes itself from the map.
        let open: Vec<JoinHandle<()>> = connections.borrow_mut().drain().map(|(_, h)| h).collect();
        for handle in &open {
            handle.abort();
        }
    }
}

/// Accepts connections forever, one task per connection.
async fn accept_loop<H, F>(
    listener: &TcpListener,
    handler: Rc<H>,
    config: Rc<Config>,
    counters: &Arc<ServerCounters>,
    connections: &Connections,
) where
    H: Fn(Request) -> F + 'static,
    F: Future<Output = Response> + 'static,
{
    let mut next_id = 0u64;
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _peer)) => stream,
            Err(_) => {
                // EMFILE, ECONNABORTED, ...: the listener is fine, try again shortly.
                sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        next_id += 1;
        let id = next_id;
        let open = counters.open_connection();
        let (handler, config, registry) = (handler.clone(), config.clone(), connections.clone());
        let task = spawn(async move {
            let _unregister = Unregister { registry, id };
            conn::serve_connection(stream, handler, config, open).await;
        });
        connections.borrow_mut().insert(id, task);
    }
}

/// Removes a connection task's handle from the registry when the task ends or is cancelled.
struct Unregister {
    registry: Connections,
    id: u64,
}

impl Drop for Unregister {
    fn drop(&mut self) {
        if let Ok(mut registry) = self.registry.try_borrow_mut() {
            registry.remove(&self.id);
        }
    }
}
