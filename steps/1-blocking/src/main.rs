//! `cargo run -p step1-blocking [-- --pages N --latency-ms MS --trace]`

use std::time::Duration;

fn main() {
    steps_support::init_from_env();
    let pages = steps_support::flag("--pages", step1_blocking::DEFAULT_PAGES);
    let latency = Duration::from_millis(steps_support::flag(
        "--latency-ms",
        step1_blocking::DEFAULT_LATENCY_MS,
    ));
    if let Err(e) = step1_blocking::run_demo(pages, latency) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
