//! The golden trace of `cargo run -p step4-reactor -- --trace` (one test: the capture is per
//! process). File descriptor numbers depend on the process, so they are compared as `fd N`.

fn mask_fds(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("fd ") {
        out.push_str(&rest[..at + 3]);
        rest = rest[at + 3..].trim_start_matches(|c: char| c.is_ascii_digit());
        out.push('N');
    }
    out + rest
}

// Why: readiness drives task switching: each event wakes exactly the task waiting on that fd,
// the loop sleeps in epoll_wait only when the run queue is empty, and sockets deregister.
#[test]
fn golden_trace_of_the_demo() {
    // On a thread of its own, bounded: a lost wake would leave the loop in epoll_wait forever.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        tx.send(step4_reactor::trace::capture(true, || step4_reactor::run_demo().unwrap()))
    });
    let lines =
        rx.recv_timeout(std::time::Duration::from_secs(5)).expect("the demo hung or panicked");
    let masked: Vec<String> = lines.iter().map(|l| mask_fds(l)).collect();
    let expected = "\
register fd N (token 0x0)
spawn task 1
register fd N (token 0x1)
spawn task 2
tick 1: run_ready_tasks
  poll task 1
    | fd N WouldBlock: wait until readable
    `-> Pending: waits for fd N readable
  poll task 2
    | fd N WouldBlock: wait until readable
    `-> Pending: waits for fd N readable
tick 1: wait_for_io
epoll_wait(no timeout: nothing to do until I/O)
epoll_wait returned 1 event(s)
tick 1: dispatch_io_events
  fd N readable
    wake task 2 (by fd N readable)
tick 2: run_ready_tasks
  poll task 2
task 2 read \"page B\"
    | deregister fd N (token 0x1)
    `-> Ready
done task 2 (Completed)
tick 2: wait_for_io
epoll_wait(no timeout: nothing to do until I/O)
epoll_wait returned 1 event(s)
tick 2: dispatch_io_events
  fd N readable
    wake task 1 (by fd N readable)
tick 3: run_ready_tasks
  poll task 1
task 1 read \"page A\"
    | deregister fd N (token 0x0)
    `-> Ready
done task 1 (Completed)";
    assert_eq!(masked.join("\n"), expected);
}
