//! The bad-server table (issue 3, cases 1-15) against the blocking client.
//! One named test per case; `every_case_has_a_test` keeps the list complete.

mod support;

use support::cases;

/// One `#[test]` per case name; the list doubles as the coverage check.
macro_rules! case_tests {
    ($($name:ident),* $(,)?) => {
        const TESTED: &[&str] = &[$(stringify!($name)),*];
        $(
            #[test]
            fn $name() {
                support::run_blocking(&cases::by_name(stringify!($name)));
            }
        )*
    };
}

case_tests!(
    status_line_garbage,
    status_code_two_digits,
    status_code_four_digits,
    reason_missing_accepted,
    reason_non_ascii_accepted,
    http09_reply,
    closed_mid_head,
    empty_reply,
    bare_lf_accepted,
    header_without_colon,
    space_before_colon,
    nul_in_header,
    control_byte_in_header,
    too_many_headers,
    head_over_limit,
    endless_head,
    content_length_plus,
    content_length_minus,
    content_length_garbage,
    content_length_overflow,
    content_length_conflicting,
    content_length_duplicates_equal,
    chunked_and_content_length,
    transfer_encoding_not_chunked_last,
    transfer_encoding_gzip,
    eof_before_content_length,
    body_longer_than_content_length,
    late_extra_bytes_discarded_at_checkout,
    body_until_eof,
    chunk_size_not_hex,
    chunk_size_overflow,
    chunk_missing_crlf,
    chunked_eof_before_last_chunk,
    chunk_extensions_ignored,
    chunked_trailers_dropped,
    chunked_trailers_too_large,
    head_request_has_no_body,
    status_204_has_no_body,
    status_304_has_no_body,
    interim_1xx_skipped,
    server_never_answers,
    server_drips_slowly,
    server_never_reads_body,
    connection_reset,
    reset_mid_body,
    body_over_limit_by_content_length,
    body_over_limit_by_chunk_size,
    body_over_limit_until_eof,
    keep_alive_reused,
    connection_close_in_list_not_reused,
    http10_without_keep_alive_not_reused,
    pooled_connection_closed_between_requests,
    closed_idle_connection_discarded_at_checkout,
    reused_connection_dead_is_retried_once,
    retry_happens_only_once,
    post_is_not_retried,
);

// A case added to the table without a named test would silently never run.
#[test]
fn every_case_has_a_test() {
    let mut table: Vec<&str> = cases::all().iter().map(|c| c.name).collect();
    let mut tested: Vec<&str> = TESTED.to_vec();
    table.sort_unstable();
    tested.sort_unstable();
    assert_eq!(table, tested);
}
