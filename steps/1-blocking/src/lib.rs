//! Step 1: blocking. Fetch the order pages one after another with `std::net`, and time it.
//!
//! **Concept.** This is the seed's first program (`for page in range(0, page_num):
//! requests.get(...)`, 106 s for 1000 pages). Each request is connect, write, read; the read
//! *blocks* (阻塞): the thread sleeps in the kernel until the server answers, and nothing else
//! happens meanwhile. With `L` ms of server latency, `N` pages take at least `N x L` ms, while
//! the CPU idles. Every later step attacks that waiting.
//!
//! **Where.** [`fetch_page`] is one blocking GET; [`fetch_sequential`] is the `for` loop;
//! [`run_demo`] starts the demo order server (`corolab_server::orders`, in process, on
//! 127.0.0.1:0; the server is not what this step teaches) and prints one result row.
//!
//! **In the debugger.** `break step1_blocking::fetch_page`, then `finish`: the time goes by
//! inside `read_to_end`; `bt` there shows the thread parked in the `read` system call.
//!
//! **What the real corolab adds here, and where.** Nothing yet: this is the baseline that
//! `examples/fetch_pages.rs` calls the `sequential` strategy. corolab's blocking client is
//! `src/http/blocking.rs`, with keep-alive (one connection for every page) and timeouts.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};
pub use steps_support as trace;

/// `cargo run` fetches this many pages unless `--pages N` says otherwise...
pub const DEFAULT_PAGES: u64 = 10;
/// ...with this server latency per request (`--latency-ms MS`).
pub const DEFAULT_LATENCY_MS: u64 = 50;

/// Every wait on the network has a bound.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// What a fetch brought back: pages, orders and the sum of their `amount_cents`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Pages fetched.
    pub pages: u64,
    /// Orders found in them.
    pub orders: u64,
    /// Sum of every order's `amount_cents` (the server knows what it must be).
    pub checksum: u64,
}

/// One blocking `GET /orders?page=N`: connect, write the request, read until the server
/// closes. Returns the body.
pub fn fetch_page(addr: SocketAddr, page: u64) -> io::Result<String> {
    let started = Instant::now();
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    let request =
        format!("GET /orders?page={page} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?; // blocks until the server answers and closes
    trace::line(format!("page {page}: blocked {} ms in read", started.elapsed().as_millis()));
    body_of(&response)
}

/// The body of an HTTP response whose status is 200 (the head ends at the first blank line).
pub fn body_of(response: &[u8]) -> io::Result<String> {
    let text = String::from_utf8_lossy(response);
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| bad("no end of head"))?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(bad(head.lines().next().unwrap_or("empty response")));
    }
    Ok(body.to_string())
}

/// Counts the orders in a page's JSON and adds up their `amount_cents` (a scan, not a parser).
pub fn totals_of(body: &str) -> Totals {
    let mut totals = Totals { pages: 1, ..Totals::default() };
    for piece in body.split("\"amount_cents\":").skip(1) {
        let digits: String = piece.chars().take_while(char::is_ascii_digit).collect();
        totals.orders += 1;
        totals.checksum += digits.parse::<u64>().unwrap_or(0);
    }
    totals
}

/// The seed's `for` loop: pages `0..pages`, one after another.
pub fn fetch_sequential(addr: SocketAddr, pages: u64) -> io::Result<Totals> {
    let mut all = Totals::default();
    for page in 0..pages {
        let t = totals_of(&fetch_page(addr, page)?);
        all = Totals {
            pages: all.pages + 1,
            orders: all.orders + t.orders,
            checksum: all.checksum + t.checksum,
        };
    }
    Ok(all)
}

/// Starts the demo server (`latency` per request), fetches `pages` pages, prints the row.
pub fn run_demo(pages: u64, latency: Duration) -> io::Result<Totals> {
    use corolab_server::orders::OrderApi;
    let api = OrderApi { latency, ..OrderApi::default() };
    let expected = api.checksum_of_pages(0..pages);
    let server = api.spawn_on_thread("127.0.0.1:0")?;
    let started = Instant::now();
    let totals = fetch_sequential(server.local_addr(), pages)?;
    let wall = started.elapsed();
    trace::say(format!(
        "{:<12} {:>9} {:>6} {:>7}  checksum",
        "strategy", "wall", "pages", "orders"
    ));
    let verdict = if totals.checksum == expected { "verified" } else { "WRONG" };
    trace::say(format!(
        "{:<12} {:>7.3} s {:>6} {:>7}  {verdict}",
        "sequential",
        wall.as_secs_f64(),
        totals.pages,
        totals.orders
    ));
    let bound = latency * pages as u32;
    trace::say(format!(
        "at least {pages} x {} ms = {} ms: the thread waits, the CPU idles",
        latency.as_millis(),
        bound.as_millis()
    ));
    Ok(totals)
}
