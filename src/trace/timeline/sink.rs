//! [`HtmlSink`]: the sink `COROLAB_TRACE=html:PATH` installs, and the file name each thread's
//! page gets.

use super::html;
use crate::trace::{Record, Sink};
use std::path::PathBuf;
use std::sync::Mutex;

/// Records this thread's events and writes them as a timeline page when the runtime ends
/// (`COROLAB_TRACE=html:PATH`, see [`crate::trace::install_from_env`]).
///
/// ```
/// use corolab::trace::{self, timeline::HtmlSink};
/// # let path = std::env::temp_dir().join(format!("corolab-doc-{}.html", std::process::id()));
/// trace::set_sink(Box::new(HtmlSink::new(&path))); // what `COROLAB_TRACE=html:PATH` installs
/// corolab::block_on(async {}); // the page is written as the runtime ends
/// # trace::clear_sink();
/// let page = std::fs::read_to_string(&path).unwrap();
/// # std::fs::remove_file(&path).unwrap();
/// assert!(page.contains(r#""event":"main_turn""#));
/// ```
pub struct HtmlSink {
    path: PathBuf,
    records: Vec<Record>,
    written: usize,
    /// Records left out after the first [`MAX_PAGE_RECORDS`].
    left_out: u64,
}

/// The most records one page holds (about 60 MB of page; a browser opens it in seconds). A
/// longer run keeps its beginning, and the page and stderr say how much was left out.
pub const MAX_PAGE_RECORDS: usize = 200_000;

impl HtmlSink {
    /// A sink for this thread that will write to `path`. Each thread has its own sink: the
    /// main thread's writes `path` itself, another thread's `NAME.THREAD.html` (the in-process
    /// server of `fetch_pages`: `run.corolab-server.html`), and a name already taken in this
    /// process gets `.2`, `.3`, ... added, so no page overwrites another.
    ///
    /// ```
    /// use corolab::trace::{Event, Record, Sink, timeline::HtmlSink};
    /// # let dir = std::env::temp_dir().join(format!("corolab-doc-new-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let record = Record { seq: 1, t_us: 0, rt: 1, thread: "main".into(), event: Event::MainTurn };
    /// let mut first = HtmlSink::new(dir.join("run.html")); // on the main thread: run.html itself
    /// let mut second = HtmlSink::new(dir.join("run.html")); // taken: run.2.html
    /// for sink in [&mut first, &mut second] {
    ///     sink.record(&record);
    ///     sink.flush();
    /// }
    /// assert!(dir.join("run.html").exists() && dir.join("run.2.html").exists());
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn new(path: impl Into<PathBuf>) -> HtmlSink {
        let thread = std::thread::current().name().map(String::from);
        HtmlSink {
            path: claim(path.into(), thread.as_deref()),
            records: Vec::new(),
            written: 0,
            left_out: 0,
        }
    }

    /// Writes the page (with everything recorded so far) to the path, and says so on stderr.
    ///
    /// ```
    /// use corolab::trace::{Event, Record, Sink, timeline::HtmlSink};
    /// # let path = std::env::temp_dir().join(format!("corolab-doc-write-{}.html", std::process::id()));
    /// let mut sink = HtmlSink::new(&path);
    /// sink.record(&Record { seq: 1, t_us: 0, rt: 1, thread: "main".into(), event: Event::MainTurn });
    /// sink.write(); // and says on stderr where the page went
    /// assert!(std::fs::read_to_string(&path).unwrap().contains("main_turn"));
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn write(&mut self) {
        if self.records.len() == self.written {
            return;
        }
        let mut title = format!("corolab timeline: {}", program_name());
        if self.left_out > 0 {
            title.push_str(&format!(
                " (the first {} records; {} later ones left out)",
                self.records.len(),
                self.left_out
            ));
            say(format_args!(
                "corolab: the timeline keeps the first {MAX_PAGE_RECORDS} records; {} later ones are left out",
                self.left_out
            ));
        }
        match std::fs::write(&self.path, html(&self.records, &title)) {
            Ok(()) => say(format_args!(
                "corolab: wrote a timeline of {} events to {}",
                self.records.len(),
                self.path.display()
            )),
            Err(e) => say(format_args!(
                "corolab: cannot write the timeline {}: {e}",
                self.path.display()
            )),
        }
        self.written = self.records.len();
    }
}

/// A line on stderr; not `eprintln!`, which panics when stderr is broken (the page is written
/// when the runtime ends: a panic there would crash a program that ran fine).
fn say(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// The path a sink on `thread` writes (see [`HtmlSink::new`]), remembered as taken.
fn claim(path: PathBuf, thread: Option<&str>) -> PathBuf {
    static TAKEN: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    let mut taken = TAKEN.lock().unwrap_or_else(|e| e.into_inner());
    let tag: String = match thread {
        Some("main") => String::new(),
        Some(name) => name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect(),
        None => "thread".to_string(),
    };
    let with = |extra: &[&str]| {
        let stem = path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let mut name = stem;
        for part in extra.iter().filter(|p| !p.is_empty()) {
            name = format!("{name}.{part}");
        }
        if let Some(ext) = path.extension() {
            name = format!("{name}.{}", ext.to_string_lossy());
        }
        path.with_file_name(name)
    };
    let mut candidate = with(&[&tag]);
    let mut n = 1;
    while taken.contains(&candidate) {
        n += 1;
        candidate = with(&[&tag, &n.to_string()]);
    }
    taken.push(candidate.clone());
    candidate
}

fn program_name() -> String {
    std::env::args()
        .next()
        .and_then(|p| {
            PathBuf::from(p)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "a corolab program".into())
}

impl Sink for HtmlSink {
    fn record(&mut self, record: &Record) {
        if self.records.len() < MAX_PAGE_RECORDS {
            self.records.push(record.clone());
        } else {
            self.left_out += 1;
        }
    }

    fn flush(&mut self) {
        self.write();
    }
}
