//! The golden trace of `cargo run -p step6-spawn-join -- --trace` (one test: the capture is
//! per process). Timeouts are compared without their digits.

fn mask(line: &str) -> String {
    if !line.starts_with("epoll_wait(timeout") {
        return line.to_string();
    }
    let mut out = String::new();
    for c in line.chars() {
        if !c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('#') {
            out.push('#');
        }
    }
    out
}

// Why: spawns from inside main, timers waking children in deadline order, a child's end
// waking main (by task 2), and join order independent of finish order.
#[test]
fn golden_trace_of_the_demo() {
    let lines = step6_spawn_join::trace::capture(true, || step6_spawn_join::run_demo().unwrap());
    let masked: Vec<String> = lines.iter().map(|l| mask(l)).collect();
    let expected = "\
tick 1: run_ready_tasks
spawn task 1
  poll task 1
    `-> Pending: waits for a task to finish
tick 2: run_ready_tasks
spawn task 2
spawn task 3
spawn task 4
  poll task 2
    | add timer 0x0
    `-> Pending: waits for timer 0x0
  poll task 3
    | add timer 0x1
    `-> Pending: waits for timer 0x1
  poll task 4
    | add timer 0x2
    `-> Pending: waits for timer 0x2
tick 2: wait_for_io
epoll_wait(timeout #.# ms)
epoll_wait returned 0 event(s)
tick 3: fire_timers
  timer 0x1 fired
    wake task 3 (by timer 0x1 fired)
tick 3: wait_for_io
epoll_wait(timeout #.# ms)
epoll_wait returned 0 event(s)
tick 4: run_ready_tasks
  poll task 3
    | drop timer 0x1
child 2 done after 30 ms
    `-> Ready
done task 3 (Completed)
tick 4: wait_for_io
epoll_wait(timeout #.# ms)
epoll_wait returned 0 event(s)
tick 5: fire_timers
  timer 0x2 fired
    wake task 4 (by timer 0x2 fired)
tick 5: wait_for_io
epoll_wait(timeout #.# ms)
epoll_wait returned 0 event(s)
tick 6: run_ready_tasks
  poll task 4
    | drop timer 0x2
child 3 done after 60 ms
    `-> Ready
done task 4 (Completed)
tick 6: wait_for_io
epoll_wait(timeout #.# ms)
epoll_wait returned 0 event(s)
tick 7: fire_timers
  timer 0x0 fired
    wake task 2 (by timer 0x0 fired)
tick 7: wait_for_io
epoll_wait(timeout #.# ms)
epoll_wait returned 0 event(s)
tick 8: run_ready_tasks
  poll task 2
    | drop timer 0x0
child 1 done after 90 ms
    | wake task 1 (by task 2)
    `-> Ready
done task 2 (Completed)
tick 8: wait_for_io
epoll_wait(timeout #.# ms)
epoll_wait returned 0 event(s)
tick 9: run_ready_tasks
  poll task 1
main joined child 1
main joined child 2
main joined child 3
    `-> Ready
done task 1 (Completed)
main's output: 6";
    assert_eq!(masked.join("\n"), expected);
}
