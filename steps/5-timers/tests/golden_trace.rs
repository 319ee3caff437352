//! The golden trace of `cargo run -p step5-timers -- --trace` (one test: the capture is per
//! process). The timeout and the total time are compared without their digits.

fn mask(line: &str) -> String {
    if !(line.starts_with("epoll_wait(timeout") || line.starts_with("3 tasks slept")) {
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

// Why: the four phases in corolab's order; equal deadlines fire in the order they were set.
#[test]
fn golden_trace_of_the_demo() {
    let lines = step5_timers::trace::capture(true, || step5_timers::run_demo().unwrap());
    let masked: Vec<String> = lines.iter().map(|l| mask(l)).collect();
    let expected = "\
spawn task 1
spawn task 2
spawn task 3
task 1: One
  poll task 1 -> Pending
task 2: One
  poll task 2 -> Pending
task 3: One
  poll task 3 -> Pending
epoll_wait(timeout #.# ms)
epoll_wait returned 0 event(s)
timer 1 fired
  wake task 1 (by timer 1 fired)
timer 2 fired
  wake task 2 (by timer 2 fired)
timer 3 fired
  wake task 3 (by timer 3 fired)
epoll_wait(timeout #.# ms)
epoll_wait returned 0 event(s)
task 1: Two
  poll task 1 -> Ready
done task 1 (Completed)
task 2: Two
  poll task 2 -> Ready
done task 2 (Completed)
task 3: Two
  poll task 3 -> Ready
done task 3 (Completed)
# tasks slept # ms each, in #.# ms";
    assert_eq!(masked.join("\n"), expected);
    assert_eq!(lines[9], "epoll_wait(timeout 50.000 ms)", "rounded up from just under 50 ms");
}
