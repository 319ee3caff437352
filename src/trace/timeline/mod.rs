//! The timeline page: one self-contained HTML file that draws a recorded run and steps through it.
//!
//! **Concept.** The text trace tells the story line by line; the timeline shows it at once: a
//! lane per task (green while polled, amber while queued, blue-grey while parked, labelled with
//! what it waits for), a lane for the reactor (each `epoll_wait` as a bar, with its timeout and
//! how many events it returned), a lane per socket (registered, readiness, `WouldBlock`), the
//! timer firings, and arrows from each readiness to the wake it caused and on to the poll.
//! ◀ ▶ (or the arrow keys) step through the records one by one, and a side panel shows the
//! runtime's state after each: the run queue, parked tasks, sockets and timers, as
//! [`super::replay`] rebuilt it. The file has no external parts and its Content-Security-Policy
//! forbids fetching any, so it opens from `file://` with no network, in any current browser.
//!
//! **Where.** [`html`] builds the page from records; [`HtmlSink`] records a thread's events and
//! writes the page when the runtime ends (`COROLAB_TRACE=html:PATH`, in `sink.rs`); `layout.rs` computes the
//! lanes, bars, marks and arrows; `page.js` and `page.css` (plain, hand-written) draw them on a
//! canvas, so a 1000-page run stays smooth to zoom and pan.
//!
//! **In the debugger.** Break on `corolab::trace::timeline::html` to inspect the records a page
//! is made from; in the browser, open the developer tools and look at the `data` script.

mod layout;
mod sink;

pub use layout::{Arrow, Bar, Lane, Layout, Mark, layout};
pub use sink::{HtmlSink, MAX_PAGE_RECORDS};

use super::replay::{Replay, State};
use super::{Event, Phase, Record, Wait};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

const PAGE_CSS: &str = include_str!("page.css");
const PAGE_JS: &str = include_str!("page.js");

/// The Content-Security-Policy of the page: inline script and style only, images only from
/// `data:` URLs, nothing from any network.
pub const CSP: &str =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

/// The page for `records` (in order), titled `title`. The page shows one runtime: if the
/// records come from several (one thread can run several runtimes one after another), the one
/// with the most records, and the title says so.
///
/// ```
/// use corolab::trace::{Recorder, timeline::html};
/// # let recorder = Recorder::install();
/// corolab::block_on(async { corolab::spawn(async {}).await.unwrap() });
/// # corolab::trace::clear_sink();
/// let page = html(&recorder.records(), "one spawn");
/// assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<title>one spawn</title>"));
/// // std::fs::write("run.html", page): open it from disk, it needs no network
/// ```
pub fn html(records: &[Record], title: &str) -> String {
    let (records, title) = one_runtime(records, title);
    let title = title.as_str();
    let data = page_data(&records, title);
    let data = script_safe_json(&data.to_string());
    let mut page = String::with_capacity(data.len() + PAGE_JS.len() + 4096);
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
    ));
    page.push_str(&format!("<title>{}</title>\n", escape(title)));
    page.push_str(&format!("<style>\n{PAGE_CSS}</style>\n</head>\n<body>\n"));
    page.push_str(&format!(
        "<header><h1>{}</h1>\
         <button id=\"prev\" title=\"previous event (←)\">◀</button>\
         <span id=\"stepno\"></span>\
         <button id=\"next\" title=\"next event (→)\">▶</button>\
         <button id=\"fit\" title=\"show the whole run (f)\">fit</button>\
         <button id=\"mode\" title=\"space events by time or evenly (o)\">x: time</button>\
         <span class=\"help\">← → step (shift: 10) · wheel zoom · drag pan · shift+wheel scroll lanes · click an event</span>\
         </header>\n",
        escape(title)
    ));
    page.push_str(LEGEND_AND_PANELS);
    page.push_str("<script type=\"application/json\" id=\"data\">");
    page.push_str(&data);
    page.push_str("</script>\n<script>\n");
    page.push_str(PAGE_JS);
    page.push_str("</script>\n</body>\n</html>\n");
    page
}

/// The records of the runtime with the most records (and those of no runtime), and the title.
fn one_runtime(records: &[Record], title: &str) -> (Vec<Record>, String) {
    let mut counts: HashMap<u64, usize> = HashMap::new();
    for record in records.iter().filter(|r| r.rt != 0) {
        *counts.entry(record.rt).or_default() += 1;
    }
    if counts.len() <= 1 {
        return (records.to_vec(), title.to_string());
    }
    let (&rt, _) = counts
        .iter()
        .max_by_key(|(rt, n)| (**n, std::cmp::Reverse(**rt)))
        .unwrap();
    let kept = records
        .iter()
        .filter(|r| r.rt == rt || r.rt == 0)
        .cloned()
        .collect();
    let others = counts.len() - 1;
    (
        kept,
        format!("{title} (runtime {rt}; {others} other runtime(s) left out)"),
    )
}

const LEGEND_AND_PANELS: &str = "\
<div id=\"view\"><canvas id=\"tl\"></canvas><div id=\"tip\"></div>
<div class=\"legend\">
<span><i style=\"background:#2e9d48\"></i>polled</span>
<span><i style=\"background:#f0b429\"></i>on the run queue</span>
<span><i style=\"background:#c9d6e8\"></i>parked</span>
<span><i style=\"background:#8e7cc3\"></i>epoll_wait</span>
<span><i style=\"background:#d4ece5\"></i>socket registered</span>
<span><b style=\"color:#1f6fd1\">▲</b> readiness</span>
<span><b style=\"color:#d1342f\">|</b> WouldBlock</span>
<span><b style=\"color:#e07b00\">◆</b> timer fired</span>
<span><b style=\"color:#1f6fd1\">→</b> cause → effect</span>
</div></div>
<aside>
<h2>Event</h2><div id=\"line\"></div>
<div id=\"state\"></div>
<h2>Details</h2><div id=\"details\"></div>
</aside>
";

/// `json` made safe to embed in a `<script>` element: every `<` becomes the JSON escape
/// `\u003c`, so no `</script>` can end the element early and no `<!--` can switch the HTML
/// parser into its script-escape states; U+2028 and U+2029 become `\u2028` / `\u2029`. The
/// result parses to the same value (`<` appears in JSON only inside strings).
fn script_safe_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 64);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Everything the page's script reads: per record its time, text line, JSON, poll owner,
/// lane and state delta; plus the lanes, bars, marks and arrows.
///
/// ```
/// use corolab::trace::{Recorder, timeline::page_data};
/// # let recorder = Recorder::install();
/// # corolab::block_on(async { corolab::spawn(corolab::yield_now()).await.unwrap() });
/// # corolab::trace::clear_sink();
/// let records = recorder.records();
/// let data = page_data(&records, "yield");
/// assert_eq!(data["title"], "yield");
/// assert_eq!(data["line"].as_array().unwrap().len(), records.len()); // a text line per record
/// assert_eq!(data["deltas"].as_array().unwrap().len(), records.len()); // and a state change
/// ```
pub fn page_data(records: &[Record], title: &str) -> Value {
    let layout = layout(records);
    let mut replay = Replay::new(records);
    let mut previous = Small::of(&replay.state);
    let mut deltas = Vec::with_capacity(records.len());
    let mut lines = Vec::with_capacity(records.len());
    let mut polls = Vec::with_capacity(records.len());
    let mut labels: HashMap<u64, String> = HashMap::new();
    let mut checks = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let touched = touched(record, &replay.state);
        replay.step();
        deltas.push(delta(&previous, touched, &replay.state));
        if is_check_point(i, records.len()) {
            checks.push(check_of(i, &replay.state));
        }
        previous = Small::of(&replay.state);
        lines.push(replay.line(i));
        polls.push(replay.poll_of(i));
        if let Event::TaskSpawned { task, .. } = &records[i].event {
            labels.insert(*task, replay.label(*task));
        }
    }
    json!({
        "title": title,
        "t": records.iter().map(|r| r.t_us).collect::<Vec<_>>(),
        "line": lines,
        "rec": records,
        "poll": polls,
        "deltas": deltas,
        "task_labels": labels,
        "lanes": layout.lanes,
        "bars": layout.bars,
        "marks": layout.marks,
        "arrows": layout.arrows,
        "lane_of": layout.lane_of,
        "checks": checks,
    })
}

/// The records after which the page's self-test compares the state it rebuilt from the
/// deltas with the replay's: a third, two thirds and all of the way through.
fn is_check_point(i: usize, n: usize) -> bool {
    i + 1 == n || i == n / 3 || i == 2 * n / 3
}

/// A summary of `state` after record `at` that `page.js` can rebuild from the deltas: the run
/// queue, the tasks with their status, and the sockets and timers with their waiters.
fn check_of(at: usize, state: &State) -> Value {
    let tasks: Vec<String> = state
        .tasks
        .iter()
        .map(|(id, t)| format!("{id}:{}", task_status_name(&t.status)))
        .collect();
    let sockets: Vec<String> = state
        .sockets
        .values()
        .map(|s| format!("{}:{:?}:{:?}", s.token, s.read_waiters, s.write_waiters))
        .collect();
    let timers: Vec<String> = state
        .timers
        .iter()
        .map(|t| format!("{}:{:?}", t.timer, t.task))
        .collect();
    json!({"at": at, "rq": state.run_queue, "tk": tasks, "sk": sockets, "tm": timers})
}

fn task_status_name(status: &super::replay::TaskStatus) -> &'static str {
    use super::replay::TaskStatus;
    match status {
        TaskStatus::Queued => "queued",
        TaskStatus::Running => "running",
        TaskStatus::Returned => "returned",
        TaskStatus::Parked { .. } => "parked",
    }
}

/// The parts of a [`State`] that are cheap to copy at every record; the rest (tasks, sockets,
/// timers) changes only where the record says (see [`touched`]).
struct Small {
    run_queue: Vec<u64>,
    running: Option<u64>,
    tick: (u64, Option<Phase>),
}

impl Small {
    /// The small parts of `state`.
    fn of(state: &State) -> Small {
        Small {
            run_queue: state.run_queue.clone(),
            running: state.running,
            tick: (state.tick, state.phase),
        }
    }
}

/// The tasks, sockets and timers record `record` can change, applied to `before`: its own
/// task, socket or timer; for a `task_polled` the sockets and timers its `waits` name (they
/// now hold its waker); for a `task_finished` those that held the task's waker in `before`.
/// `tests/trace_replay.rs` checks that the deltas built from this rebuild every state.
fn touched(record: &Record, before: &State) -> (Vec<u64>, Vec<u64>, Vec<u64>) {
    let (mut tasks, mut sockets, mut timers) = (Vec::new(), Vec::new(), Vec::new());
    match &record.event {
        Event::TaskSpawned { task, .. } | Event::TaskWoken { task, .. } | Event::TaskPollStarted { task } => {
            tasks.push(*task)
        }
        Event::TaskFinished { task, .. } => {
            tasks.push(*task);
            sockets = holding_sockets(before, *task);
            timers = holding_timers(before, *task);
        }
        Event::MainTurn => tasks.push(0),
        Event::TaskPolled { task, waits, .. } => {
            tasks.push(*task);
            for wait in waits {
                match wait {
                    Wait::Io { token, .. } => sockets.push(*token),
                    Wait::Timer { timer, .. } => timers.push(*timer),
                    _ => {}
                }
            }
        }
        Event::IoRegistered { token, .. }
        | Event::IoDeregistered { token, .. }
        | Event::IoReady { token, .. }
        | Event::IoWouldBlock { token, .. }
        | Event::IoShortRead { token, .. } => sockets.push(*token),
        Event::TimerAdded { timer, .. }
        | Event::TimerReset { timer, .. }
        | Event::TimerCancelled { timer }
        | Event::TimerFired { timer, .. } => timers.push(*timer),
        _ => {}
    }
    (tasks, sockets, timers)
}

/// The sockets whose read or write side holds `task`'s waker in `state`.
fn holding_sockets(state: &State, task: u64) -> Vec<u64> {
    let holds =
        |s: &&super::replay::SocketState| s.read_waiters.contains(&task) || s.write_waiters.contains(&task);
    state.sockets.values().filter(holds).map(|s| s.token).collect()
}

/// The pending timers that hold `task`'s waker in `state`.
fn holding_timers(state: &State, task: u64) -> Vec<u64> {
    let timers = state.timers.iter().filter(|t| t.task == Some(task));
    timers.map(|t| t.timer).collect()
}

/// What one record changed, from `old` (the small parts before it) to `new` (the state after
/// it), given what it `touched`: tasks, sockets and timers as `{id: new value}` (`null`: gone); the run queue,
/// which changes at nearly every record, as `rqd` (how many entries left its front) and `rqa`
/// (entries pushed on its back) when that says it, else whole as `rq`.
fn delta(old: &Small, touched: (Vec<u64>, Vec<u64>, Vec<u64>), new: &State) -> Value {
    let mut out = Map::new();
    if old.run_queue != new.run_queue {
        match queue_change(&old.run_queue, &new.run_queue) {
            Some((cut, added)) => {
                out.insert("rqd".into(), json!(cut));
                out.insert("rqa".into(), json!(added));
            }
            None => {
                out.insert("rq".into(), json!(new.run_queue));
            }
        }
    }
    if old.running != new.running {
        out.insert("run".into(), json!(new.running));
    }
    if old.tick != (new.tick, new.phase) {
        out.insert("tick".into(), json!([new.tick, new.phase]));
    }
    let (tasks, sockets, timers) = touched;
    let mut put = |key: &str, ids: Vec<u64>, value: &dyn Fn(u64) -> Value| {
        if !ids.is_empty() {
            let map: Map<String, Value> = ids.into_iter().map(|id| (id.to_string(), value(id))).collect();
            out.insert(key.into(), Value::Object(map));
        }
    };
    put("tk", tasks, &|id| json!(new.tasks.get(&id)));
    put("sk", sockets, &|id| json!(new.sockets.get(&id)));
    put("tm", timers, &|id| {
        json!(new.timers.iter().find(|t| t.timer == id))
    });
    Value::Object(out)
}

/// `new` as `old` with `cut` entries gone from the front and `added` pushed on the back.
fn queue_change(old: &[u64], new: &[u64]) -> Option<(usize, Vec<u64>)> {
    (0..=old.len()).find_map(|cut| {
        let kept = &old[cut..];
        (new.len() >= kept.len() && new.starts_with(kept)).then(|| (cut, new[kept.len()..].to_vec()))
    })
}
