//! A scripted raw-socket HTTP server on 127.0.0.1 for fault tests.
//!
//! Each accepted connection runs one script of [`Step`]s on its own std
//! thread: read a request, send exact bytes, drip bytes, sleep, close, reset
//! (SO_LINGER 0), or simply never read. Connection `i` runs `scripts[i]`, the
//! last script repeating. Every wait is bounded and the server stops (and
//! joins every thread) when dropped, so tests cannot hang or leak sockets.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Longest any single server-side wait may last.
const STEP_CAP: Duration = Duration::from_secs(3);

/// One thing the server does on a connection.
#[derive(Debug, Clone)]
pub enum Step {
    /// Read one request: head, then a Content-Length body if announced.
    ReadRequest,
    /// Read a request head only, leaving its body unread (a server refusing an upload).
    ReadHead,
    /// Write these exact bytes.
    Send(Vec<u8>),
    /// Write these bytes one at a time with a pause after each.
    Drip(Vec<u8>, Duration),
    /// Do nothing for a while (no reading, no writing).
    Sleep(Duration),
    /// Do nothing until the test opens the gate (sets the flag); bounded like every step.
    Gate(Arc<AtomicBool>),
    /// Wait until the client closes the connection (reading and discarding).
    WaitForClose,
    /// Close gracefully (FIN) and end the script.
    Close,
    /// Close with SO_LINGER 0 so the kernel sends RST, and end the script.
    Reset,
}

/// Shorthand for `Step::Send` of a byte string.
pub fn send(bytes: &[u8]) -> Step {
    Step::Send(bytes.to_vec())
}

/// Counters shared by the accept loop and the connection threads.
#[derive(Debug, Default)]
struct Counters {
    accepted: AtomicUsize,
    live: AtomicUsize,
    peak_live: AtomicUsize,
    requests: AtomicUsize,
    request_log: Mutex<Vec<Vec<u8>>>,
}

/// A running scripted server. Dropping it stops and joins all its threads.
pub struct ScriptServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
    accept_thread: Option<JoinHandle<()>>,
}

impl ScriptServer {
    /// Start a server whose connection `i` runs `scripts[min(i, len - 1)]`.
    pub fn start(scripts: Vec<Vec<Step>>) -> ScriptServer {
        assert!(!scripts.is_empty(), "a server needs at least one script");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking listener");
        let addr = listener.local_addr().expect("local_addr");
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(Counters::default());
        let accept_thread = {
            let stop = stop.clone();
            let counters = counters.clone();
            thread::spawn(move || accept_loop(listener, scripts, stop, counters))
        };
        ScriptServer {
            addr,
            stop,
            counters,
            accept_thread: Some(accept_thread),
        }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many connections were accepted so far.
    pub fn accepted(&self) -> usize {
        self.counters.accepted.load(Ordering::SeqCst)
    }

    /// The most connections that were open at the same time.
    pub fn peak_concurrent(&self) -> usize {
        self.counters.peak_live.load(Ordering::SeqCst)
    }

    /// How many requests were read.
    pub fn requests(&self) -> usize {
        self.counters.requests.load(Ordering::SeqCst)
    }

    /// The exact bytes of every request read so far (head and body).
    pub fn request_log(&self) -> Vec<Vec<u8>> {
        self.counters.request_log.lock().unwrap().clone()
    }
}

impl Drop for ScriptServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(handle) = self.accept_thread.take() {
            let _ = handle.join();
        }
    }
}

fn accept_loop(
    listener: TcpListener,
    scripts: Vec<Vec<Step>>,
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
) {
    let mut workers = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let index = counters.accepted.fetch_add(1, Ordering::SeqCst);
                let live = counters.live.fetch_add(1, Ordering::SeqCst) + 1;
                counters.peak_live.fetch_max(live, Ordering::SeqCst);
                let script = scripts[index.min(scripts.len() - 1)].clone();
                let stop = stop.clone();
                let counters = counters.clone();
                workers.push(thread::spawn(move || {
                    run_script(stream, &script, &stop, &counters);
                    counters.live.fetch_sub(1, Ordering::SeqCst);
                }));
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(2)),
            Err(_) => thread::sleep(Duration::from_millis(2)),
        }
    }
    for worker in workers {
        let _ = worker.join();
    }
}

fn run_script(mut stream: TcpStream, script: &[Step], stop: &AtomicBool, counters: &Counters) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(20)));
    for step in script {
        let ok = match step {
            Step::ReadRequest => read_request(&mut stream, stop, counters, true),
            Step::ReadHead => read_request(&mut stream, stop, counters, false),
            Step::Send(bytes) => stream.write_all(bytes).is_ok(),
            Step::Drip(bytes, every) => drip(&mut stream, bytes, *every, stop),
            Step::Sleep(duration) => sleep_unless_stopped(*duration, stop),
            Step::Gate(open) => wait_for_gate(open, stop),
            Step::WaitForClose => {
                wait_for_close(&mut stream, stop);
                false
            }
            Step::Close => {
                let _ = stream.shutdown(std::net::Shutdown::Write);
                false
            }
            Step::Reset => {
                let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
                false
            }
        };
        if !ok {
            return; // dropping the stream closes it (or resets it after Reset)
        }
    }
}

/// Read a request head and (if `with_body`) its Content-Length body. False if the client went away.
fn read_request(stream: &mut TcpStream, stop: &AtomicBool, counters: &Counters, with_body: bool) -> bool {
    let started = Instant::now();
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(head_end) = find(&data, b"\r\n\r\n") {
            let body_len = if with_body {
                content_length(&data[..head_end])
            } else {
                0
            };
            if data.len() >= head_end + 4 + body_len {
                counters.requests.fetch_add(1, Ordering::SeqCst);
                counters.request_log.lock().unwrap().push(data);
                return true;
            }
        }
        if stop.load(Ordering::SeqCst) || started.elapsed() > STEP_CAP {
            return false;
        }
        match stream.read(&mut chunk) {
            Ok(0) => return false,
            Ok(n) => data.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return false,
        }
    }
}

fn content_length(head: &[u8]) -> usize {
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    text.lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn drip(stream: &mut TcpStream, bytes: &[u8], every: Duration, stop: &AtomicBool) -> bool {
    for byte in bytes {
        if stream.write_all(&[*byte]).is_err() || !sleep_unless_stopped(every, stop) {
            return false;
        }
    }
    true
}

fn sleep_unless_stopped(duration: Duration, stop: &AtomicBool) -> bool {
    let until = Instant::now() + duration.min(STEP_CAP);
    while Instant::now() < until {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        thread::sleep(Duration::from_millis(5).min(until - Instant::now()));
    }
    true
}

fn wait_for_gate(open: &AtomicBool, stop: &AtomicBool) -> bool {
    let started = Instant::now();
    while !open.load(Ordering::SeqCst) {
        if stop.load(Ordering::SeqCst) || started.elapsed() > STEP_CAP {
            return false;
        }
        thread::sleep(Duration::from_millis(1));
    }
    true
}

fn wait_for_close(stream: &mut TcpStream, stop: &AtomicBool) {
    let started = Instant::now();
    let mut sink = [0u8; 4096];
    while !stop.load(Ordering::SeqCst) && started.elapsed() < STEP_CAP {
        match stream.read(&mut sink) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return,
        }
    }
}

/// Number of open file descriptors of this process (Linux `/proc/self/fd`).
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|dir| dir.count())
        .unwrap_or(0)
}

/// A listener whose accept queue is full: further SYNs are dropped, so connects hang.
/// Returns the listener and the filler connections (keep both alive).
pub fn full_backlog_listener() -> (socket2::Socket, Vec<std::net::TcpStream>) {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket
        .bind(&"127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap().into())
        .unwrap();
    socket.listen(0).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..4 {
        if let Ok(stream) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)) {
            fillers.push(stream);
        }
    }
    (socket, fillers)
}
