//! gevent-style crawling: `cargo run --example gevent_style`.
//!
//! Seed 003's last example, in Rust:
//!
//! ```python
//! from gevent import monkey; monkey.patch_all()
//! import gevent, requests
//! def fetch_async(method, url, req_kwargs):
//!     response = requests.request(method=method, url=url, **req_kwargs)
//!     print(response.url, response.content)
//! gevent.joinall([gevent.spawn(fetch_async, method='get', url=u, req_kwargs={}) for u in urls])
//! ```
//!
//! "gevent uses one thread; once a request is sent it does not wait for it:
//! whoever returns first is handled first." `fetch` below is plain blocking
//! code: `green::http_get` writes the request and reads the response with a
//! green socket, which switches to the hub whenever the kernel says
//! `WouldBlock`. The pages come from a small async (stackless) server in the
//! same runtime, each page taking a different time, so the output order is
//! the order in which the answers arrive, not the order of the spawns.
//!
//! Run with `COROLAB_TRACE=1` to see the green threads (tasks named `green`)
//! parking and being woken by the reactor.

mod common;

/// `--help` prints this; the example takes no other flag.
const USAGE: &str = "usage: gevent_style (no options)\n\
    \x20 ten green threads fetch pages from a local server, printed in the order they arrive";

#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
fn main() {
    common::start(&[], USAGE);
    demo::main();
}

#[cfg(not(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64"))))]
fn main() {
    common::start(&[], USAGE);
    println!("green threads are not supported on this target (Linux on x86_64 or aarch64 only)");
}

#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
mod demo {
    use corolab::green;
    use corolab::net::TcpListener;
    use std::net::SocketAddr;
    use std::time::{Duration, Instant};

    const PAGES: u64 = 10;

    /// How long the server takes for page `n`: 30 to 300 ms, shuffled.
    fn delay_of(page: u64) -> Duration {
        Duration::from_millis(30 * (1 + (page * 7) % PAGES))
    }

    pub fn main() {
        let outcome = green::run(|| {
            let addr = start_page_server();

            println!("== one green thread per page (gevent.spawn + gevent.joinall) ==");
            let start = Instant::now();
            let jobs: Vec<_> = (1..=PAGES)
                .map(|n| green::spawn(move || fetch(addr, n, start)))
                .collect();
            let ok = green::joinall(jobs)
                .into_iter()
                .filter(|r| matches!(r, Ok(Ok(_))))
                .count();
            let together = start.elapsed();
            println!("{ok}/{PAGES} pages in {} ms", together.as_millis());

            println!("\n== the same fetch, one page after another ==");
            let start = Instant::now();
            let ok = (1..=PAGES).filter(|&n| fetch(addr, n, start).is_ok()).count();
            let sequential = start.elapsed();
            println!("{ok}/{PAGES} pages in {} ms", sequential.as_millis());
            (together, sequential)
        });
        match outcome {
            Ok((together, sequential)) => println!(
                "\ngreen threads: {} ms, sequential: {} ms (the sum of all delays is {} ms)",
                together.as_millis(),
                sequential.as_millis(),
                (1..=PAGES).map(delay_of).sum::<Duration>().as_millis()
            ),
            Err(e) => eprintln!("the crawl failed: {e}"),
        }
    }

    /// Plain blocking-looking code: no `async`, no `.await`, no callbacks.
    fn fetch(addr: SocketAddr, page: u64, start: Instant) -> Result<usize, corolab::http::Error> {
        let url = format!("http://{addr}/pages/{page}");
        let response = green::http_get(&url)?; // parks this green thread while waiting
        let text = response.text()?;
        println!(
            "[{:>4} ms] {url} -> {} {text:?}",
            start.elapsed().as_millis(),
            response.status()
        );
        Ok(text.len())
    }

    /// A stackless server on the same reactor: `GET /pages/N` answers
    /// `page N` after `delay_of(N)`. Each connection is an async task.
    fn start_page_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("bound address");
        drop(corolab::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                drop(corolab::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                        if head.len() > 8192 {
                            return; // not a request we serve
                        }
                    }
                    let head = String::from_utf8_lossy(&head);
                    let target = head.split(' ').nth(1).unwrap_or("");
                    let page: u64 = target
                        .strip_prefix("/pages/")
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0);
                    corolab::time::sleep(delay_of(page)).await;
                    let body = format!("page {page}");
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = conn.write_all(reply.as_bytes()).await;
                }));
            }
        }));
        addr
    }
}
