//! Just enough of an HTTP/1.1 server for the examples, written on raw `corolab::net` sockets:
//! `GET /path` in, `200 OK` with a text body out, one request per connection
//! (`Connection: close`).
//!
//! corolab's own server (`corolab::server`) is being written on another branch; until it is
//! merged, these few functions stand in for it and show what such a library does for you:
//! accept, read a request head, call the handler, write the response, close.
//!
//! [`ServerThread`] runs a server on its **own thread with its own corolab runtime**: it plays
//! the seeds' Flask process, and the example's `main` plays the client program.

use corolab::future::select;
use corolab::net::{TcpListener, TcpStream};
use corolab::time::{sleep, timeout};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// A request head larger than this is refused.
pub const MAX_HEAD_BYTES: usize = 8 * 1024;
/// How long the server waits for a client to send its request head, or to take the response.
pub const SERVER_IO_LIMIT: Duration = Duration::from_secs(10);

/// Reads a request head (up to the empty line) and returns its path, e.g. `/sleep/300`.
pub async fn read_request_path(stream: &TcpStream) -> io::Result<String> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "client closed before the request head ended",
            ));
        }
        head.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&head) {
            Ok(httparse::Status::Complete(_)) => return Ok(request.path.unwrap_or("/").to_string()),
            Ok(httparse::Status::Partial) if head.len() < MAX_HEAD_BYTES => continue,
            Ok(httparse::Status::Partial) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "request head too large",
                ));
            }
            Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
        }
    }
}

/// Writes a `200 OK` response carrying `body`, announcing that the connection will close.
pub async fn write_response(stream: &TcpStream, body: &str) -> io::Result<()> {
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await
}

/// A server on its own thread and runtime, listening on `127.0.0.1` (a free port).
/// Dropping it stops the server and joins the thread.
pub struct ServerThread {
    addr: SocketAddr,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl ServerThread {
    /// Starts the server. For each request, `handler(path)` gives the future that produces
    /// the response body; each connection is served by its own task.
    pub fn start<H, F>(handler: H) -> io::Result<ServerThread>
    where
        H: Fn(String) -> F + Send + 'static,
        F: Future<Output = String> + 'static,
    {
        let (addr_tx, addr_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let thread = thread::Builder::new().name("server".into()).spawn(move || {
            corolab::block_on(async move {
                // Network types belong to one runtime: bind inside it.
                let listener = match TcpListener::bind("127.0.0.1:0") {
                    Ok(listener) => listener,
                    Err(e) => {
                        let _ = addr_tx.send(Err(e));
                        return;
                    }
                };
                let _ = addr_tx.send(listener.local_addr());
                // `recv` blocks, so it waits on a helper thread; it returns when the
                // `ServerThread` drops its sender.
                let stopped = corolab::spawn_blocking(move || {
                    let _ = stop_rx.recv();
                });
                select(accept_loop(listener, Rc::new(handler)), stopped).await;
            })
        })?;
        let addr = addr_rx
            .recv()
            .map_err(|_| io::Error::other("the server thread died before binding"))??;
        Ok(ServerThread {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        drop(self.stop.take()); // wakes the helper thread blocked in `recv`
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accepts connections forever, one task per connection (asyncio's `start_server` callback).
async fn accept_loop<H, F>(listener: TcpListener, handler: Rc<H>)
where
    H: Fn(String) -> F + 'static,
    F: Future<Output = String> + 'static,
{
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => drop(corolab::spawn(serve_connection(stream, handler.clone()))),
            Err(e) => {
                // E.g. out of file descriptors: say so, and retry a little later.
                eprintln!("server: accept failed: {e}");
                sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// One connection: read the request, run the handler, write the answer, close.
async fn serve_connection<H, F>(stream: TcpStream, handler: Rc<H>)
where
    H: Fn(String) -> F,
    F: Future<Output = String>,
{
    let Ok(Ok(path)) = timeout(SERVER_IO_LIMIT, read_request_path(&stream)).await else {
        return; // silent, slow or garbled client: just close the connection
    };
    let body = handler(path).await;
    let _ = timeout(SERVER_IO_LIMIT, write_response(&stream, &body)).await;
}
