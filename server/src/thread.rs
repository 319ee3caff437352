//! Running a server on its own OS thread, with its own runtime, and stopping it from outside.

use super::{Config, Request, Response, Server, ServerCounters, ServerStats};
use corolab::runtime::{Runtime, Stats};
use std::future::{Future, poll_fn};
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread;

/// A one-way "stop now" flag that one thread sets and a task on another thread awaits.
///
/// The waiting task leaves its waker here; [`StopSignal::stop`] sets the flag and calls that
/// waker, which (being a corolab waker) pokes the server runtime's `epoll_wait` awake.
#[derive(Clone, Debug, Default)]
pub struct StopSignal {
    state: Arc<Mutex<StopState>>,
}

#[derive(Debug, Default)]
struct StopState {
    stopped: bool,
    waker: Option<Waker>,
}

impl StopSignal {
    /// A signal that has not been given yet.
    pub fn new() -> StopSignal {
        StopSignal::default()
    }

    /// Gives the signal (from any thread). Giving it twice is harmless.
    pub fn stop(&self) {
        let waker = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.stopped = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Has the signal been given?
    pub fn is_stopped(&self) -> bool {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).stopped
    }

    /// Completes once the signal is given.
    pub async fn wait(&self) {
        poll_fn(|cx| {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.stopped {
                return Poll::Ready(());
            }
            state.waker = Some(cx.waker().clone());
            Poll::Pending
        })
        .await
    }
}

/// A server running on its own thread (see [`spawn_on_thread`]). Dropping the handle stops
/// the server and waits for its thread, like [`ServerHandle::shutdown`].
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    url: String,
    counters: Arc<ServerCounters>,
    stop: StopSignal,
    thread: Option<thread::JoinHandle<Stats>>,
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://IP:PORT` (IPv6 addresses in brackets), ready to append a path to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's connection counters right now.
    pub fn stats(&self) -> ServerStats {
        self.counters.snapshot()
    }

    /// The live counters, to keep after the handle is gone.
    pub fn counters(&self) -> Arc<ServerCounters> {
        self.counters.clone()
    }

    /// Stops accepting, closes every connection, ends the thread and returns the server
    /// runtime's counters (polls, wakes, epoll waits, ...).
    pub fn shutdown(mut self) -> Stats {
        self.stop_and_join().unwrap_or_default()
    }

    fn stop_and_join(&mut self) -> Option<Stats> {
        self.stop.stop();
        self.thread.take().and_then(|t| t.join().ok())
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// What the server thread reports once its socket is bound (or could not be).
type Ready = io::Result<(SocketAddr, Arc<ServerCounters>)>;

/// Starts a server on a new OS thread with its own corolab [`Runtime`], bound to `addr`
/// (port 0 picks a free port), and returns once it is listening.
///
/// `handler` is moved to that thread (hence `Send`); the futures it returns are created and
/// run there, so they need not be `Send`.
pub fn spawn_on_thread<H, F>(addr: impl ToSocketAddrs, config: Config, handler: H) -> io::Result<ServerHandle>
where
    H: Fn(Request) -> F + Send + 'static,
    F: Future<Output = Response> + 'static,
{
    let addrs: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
    let (ready_tx, ready_rx) = mpsc::channel::<Ready>();
    let stop = StopSignal::new();
    let stop_seen_by_thread = stop.clone();
    let thread = thread::Builder::new()
        .name("corolab-server".to_string())
        .spawn(move || run_server_thread(addrs, config, handler, stop_seen_by_thread, ready_tx))?;
    let (addr, counters) = match ready_rx.recv() {
        Ok(ready) => ready?,
        Err(_) => return Err(io::Error::other("server thread ended before it was ready")),
    };
    Ok(ServerHandle {
        addr,
        url: format!("http://{addr}"),
        counters,
        stop,
        thread: Some(thread),
    })
}

/// The local test server of corolab's doc examples: a server on `127.0.0.1:0`, on its own
/// thread, that answers every request with `200` and the text `METHOD TARGET`, then the
/// request body (if any) after a newline. Panics if it cannot bind.
///
/// ```
/// let server = corolab_server::spawn_echo();
/// assert!(server.url().starts_with("http://127.0.0.1:"));
/// ```
pub fn spawn_echo() -> ServerHandle {
    let echo = |req: Request| async move {
        let mut text = format!("{} {}", req.method, req.target);
        if !req.body.is_empty() {
            text = format!("{text}\n{}", String::from_utf8_lossy(&req.body));
        }
        Response::new(200).with_body(text.into_bytes())
    };
    spawn_on_thread("127.0.0.1:0", Config::default(), echo).expect("bind the echo server on 127.0.0.1:0")
}

/// The body of the server thread: a runtime, a bound server, serve until stopped.
fn run_server_thread<H, F>(
    addrs: Vec<SocketAddr>,
    config: Config,
    handler: H,
    stop: StopSignal,
    ready: mpsc::Sender<Ready>,
) -> Stats
where
    H: Fn(Request) -> F + 'static,
    F: Future<Output = Response> + 'static,
{
    let runtime = match Runtime::try_new() {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = ready.send(Err(e));
            return Stats::default();
        }
    };
    runtime.block_on(async {
        let server = match Server::bind(&addrs[..]) {
            Ok(server) => server.with_config(config),
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let bound = server.local_addr().map(|addr| (addr, server.counters()));
        let ok = bound.is_ok();
        let _ = ready.send(bound);
        if ok {
            server.serve_until(handler, stop.wait()).await;
        }
    });
    runtime.stats()
}
