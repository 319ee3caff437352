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
tick 1: run_ready_tasks
  poll task 1
task 1: One
    | add timer 0x0
    `-> Pending: waits for timer 0x0
  poll task 2
task 2: One
    | add timer 0x1
    `-> Pending: waits for timer 0x1
  poll task 3
task 3: One
    | add timer 0x2
    `-> Pending: waits for timer 0x2
tick 1: wait_for_io
epoll_wait(timeout #.# ms)
epoll_wait returned 0 event(s)
tick 2: fire_timers
  timer 0x0 fired
    wake task 1 (by timer 0x0 fired)
  timer 0x1 fired
    wake task 2 (by timer 0x1 fired)
  timer 0x2 fired
    wake task 3 (by timer 0x2 fired)
tick 2: wait_for_io
epoll_wait(timeout #.# ms)
epoll_wait returned 0 event(s)
tick 3: run_ready_tasks
  poll task 1
    | drop timer 0x0
task 1: Two
    `-> Ready
done task 1 (Completed)
  poll task 2
    | drop timer 0x1
task 2: Two
    `-> Ready
done task 2 (Completed)
  poll task 3
    | drop timer 0x2
task 3: Two
    `-> Ready
done task 3 (Completed)
# tasks slept # ms each, in #.# ms";
    assert_eq!(masked.join("\n"), expected);
    // Rounded up from just under 50 ms: a whole number of milliseconds, at most 50 (less if the
    // thread was descheduled before the wait: then 50.000 exactly would be a flaky check).
    // Rounding down fails above instead: the wait ends just before the deadline, and
    // zero-length waits spin until it.
    let first_wait = lines.iter().find(|l| l.starts_with("epoll_wait(")).unwrap();
    let ms =
        first_wait.strip_prefix("epoll_wait(timeout ").and_then(|r| r.strip_suffix(".000 ms)"));
    let ms: u64 = ms.and_then(|ms| ms.parse().ok()).unwrap_or_else(|| panic!("{first_wait}"));
    assert!((40..=50).contains(&ms), "rounded up from just under 50 ms: {first_wait}");
}
