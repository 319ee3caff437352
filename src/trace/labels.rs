//! The `[rt N thread]` labels of text lines: have several runtimes traced, and the name of
//! the thread a record comes from.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

thread_local! {
    static THREAD_NAME: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The first runtime id seen in a record, and whether another one has been seen since.
static FIRST_RUNTIME: AtomicU64 = AtomicU64::new(0);
static SEVERAL_RUNTIMES: AtomicBool = AtomicBool::new(false);

pub(super) fn note_runtime(rt: u64) {
    if rt == 0 || SEVERAL_RUNTIMES.load(Ordering::Relaxed) {
        return;
    }
    if let Err(first) = FIRST_RUNTIME.compare_exchange(0, rt, Ordering::Relaxed, Ordering::Relaxed)
        && first != rt
    {
        SEVERAL_RUNTIMES.store(true, Ordering::Relaxed);
    }
}

/// Have records of more than one runtime been made in this process (or has
/// [`label_lines`] been called)? Text sinks label their lines (`[rt 2 server]`) from then on.
pub(crate) fn several_runtimes() -> bool {
    SEVERAL_RUNTIMES.load(Ordering::Relaxed)
}

/// A program that will run several runtimes (an in-process server and a client) calls this
/// first, so text lines are labelled from the very first one, not only once the second
/// runtime has traced.
///
/// ```
/// # use std::{cell::RefCell, io::Write, rc::Rc};
/// # #[derive(Clone, Default)]
/// # struct Buf(Rc<RefCell<Vec<u8>>>);
/// # impl Write for Buf {
/// #     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.0.borrow_mut().write(b) }
/// #     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
/// # }
/// use corolab::trace::{self, TextSink};
/// # let out = Buf::default();
/// trace::label_lines(); // this program will run a server runtime and a client runtime
/// trace::set_sink(Box::new(TextSink::to_writer(out.clone())));
/// corolab::block_on(async {});
/// # trace::clear_sink();
/// let text = String::from_utf8(out.0.take()).unwrap();
/// assert!(!text.is_empty() && text.lines().all(|line| line.contains("[rt 1 main] ")), "{text}");
/// ```
pub fn label_lines() {
    SEVERAL_RUNTIMES.store(true, Ordering::Relaxed);
}

pub(super) fn thread_name() -> String {
    THREAD_NAME
        .try_with(|name| {
            name.borrow_mut()
                .get_or_insert_with(|| {
                    let thread = std::thread::current();
                    match thread.name() {
                        Some(name) => name.to_string(),
                        None => format!("{:?}", thread.id()),
                    }
                })
                .clone()
        })
        .unwrap_or_else(|_| "exiting thread".to_string())
}
