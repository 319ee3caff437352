//! The [`Greenlet`] handle and the state behind it.
//!
//! **Concept.** A greenlet is a function on its own stack that runs only when switched to;
//! its handle is an `Rc` to `Inner`: the life-cycle `State`, the link to its parent, the stack.
//!
//! **Where.** `Greenlet::new`/`with_stack_size` (map a stack, `init_stack`), `switch` and
//! `try_switch`; every switch goes through `switch_to` in `switch.rs`, which owns the
//! per-thread bookkeeping. The error type is in `error.rs`.
//!
//! **In the debugger.** `break corolab::greenlet::switch::switch_to`, then `print
//! target.inner.id` (the stack switch itself is walked through in `mod.rs`).

use std::any::type_name;
use std::cell::Cell;
use std::fmt;
use std::io;
use std::panic::resume_unwind;
use std::rc::{Rc, Weak};

use super::arch::init_stack;
use super::error::SwitchError;
use super::overflow::{self, Guard};
use super::stack::Stack;
use super::switch::{
    GreenletExit, THREAD, ThreadState, Transfer, Value, kill, pass_on, send_exit, switch_to,
};

/// Stack size used by [`Greenlet::new`]: 256 KiB of address space per
/// greenlet, plus one guard page.
///
/// Why this much: the pages are mapped lazily, so a greenlet only costs the
/// RAM it actually touches (typically a few pages), while the address space
/// is cheap on 64-bit machines. A panic inside a greenlet runs the panic hook
/// on the greenlet's stack, and with `RUST_BACKTRACE=1` symbolizing a
/// backtrace needs about 22 KiB in a debug build, on top of whatever the
/// greenlet's own frames use at that moment; 256 KiB leaves room for both
/// ([`MIN_STACK_SIZE`](super::MIN_STACK_SIZE) is the floor, not a recommendation).
///
/// # Examples
///
/// ```
/// use corolab::greenlet::{DEFAULT_STACK_SIZE, Greenlet};
///
/// let g = Greenlet::with_stack_size(DEFAULT_STACK_SIZE, |n: u32| n + 1)?; // what `new` uses
/// assert_eq!(g.switch::<u32, u32>(1), 2);
/// # std::io::Result::Ok(())
/// ```
pub const DEFAULT_STACK_SIZE: usize = 256 * 1024;

/// Life cycle of a greenlet. Exactly one greenlet per thread is `Running`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum State {
    /// Created, its function has not been called yet.
    NotStarted,
    /// Currently executing on this thread.
    Running,
    /// Switched away; `saved_sp` says where its registers are.
    Suspended,
    /// Its function returned or panicked; it can never run again.
    Dead,
}

/// A greenlet's link to its parent.
///
/// Strong while the greenlet can still run (it needs the parent when it
/// finishes), weak once it is dead. The parent's stack very often holds the
/// child's handle (`let child = Greenlet::new(..)`), so a finished child
/// keeping a strong link back would be a reference cycle: dropping the
/// suspended parent would then never unwind it.
#[derive(Default)]
pub(super) enum ParentLink {
    /// A root greenlet has no parent.
    #[default]
    None,
    /// The parent of a greenlet that has not finished.
    Strong(Greenlet),
    /// The parent of a finished greenlet: only for [`Greenlet::parent`].
    Weak(Weak<Inner>),
}

impl ParentLink {
    /// A new handle to the parent, if it still exists.
    pub(super) fn get(&self) -> Option<Greenlet> {
        match self {
            ParentLink::None => None,
            ParentLink::Strong(parent) => Some(parent.clone()),
            ParentLink::Weak(parent) => parent.upgrade().map(|inner| Greenlet { inner }),
        }
    }

    /// The same link, but one that no longer keeps the parent alive.
    pub(super) fn into_weak(self) -> ParentLink {
        match self {
            ParentLink::Strong(parent) => ParentLink::Weak(Rc::downgrade(&parent.inner)),
            other => other,
        }
    }
}

/// The boxed function a greenlet runs, with its argument and result erased
/// to [`Value`].
pub(super) type Body = Box<dyn FnOnce(Value) -> Value>;

/// The shared state behind every handle to one greenlet.
pub(super) struct Inner {
    pub(super) id: u64,
    pub(super) state: Cell<State>,
    /// The stack pointer `greenlet_switch` saved when this greenlet was
    /// suspended (or the one `init_stack` prepared, before it starts).
    pub(super) saved_sp: Cell<*mut u8>,
    /// The function to run; taken by `greenlet_entry`.
    pub(super) body: Cell<Option<Body>>,
    /// Who receives our return value (or panic) when we finish.
    pub(super) parent: Cell<ParentLink>,
    /// `None` for a thread's root greenlet, which runs on the thread's stack.
    pub(super) stack: Cell<Option<Stack>>,
    /// True for the thread's root greenlet (never killed, never finishes).
    pub(super) is_root: bool,
    /// Set when this greenlet receives [`Transfer::Exit`]: it is being
    /// unwound and will never be resumed usefully again. Per greenlet, unlike
    /// `std::thread::panicking()`, which is per OS thread.
    pub(super) exiting: Cell<bool>,
    /// Where this greenlet's guard page is, for the stack overflow message
    /// (`Guard::NONE` for a root greenlet).
    pub(super) guard: Guard,
}

impl Inner {
    /// The state of a thread's root greenlet: it runs on the thread's own
    /// stack, is running from the start and never finishes.
    pub(super) fn root(id: u64) -> Inner {
        Inner {
            id,
            state: Cell::new(State::Running),
            saved_sp: Cell::new(std::ptr::null_mut()),
            body: Cell::new(None),
            parent: Cell::new(ParentLink::None),
            stack: Cell::new(None),
            is_root: true,
            exiting: Cell::new(false),
            guard: Guard::NONE,
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if matches!(self.state.get(), State::Suspended | State::Running) {
            // Frames on this stack are still live (the greenlet refused to
            // exit, or the thread is shutting down). Unmapping it would pull
            // memory out from under values that were never dropped, so we
            // leak the mapping instead. Leaking is always sound.
            std::mem::forget(self.stack.take());
        }
        // Otherwise the stack (if any) is dropped here and unmapped: a
        // NotStarted greenlet never had frames, a Dead one has none left.
    }
}

/// A handle to a greenlet: a function running on its own stack, which runs
/// only when some greenlet explicitly [`switch`](Greenlet::switch)es to it.
///
/// Handles are cheap to clone (an `Rc`). When the last handle to a suspended
/// greenlet is dropped, the greenlet is resumed one last time with a private
/// panic that unwinds its stack, so every destructor on it runs (Python's
/// `GreenletExit`). A greenlet is neither `Send` nor `Sync`: its stack holds
/// references into the thread that created it.
///
/// # Examples
///
/// ```compile_fail
/// fn needs_send<T: Send>() {}
/// needs_send::<corolab::greenlet::Greenlet>(); // error: Rc is not Send
/// ```
#[derive(Clone)]
pub struct Greenlet {
    pub(super) inner: Rc<Inner>,
}

impl Drop for Greenlet {
    fn drop(&mut self) {
        let last_handle = Rc::strong_count(&self.inner) == 1;
        let has_live_frames = self.inner.state.get() == State::Suspended;
        if last_handle && has_live_frames && !self.inner.is_root {
            kill(&self.inner);
        }
    }
}

impl Greenlet {
    /// Creates a greenlet that will run `f` on a fresh stack of
    /// [`DEFAULT_STACK_SIZE`] bytes. Nothing runs until the first
    /// [`switch`](Greenlet::switch) to it, whose value becomes `f`'s argument.
    /// Its parent is the greenlet that creates it.
    ///
    /// # Panics
    /// If the kernel refuses to map the stack (out of memory or address
    /// space), like `std::thread::spawn`. Use [`Greenlet::with_stack_size`]
    /// to get the error instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::greenlet::Greenlet;
    /// let g = Greenlet::new(|name: &'static str| format!("hello, {name}")); // Python: greenlet(f)
    /// let greeting: String = g.switch("gdb"); // the first switch calls f("gdb") on the new stack
    /// assert_eq!(greeting, "hello, gdb");
    /// assert!(g.is_dead()); // f returned
    /// ```
    pub fn new<A, R, F>(f: F) -> Greenlet
    where
        A: 'static,
        R: 'static,
        F: FnOnce(A) -> R + 'static,
    {
        match Greenlet::with_stack_size(DEFAULT_STACK_SIZE, f) {
            Ok(g) => g,
            Err(e) => panic!("greenlet: cannot map a {DEFAULT_STACK_SIZE}-byte stack: {e}"),
        }
    }

    /// Like [`Greenlet::new`] with a stack of `stack_size` bytes (rounded up
    /// to whole pages) plus a guard page.
    ///
    /// # Errors
    /// `InvalidInput` if `stack_size` is below [`MIN_STACK_SIZE`](super::MIN_STACK_SIZE) or too
    /// large to round up to whole pages; the `mmap`/`mprotect` error if the
    /// stack cannot be mapped (for example `OutOfMemory`).
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::greenlet::Greenlet;
    /// use std::io::ErrorKind;
    /// let big = Greenlet::with_stack_size(8 << 20, |n: u64| (1..=n).sum::<u64>())?; // 8 MiB, touched lazily
    /// assert_eq!(big.switch::<u64, u64>(100), 5050);
    /// let err = Greenlet::with_stack_size(usize::MAX, |()| ()).unwrap_err(); // no whole pages fit
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn with_stack_size<A, R, F>(stack_size: usize, f: F) -> io::Result<Greenlet>
    where
        A: 'static,
        R: 'static,
        F: FnOnce(A) -> R + 'static,
    {
        let stack = Stack::new(stack_size)?;
        overflow::install(); // so an overflow of this stack says so (`overflow.rs`)
        // SAFETY: `stack` is freshly mapped and not used by anything else;
        // `Stack::new` guarantees at least MIN_STACK_SIZE readable and
        // writable bytes below its top (far more than the frame `init_stack`
        // writes there), and its top is page aligned, hence 16-byte aligned.
        let initial_sp = unsafe { init_stack(stack.top()) };
        let body: Body = Box::new(move |value: Value| {
            let argument = value.downcast::<A>().unwrap_or_else(|v| {
                panic!(
                    "greenlet started with a {} but its function takes a {}",
                    v.type_name,
                    type_name::<A>()
                )
            });
            Value::new(f(argument))
        });
        let (id, parent) = THREAD.with(|t| (t.new_id(), t.current()));
        let guard = Guard::of(&stack, id);
        Ok(Greenlet {
            inner: Rc::new(Inner {
                id,
                state: Cell::new(State::NotStarted),
                saved_sp: Cell::new(initial_sp),
                body: Cell::new(Some(body)),
                parent: Cell::new(ParentLink::Strong(parent)),
                stack: Cell::new(Some(stack)),
                is_root: false,
                exiting: Cell::new(false),
                guard,
            }),
        })
    }

    /// The greenlet running right now (Python's `greenlet.getcurrent()`).
    /// Outside any greenlet this is the thread's root greenlet, which stands
    /// for the thread's own stack.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::greenlet::Greenlet;
    ///
    /// let main = Greenlet::current(); // the thread's own, root greenlet
    /// assert!(main.parent().is_none());
    /// ```
    pub fn current() -> Greenlet {
        THREAD.with(ThreadState::current)
    }

    /// The greenlet that receives this one's return value (or panic) when
    /// it finishes: the greenlet that created it. `None` for a root greenlet.
    ///
    /// Once this greenlet has finished it keeps only a weak link to its
    /// parent (a strong one would form a reference cycle with the parent's
    /// stack, which usually holds the child's handle), so then this is
    /// `None` if nothing else keeps the parent alive.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::greenlet::Greenlet;
    ///
    /// let child = Greenlet::new(|(): ()| Greenlet::current().parent().is_some());
    /// let has_parent: bool = child.switch(());
    /// assert!(has_parent); // the greenlet that created it
    /// ```
    pub fn parent(&self) -> Option<Greenlet> {
        let link = self.inner.parent.take();
        let parent = link.get();
        self.inner.parent.set(link);
        parent
    }

    /// Suspends the running greenlet and runs `self` until some greenlet
    /// switches back here; returns the value that greenlet passed.
    ///
    /// - If `self` has not started, `value` becomes its function's argument.
    /// - If `self` is suspended in its own `switch`, that call returns `value`.
    /// - If `self` finishes, its return value comes back to its parent; if it
    ///   panics, the panic continues in its parent, from the parent's pending
    ///   `switch`.
    /// - If `self` is the running greenlet, `value` comes straight back.
    ///
    /// # Panics
    /// If `self` is dead, or the value that comes back is not an `R` (see
    /// [`try_switch`](Greenlet::try_switch) for both as errors); and with the
    /// panic of a child that finished by panicking.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::greenlet::Greenlet;
    /// let g = Greenlet::new(|x: i32| {
    ///     let parent = Greenlet::current().parent().unwrap();
    ///     let y: i32 = parent.switch(x + 1); // suspend, hand x + 1 out
    ///     y * 10 // finishing hands this out
    /// });
    /// let a: i32 = g.switch(1);
    /// assert_eq!(a, 2);
    /// let b: i32 = g.switch(5);
    /// assert_eq!(b, 50);
    /// assert!(g.is_dead());
    /// ```
    pub fn switch<T: 'static, R: 'static>(&self, value: T) -> R {
        match self.try_switch(value) {
            Ok(reply) => reply,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`switch`](Greenlet::switch), but a dead target or a reply of
    /// the wrong type is an error instead of a panic. A child's panic still
    /// continues as a panic here (it is not an error of this call).
    ///
    /// # Errors
    /// [`SwitchError::Dead`] without switching if `self` has finished;
    /// [`SwitchError::WrongType`] if the value that came back is not an `R`.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::greenlet::{Greenlet, SwitchError};
    ///
    /// let echo = Greenlet::new(|x: u8| x);
    /// let wrong = echo.try_switch::<u8, String>(7); // it hands back a u8, not a String
    /// assert!(matches!(wrong, Err(SwitchError::WrongType { .. })));
    /// assert!(matches!(echo.try_switch::<u8, u8>(1), Err(SwitchError::Dead))); // it finished
    /// ```
    pub fn try_switch<T: 'static, R: 'static>(&self, value: T) -> Result<R, SwitchError> {
        if self.is_dead() {
            return Err(SwitchError::Dead);
        }
        crate::trace::greenlet_switch_with(|| (Greenlet::current().inner.id, self.inner.id));
        match switch_to(self.clone(), Transfer::Value(Value::new(value))) {
            Transfer::Value(v) => v.downcast::<R>().map_err(|v| SwitchError::WrongType {
                expected: type_name::<R>(),
                found: v.type_name,
                value: v.boxed,
            }),
            // The greenlet we came from panicked: continue its panic here.
            // `resume_unwind` does not run the panic hook again.
            Transfer::Panic(payload) => resume_unwind(payload),
            // Our last handle was dropped: unwind this stack.
            Transfer::Exit => resume_unwind(Box::new(GreenletExit)),
        }
    }

    /// Unwinds this greenlet now if it is suspended, however many other
    /// handles to it exist: it is resumed once with the exit message, its
    /// pending `switch` panics with the private `GreenletExit` payload, every
    /// destructor on its stack runs, and it finishes (its result is
    /// discarded). Does nothing if it has not started, is running or is dead.
    ///
    /// Dropping the last handle does the same. `exit` is for an owner that
    /// knows the greenlet can never be resumed usefully even though handles
    /// remain, typically in a cycle: a green thread's task, when it is
    /// cancelled, exits the greenlet that was parked in it.
    ///
    /// If the greenlet catches the panic and switches away instead of
    /// finishing, it is simply suspended again (and `exit` returns when it
    /// switches back here).
    pub(crate) fn exit(&self) {
        if self.inner.state.get() != State::Suspended || self.inner.is_root {
            return;
        }
        if let Some(reply) = send_exit(&self.inner) {
            pass_on(reply);
        }
    }

    /// True once this greenlet has been asked to exit (by [`exit`](Greenlet::exit)
    /// or because its last handle was dropped): its stack is being unwound,
    /// or was, and nobody will resume it to continue its work. Stays true
    /// even if it catches the `GreenletExit` panic.
    pub(crate) fn is_exiting(&self) -> bool {
        self.inner.exiting.get()
    }

    /// True once the greenlet's function has returned or panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::greenlet::Greenlet;
    ///
    /// let g = Greenlet::new(|x: u32| x + 1);
    /// let _: u32 = g.switch(1u32);
    /// assert!(g.is_dead()); // it returned
    /// ```
    pub fn is_dead(&self) -> bool {
        self.inner.state.get() == State::Dead
    }

    /// True once the greenlet has been switched to at least once (a root
    /// greenlet is always started).
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::greenlet::Greenlet;
    ///
    /// let g = Greenlet::new(|x: u32| x);
    /// assert!(!g.is_started()); // nothing runs before the first switch
    /// let _: u32 = g.switch(7u32);
    /// assert!(g.is_started());
    /// ```
    pub fn is_started(&self) -> bool {
        self.inner.state.get() != State::NotStarted
    }
}

impl PartialEq for Greenlet {
    /// Two handles are equal when they refer to the same greenlet.
    fn eq(&self, other: &Greenlet) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for Greenlet {}

impl fmt::Debug for Greenlet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Greenlet")
            .field("id", &self.inner.id)
            .field("state", &self.inner.state.get())
            .finish()
    }
}
