//! `cargo run -p step7-fetch-pages [-- --pages N --latency-ms MS --trace]`

use std::time::Duration;

fn main() {
    steps_support::init_from_env();
    let pages = steps_support::flag("--pages", step7_fetch_pages::DEFAULT_PAGES);
    let latency = Duration::from_millis(steps_support::flag(
        "--latency-ms",
        step7_fetch_pages::DEFAULT_LATENCY_MS,
    ));
    if let Err(e) = step7_fetch_pages::run_demo(pages, latency) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
