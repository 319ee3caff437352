//! The golden trace of busy polling a fixed future (one test: the capture is per process).

// Why: every poll of a pending future is one `poll main` block ending `-> Pending`; the busy
// loop repeats it.
#[test]
fn golden_trace_of_a_countdown_join() {
    use step2_poll_by_hand::{Countdown, block_on_busy, join2};
    let lines = step2_poll_by_hand::trace::capture(true, || {
        block_on_busy(join2(Countdown { left: 3 }, Countdown { left: 6 }));
    });
    let expected = [
        "  poll main",
        "    `-> Pending",
        "  poll main",
        "    `-> Pending",
        "  poll main",
        "    `-> Pending",
        "  (3 more polls of main, each `-> Pending`, not shown)",
        "  poll main",
        "    `-> Ready",
    ];
    assert_eq!(lines, expected);
}
