//! A hidden test of the `select-join` lab: students never see this file. `grade --extra-tests
//! labs/hidden-sample` copies it to `tests/join_all_hidden.rs` of the copy it grades.

use corolab::block_on;
use corolab::future::join_all;
use corolab::time::sleep;
use std::time::Duration;

// Why: a solution that special-cases small inputs must still work for many children, and a
// child's output must stay in its own slot when neighbours finish earlier.
#[test]
fn join_all_of_a_hundred_children_keeps_every_output_in_its_slot() {
    let outs = block_on(join_all((0..100u64).map(|i| async move {
        sleep(Duration::from_millis(i % 7)).await;
        i * i
    })));
    assert_eq!(outs, (0..100u64).map(|i| i * i).collect::<Vec<_>>());
}
