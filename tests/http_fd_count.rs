//! No socket leaks: the whole bad-server table leaves the fd count unchanged.
//! Its own test binary, so no other test opens files at the same time.

mod support;

// A leaked socket per fault would exhaust a crawler's fds within hours.
#[test]
fn fault_suite_leaks_no_file_descriptors() {
    let warm_up = support::cases::by_name("keep_alive_reused");
    support::run_blocking(&warm_up);
    support::run_async(&warm_up);
    let before = support::server::open_fds();
    for case in support::cases::all() {
        support::run_blocking(&case);
        support::run_async(&case);
    }
    let after = support::server::open_fds();
    assert!(before > 0, "could not read /proc/self/fd");
    assert_eq!(before, after, "open fds before and after the fault suite");
}
