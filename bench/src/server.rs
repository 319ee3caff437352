//! The HTTP server of the HTTP workloads: tokio + hyper, in a child process of its own, the same
//! for every client. It must never be the bottleneck, so every page is rendered once at start
//! and served as a shared `Bytes`; the harness reports the CPU it used.
//!
//! - `GET /hello` returns a 13-byte body (http_seq).
//! - `GET /orders?page=N&latency_ms=L` waits L ms on a timer (never blocking the thread), then
//!   returns page N of the order API in the format of corolab's order server:
//!   `{"page":N,"page_size":100,"total_pages":P,"order_list":[...]}`; pages past the end
//!   have an empty list.

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::io::Read;
use std::rc::Rc;
use std::time::Duration;

/// Orders per page.
pub const PAGE_SIZE: u64 = 100;
/// Pages the server has (the page_fetch workloads fetch all of them).
pub const TOTAL_PAGES: u64 = 1000;

/// One order, as the server writes it and the clients read it.
#[derive(Serialize, Deserialize, Debug)]
pub struct Order {
    /// 1, 2, 3, ...
    pub order_id: u64,
    /// A product code.
    pub sku: String,
    /// How many items.
    pub quantity: u32,
    /// Price in cents (what the clients add up).
    pub amount_cents: u64,
    /// A timestamp string.
    pub created_at: String,
}

/// One page of the order API.
#[derive(Serialize, Deserialize, Debug)]
pub struct Page {
    /// Page number (1-based).
    pub page: u64,
    /// Orders per page.
    pub page_size: u64,
    /// Pages in all.
    pub total_pages: u64,
    /// The orders on this page.
    pub order_list: Vec<Order>,
}

/// The deterministic amount of order `id`.
fn amount_cents(id: u64) -> u64 {
    (id * 7919) % 100_000 + 99
}

/// The sum of `amount_cents` over pages `1..=pages`: what a client must arrive at.
pub fn expected_checksum(pages: u64) -> u64 {
    (1..=pages.min(TOTAL_PAGES) * PAGE_SIZE).map(amount_cents).sum()
}

fn render_page(page: u64) -> Bytes {
    let order_list = if (1..=TOTAL_PAGES).contains(&page) {
        ((page - 1) * PAGE_SIZE + 1..=page * PAGE_SIZE)
            .map(|id| Order {
                order_id: id,
                sku: format!("SKU-{:05}", id % 9973),
                quantity: (id % 7 + 1) as u32,
                amount_cents: amount_cents(id),
                created_at: format!("2026-11-{:02}T{:02}:{:02}:00Z", id % 28 + 1, id % 24, id % 60),
            })
            .collect()
    } else {
        Vec::new()
    };
    let body = Page {
        page,
        page_size: PAGE_SIZE,
        total_pages: TOTAL_PAGES,
        order_list,
    };
    Bytes::from(serde_json::to_vec(&body).expect("serialize page"))
}

/// Query parameter `name` of `query` as a number.
fn query_number(query: &str, name: &str) -> Option<u64> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .and_then(|(_, v)| v.parse().ok())
}

struct Site {
    pages: Vec<Bytes>,
    empty_page: Bytes,
}

async fn handle(
    site: Rc<Site>,
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path();
    let query = request.uri().query().unwrap_or("");
    let body = match path {
        "/hello" => Bytes::from_static(b"Hello, world!"),
        "/orders" => {
            let page = query_number(query, "page").unwrap_or(1);
            let latency = query_number(query, "latency_ms").unwrap_or(0);
            if latency > 0 {
                tokio::time::sleep(Duration::from_millis(latency)).await;
            }
            match site.pages.get(page.wrapping_sub(1) as usize) {
                Some(body) => body.clone(),
                None => site.empty_page.clone(),
            }
        }
        _ => {
            let mut response = Response::new(Full::new(Bytes::from_static(b"not found\n")));
            *response.status_mut() = StatusCode::NOT_FOUND;
            return Ok(response);
        }
    };
    let mut response = Response::new(Full::new(body));
    let content_type = if path == "/orders" {
        "application/json"
    } else {
        "text/plain"
    };
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    Ok(response)
}

/// Entry point of the `__server` child: prints `listening ADDR`, serves until stdin closes.
pub fn serve_forever() {
    std::thread::spawn(|| {
        // The parent holds our stdin; EOF means it exited (or died): so do we.
        let mut sink = [0u8; 64];
        while let Ok(n) = std::io::stdin().read(&mut sink) {
            if n == 0 {
                break;
            }
        }
        std::process::exit(0);
    });
    let site = Rc::new(Site {
        pages: (1..=TOTAL_PAGES).map(render_page).collect(),
        empty_page: render_page(0),
    });
    let runtime = crate::workloads::tokio_runtime();
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        println!("listening {}", listener.local_addr().expect("addr"));
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let site = site.clone();
            tokio::task::spawn_local(async move {
                let service = hyper::service::service_fn(move |req| handle(site.clone(), req));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}
