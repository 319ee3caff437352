//! `cargo run -p step2-poll-by-hand [-- --trace]`

use std::time::Duration;

fn main() {
    steps_support::init_from_env();
    step2_poll_by_hand::run_demo(Duration::from_millis(100), Duration::from_millis(200));
}
