//! page_fetch: the fetch_pages "coroutines" strategy. One task per page, at most C requests
//! in flight, every page parsed as JSON and its `amount_cents` added up; the total must match
//! the server's checksum. Metrics: wall time, and wall / lower bound where the lower bound is
//! ceil(pages / C) x latency (zero latency has no useful bound).
//!
//! corolab: `http::Client` with `max_connections(C)` (its FIFO pool is the limit).
//! tokio + hyper: hyper-util's pooled client, with a `tokio::sync::Semaphore` of C permits as
//! the limit (hyper's pool has no cap of its own). Same server, same JSON parsing (serde_json).

use super::{Contender, Ctx, Sample, tokio_runtime};
use crate::server::{Page, expected_checksum};
use http_body_util::BodyExt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Requests in flight at most.
const CONCURRENCY: usize = 100;

/// page_fetch_0ms: no server latency, so the run is CPU-bound (client, kernel, server).
pub fn run_0ms(who: Contender, ctx: &Ctx) -> Sample {
    run(who, ctx, 0)
}

/// page_fetch_100ms: 100 ms per request, so the run is wait-bound (lower bound 1 s).
pub fn run_100ms(who: Contender, ctx: &Ctx) -> Sample {
    run(who, ctx, 100)
}

fn run(who: Contender, ctx: &Ctx, latency_ms: u64) -> Sample {
    let pages = ctx.size(1000) as u64;
    let addr = ctx.server.expect("page_fetch needs the bench server");
    let (elapsed, checksum) = match who {
        Contender::Corolab => corolab_version(addr, pages, latency_ms),
        Contender::Tokio => hyper_version(addr, pages, latency_ms),
        Contender::Smol => unreachable!("no smol HTTP client in this comparison"),
    };
    assert_eq!(
        checksum,
        expected_checksum(pages),
        "wrong checksum from {}",
        who.name()
    );
    let sample = Sample::default().with("wall ms", elapsed.as_secs_f64() * 1000.0);
    if latency_ms == 0 {
        return sample;
    }
    let waves = pages.div_ceil(CONCURRENCY as u64);
    let bound = Duration::from_millis(waves * latency_ms);
    sample.with("wall/bound", elapsed.as_secs_f64() / bound.as_secs_f64())
}

fn page_url(addr: SocketAddr, page: u64, latency_ms: u64) -> String {
    format!("http://{addr}/orders?page={page}&latency_ms={latency_ms}")
}

/// The sum of `amount_cents` on one page of JSON.
fn page_sum(body: &[u8]) -> u64 {
    let page: Page = serde_json::from_slice(body).expect("page JSON");
    page.order_list.iter().map(|o| o.amount_cents).sum()
}

fn corolab_version(addr: SocketAddr, pages: u64, latency_ms: u64) -> (Duration, u64) {
    corolab::block_on(async move {
        let client = corolab::http::Client::builder()
            .max_connections(CONCURRENCY)
            .build();
        let start = Instant::now();
        let handles: Vec<_> = (1..=pages)
            .map(|page| {
                let client = client.clone();
                let url = page_url(addr, page, latency_ms);
                corolab::spawn(async move {
                    let response = client.get(&url).send().await.expect("GET page");
                    assert_eq!(response.status(), 200);
                    page_sum(response.body())
                })
            })
            .collect();
        let mut total = 0;
        for handle in handles {
            total += handle.await.expect("page task");
        }
        (start.elapsed(), total)
    })
}

fn hyper_version(addr: SocketAddr, pages: u64, latency_ms: u64) -> (Duration, u64) {
    tokio_runtime().block_on(async move {
        let client = super::http_seq::hyper_client();
        let limit = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
        let start = Instant::now();
        let handles: Vec<_> = (1..=pages)
            .map(|page| {
                let client = client.clone();
                let limit = limit.clone();
                let url = page_url(addr, page, latency_ms);
                tokio::spawn(async move {
                    let _permit = limit.acquire().await.expect("semaphore");
                    let uri: hyper::Uri = url.parse().expect("uri");
                    let response = client.get(uri).await.expect("GET page");
                    assert_eq!(response.status(), 200);
                    let body = response.into_body().collect().await.expect("body").to_bytes();
                    page_sum(&body)
                })
            })
            .collect();
        let mut total = 0;
        for handle in handles {
            total += handle.await.expect("page task");
        }
        (start.elapsed(), total)
    })
}
