//! What every step shares and none of them teaches: printing trace lines, reading flags, CPU time.
//!
//! **Concept.** Each step prints, with `--trace` or `COROLAB_TRACE=1`, the same words as
//! corolab's own trace (`src/trace/sinks.rs`), without the timestamps, so a golden-trace test
//! can compare them: a poll is a block (`poll task 2`, what happened inside it prefixed `|`,
//! then `` `-> Pending: waits for fd 7 readable``), a wake says its cause (`wake task 2 (by fd
//! 7 readable)`), and a phase of a loop turn gets a line (`tick 3: wait_for_io`) when
//! something happens in it. [`capture`] collects the lines instead of printing them (tests,
//! and the chapter's sample outputs).
//!
//! **Where.** [`line()`] (a trace line, stderr), [`poll_start`], [`waits_for`], [`poll_end`],
//! [`phase`], [`say`] (program output, stdout), [`capture`], [`flag`], [`cpu_time`].
//!
//! **In the debugger.** `break steps_support::line` stops on every trace line of any step.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::Duration;

static ON: AtomicBool = AtomicBool::new(false);
static CAPTURE: Mutex<Option<Vec<String>>> = Mutex::new(None);

/// Where the trace is: inside a poll block, the phase line still to print, the tick number.
struct State {
    in_poll: bool,
    waits: Option<String>,
    pending_phase: Option<String>,
    tick: u64,
}

static STATE: Mutex<State> =
    Mutex::new(State { in_poll: false, waits: None, pending_phase: None, tick: 0 });

fn state() -> std::sync::MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Tracing is on with `--trace`, or with `COROLAB_TRACE` set to anything but `0`.
pub fn init_from_env() {
    let env = std::env::var("COROLAB_TRACE").is_ok_and(|v| v != "0");
    ON.store(env || std::env::args().any(|a| a == "--trace"), Relaxed);
}

/// Is tracing on?
pub fn tracing() -> bool {
    ON.load(Relaxed)
}

/// One trace line, on stderr (or into the capture). Nothing when tracing is off. Inside a
/// poll block it is prefixed `|`.
pub fn line(text: String) {
    if !tracing() {
        return;
    }
    let (phase, in_poll) = {
        let mut state = state();
        (state.pending_phase.take(), state.in_poll)
    };
    if let Some(phase) = phase {
        emit(phase, true);
    }
    emit(if in_poll { format!("    | {}", text.trim_start()) } else { text }, true);
}

/// A poll of `task` (`task 2`, `main`) begins: `  poll task 2`.
pub fn poll_start(task: &str) {
    line(format!("  poll {task}"));
    let mut state = state();
    (state.in_poll, state.waits) = (true, None);
}

/// What the future being polled now waits for, if it answers `Pending` (`fd 7 readable`);
/// a task that waits for two things (a read with a timeout) says both.
pub fn waits_for(what: String) {
    let mut state = state();
    state.waits = Some(match state.waits.take() {
        Some(before) => format!("{before}, {what}"),
        None => what,
    });
}

/// The poll ends: `` `-> Ready`` or `` `-> Pending: waits for ...``.
pub fn poll_end(ready: bool) {
    let waits = {
        let mut state = state();
        state.in_poll = false;
        state.waits.take()
    };
    match (ready, waits) {
        (true, _) => line("    `-> Ready".into()),
        (false, Some(what)) => line(format!("    `-> Pending: waits for {what}")),
        (false, None) => line("    `-> Pending".into()),
    }
}

/// A phase of a loop turn begins (`run_ready_tasks` begins a new turn, a "tick"). Its line,
/// `tick 3: wait_for_io`, is printed only if something is traced in the phase.
pub fn phase(name: &str) {
    let mut state = state();
    state.tick += u64::from(name == "run_ready_tasks");
    state.pending_phase = Some(format!("tick {}: {name}", state.tick));
}

/// One line of the program's output, on stdout (or into the capture).
pub fn say(text: String) {
    emit(text, false);
}

fn emit(text: String, to_stderr: bool) {
    let mut capture = CAPTURE.lock().unwrap_or_else(|e| e.into_inner());
    match capture.as_mut() {
        Some(lines) => lines.push(text),
        None if to_stderr => eprintln!("{text}"),
        None => println!("{text}"),
    }
}

/// Runs `f` with tracing on or off and returns every line it printed, trace and output in
/// order. One capture at a time per process: tests that capture live in a test file of their own.
pub fn capture(trace: bool, f: impl FnOnce()) -> Vec<String> {
    *CAPTURE.lock().unwrap_or_else(|e| e.into_inner()) = Some(Vec::new());
    *state() = State { in_poll: false, waits: None, pending_phase: None, tick: 0 };
    ON.store(trace, Relaxed);
    f();
    ON.store(false, Relaxed);
    CAPTURE.lock().unwrap_or_else(|e| e.into_inner()).take().unwrap_or_default()
}

/// The number after `--name` on the command line, or `default`.
pub fn flag(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == name);
    at.and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// CPU time this thread has used so far. std has no `getrusage`, so this reads
/// `/proc/thread-self/schedstat` (Linux): its first number is the nanoseconds this thread has
/// spent running on a CPU. 0 if the file cannot be read.
pub fn cpu_time() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let ns = text.split_whitespace().next().and_then(|n| n.parse().ok());
    Duration::from_nanos(ns.unwrap_or(0))
}

/// `d` in milliseconds, for printing.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The far end of the steps' sockets: a plain blocking thread (not the runtime being taught).
/// It accepts `connections` connections on 127.0.0.1, then, for each `(pause, n, bytes)` of
/// the script in turn, sleeps `pause` and writes `bytes` to connection `n`; it closes them all
/// at the end. Returns its address.
pub fn scripted_peer(
    connections: usize,
    script: Vec<(Duration, usize, Vec<u8>)>,
) -> std::io::Result<std::net::SocketAddr> {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        let mut conns: Vec<_> = (0..connections).filter_map(|_| listener.accept().ok()).collect();
        for (pause, n, bytes) in script {
            std::thread::sleep(pause);
            let _ = conns[n].0.write_all(&bytes);
        }
        std::thread::sleep(Duration::from_millis(100)); // let the readers finish first
    });
    Ok(addr)
}
