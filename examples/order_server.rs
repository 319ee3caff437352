//! The order API of the order-sync story, standalone: point `fetch_pages --url`, Python's
//! `requests` or `aiohttp`, or curl at it.
//!
//! ```text
//! cargo run --release --example order_server -- --port 8080 --latency-ms 100
//! curl 'http://127.0.0.1:8080/orders?page=0'
//! ```
//!
//! Every request waits `--latency-ms` on a corolab timer, so this one thread serves thousands
//! of clients at once (the server is never the bottleneck of a client comparison).

mod common;

use common::{Args, Flag};
use corolab_server::Server;
use corolab_server::orders::OrderApi;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

const USAGE: &str = "\
usage: order_server [options]
  --host ADDR        address to listen on (default 127.0.0.1)
  --port N           port (default 8080; 0 = pick a free one)
  --latency-ms N     wait per /orders request, on a timer (default 100, like the seed's API;
                     0 to 10000)
  --orders N         orders in the shop (default 100000; 0 to 100000000)
  --page-size N      orders per page (default 100; 1 to 10000)
  --chunked          send bodies with Transfer-Encoding: chunked
  --for-secs N       stop after N seconds (default: run until killed; 1 to 31536000)";

/// The flags this example accepts, with the bounds of each number and why.
const FLAGS: &[Flag] = &[
    Flag::text("--host"),
    Flag::number(
        "--port",
        0,
        65_535,
        "a TCP port; 0 lets the kernel pick a free one",
    ),
    Flag::number(
        "--latency-ms",
        0,
        10_000,
        "up to 10 s; clients such as corolab's HTTP client give up on a server silent for 30 s",
    ),
    Flag::number(
        "--orders",
        0,
        100_000_000,
        "pages are computed on request, and a client checks the sum of every order",
    ),
    Flag::number(
        "--page-size",
        1,
        10_000,
        "one page is one response body: 10,000 orders are about 1 MB of JSON",
    ),
    Flag::switch("--chunked"),
    Flag::number("--for-secs", 1, 31_536_000, "at most a year"),
];

/// What the command line asked for.
struct Options {
    host: String,
    port: u16,
    api: OrderApi,
    for_secs: Option<u64>,
}

fn options_from(args: &Args) -> Options {
    let defaults = OrderApi::default();
    Options {
        host: args.text("--host").unwrap_or("127.0.0.1").to_string(),
        port: args
            .number("--port")
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(8080),
        api: OrderApi {
            latency: Duration::from_millis(args.number("--latency-ms").unwrap_or(100)),
            total_orders: args.number("--orders").unwrap_or(defaults.total_orders),
            page_size: args.number("--page-size").unwrap_or(defaults.page_size),
            chunked: args.flag("--chunked"),
        },
        for_secs: args.number("--for-secs"),
    }
}

fn main() -> ExitCode {
    let args = common::start(FLAGS, USAGE);
    corolab::block_on(serve(options_from(&args)))
}

async fn serve(options: Options) -> ExitCode {
    let server = match Server::bind((options.host.as_str(), options.port)) {
        Ok(server) => server,
        Err(e) => {
            eprintln!(
                "error: cannot listen on {}:{}: {e} (try --port 0)",
                options.host, options.port
            );
            return ExitCode::FAILURE;
        }
    };
    let addr = server.local_addr().expect("bound socket has an address");
    let api = Rc::new(options.api);
    println!("order API listening on http://{addr}");
    println!(
        "  {} orders, {} per page ({} pages, numbered from 0), {} ms latency, {} bodies",
        api.total_orders,
        api.page_size,
        api.total_pages(),
        api.latency.as_millis(),
        if api.chunked { "chunked" } else { "Content-Length" }
    );
    println!(
        "  expected sum of amount_cents over all pages: {}",
        api.expected_checksum()
    );
    println!("  try:   curl 'http://{addr}/orders?page=0'");
    println!(
        "  or:    cargo run --release --example fetch_pages -- --url http://{addr} --pages {}",
        api.total_pages().min(200)
    );
    println!(
        "  or:    python3 -c \"import requests; print(requests.get('http://{addr}/orders?page=0').json()['total_pages'])\""
    );
    let counters = server.counters();
    let handler = move |request| {
        let api = api.clone();
        async move { api.handle(request).await }
    };
    match options.for_secs {
        None => server.serve(handler).await,
        Some(secs) => {
            server
                .serve_until(handler, corolab::time::sleep(Duration::from_secs(secs)))
                .await
        }
    }
    let stats = counters.snapshot();
    println!(
        "served {} requests on {} connections (at most {} open at once)",
        stats.requests, stats.accepted, stats.peak_active
    );
    ExitCode::SUCCESS
}
