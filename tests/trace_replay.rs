//! The replayed runtime state (`corolab::trace::replay`) of a fixed scenario, event by event.

mod scenario;

use corolab::trace::replay::Replay;

#[test]
fn print_scenario() {
    let records = scenario::record("reader");
    let mut replay = Replay::new(&records);
    while let Some(i) = replay.step() {
        println!("{i:2} {:<50} {}", replay.line(i), replay.state);
    }
}
