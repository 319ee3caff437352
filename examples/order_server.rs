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

use corolab_server::Server;
use corolab_server::orders::OrderApi;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

const USAGE: &str = "\
usage: order_server [options]
  --host ADDR        address to listen on (default 127.0.0.1)
  --port N           port (default 8080; 0 = pick a free one)
  --latency-ms N     wait per /orders request, on a timer (default 100, like the seed's API)
  --orders N         orders in the shop (default 100000)
  --page-size N      orders per page (default 100)
  --chunked          send bodies with Transfer-Encoding: chunked
  --for-secs N       stop after N seconds (default: run until killed)";

/// What the command line asked for.
struct Options {
    host: String,
    port: u16,
    api: OrderApi,
    for_secs: Option<u64>,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        host: "127.0.0.1".to_string(),
        port: 8080,
        api: OrderApi {
            latency: Duration::from_millis(100),
            ..OrderApi::default()
        },
        for_secs: None,
    };
    let mut args = args.peekable();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--host" => options.host = value()?,
            "--port" => options.port = number(&flag, &value()?)?,
            "--latency-ms" => options.api.latency = Duration::from_millis(number(&flag, &value()?)?),
            "--orders" => options.api.total_orders = number(&flag, &value()?)?,
            "--page-size" => options.api.page_size = number::<u64>(&flag, &value()?)?.max(1),
            "--chunked" => options.api.chunked = true,
            "--for-secs" => options.for_secs = Some(number(&flag, &value()?)?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(options)
}

fn number<T: std::str::FromStr>(flag: &str, text: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{flag} wants a number, got {text:?}"))
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    corolab::block_on(serve(options))
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
