//! The timeline page in a real browser: headless Chromium opens a generated page with
//! `#selftest`, the page draws itself, steps with the arrow key, checks that the state panel
//! changed, that the states its script rebuilds from the deltas are the replay's, and that it
//! made no network request, and writes its verdict into the DOM, which `--dump-dom` prints.
//!
//! Without `/usr/bin/chromium` (Debian package `chromium`; `COROLAB_CHROMIUM=PATH` names another)
//! this prints `skipped: chromium not found` and passes, unless `COROLAB_REQUIRE_BROWSER=1` (set
//! by `.ci/run`).

mod scenario;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one Chromium run may take before the test fails (it takes about a second).
const CHROMIUM_LIMIT: Duration = Duration::from_secs(60);

/// The browser: `COROLAB_CHROMIUM` if set (a path), else Debian's or Ubuntu's chromium.
fn chromium() -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = match std::env::var_os("COROLAB_CHROMIUM") {
        Some(path) => vec![path.into()],
        None => vec!["/usr/bin/chromium".into(), "/usr/bin/chromium-browser".into()],
    };
    let found = candidates.into_iter().find(|p| p.exists());
    if found.is_none() {
        if std::env::var("COROLAB_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("COROLAB_REQUIRE_BROWSER=1 but chromium is not installed (apt-get install chromium)");
        }
        println!("skipped: chromium not found");
    }
    found
}

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let dir = std::env::temp_dir().join(format!("corolab-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Kills process group `group` (the browser and every helper process it started), if any is
/// left: a wrapper script or a helper that outlives the browser would otherwise hold the
/// output pipe open, and the test would wait for it forever.
fn kill_group(group: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{group}")])
        .stderr(Stdio::null())
        .status();
}

/// Runs headless Chromium on `page` (with `#selftest`) and returns the dumped DOM. The
/// browser runs in its own process group, killed when it ends or overruns `CHROMIUM_LIMIT`.
fn dump_dom(browser: &Path, page: &Path, profile: &Path) -> String {
    use std::os::unix::process::CommandExt;
    let url = format!("file://{}#selftest", page.display());
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1400,900",
            "--virtual-time-budget=1000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("start chromium");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut out).map(|_| out)
    });
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > CHROMIUM_LIMIT {
            kill_group(child.id());
            let _ = child.wait();
            panic!("chromium did not finish within {CHROMIUM_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    kill_group(child.id()); // helpers still holding the pipe
    reader.join().unwrap().expect("read chromium's output")
}

/// The text of `<pre id="selftest-result">` in the dumped DOM.
fn verdict(dom: &str) -> &str {
    let marker = "id=\"selftest-result\">";
    let Some(start) = dom.find(marker) else {
        panic!("the page wrote no self-test result (did its script run?); DOM:\n{dom:.2000}");
    };
    let rest = &dom[start + marker.len()..];
    &rest[..rest.find('<').unwrap_or(rest.len())]
}

fn field(verdict: &str, name: &str) -> u64 {
    let key = format!("{name}=");
    let at = verdict
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {verdict}"));
    verdict[at + key.len()..]
        .split(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("bad {name} in {verdict}"))
}

// Why: the page is the student's view of a run; it must draw lanes and events, step with the
// arrow keys (the state panel changing each time) and never touch the network, in a real
// browser and not only in theory. The reader task's name is markup that would end the data
// script early (or, after `<!--<script>`, keep it from ending) and load an image if the page
// did not escape it.
#[test]
fn timeline_page_renders_steps_and_makes_no_network_request_in_chromium() {
    let Some(browser) = chromium() else { return };
    let records = scenario::record("</script><!--<script><img src=\"http://127.0.0.1:9/x.png\">");
    let page = corolab::trace::timeline::html(&records, "browser test");
    let dir = TempDir::new("timeline");
    let path = dir.0.join("timeline.html");
    std::fs::write(&path, page).unwrap();
    let dom = dump_dom(&browser, &path, &dir.0.join("profile"));
    let verdict = verdict(&dom);
    assert!(verdict.starts_with("SELFTEST PASS"), "{verdict}");
    assert_eq!(field(verdict, "events"), records.len() as u64, "{verdict}");
    assert!(
        field(verdict, "drawn_lanes") >= 6,
        "reactor, timers, 3 tasks, 2 sockets: {verdict}"
    );
    assert!(
        field(verdict, "bars") > 0 && field(verdict, "marks") > 0,
        "{verdict}"
    );
    assert!(field(verdict, "arrows") > 0, "{verdict}");
    assert_eq!(field(verdict, "steps_changed"), 3, "{verdict}");
    assert_eq!(field(verdict, "states_checked"), 3, "{verdict}");
    assert_eq!(field(verdict, "resources"), 0, "{verdict}");
    assert_eq!(field(verdict, "violations"), 0, "{verdict}");
}
