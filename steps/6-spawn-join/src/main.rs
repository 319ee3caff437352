//! `cargo run -p step6-spawn-join [-- --trace]`

fn main() {
    steps_support::init_from_env();
    if let Err(e) = step6_spawn_join::run_demo() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
