//! The timeline page as a file: self-contained, and written by `COROLAB_TRACE=html:PATH`.

mod scenario;

use corolab::trace::timeline::{CSP, html};
use std::process::Command;

/// The page's JSON data (the `data` script), parsed.
fn data_of(page: &str) -> serde_json::Value {
    let start = page.find("id=\"data\">").expect("data script") + "id=\"data\">".len();
    let end = start + page[start..].find("</script>").expect("end of the data script");
    serde_json::from_str(&page[start..end]).expect("the data is JSON")
}

// Why: the page must open from file:// with no network: nothing may point outside it, and
// its Content-Security-Policy must forbid any fetch even if something did.
#[test]
fn timeline_page_is_one_file_with_no_outside_references() {
    let records = scenario::record("</script><b>reader</b>");
    let page = html(&records, "self-contained");
    assert!(page.contains(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
    )));
    assert!(CSP.starts_with("default-src 'none'"));
    let start = page.find("id=\"data\">").unwrap();
    let end = start + page[start..].find("</script>").unwrap();
    let (before, after) = (&page[..start], &page[end..]);
    for outside in [before, after] {
        for needle in [
            "://",
            "src=",
            "href=",
            "@import",
            "url(",
            "fetch(",
            "XMLHttpRequest",
            "WebSocket",
        ] {
            assert!(
                !outside.contains(needle),
                "the page's markup or code contains {needle:?}"
            );
        }
    }
    // The data holds every record, and the name with markup survived as text.
    let data = data_of(&page);
    assert_eq!(data["line"].as_array().unwrap().len(), records.len());
    assert!(
        data["task_labels"]["1"]
            .as_str()
            .unwrap()
            .contains("</script><b>reader</b>")
    );
}

/// Records of one task named `name` that writes the note `name`.
fn named_task(name: &str) -> Vec<corolab::trace::Record> {
    use corolab::trace::{Event, Record};
    let events = [
        Event::TaskSpawned {
            task: 1,
            name: Some(name.to_string()),
        },
        Event::Note {
            task: 1,
            text: name.to_string(),
        },
    ];
    let record = |(seq, event): (usize, Event)| Record {
        seq: seq as u64 + 1,
        t_us: seq as u64,
        rt: 1,
        thread: "main".into(),
        event,
    };
    events.into_iter().enumerate().map(record).collect()
}

// Why: task names and notes are program text embedded in the page's `<script>` element; one
// holding `</script>`, `<!--` (which, escaped as `<\!--`, was no longer JSON) or U+2028 must
// neither end the element, nor switch the HTML parser into its script-escape states, nor stop
// `JSON.parse`: the data holds no `<` at all, and still says exactly what the program wrote.
#[test]
fn task_names_and_notes_cannot_break_out_of_the_embedded_data() {
    for name in [
        "</script><b>x</b>",
        "<!--",
        "<!--<script>",
        "a\u{2028}b\u{2029}c",
        "\\</script>",
    ] {
        let page = html(&named_task(name), "escaping");
        let start = page.find("id=\"data\">").unwrap() + "id=\"data\">".len();
        let end = start + page[start..].find("</script>").unwrap();
        let embedded = &page[start..end];
        for bad in ['<', '\u{2028}', '\u{2029}'] {
            assert!(!embedded.contains(bad), "{name:?}: {bad:?} in the data");
        }
        let data: serde_json::Value =
            serde_json::from_str(embedded).unwrap_or_else(|e| panic!("{name:?}: not JSON: {e}"));
        assert_eq!(data["task_labels"]["1"], format!("task 1 ({name})"), "{name:?}");
        assert_eq!(data["rec"][1]["text"], name, "{name:?}");
        assert!(page[end..].starts_with("</script>\n<script>\n"), "{name:?}");
    }
}

/// Runs a sleeping task on a runtime, on a new thread named `thread`.
fn run_on_thread(thread: &str) {
    let spawned = std::thread::Builder::new().name(thread.into()).spawn(|| {
        corolab::block_on(async {
            let nap = corolab::time::sleep(std::time::Duration::from_millis(1));
            corolab::spawn_named("sleeper", nap).await.unwrap();
        });
    });
    spawned.unwrap().join().unwrap();
}

/// Runs by itself only as the child of the test below (which sets `COROLAB_TIMELINE_CHILD`):
/// one runtime on a thread called `main`, as in a program, and one on a thread called `worker`.
#[test]
fn child_runs_the_scenario_under_corolab_trace_html() {
    if std::env::var_os("COROLAB_TIMELINE_CHILD").is_none() {
        return;
    }
    run_on_thread("main");
    run_on_thread("worker");
}

// Why: any program gets a timeline with `COROLAB_TRACE=html:PATH`, written when its runtime
// ends, without code changes; a runtime on another thread (an in-process server) writes its
// own page next to it instead of overwriting it.
#[test]
fn corolab_trace_html_writes_the_page_when_the_runtime_ends() {
    let dir = std::env::temp_dir().join(format!("corolab-html-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("run.html");
    let _ = std::fs::remove_file(&path);
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_runs_the_scenario_under_corolab_trace_html",
            "--test-threads=1",
            "--nocapture",
        ])
        .env("COROLAB_TIMELINE_CHILD", "1")
        .env("COROLAB_TRACE", format!("html:{}", path.display()))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("wrote a timeline of"), "{stderr}");
    for page in [&path, &dir.join("run.worker.html")] {
        let page = std::fs::read_to_string(page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
        let data = data_of(&page);
        let lines: Vec<&str> = data["line"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|l| l.as_str())
            .collect();
        assert!(lines.contains(&"spawn task 1 (sleeper)"), "{lines:?}");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("timer ") && l.contains(" fired")),
            "{lines:?}"
        );
        assert_eq!(lines.last(), Some(&"main `-> Ready"), "{lines:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// Why: one thread can run several runtimes one after another, and their task ids restart at
// 1; mixed into one replay they would make a nonsense state. The page shows one, and says so.
#[test]
fn a_page_shows_one_runtime_and_names_the_ones_left_out() {
    use corolab::trace::{Event, Record, WakeCause};
    let wake = |rt: u64, seq: u64| Record {
        seq,
        t_us: seq,
        rt,
        thread: "main".into(),
        event: Event::TaskWoken {
            task: 0,
            cause: WakeCause::Start,
        },
    };
    let records: Vec<Record> = (1..=2)
        .map(|s| wake(1, s))
        .chain((3..=5).map(|s| wake(2, s)))
        .collect();
    let page = html(&records, "two runtimes");
    assert!(page.contains("<title>two runtimes (runtime 2; 1 other runtime(s) left out)</title>"));
    let data = data_of(&page);
    assert_eq!(data["rec"].as_array().unwrap().len(), 3);
    assert!(data["rec"].as_array().unwrap().iter().all(|r| r["rt"] == 2));
}

// Why: `html:` without a path is a typo, not a request to write a file named "".
#[test]
fn corolab_trace_html_needs_a_path() {
    use corolab::trace::{TraceMode, parse_mode};
    assert_eq!(
        parse_mode("html:run.html"),
        Some(TraceMode::Html("run.html".into()))
    );
    assert_eq!(parse_mode("html:"), None);
    assert_eq!(parse_mode("html"), None);
}

/// Runs `examples/fetch_pages` (built here, as `tests/trace_examples.rs` does) with `args`
/// and `COROLAB_TRACE=trace`, and returns its stdout; fails after 120 s.
fn fetch_pages(args: &[&str], trace: &str) -> String {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--example", "fetch_pages"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build --example fetch_pages failed");
    // target/<profile>/deps/timeline_page-<hash> -> target/<profile>/examples/fetch_pages
    let exe = std::env::current_exe().unwrap();
    let example = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join("fetch_pages");
    let mut child = Command::new(example)
        .args(args)
        .env("COROLAB_TRACE", trace)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut out).map(|_| out)
    });
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > std::time::Duration::from_secs(120) {
            let _ = child.kill();
            panic!("fetch_pages {args:?} ran longer than 120 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let out = reader.join().unwrap().unwrap();
    assert!(status.success(), "fetch_pages {args:?}: {out}");
    out
}

// Why: `fetch_pages --timeline` is how chapter 1 makes the page: an `.html` name must get the
// page (with the readiness story in it), a `.json` name Chrome's trace JSON, and
// `COROLAB_TRACE=html:PATH` the page too, with the in-process server's beside it.
#[test]
fn fetch_pages_writes_the_page_for_html_names_and_chrome_json_for_json_names() {
    let dir = std::env::temp_dir().join(format!("corolab-fetch-timeline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (html_path, json_path) = (dir.join("run.html"), dir.join("run.json"));
    let run = [
        "--pages",
        "3",
        "--latency-ms",
        "5",
        "--only",
        "coroutines",
        "--timeline",
    ];
    let out = fetch_pages(&[&run[..], &[html_path.to_str().unwrap()]].concat(), "0");
    assert!(out.contains("one self-contained page"), "{out}");
    let page = std::fs::read_to_string(&html_path).unwrap();
    let lines = data_of(&page)["line"].clone();
    let lines: Vec<&str> = lines
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l.as_str())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("wake task") && l.contains("readable)")),
        "{lines:?}"
    );
    fetch_pages(&[&run[..], &[json_path.to_str().unwrap()]].concat(), "0");
    let chrome: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert!(!chrome["traceEvents"].as_array().unwrap().is_empty());
    let env_path = dir.join("env.html");
    fetch_pages(&run[..run.len() - 1], &format!("html:{}", env_path.display()));
    assert!(data_of(&std::fs::read_to_string(&env_path).unwrap())["line"].is_array());
    let server = std::fs::read_to_string(dir.join("env.corolab-server.html")).unwrap();
    assert!(data_of(&server)["line"].is_array());
    let _ = std::fs::remove_dir_all(&dir);
}
