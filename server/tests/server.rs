//! corolab_server over real loopback sockets: answers, keep-alive, bad input, timeouts,
//! non-blocking latency, many connections, shutdown.

// The deadline helper shared with corolab's own integration tests.
#[path = "../../tests/common/mod.rs"]
mod common;

use common::with_deadline;
use corolab_server::orders::{OrderApi, Page};
use corolab_server::{Config, Limits, Request, Response, ServerHandle, spawn_on_thread};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(20);

/// A parsed response as a test sees it.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A blocking test client on one connection, reading responses strictly by their framing.
struct RawClient {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl RawClient {
    fn connect(addr: SocketAddr) -> RawClient {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        RawClient {
            stream,
            buf: Vec::new(),
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    fn get(&mut self, target: &str) -> Reply {
        self.send(format!("GET {target} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes());
        self.read_reply().expect("a response")
    }

    /// Reads more bytes; `false` on EOF.
    fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 16384];
        match self.stream.read(&mut chunk) {
            Ok(0) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            Err(e) => panic!("read failed: {e}"),
        }
    }

    /// The next response, or `None` if the server closed the connection first.
    fn read_reply(&mut self) -> Option<Reply> {
        let (status, headers, head_len) = loop {
            let mut slots = [httparse::EMPTY_HEADER; 32];
            let mut parsed = httparse::Response::new(&mut slots);
            if let httparse::Status::Complete(len) = parsed.parse(&self.buf).expect("valid response head") {
                let headers = parsed
                    .headers
                    .iter()
                    .map(|h| (h.name.to_string(), String::from_utf8_lossy(h.value).into_owned()))
                    .collect::<Vec<_>>();
                break (parsed.code.unwrap(), headers, len);
            }
            if !self.fill() {
                assert!(self.buf.is_empty(), "connection closed mid-head");
                return None;
            }
        };
        self.buf.drain(..head_len);
        let mut reply = Reply {
            status,
            headers,
            body: Vec::new(),
        };
        if (100..200).contains(&status) {
            // Interim responses (100 Continue) have no body.
        } else if reply.header("transfer-encoding") == Some("chunked") {
            reply.body = self.read_chunked();
        } else {
            let len: usize = reply
                .header("content-length")
                .expect("content-length")
                .parse()
                .unwrap();
            while self.buf.len() < len {
                assert!(self.fill(), "connection closed mid-body");
            }
            reply.body = self.buf.drain(..len).collect();
        }
        Some(reply)
    }

    fn read_chunked(&mut self) -> Vec<u8> {
        let mut body = Vec::new();
        loop {
            let (line_len, size) = loop {
                match httparse::parse_chunk_size(&self.buf) {
                    Ok(httparse::Status::Complete(found)) => break found,
                    Ok(httparse::Status::Partial) => assert!(self.fill(), "closed mid-chunk"),
                    Err(_) => panic!("bad chunk size line"),
                }
            };
            let size = size as usize;
            while self.buf.len() < line_len + size + 2 {
                assert!(self.fill(), "closed mid-chunk");
            }
            body.extend_from_slice(&self.buf[line_len..line_len + size]);
            assert_eq!(&self.buf[line_len + size..line_len + size + 2], b"\r\n");
            self.buf.drain(..line_len + size + 2);
            if size == 0 {
                return body;
            }
        }
    }

    /// True if the server closes the connection (EOF) without sending anything more.
    fn sees_eof(&mut self) -> bool {
        !self.fill() && self.buf.is_empty()
    }
}

fn order_server(api: OrderApi) -> ServerHandle {
    api.spawn_on_thread("127.0.0.1:0").expect("start order server")
}

fn echo_server(config: Config) -> ServerHandle {
    spawn_on_thread("127.0.0.1:0", config, |req: Request| async move {
        Response::new(200).with_body(req.body)
    })
    .expect("start echo server")
}

/// Waits (bounded) until `check` holds; the server counts on its own thread.
fn eventually(what: &str, check: impl Fn() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "timed out waiting for: {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn order_server_answers_with_the_page_asked_for() {
    // The most basic contract: a GET for a page returns that page as JSON.
    with_deadline(LIMIT, || {
        let server = order_server(OrderApi::default());
        let mut client = RawClient::connect(server.local_addr());
        let reply = client.get("/orders?page=7");
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type"), Some("application/json"));
        let page: Page = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(page, OrderApi::default().page(7));
        server.shutdown();
    });
}

#[test]
fn keep_alive_serves_many_requests_on_one_connection() {
    // A client must be able to reuse a connection, or pools would be pointless.
    with_deadline(LIMIT, || {
        let server = order_server(OrderApi::default());
        let mut client = RawClient::connect(server.local_addr());
        for page in 0..5 {
            let reply = client.get(&format!("/orders?page={page}"));
            assert_eq!(reply.status, 200);
            assert_eq!(reply.header("connection"), None);
        }
        let stats = server.stats();
        assert_eq!((stats.accepted, stats.requests), (1, 5));
    });
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    // Two requests in one write must not be merged or lost (leftover bytes are kept).
    with_deadline(LIMIT, || {
        let server = order_server(OrderApi::default());
        let mut client = RawClient::connect(server.local_addr());
        client.send(b"GET /orders?page=1 HTTP/1.1\r\n\r\nGET /orders?page=2 HTTP/1.1\r\n\r\n");
        for expected in [1, 2] {
            let page: Page = serde_json::from_slice(&client.read_reply().unwrap().body).unwrap();
            assert_eq!(page.page, expected);
        }
    });
}

#[test]
fn garbage_gets_400_and_the_server_keeps_serving() {
    // Bad input may end one connection, never the server.
    with_deadline(LIMIT, || {
        let server = order_server(OrderApi::default());
        let junk: [&[u8]; 4] = [
            b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03garbage\r\n\r\n",
            b"GET / HTTP/9.9\r\n\r\n",
            b"GET /orders?page=1 HTTP/1.1\r\nBad Header\r\n\r\n",
            b"POST /orders HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        ];
        for bytes in junk {
            let mut client = RawClient::connect(server.local_addr());
            client.send(bytes);
            let reply = client.read_reply().expect("an error response");
            assert_eq!(reply.status, 400, "for {:?}", String::from_utf8_lossy(bytes));
            assert!(String::from_utf8_lossy(&reply.body).starts_with("bad request"));
            assert_eq!(reply.header("connection"), Some("close"));
            assert!(client.sees_eof());
        }
        assert_eq!(server.stats().rejected, 4);
        let mut client = RawClient::connect(server.local_addr());
        assert_eq!(client.get("/orders?page=0").status, 200);
    });
}

#[test]
fn limits_are_enforced_with_the_right_status() {
    // Each limit has its own status code so a client knows what to fix.
    with_deadline(LIMIT, || {
        let config = Config {
            limits: Limits {
                max_head_bytes: 1024,
                max_headers: 8,
                max_body_bytes: 100,
            },
            ..Config::default()
        };
        let server = echo_server(config);
        let cases: Vec<(Vec<u8>, u16)> = vec![
            (
                format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(2000)).into_bytes(),
                431,
            ),
            (
                format!("GET / HTTP/1.1\r\n{}\r\n", "X: y\r\n".repeat(9)).into_bytes(),
                431,
            ),
            (b"POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n".to_vec(), 413),
            (
                b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n".to_vec(),
                413,
            ),
            (
                b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n".to_vec(),
                501,
            ),
        ];
        for (bytes, status) in cases {
            let mut client = RawClient::connect(server.local_addr());
            client.send(&bytes);
            assert_eq!(client.read_reply().unwrap().status, status);
        }
    });
}

#[test]
fn request_bodies_arrive_whole_with_length_or_chunked() {
    // Uploads split across packets, chunked or not, reach the handler intact.
    with_deadline(LIMIT, || {
        let server = echo_server(Config::default());
        let mut client = RawClient::connect(server.local_addr());
        client.send(b"POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello");
        std::thread::sleep(Duration::from_millis(20));
        client.send(b" world");
        assert_eq!(client.read_reply().unwrap().body, b"hello world");
        client.send(
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;x=y\r\n!\r\n0\r\n\r\n",
        );
        assert_eq!(client.read_reply().unwrap().body, b"hello!");
        client.send(b"POST / HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
        assert_eq!(client.read_reply().unwrap().status, 100);
        client.send(b"abc");
        assert_eq!(client.read_reply().unwrap().body, b"abc");
    });
}

#[test]
fn chunked_responses_reassemble_to_the_same_page() {
    // The chunked option changes only the framing, never the content.
    with_deadline(LIMIT, || {
        let server = order_server(OrderApi {
            chunked: true,
            ..OrderApi::default()
        });
        let mut client = RawClient::connect(server.local_addr());
        let reply = client.get("/orders?page=3");
        assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
        assert_eq!(reply.header("content-length"), None);
        let page: Page = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(page, OrderApi::default().page(3));
        // Still keep-alive after a chunked body.
        assert_eq!(client.get("/orders?page=4").status, 200);
    });
}

#[test]
fn http10_and_connection_close_end_the_connection() {
    // Closing when the client asks is what lets read-to-EOF clients work.
    with_deadline(LIMIT, || {
        let server = order_server(OrderApi::default());
        for request in [
            "GET /orders?page=0 HTTP/1.0\r\n\r\n",
            "GET /orders?page=0 HTTP/1.1\r\nConnection: close\r\n\r\n",
        ] {
            let mut client = RawClient::connect(server.local_addr());
            client.send(request.as_bytes());
            let reply = client.read_reply().unwrap();
            assert_eq!((reply.status, reply.header("connection")), (200, Some("close")));
            assert!(client.sees_eof());
        }
    });
}

#[test]
fn silent_connections_time_out() {
    // Every wait is bounded: an idle client is closed, a half-sent request gets 408.
    with_deadline(LIMIT, || {
        let config = Config {
            idle_timeout: Duration::from_millis(100),
            read_timeout: Duration::from_millis(200),
            ..Config::default()
        };
        let server = echo_server(config);
        let start = Instant::now();
        let mut idle = RawClient::connect(server.local_addr());
        assert!(idle.sees_eof());
        assert!(start.elapsed() < Duration::from_secs(2));
        let mut slow = RawClient::connect(server.local_addr());
        slow.send(b"GET / HTTP/1.1\r\nHost: x");
        assert_eq!(slow.read_reply().unwrap().status, 408);
        eventually("connections closed", || server.stats().active == 0);
    });
}

#[test]
fn latency_is_a_timer_not_a_blocking_sleep() {
    // 20 requests waiting 100 ms each on one server thread must overlap, not queue up.
    with_deadline(LIMIT, || {
        let server = order_server(OrderApi {
            latency: Duration::from_millis(100),
            ..OrderApi::default()
        });
        let addr = server.local_addr();
        let start = Instant::now();
        let clients: Vec<_> = (0..20)
            .map(|page| {
                std::thread::spawn(move || RawClient::connect(addr).get(&format!("/orders?page={page}")))
            })
            .collect();
        for client in clients {
            assert_eq!(client.join().unwrap().status, 200);
        }
        let elapsed = start.elapsed();
        assert!(
            elapsed >= Duration::from_millis(100),
            "latency not applied: {elapsed:?}"
        );
        assert!(
            elapsed < Duration::from_millis(1000),
            "requests did not overlap: {elapsed:?}"
        );
        assert_eq!(server.stats().peak_active, 20);
    });
}

#[test]
fn one_thread_serves_thousands_of_keep_alive_connections() {
    // The point of the coroutine server: 2000 open connections, one thread, all answered.
    with_deadline(LIMIT, || {
        let server = order_server(OrderApi {
            total_orders: 2000,
            page_size: 1,
            ..OrderApi::default()
        });
        let addr = server.local_addr();
        let n = 2000;
        let mut clients: Vec<RawClient> = (0..n).map(|_| RawClient::connect(addr)).collect();
        for (i, client) in clients.iter_mut().enumerate() {
            client.send(format!("GET /orders?page={i} HTTP/1.1\r\n\r\n").as_bytes());
        }
        for (i, client) in clients.iter_mut().enumerate() {
            let page: Page = serde_json::from_slice(&client.read_reply().unwrap().body).unwrap();
            assert_eq!(page.order_list[0].order_id, i as u64 + 1);
        }
        let stats = server.stats();
        assert_eq!((stats.accepted, stats.active, stats.peak_active), (n, n, n));
        drop(clients);
        eventually("all connections closed", || server.stats().active == 0);
    });
}

#[test]
fn shutdown_closes_open_connections_and_frees_the_port() {
    // Stopping a test server must not leave sockets or a thread behind.
    with_deadline(LIMIT, || {
        let server = order_server(OrderApi::default());
        let addr = server.local_addr();
        let mut client = RawClient::connect(addr);
        assert_eq!(client.get("/orders?page=0").status, 200);
        let runtime_stats = server.shutdown();
        assert!(runtime_stats.polls > 0);
        assert!(client.sees_eof());
        assert!(
            TcpStream::connect(addr).is_err(),
            "still listening after shutdown"
        );
    });
}
