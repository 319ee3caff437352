//! `cargo run -p step4-reactor [-- --trace]`

fn main() {
    steps_support::init_from_env();
    if let Err(e) = step4_reactor::run_demo() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
