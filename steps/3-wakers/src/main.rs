//! `cargo run -p step3-wakers [-- --trace]`

fn main() {
    steps_support::init_from_env();
    step3_wakers::run_demo();
}
