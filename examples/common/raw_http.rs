//! Just enough HTTP/1.1 for the examples, written on raw `corolab::net` sockets:
//! `GET /path` in, `200 OK` with a text body out, one request per connection
//! (`Connection: close`).
//!
//! corolab's real HTTP server and client are being written on other branches; until they are
//! merged, these few functions stand in for them and show what such libraries do for you:
//! read a request head, write a response, read a response until the server closes.
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
/// A response larger than this is refused by [`get`].
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
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

/// The client side: connects to `addr`, sends `GET path`, reads until the server closes the
/// connection and returns the body of a `200` response. Callers bound it with `timeout`.
pub async fn get(addr: SocketAddr, path: &str) -> io::Result<String> {
    let stream = TcpStream::connect_addr(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk).await? {
            0 => break, // EOF: with `Connection: close` the response ends where the stream ends
            n if raw.len() + n > MAX_RESPONSE_BYTES => {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "response too large"));
            }
            n => raw.extend_from_slice(&chunk[..n]),
        }
    }
    body_of_ok_response(&raw)
}

/// Splits a complete response into head and body; anything but `200` is an error.
fn body_of_ok_response(raw: &[u8]) -> io::Result<String> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(raw) {
        Ok(httparse::Status::Complete(head_len)) if response.code == Some(200) => {
            Ok(String::from_utf8_lossy(&raw[head_len..]).into_owned())
        }
        Ok(httparse::Status::Complete(_)) => Err(io::Error::other(format!(
            "server answered {}",
            response.code.unwrap_or(0)
        ))),
        Ok(httparse::Status::Partial) => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed inside the response head",
        )),
        Err(e) => Err(io::Error::new(io::ErrorKind::InvalidData, e)),
    }
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
