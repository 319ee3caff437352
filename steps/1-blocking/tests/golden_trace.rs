//! The golden trace of `cargo run -p step1-blocking -- --pages 3 --latency-ms 20 --trace`
//! (one test in this file: the capture is per process). Numbers are masked as `#`.

fn mask(line: &str) -> String {
    let mut out = String::new();
    for c in line.chars() {
        if !c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('#') {
            out.push('#');
        }
    }
    out
}

// Why: one blocked read per page, one after another, then the result row.
#[test]
fn golden_trace_of_three_pages() {
    let lines = step1_blocking::trace::capture(true, || {
        step1_blocking::run_demo(3, std::time::Duration::from_millis(20)).unwrap();
    });
    let masked: Vec<String> = lines.iter().map(|l| mask(l)).collect();
    let expected = [
        "page #: blocked # ms in read",
        "page #: blocked # ms in read",
        "page #: blocked # ms in read",
        "strategy          wall  pages  orders  checksum",
        "sequential     #.# s      #     #  verified",
        "at least # x # ms = # ms: the thread waits, the CPU idles",
    ];
    assert_eq!(masked, expected, "{lines:#?}");
    assert!(lines[0].starts_with("page 0:") && lines[2].starts_with("page 2:"));
}
