//! Generation tokens, seen through `Reactor::slot_for` (with `tests/reactor.rs`, the visible
//! tests of the `generation-tokens` lab in docs/teaching.md).

use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use step4_reactor::Reactor;

fn pair() -> (TcpStream, mio::net::TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    (client, mio::net::TcpStream::from_std(listener.accept().unwrap().0))
}

// Why: every live token must lead back to its own socket's slot, wherever it sits.
#[test]
fn each_live_token_finds_its_own_socket() {
    let reactor = Reactor::new().unwrap();
    let mut reactor = reactor.borrow_mut();
    let mut sockets = Vec::new();
    for _ in 0..3 {
        let (peer, mut stream) = pair();
        let token = reactor.register(&mut stream, mio::Interest::READABLE).unwrap();
        sockets.push((token, stream, peer));
    }
    for (token, stream, _) in &sockets {
        let slot = reactor.slot_for(*token).expect("a live token finds its slot");
        assert_eq!(slot.fd, stream.as_raw_fd());
    }
}

// Why: a freed slot keeps its (new) generation but is not in use: a token that names it,
// even with the matching generation, belongs to no socket.
#[test]
fn a_token_for_a_freed_slot_finds_nothing() {
    let reactor = Reactor::new().unwrap();
    let mut reactor = reactor.borrow_mut();
    let (_peer, mut stream) = pair();
    let token = reactor.register(&mut stream, mio::Interest::READABLE).unwrap();
    reactor.deregister(&mut stream, token);
    let index = token.0 & 0xffff_ffff;
    let next_generation = mio::Token((1 << 32) | index);
    assert!(reactor.slot_for(token).is_none(), "the old generation");
    assert!(reactor.slot_for(next_generation).is_none(), "the new generation, not in use yet");
    assert!(reactor.slot_for(mio::Token(7)).is_none(), "a slot that never existed");
}
