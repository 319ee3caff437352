//! `cargo run -p step1-blocking [-- --pages N --latency-ms MS --trace]`

use std::time::Duration;

fn main() {
    step1_blocking::trace::init_from_env();
    let flag = |name: &str, default: u64| {
        let args: Vec<String> = std::env::args().collect();
        let at = args.iter().position(|a| a == name);
        at.and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
    };
    let (pages, latency) = (flag("--pages", 10), Duration::from_millis(flag("--latency-ms", 50)));
    if let Err(e) = step1_blocking::run_demo(pages, latency) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
