//! `cargo run -p step5-timers [-- --trace]`

fn main() {
    steps_support::init_from_env();
    if let Err(e) = step5_timers::run_demo() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
