//! `cargo run -p step2-poll-by-hand [-- --trace]`

fn main() {
    steps_support::init_from_env();
    step2_poll_by_hand::run_demo();
}
