//! http_seq: N sequential keep-alive `GET /hello` requests to the bench server (13-byte body),
//! one connection reused throughout. Measures the client's per-request cost: encode, write,
//! wait for readable, parse the head, read the body. Metric: microseconds per request.
//! Peers: `corolab::http::Client` vs hyper-util's legacy client (hyper 1) on tokio
//! current_thread; both with TCP_NODELAY; both parse the URL for every request.

use super::{Contender, Ctx, Sample, tokio_runtime};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Runs the workload once on `who` (corolab or tokio + hyper).
pub fn run(who: Contender, ctx: &Ctx) -> Sample {
    let n = ctx.size(10_000);
    let addr = ctx.server.expect("http_seq needs the bench server");
    let elapsed = match who {
        Contender::Corolab => corolab_version(addr, n),
        Contender::Tokio => hyper_version(addr, n),
        Contender::Smol => unreachable!("no smol HTTP client in this comparison"),
    };
    Sample::default().with("us/request", elapsed.as_secs_f64() * 1e6 / n as f64)
}

fn corolab_version(addr: SocketAddr, n: usize) -> Duration {
    let url = format!("http://{addr}/hello");
    corolab::block_on(async move {
        let client = corolab::http::Client::builder().max_connections(1).build();
        let start = Instant::now();
        for _ in 0..n {
            let response = client.get(&url).send().await.expect("GET /hello");
            assert_eq!(response.status(), 200);
            black_box(response.body().len());
        }
        start.elapsed()
    })
}

/// hyper-util's client with nodelay on, as the corolab client sets it.
pub fn hyper_client()
-> hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, Empty<Bytes>> {
    let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
    connector.set_nodelay(true);
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .pool_max_idle_per_host(usize::MAX)
        .build(connector)
}

fn hyper_version(addr: SocketAddr, n: usize) -> Duration {
    let url = format!("http://{addr}/hello");
    tokio_runtime().block_on(async move {
        let client = hyper_client();
        let start = Instant::now();
        for _ in 0..n {
            let uri: hyper::Uri = url.parse().expect("uri");
            let response = client.get(uri).await.expect("GET /hello");
            assert_eq!(response.status(), 200);
            let body = response.into_body().collect().await.expect("body").to_bytes();
            black_box(body.len());
        }
        start.elapsed()
    })
}
