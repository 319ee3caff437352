//! The bad-server table (issue 3, cases 1-15) against the async client (the same rows as the blocking client).
//! One named test per case; `every_case_has_a_test` keeps the list complete.

#[macro_use]
mod support;

use support::cases;

case_tests!(run_async);

// A case added to the table without a named test would silently never run.
#[test]
fn every_case_has_a_test() {
    let mut table: Vec<&str> = cases::all().iter().map(|c| c.name).collect();
    let mut tested: Vec<&str> = TESTED.to_vec();
    table.sort_unstable();
    tested.sort_unstable();
    assert_eq!(table, tested);
}
