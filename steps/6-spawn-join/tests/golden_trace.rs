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
spawn task 1
  poll task 1 -> Pending
spawn task 2
spawn task 3
spawn task 4
  poll task 2 -> Pending
  poll task 3 -> Pending
  poll task 4 -> Pending
epoll_wait(timeout #.# ms)
epoll_wait returned 0 event(s)
timer 2 fired
  wake task 3 (by timer 2 fired)
epoll_wait(timeout #.# ms)
epoll_wait returned 0 event(s)
child 2 done after 10 ms
  poll task 3 -> Ready
done task 3 (Completed)
epoll_wait(timeout #.# ms)
epoll_wait returned 0 event(s)
timer 3 fired
  wake task 4 (by timer 3 fired)
epoll_wait(timeout #.# ms)
epoll_wait returned 0 event(s)
child 3 done after 20 ms
  poll task 4 -> Ready
done task 4 (Completed)
epoll_wait(timeout #.# ms)
epoll_wait returned 0 event(s)
timer 1 fired
  wake task 2 (by timer 1 fired)
epoll_wait(timeout #.# ms)
epoll_wait returned 0 event(s)
child 1 done after 30 ms
  wake task 1 (by task 2)
  poll task 2 -> Ready
done task 2 (Completed)
epoll_wait(timeout #.# ms)
epoll_wait returned 0 event(s)
main joined child 1
main joined child 2
main joined child 3
  poll task 1 -> Ready
done task 1 (Completed)
main's output: 6";
    assert_eq!(masked.join("\n"), expected);
}
