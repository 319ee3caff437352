//! The golden trace of a connect that is still in progress when `connect` looks (one test:
//! the capture is per process). The listener's accept queue is kept full, so the kernel drops
//! the SYN and the handshake ends only when the SYN is sent again, about 1 s later.

#[allow(dead_code)] // CONNECTED_AT_ONCE is for golden_trace.rs
mod traces;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// Is some socket of this network namespace in SYN_SENT (state 02 in `/proc/net/tcp`) towards
/// `port` on 127.0.0.1? Then its first SYN was dropped, and its `connect` has looked already.
fn a_syn_is_waiting_for(port: u16) -> bool {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let remote = format!("0100007F:{port:04X}");
    table.lines().any(|l| l.split_whitespace().skip(2).take(2).eq([remote.as_str(), "02"]))
}

/// A listener whose accept queue (backlog 0: one connection) is already full, and the thread
/// that serves it: once the client's SYN has been dropped, it accepts the filler, then the
/// client's retried connection, and answers one small page of orders.
fn listener_with_a_full_accept_queue() -> SocketAddr {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into()).unwrap();
    socket.listen(0).unwrap();
    let listener: TcpListener = socket.into();
    let addr = listener.local_addr().unwrap();
    let filler = TcpStream::connect(addr).unwrap(); // fills the queue
    std::thread::spawn(move || {
        for _ in 0..600 {
            if a_syn_is_waiting_for(addr.port()) {
                break;
            }
            std::thread::sleep(Duration::from_millis(5)); // (at most 3 s)
        }
        drop((filler, listener.accept()));
        let (mut conn, _) = listener.accept().unwrap();
        let _ = conn.read(&mut [0u8; 1024]);
        std::thread::sleep(Duration::from_millis(20)); // the client's read comes first
        let body = r#"{"order_list":[{"order_id":1,"amount_cents":5}]}"#;
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
        let _ = conn.write_all(format!("{head}{body}").as_bytes());
    });
    addr
}

// Why: the path a loopback connect almost never takes, taken on purpose: `connect` finds the
// handshake unfinished, waits for "writable", is woken by it, and only then sends the request.
#[test]
fn golden_trace_of_a_connect_still_in_progress() {
    let addr = listener_with_a_full_accept_queue();
    let lines = step7_fetch_pages::trace::capture(true, || {
        let totals = step7_fetch_pages::fetch_concurrent(addr, 1).unwrap();
        assert_eq!((totals.orders, totals.checksum), (1, 5));
    });
    let masked: Vec<String> = lines.iter().map(|l| traces::mask(l)).collect();
    assert_eq!(masked.join("\n"), traces::CONNECT_IN_PROGRESS);
    traces::assert_first_wait_is_bounded_by_the_fetch_timeout(&lines);
}
