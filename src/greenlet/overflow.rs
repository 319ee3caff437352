//! A greenlet that overflows its stack says so, then aborts, as a thread does.
//!
//! **Concept.** Running off the end of a greenlet's stack touches its guard page (see
//! `stack.rs`) and the kernel sends SIGSEGV. std already handles that signal for *threads*: its
//! handler looks whether the faulting address lies in the running thread's guard page, and if
//! so prints "thread 'main' has overflowed its stack" and aborts; any other fault it hands back
//! to the default action (the process dies by SIGSEGV). It knows nothing about our stacks, so
//! without help a greenlet overflow dies silently. We add a handler in front of std's:
//!
//! 1. every switch records, in a thread-local [`Guard`], where the guard page of the stack that
//!    is about to run lies, with that greenlet's id and stack size (`set_running`);
//! 2. the handler (`on_fault`) compares the faulting address with it: inside, it writes
//!    "greenlet N has overflowed its stack of S bytes" and how to get a bigger one, then aborts;
//!    outside, it calls whatever handler was there before (std's, usually), so thread stack
//!    overflows and ordinary segfaults behave exactly as before;
//! 3. the handler must run somewhere: the overflowing stack has no room left, so the signal is
//!    delivered on an *alternate signal stack* (`sigaltstack(2)`, flag `SA_ONSTACK`). std gives
//!    each thread it starts one; a thread without one gets ours (`ensure_alt_stack`).
//!
//! A signal handler may interrupt anything, even `malloc` holding its lock, so the handler only
//! reads a `Cell`, formats numbers into a buffer on its own stack and calls `write(2)` and
//! `abort(3)`, which are async-signal-safe. No allocation, no lock, no `println!`.
//!
//! **Where.** [`install`] (called by `Greenlet::with_stack_size`: the handlers once per
//! process, the alternate stack once per thread), `set_running` (called by `switch_to` right
//! before the assembly switch), `on_fault`, `report_overflow` and `chain_to_previous`.
//!
//! **In the debugger.** gdb stops at the SIGSEGV before any handler runs: `continue` delivers it,
//! and `break corolab::greenlet::overflow::report_overflow` stops in the handler, on the
//! alternate stack (`bt` shows the signal frame, then the overflowing greenlet's frames).
//! `print guard` shows the recorded guard page.

use std::cell::Cell;
use std::ffi::c_void;
use std::sync::{Once, OnceLock};

use super::stack::{MIN_STACK_SIZE, Stack};

/// Where the guard page of the running greenlet's stack lies, and what to say if it is hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Guard {
    /// First byte of the guard page.
    start: usize,
    /// One past its last byte (the lowest usable byte of the stack).
    end: usize,
    /// Usable stack size in bytes, for the message.
    usable: usize,
    /// The greenlet's id (as in its `Debug` output).
    id: u64,
}

impl Guard {
    /// No guard page of ours: the thread's own stack is running (std watches that one).
    pub(crate) const NONE: Guard = Guard {
        start: 0,
        end: 0,
        usable: 0,
        id: 0,
    };

    /// The guard page of `stack`, which belongs to greenlet `id`.
    pub(crate) fn of(stack: &Stack, id: u64) -> Guard {
        let (start, end) = stack.guard_range();
        Guard {
            start,
            end,
            usable: stack.usable_size(),
            id,
        }
    }

    fn contains(&self, address: usize) -> bool {
        (self.start..self.end).contains(&address)
    }
}

thread_local! {
    /// The guard page of the stack running on this thread. `const`, `Copy` and without `Drop`,
    /// so reading it is a plain thread-local load: safe inside a signal handler.
    static RUNNING: Cell<Guard> = const { Cell::new(Guard::NONE) };

    /// Whether this thread's alternate signal stack was already checked (one system call per
    /// thread, not one per greenlet).
    static ALT_STACK_CHECKED: Cell<bool> = const { Cell::new(false) };

    /// The alternate signal stack we mapped for this thread, if it had none. Dropped when the
    /// thread exits: it is unregistered first, then unmapped.
    static ALT_STACK: AltStack = const { AltStack(Cell::new(None)) };
}

/// Records which guard page belongs to the stack about to run. `switch_to` calls it right
/// before every switch.
pub(crate) fn set_running(guard: Guard) {
    RUNNING.with(|running| running.set(guard));
}

/// The handlers that were installed before ours, one per signal; `on_fault` chains to them.
static PREVIOUS_SEGV: OnceLock<libc::sigaction> = OnceLock::new();
static PREVIOUS_BUS: OnceLock<libc::sigaction> = OnceLock::new();

/// Makes greenlet overflows on this thread reportable: installs the SIGSEGV and SIGBUS
/// handlers (once per process) and an alternate signal stack (once per thread, unless the
/// thread has one already).
pub(crate) fn install() {
    static HANDLERS: Once = Once::new();
    HANDLERS.call_once(|| {
        install_handler(libc::SIGSEGV, &PREVIOUS_SEGV);
        install_handler(libc::SIGBUS, &PREVIOUS_BUS);
    });
    if !ALT_STACK_CHECKED.with(|checked| checked.replace(true)) {
        ensure_alt_stack();
    }
}

/// Remembers the current handler of `signal` in `previous`, then puts `on_fault` in its place.
fn install_handler(signal: libc::c_int, previous: &OnceLock<libc::sigaction>) {
    // SAFETY: an all-zero `sigaction` is a valid value of this plain C struct (SIG_DFL, no
    // flags, empty mask); the kernel overwrites it.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only reads the current one into `old`, a valid out pointer.
    if unsafe { libc::sigaction(signal, std::ptr::null(), &mut old) } != 0 {
        return; // cannot read it: leave the signal alone
    }
    let _ = previous.set(old);
    // SAFETY: as above, all-zero is a valid starting value.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut c_void) = on_fault;
    action.sa_sigaction = handler as libc::sighandler_t;
    action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
    // SAFETY: `action.sa_mask` is a valid sigset_t to initialise; `action` is fully set up
    // (handler with the three-argument SA_SIGINFO signature, flags, empty mask) and `on_fault`
    // only does async-signal-safe work. A null old-action pointer is allowed.
    unsafe {
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(signal, &action, std::ptr::null_mut());
    }
}

/// Owner of the alternate signal stack this file mapped for one thread.
struct AltStack(Cell<Option<Stack>>);

impl Drop for AltStack {
    fn drop(&mut self) {
        let Some(stack) = self.0.take() else { return };
        let disable = libc::stack_t {
            ss_sp: std::ptr::null_mut(),
            ss_flags: libc::SS_DISABLE,
            ss_size: 0,
        };
        // SAFETY: `disable` is a valid stack_t; unregistering the alternate stack before it is
        // unmapped means no signal can be delivered onto freed memory.
        unsafe { libc::sigaltstack(&disable, std::ptr::null_mut()) };
        drop(stack);
    }
}

/// This thread's alternate signal stack setting, as `sigaltstack(2)` reports it.
fn current_alt_stack() -> Option<libc::stack_t> {
    // SAFETY: all-zero is a valid stack_t; the kernel fills it in.
    let mut current: libc::stack_t = unsafe { std::mem::zeroed() };
    // SAFETY: a null new stack only reads the current setting into `current`.
    let rc = unsafe { libc::sigaltstack(std::ptr::null(), &mut current) };
    (rc == 0).then_some(current)
}

/// Gives this thread an alternate signal stack if it has none (std's threads have one).
fn ensure_alt_stack() {
    let Some(current) = current_alt_stack() else {
        return;
    };
    if current.ss_flags & libc::SS_DISABLE == 0 {
        return; // the thread has one (std's, or ours from an earlier call)
    }
    let Ok(stack) = Stack::new(MIN_STACK_SIZE) else {
        return; // no memory: an overflow then dies by SIGSEGV, silently, as before
    };
    let usable = stack.usable_size();
    let alt = libc::stack_t {
        // The lowest usable byte: the kernel places the signal frame below ss_sp + ss_size.
        ss_sp: stack.top().wrapping_sub(usable).cast(),
        ss_flags: 0,
        ss_size: usable,
    };
    // SAFETY: `alt` describes `usable` mapped, writable bytes that stay mapped for as long as
    // they are registered: `ALT_STACK` owns them and unregisters them before unmapping.
    if unsafe { libc::sigaltstack(&alt, std::ptr::null_mut()) } == 0 {
        let _ = ALT_STACK.try_with(|slot| slot.0.set(Some(stack)));
    }
}

/// The SIGSEGV/SIGBUS handler. Runs on the alternate signal stack.
extern "C" fn on_fault(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    // SAFETY: the kernel passes a valid siginfo_t for SA_SIGINFO handlers; for SIGSEGV and
    // SIGBUS `si_addr` is the faulting address.
    let address = unsafe { (*info).si_addr() } as usize;
    let guard = RUNNING.try_with(Cell::get).unwrap_or(Guard::NONE);
    if guard.contains(address) {
        report_overflow(&guard);
        // SAFETY: abort(3) is async-signal-safe and never returns.
        unsafe { libc::abort() };
    }
    chain_to_previous(signal, info, context);
}

/// Writes the overflow message to stderr with `write(2)` only.
fn report_overflow(guard: &Guard) {
    let mut message = Message::new();
    message.push(b"\ngreenlet ");
    message.push_number(guard.id as usize);
    message.push(b" has overflowed its stack of ");
    message.push_number(guard.usable);
    message.push(b" bytes\nhelp: create it with a bigger stack: Greenlet::with_stack_size(bytes, f)");
    message.push(b" (Greenlet::new and green::spawn use ");
    message.push_number(super::DEFAULT_STACK_SIZE);
    message.push(b" bytes)\nfatal runtime error: greenlet stack overflow, aborting\n");
    message.write_to_stderr();
}

/// Hands a fault that is not a greenlet overflow to the handler that was there before ours.
fn chain_to_previous(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    let previous = match signal {
        libc::SIGBUS => PREVIOUS_BUS.get(),
        _ => PREVIOUS_SEGV.get(),
    };
    let handler = previous.map_or(libc::SIG_DFL, |p| p.sa_sigaction);
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        // Restore the default action and return: the faulting instruction runs again and the
        // kernel kills the process with this signal (what std's own handler does).
        // SAFETY: all-zero is SIG_DFL with no flags and an empty mask.
        let default: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: installing SIG_DFL is always allowed; sigaction(2) is async-signal-safe.
        unsafe { libc::sigaction(signal, &default, std::ptr::null_mut()) };
        return;
    }
    let flags = previous.map_or(0, |p| p.sa_flags);
    if flags & libc::SA_SIGINFO != 0 {
        // SAFETY: the previous handler was installed with SA_SIGINFO, so its address is a
        // function with this signature, and we pass it the arguments the kernel gave us.
        let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut c_void) =
            unsafe { std::mem::transmute(handler) };
        f(signal, info, context);
    } else {
        // SAFETY: without SA_SIGINFO a handler takes only the signal number.
        let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(handler) };
        f(signal);
    }
}

/// A message built without allocating, for a signal handler.
struct Message {
    bytes: [u8; 512],
    len: usize,
}

impl Message {
    fn new() -> Message {
        Message {
            bytes: [0; 512],
            len: 0,
        }
    }

    /// Appends `text`, cutting it short if the buffer is full.
    fn push(&mut self, text: &[u8]) {
        let room = self.bytes.len() - self.len;
        let n = text.len().min(room);
        self.bytes[self.len..self.len + n].copy_from_slice(&text[..n]);
        self.len += n;
    }

    /// Appends `n` in decimal.
    fn push_number(&mut self, mut n: usize) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.push(&digits[i..]);
    }

    fn write_to_stderr(&self) {
        let mut written = 0;
        while written < self.len {
            let rest = &self.bytes[written..self.len];
            // SAFETY: `rest` is a valid buffer of `rest.len()` bytes; write(2) is
            // async-signal-safe.
            let n = unsafe { libc::write(libc::STDERR_FILENO, rest.as_ptr().cast(), rest.len()) };
            if n <= 0 {
                return; // stderr closed or full: nothing more we can do
            }
            written += n as usize;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Why: the handler formats numbers itself (no allocation allowed); a slip here would
    // print a wrong stack size in the one message that tells the user what to change.
    #[test]
    fn message_formats_numbers_without_allocating() {
        let mut m = Message::new();
        m.push(b"a ");
        m.push_number(0);
        m.push(b" ");
        m.push_number(65536);
        m.push(b" ");
        m.push_number(usize::MAX);
        assert_eq!(&m.bytes[..m.len], format!("a 0 65536 {}", usize::MAX).as_bytes());
    }

    // Why: a full buffer must cut the message short, never write past its end.
    #[test]
    fn message_is_cut_short_when_the_buffer_is_full() {
        let mut m = Message::new();
        for _ in 0..100 {
            m.push(b"0123456789");
        }
        assert_eq!(m.len, m.bytes.len());
    }

    // Why: a thread that std did not start (a C library's thread, say) has no alternate
    // signal stack, and then the handler could not run at all on an overflowed stack.
    #[test]
    fn a_thread_without_an_alternate_signal_stack_gets_one() {
        std::thread::spawn(|| {
            let disable = libc::stack_t {
                ss_sp: std::ptr::null_mut(),
                ss_flags: libc::SS_DISABLE,
                ss_size: 0,
            };
            // SAFETY: unregistering this thread's alternate stack (std keeps its mapping and
            // frees it when the thread ends); nothing signals this thread meanwhile.
            unsafe { libc::sigaltstack(&disable, std::ptr::null_mut()) };
            let before = current_alt_stack().unwrap();
            assert_ne!(before.ss_flags & libc::SS_DISABLE, 0, "disabled");
            ensure_alt_stack();
            let after = current_alt_stack().unwrap();
            assert_eq!(after.ss_flags & libc::SS_DISABLE, 0, "enabled again");
            assert!(after.ss_size >= MIN_STACK_SIZE, "ours: {} bytes", after.ss_size);
        })
        .join()
        .unwrap();
    }

    // Why: only the guard page itself counts as an overflow; the byte above it is the stack.
    #[test]
    fn guard_contains_exactly_its_page() {
        let stack = Stack::new(MIN_STACK_SIZE).unwrap();
        let guard = Guard::of(&stack, 7);
        assert!(guard.contains(guard.start));
        assert!(guard.contains(guard.end - 1));
        assert!(!guard.contains(guard.end));
        assert!(!guard.contains(guard.start - 1));
        assert!(!Guard::NONE.contains(0));
    }
}
