//! The two golden traces of one traced page, shared by `golden_trace.rs` (the demo server;
//! either trace may happen) and `golden_trace_connect_in_progress.rs` (which forces the second).
//!
//! A non-blocking `connect` to 127.0.0.1 returns `EINPROGRESS`, but in practice the kernel has
//! finished the loopback handshake before the system call returns, so `connect` finds the socket
//! connected at once ([`CONNECTED_AT_ONCE`]). That is not guaranteed: if the SYN is dropped (the
//! listener's accept queue is full) or handled later, the handshake is still going on when
//! `connect` looks, and the task waits for "writable" first ([`CONNECT_IN_PROGRESS`]).

/// File descriptors and timeouts without their digits (`fd #`, `timeout #.# ms`).
pub fn mask(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find(|c: char| c.is_ascii_digit()) {
        let keep = line.starts_with("epoll_wait(timeout") || rest[..at].ends_with("fd ");
        out.push_str(&rest[..at]);
        let end = rest[at..].find(|c: char| !c.is_ascii_digit()).map_or(rest.len(), |e| at + e);
        out.push_str(if keep { "#" } else { &rest[at..end] });
        rest = &rest[end..];
    }
    out + rest
}

/// The handshake was over inside `connect()`: the request goes out in the first poll, the task
/// parks on its socket, and the connect's "writable" edge wakes nobody (nobody waits to write).
pub const CONNECTED_AT_ONCE: &str = "\
tick 1: run_ready_tasks
spawn task 1
  poll task 1
    `-> Pending: waits for a task to finish
tick 2: run_ready_tasks
spawn task 2
  poll task 2
    | register fd # (token 0x0)
    | fd # WouldBlock: wait until readable
    | add timer 0x0
    `-> Pending: waits for fd # readable, timer 0x0
tick 2: wait_for_io
epoll_wait(timeout #.# ms)
epoll_wait returned 1 event(s)
tick 2: dispatch_io_events
  fd # writable
tick 3: wait_for_io
epoll_wait(timeout #.# ms)
epoll_wait returned 1 event(s)
tick 3: dispatch_io_events
  fd # readable+writable
    wake task 2 (by fd # readable)
tick 4: run_ready_tasks
  poll task 2
    | deregister fd # (token 0x0)
    | drop timer 0x0
    | wake task 1 (by task 2)
    `-> Ready
done task 2 (Completed)
tick 4: wait_for_io
epoll_wait(timeout #.# ms)
epoll_wait returned 0 event(s)
tick 5: run_ready_tasks
  poll task 1
    `-> Ready
done task 1 (Completed)";

/// The handshake was still going on: the task first waits for "writable" (the end of the
/// handshake), is woken by it, sends the request, then parks on the socket for the answer.
pub const CONNECT_IN_PROGRESS: &str = "\
tick 1: run_ready_tasks
spawn task 1
  poll task 1
    `-> Pending: waits for a task to finish
tick 2: run_ready_tasks
spawn task 2
  poll task 2
    | register fd # (token 0x0)
    | fd # WouldBlock: wait until writable
    | add timer 0x0
    `-> Pending: waits for fd # writable, timer 0x0
tick 2: wait_for_io
epoll_wait(timeout #.# ms)
epoll_wait returned 1 event(s)
tick 2: dispatch_io_events
  fd # writable
    wake task 2 (by fd # writable)
tick 3: run_ready_tasks
  poll task 2
    | fd # WouldBlock: wait until readable
    `-> Pending: waits for fd # readable, timer 0x0
tick 3: wait_for_io
epoll_wait(timeout #.# ms)
epoll_wait returned 1 event(s)
tick 3: dispatch_io_events
  fd # readable+writable
    wake task 2 (by fd # readable)
tick 4: run_ready_tasks
  poll task 2
    | deregister fd # (token 0x0)
    | drop timer 0x0
    | wake task 1 (by task 2)
    `-> Ready
done task 2 (Completed)
tick 4: wait_for_io
epoll_wait(timeout #.# ms)
epoll_wait returned 0 event(s)
tick 5: run_ready_tasks
  poll task 1
    `-> Ready
done task 1 (Completed)";

/// The first `epoll_wait` is bounded by the fetch's 5 s timer: a whole number of milliseconds,
/// rounded up from just under 5 s (a little less if the thread was descheduled before it).
pub fn assert_first_wait_is_bounded_by_the_fetch_timeout(lines: &[String]) {
    let first = lines.iter().find(|l| l.starts_with("epoll_wait(")).expect("an epoll_wait");
    let ms = first.strip_prefix("epoll_wait(timeout ").and_then(|r| r.strip_suffix(".000 ms)"));
    let ms: u64 = ms.and_then(|ms| ms.parse().ok()).unwrap_or_else(|| panic!("{first}"));
    assert!((4_000..=5_000).contains(&ms), "the fetch timeout bounds it: {first}");
}
