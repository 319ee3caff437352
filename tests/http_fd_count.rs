//! No socket leaks: the whole bad-server table, through all three drivers (the
//! green one for its single-request rows), leaves the fd count unchanged. Its own
//! test binary, so no other test opens files at the same time.

mod support;

// A leaked socket per fault would exhaust a crawler's fds within hours.
#[test]
fn fault_suite_leaks_no_file_descriptors() {
    let warm_up = support::cases::by_name("keep_alive_reused");
    support::run_blocking(&warm_up);
    support::run_async(&warm_up);
    run_green_if_single_request(&support::cases::by_name("bare_lf_accepted"));
    let before = support::server::open_fds();
    for case in support::cases::all() {
        support::run_blocking(&case);
        support::run_async(&case);
        run_green_if_single_request(&case);
    }
    let after = support::server::open_fds();
    assert!(before > 0, "could not read /proc/self/fd");
    assert_eq!(before, after, "open fds before and after the fault suite");
}

/// The green driver opens one connection per request: its rows are the single-request ones.
fn run_green_if_single_request(case: &support::cases::Case) {
    #[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
    if case.expect.len() == 1 {
        support::run_green(case);
    }
    let _ = case;
}
