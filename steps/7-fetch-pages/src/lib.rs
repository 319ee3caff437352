//! Step 7: fetch pages. A tiny HTTP/1.1 GET on steps 3-6, fetching every page at once.
//!
//! **Concept.** Step 1's loop again, but each page is a task ([`fetch_concurrent`]): all
//! requests go out at once and the tasks wait for their answers *together* in one
//! `epoll_wait`, so N pages take about one latency instead of N (the seeds' 106 s vs 5.98 s).
//! [`http_get`] writes `GET path HTTP/1.1`, then reads until `httparse` has the whole head and
//! the body is as long as its `Content-Length` says (`Connection: close`, no chunked bodies:
//! the demo server sends `Content-Length`). Every fetch has a bound: [`with_timeout`] races the
//! fetch against a `sleep`, and the loser is dropped (cancelled). In Python this is
//! `await asyncio.gather(*(get_page_order(p) for p in pages))` with aiohttp.
//!
//! [`connect`] and [`write_all`] wait for "writable" the way reads wait for "readable". The
//! demo order server is corolab's (`corolab_server::orders`), started in process on
//! 127.0.0.1:0: it is what we fetch from, not the runtime being taught.
//!
//! **Where.** [`http_get`], [`fetch_sequential`], [`fetch_concurrent`], [`run_demo`].
//!
//! **In the debugger.** `break step4_reactor::Reactor::dispatch_io_events` with 10 pages: one
//! `epoll_wait` returns several sockets at once; each wakes its own task.
//!
//! **What the real corolab adds here, and where.** `src/http/client.rs` (`Client::get`):
//! DNS, keep-alive and a connection pool, chunked bodies, timeouts per phase, typed errors
//! (`src/http/error.rs`); `src/net/tcp.rs` is the socket; `examples/fetch_pages.rs` runs every
//! strategy of the seeds. Each turn of step 6's loop is `Runtime::tick` in `src/runtime.rs`:
//! `run_ready_tasks`, `fire_timers`, `wait_for_io`, `dispatch_io_events`.

use mio::Interest;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use std::{future::Future, io, io::Write, pin::Pin};
pub use step1_blocking::{DEFAULT_LATENCY_MS, DEFAULT_PAGES, Totals, totals_of};
pub use step6_spawn_join::{Sleep, Socket, block_on, reactor, sleep, spawn, trace};

/// Every fetch has this bound.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// One `GET` to `addr`: the status and the body.
pub async fn http_get(addr: SocketAddr, path: &str) -> io::Result<(u16, Vec<u8>)> {
    let mut socket = connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    write_all(&mut socket, request.as_bytes()).await?;
    let mut buf = Vec::new();
    loop {
        let more = socket.read_at_least(1).await?; // Pending until the socket is readable
        buf.extend_from_slice(&more);
        if let Some((status, head_len, body_len)) = parse_head(&buf)?
            && buf.len() >= head_len + body_len
        {
            return Ok((status, buf[head_len..head_len + body_len].to_vec()));
        }
        if more.is_empty() {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "server closed mid-response"));
        }
    }
}

/// Connects without blocking: the kernel reports the socket writable once the handshake is
/// done (or failed: then `take_error` says why).
pub async fn connect(addr: SocketAddr) -> io::Result<Socket> {
    let stream = mio::net::TcpStream::connect(addr)?;
    let socket = Socket::register(&reactor(), stream, Interest::READABLE | Interest::WRITABLE)?;
    loop {
        if let Some(e) = socket.stream.take_error()? {
            return Err(e);
        }
        match socket.stream.peer_addr() {
            Ok(_) => return Ok(socket),
            Err(e) if e.kind() == io::ErrorKind::NotConnected => writable(&socket).await,
            Err(e) => return Err(e),
        }
    }
}

/// Writes all of `bytes`, waiting for room whenever the send buffer is full.
pub async fn write_all(socket: &mut Socket, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        match socket.stream.write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => writable(socket).await,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Waits for the next "writable" event on `socket` (its caller then tries again).
async fn writable(socket: &Socket) {
    let mut waited = false;
    std::future::poll_fn(|cx| {
        if std::mem::replace(&mut waited, true) {
            return Poll::Ready(());
        }
        let fd = socket.stream.as_raw_fd();
        trace::line(format!("fd {fd} WouldBlock: wait until writable"));
        trace::waits_for(format!("fd {fd} writable"));
        if let Some(slot) = socket.reactor.borrow_mut().slot_for(socket.token) {
            slot.writer = Some(cx.waker().clone());
        }
        Poll::Pending
    })
    .await
}

/// The status, head length and `Content-Length` once `buf` holds the whole head.
fn parse_head(buf: &[u8]) -> io::Result<Option<(u16, usize, usize)>> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    let bad = |e: String| io::Error::new(io::ErrorKind::InvalidData, e);
    let httparse::Status::Complete(head_len) =
        response.parse(buf).map_err(|e| bad(e.to_string()))?
    else {
        return Ok(None);
    };
    let length = response.headers.iter().find(|h| h.name.eq_ignore_ascii_case("content-length"));
    let length = length.and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok());
    let length =
        length.ok_or_else(|| bad("no Content-Length (only such bodies are read)".into()))?;
    Ok(Some((response.code.unwrap_or(0), head_len, length)))
}

/// Completes with `future`'s output, or with a `TimedOut` error after `limit` (and then drops
/// `future`: that is cancellation).
pub async fn with_timeout<T>(
    limit: Duration,
    future: impl Future<Output = io::Result<T>>,
) -> io::Result<T> {
    let mut future = std::pin::pin!(future);
    let mut timer = sleep(limit);
    std::future::poll_fn(|cx: &mut Context<'_>| {
        if let Poll::Ready(out) = future.as_mut().poll(cx) {
            return Poll::Ready(out);
        }
        match Pin::new(&mut timer).poll(cx) {
            Poll::Ready(()) => {
                Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "fetch timed out")))
            }
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// `GET /orders?page=N`, bounded, and the orders it holds.
pub async fn fetch_page(addr: SocketAddr, page: u64) -> io::Result<Totals> {
    let (status, body) =
        with_timeout(FETCH_TIMEOUT, http_get(addr, &format!("/orders?page={page}"))).await?;
    if status != 200 {
        return Err(io::Error::other(format!("page {page}: HTTP status {status}")));
    }
    Ok(totals_of(&String::from_utf8_lossy(&body)))
}

fn add(a: Totals, b: Totals) -> Totals {
    Totals {
        pages: a.pages + b.pages,
        orders: a.orders + b.orders,
        checksum: a.checksum + b.checksum,
    }
}

/// Step 1's loop as one task: each page is awaited before the next is asked for.
pub fn fetch_sequential(addr: SocketAddr, pages: u64) -> io::Result<Totals> {
    block_on(async move {
        let mut all = Totals::default();
        for page in 0..pages {
            all = add(all, fetch_page(addr, page).await?);
        }
        Ok(all)
    })?
}

/// One task per page, all started at once; main joins them in page order.
pub fn fetch_concurrent(addr: SocketAddr, pages: u64) -> io::Result<Totals> {
    block_on(async move {
        let handles: Vec<_> = (0..pages).map(|page| spawn(fetch_page(addr, page))).collect();
        let mut all = Totals::default();
        for handle in handles {
            all = add(all, handle.await?);
        }
        Ok(all)
    })?
}

/// Starts the demo server (`latency` per request) and prints both strategies' rows.
pub fn run_demo(pages: u64, latency: Duration) -> io::Result<()> {
    use corolab_server::orders::OrderApi;
    let api = OrderApi { latency, ..OrderApi::default() };
    let expected = api.checksum_of_pages(0..pages);
    let server = api.spawn_on_thread("127.0.0.1:0")?;
    let addr = server.local_addr();
    trace::say(format!(
        "{:<12} {:>9} {:>8} {:>6} {:>7}  checksum",
        "strategy", "wall", "speedup", "pages", "orders"
    ));
    let mut first = None;
    for (name, fetch) in
        [("sequential", fetch_sequential as fn(_, _) -> _), ("coroutines", fetch_concurrent)]
    {
        let started = Instant::now();
        let totals = fetch(addr, pages)?;
        let wall = started.elapsed().as_secs_f64();
        let speedup = first.get_or_insert(wall).to_owned() / wall;
        let verdict = if totals.checksum == expected { "verified" } else { "WRONG" };
        trace::say(format!(
            "{name:<12} {wall:>7.3} s {speedup:>7.1}x {:>6} {:>7}  {verdict}",
            totals.pages, totals.orders
        ));
    }
    Ok(())
}
