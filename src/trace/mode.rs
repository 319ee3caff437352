//! `COROLAB_TRACE`: which sink a runtime installs as it starts.

use super::{JsonLinesSink, StderrSink, enabled, set_sink, timeline};
use std::sync::Once;

/// What `COROLAB_TRACE` asks for.
///
/// ```
/// use corolab::trace::{TraceMode, parse_mode};
/// let page = match parse_mode("html:run.html") {
///     Some(TraceMode::Html(path)) => path,
///     other => panic!("not a page: {other:?}"),
/// };
/// assert_eq!(page, std::path::Path::new("run.html"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceMode {
    /// Unset, empty, `0` or `off`: no tracing.
    Off,
    /// `1`, `stderr` or `text`: human-readable lines on stderr.
    Text,
    /// `json`: one JSON record per line on stderr.
    Json,
    /// `html:PATH`: the timeline page, written to PATH when the runtime ends.
    Html(std::path::PathBuf),
}

/// Reads `COROLAB_TRACE`. An unknown value is reported once per process on stderr and means
/// [`TraceMode::Off`].
///
/// ```
/// use corolab::trace::{self, TraceMode};
/// // SAFETY (of `set_var`): no other thread runs in this example.
/// unsafe { std::env::set_var("COROLAB_TRACE", "json") };
/// assert_eq!(trace::mode_from_env(), TraceMode::Json);
/// unsafe { std::env::set_var("COROLAB_TRACE", "loud") }; // a warning on stderr, once
/// assert_eq!(trace::mode_from_env(), TraceMode::Off);
/// ```
pub fn mode_from_env() -> TraceMode {
    let value = std::env::var("COROLAB_TRACE").unwrap_or_default();
    parse_mode(&value).unwrap_or_else(|| {
        static WARNED: Once = Once::new();
        // `writeln!`, not `eprintln!`: a closed or broken stderr must not turn a typo into a
        // panic inside `block_on` (and a panic here would poison `WARNED` for every later runtime).
        WARNED.call_once(|| {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "corolab: COROLAB_TRACE={value:?} is not understood (use 1, stderr, text, json, html:PATH or 0); tracing stays off"
            );
        });
        TraceMode::Off
    })
}

/// Parses a `COROLAB_TRACE` value (`None`: not understood).
///
/// ```
/// use corolab::trace::{TraceMode, parse_mode};
/// for value in ["1", "stderr", "text"] {
///     assert_eq!(parse_mode(value), Some(TraceMode::Text));
/// }
/// assert_eq!(parse_mode("off"), Some(TraceMode::Off));
/// assert_eq!(parse_mode("jsn"), None); // a typo is not understood
/// ```
pub fn parse_mode(value: &str) -> Option<TraceMode> {
    match value {
        "" | "0" | "off" => Some(TraceMode::Off),
        "1" | "stderr" | "text" => Some(TraceMode::Text),
        "json" => Some(TraceMode::Json),
        _ => match value.strip_prefix("html:") {
            Some(path) if !path.is_empty() => Some(TraceMode::Html(path.into())),
            _ => None,
        },
    }
}

/// Installs the sink `COROLAB_TRACE` asks for (see [`TraceMode`]), unless one is installed.
///
/// ```
/// use corolab::trace;
/// // SAFETY (of `set_var`): no other thread runs in this example.
/// unsafe { std::env::set_var("COROLAB_TRACE", "json") }; // as if run as `COROLAB_TRACE=json ...`
/// trace::install_from_env(); // what each runtime does as it starts
/// assert!(trace::enabled()); // JSON lines go to stderr from now on
/// # trace::clear_sink();
/// ```
pub fn install_from_env() {
    if enabled() {
        return;
    }
    match mode_from_env() {
        TraceMode::Text => {
            set_sink(Box::new(StderrSink::new()));
        }
        TraceMode::Json => {
            set_sink(Box::new(JsonLinesSink::new(std::io::stderr())));
        }
        TraceMode::Html(path) => {
            set_sink(Box::new(timeline::HtmlSink::new(path)));
        }
        TraceMode::Off => {}
    }
}
