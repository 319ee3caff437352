//! Unit tests of the pool's liveness check (`usable`), which needs private items.

use super::*;
use std::io::Write;

/// A pooled connection on which the server has sent `stray` bytes and closed, with the
/// reactor having seen both (its readiness is set), checked in just now.
async fn idle_connection_the_server_wrote_to_and_closed(pool: &Pool) -> Idle {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let stream = TcpStream::connect_addr(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (mut server_side, _) = listener.accept().unwrap();
    server_side.write_all(b"stray").unwrap();
    drop(server_side);
    let started = Instant::now();
    while !matches!(stream.try_peek(&mut [0u8; 1]), Ok(1)) {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the bytes never arrived"
        );
        crate::time::sleep(Duration::from_millis(1)).await;
    }
    crate::time::sleep(Duration::from_millis(5)).await; // an epoll_wait sees the edge
    let connection = Connection {
        stream,
        read_buf: Vec::new(),
        _slot: pool.slots.clone().acquire_owned().await,
        _host_slot: None,
    };
    Idle {
        connection,
        since: Instant::now(),
    }
}

// The reactor's free look at an idle connection goes through `poll_read`, which answers
// `Pending` without looking once the task's cooperative budget is spent. That `Pending`
// must not count as "nothing to read": a task that spent its budget just before a request
// would otherwise reuse a connection whose stray bytes it then reads as its response.
#[test]
fn a_spent_cooperative_budget_does_not_make_a_used_up_idle_connection_look_alive() {
    crate::block_on(async {
        let pool = Pool::default();
        let entry = idle_connection_the_server_wrote_to_and_closed(&pool).await;
        let checked_at = entry.since; // idle 0 s: the kernel probe alone would be skipped
        for _ in 0..budget::BUDGET {
            budget::spend();
        }
        assert_eq!(budget::remaining(), Some(0));
        assert!(!usable(&entry, checked_at), "budget spent");
    });
    crate::block_on(async {
        let pool = Pool::default();
        let entry = idle_connection_the_server_wrote_to_and_closed(&pool).await;
        let checked_at = entry.since;
        assert!(
            !usable(&entry, checked_at),
            "budget left: the reactor's view decides"
        );
    });
}
