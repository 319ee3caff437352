//! The `Greenlet` handle, the per-thread bookkeeping, and the two Rust
//! functions on either side of the assembly: [`switch_to`] (every switch goes
//! through it) and [`greenlet_entry`] (the first Rust frame on a new stack).

use std::any::{Any, type_name};
use std::cell::Cell;
use std::fmt;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::rc::{Rc, Weak};

use super::arch::{greenlet_switch, init_stack};
use super::stack::Stack;

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
pub const DEFAULT_STACK_SIZE: usize = 256 * 1024;

/// Life cycle of a greenlet. Exactly one greenlet per thread is `Running`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    /// Created, its function has not been called yet.
    NotStarted,
    /// Currently executing on this thread.
    Running,
    /// Switched away; `saved_sp` says where its registers are.
    Suspended,
    /// Its function returned or panicked; it can never run again.
    Dead,
}

/// A value in flight between two greenlets, with its type name so a wrong
/// downcast can say what it got.
struct Value {
    boxed: Box<dyn Any>,
    type_name: &'static str,
}

impl Value {
    fn new<T: 'static>(value: T) -> Value {
        Value {
            boxed: Box::new(value),
            type_name: type_name::<T>(),
        }
    }

    fn downcast<T: 'static>(self) -> Result<T, Value> {
        let type_name = self.type_name;
        match self.boxed.downcast::<T>() {
            Ok(b) => Ok(*b),
            Err(boxed) => Err(Value { boxed, type_name }),
        }
    }
}

/// What a switch hands to the greenlet that resumes.
enum Transfer {
    /// An ordinary value (`switch(value)`, or a greenlet's return value).
    Value(Value),
    /// The greenlet we came from panicked; re-raise it here.
    Panic(Box<dyn Any + Send>),
    /// "Please die": sent by [`kill`] when the last handle is dropped.
    Exit,
}

/// Private panic payload used to unwind a greenlet whose last handle was
/// dropped (Python's `GreenletExit`). Nobody outside this file can name it, so
/// [`greenlet_entry`] knows that a payload of this type means "asked to exit".
struct GreenletExit;

/// A greenlet's link to its parent.
///
/// Strong while the greenlet can still run (it needs the parent when it
/// finishes), weak once it is dead. The parent's stack very often holds the
/// child's handle (`let child = Greenlet::new(..)`), so a finished child
/// keeping a strong link back would be a reference cycle: dropping the
/// suspended parent would then never unwind it.
#[derive(Default)]
enum ParentLink {
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
    fn get(&self) -> Option<Greenlet> {
        match self {
            ParentLink::None => None,
            ParentLink::Strong(parent) => Some(parent.clone()),
            ParentLink::Weak(parent) => parent.upgrade().map(|inner| Greenlet { inner }),
        }
    }

    /// The same link, but one that no longer keeps the parent alive.
    fn into_weak(self) -> ParentLink {
        match self {
            ParentLink::Strong(parent) => ParentLink::Weak(Rc::downgrade(&parent.inner)),
            other => other,
        }
    }
}

/// The boxed function a greenlet runs, with its argument and result erased
/// to [`Value`].
type Body = Box<dyn FnOnce(Value) -> Value>;

/// The shared state behind every handle to one greenlet.
struct Inner {
    id: u64,
    state: Cell<State>,
    /// The stack pointer `greenlet_switch` saved when this greenlet was
    /// suspended (or the one `init_stack` prepared, before it starts).
    saved_sp: Cell<*mut u8>,
    /// The function to run; taken by `greenlet_entry`.
    body: Cell<Option<Body>>,
    /// Who receives our return value (or panic) when we finish.
    parent: Cell<ParentLink>,
    /// `None` for a thread's root greenlet, which runs on the thread's stack.
    stack: Cell<Option<Stack>>,
    /// True for the thread's root greenlet (never killed, never finishes).
    is_root: bool,
    /// Set when this greenlet receives [`Transfer::Exit`]: it is being
    /// unwound and will never be resumed usefully again. Per greenlet, unlike
    /// `std::thread::panicking()`, which is per OS thread.
    exiting: Cell<bool>,
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
/// ```compile_fail
/// fn needs_send<T: Send>() {}
/// needs_send::<corolab::greenlet::Greenlet>(); // error: Rc is not Send
/// ```
#[derive(Clone)]
pub struct Greenlet {
    inner: Rc<Inner>,
}

/// Why [`Greenlet::try_switch`] failed.
#[derive(Debug)]
pub enum SwitchError {
    /// The target greenlet has finished; it can never run again.
    Dead,
    /// The switch happened, but the value that came back is not of the type
    /// the caller asked for. The value is returned so it is not lost.
    WrongType {
        /// The type the caller expected (`R` in `try_switch::<T, R>`).
        expected: &'static str,
        /// The type of the value that actually arrived.
        found: &'static str,
        /// The value that arrived.
        value: Box<dyn Any>,
    },
}

impl fmt::Display for SwitchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SwitchError::Dead => write!(f, "cannot switch to a greenlet that has finished"),
            SwitchError::WrongType { expected, found, .. } => {
                write!(
                    f,
                    "greenlet switch: expected a value of type {expected}, got {found}"
                )
            }
        }
    }
}

impl std::error::Error for SwitchError {}

/// Per-thread bookkeeping. `Cell<Option<_>>` (take/set) instead of `RefCell`
/// so that no borrow is ever held while a greenlet handle is dropped (a drop
/// can itself switch greenlets).
struct ThreadState {
    /// The running greenlet. `None` only before first use and for the few
    /// instructions inside [`switch_to`] where it changes hands.
    current: Cell<Option<Greenlet>>,
    /// The thread's root greenlet (its original stack); kept alive forever.
    root: Cell<Option<Greenlet>>,
    /// The greenlet we just switched away from, parked here so its memory
    /// (including the `saved_sp` the assembly writes to) outlives the switch.
    /// The greenlet that resumes drops it.
    switched_from: Cell<Option<Greenlet>>,
    /// The value in flight during a switch.
    transfer: Cell<Option<Transfer>>,
    next_id: Cell<u64>,
}

thread_local! {
    static THREAD: ThreadState = const {
        ThreadState {
            current: Cell::new(None),
            root: Cell::new(None),
            switched_from: Cell::new(None),
            transfer: Cell::new(None),
            next_id: Cell::new(0),
        }
    };
}

impl ThreadState {
    /// A new handle to the running greenlet, creating the root greenlet on
    /// first use.
    fn current(&self) -> Greenlet {
        let current = match self.current.take() {
            Some(g) => g,
            None => {
                let root = Greenlet {
                    inner: Rc::new(Inner {
                        id: self.new_id(),
                        state: Cell::new(State::Running),
                        saved_sp: Cell::new(std::ptr::null_mut()),
                        body: Cell::new(None),
                        parent: Cell::new(ParentLink::None),
                        stack: Cell::new(None),
                        is_root: true,
                        exiting: Cell::new(false),
                    }),
                };
                self.root.set(Some(root.clone()));
                root
            }
        };
        let copy = current.clone();
        self.current.set(Some(current));
        copy
    }

    fn root(&self) -> Greenlet {
        let root = self
            .root
            .take()
            .expect("the root greenlet exists once any greenlet does");
        let copy = root.clone();
        self.root.set(Some(root));
        copy
    }

    fn new_id(&self) -> u64 {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        id
    }
}

/// The heart of the module: make `target` the running greenlet, and return
/// whatever the next greenlet to switch back to *us* hands over.
///
/// Nothing that owns a handle stays in this frame while we are suspended:
/// the outgoing greenlet is parked in `switched_from`, the target in
/// `current`. So a suspended greenlet does not keep itself alive, and
/// dropping its last handle elsewhere can unwind it.
fn switch_to(target: Greenlet, message: Transfer) -> Transfer {
    THREAD.with(|t| {
        let current = t.current();
        if Rc::ptr_eq(&current.inner, &target.inner) {
            return message; // switching to yourself is a no-op, as in Python
        }
        let target_state = target.inner.state.get();
        assert!(
            matches!(target_state, State::NotStarted | State::Suspended),
            "internal error: switch to a {target_state:?} greenlet"
        );
        drop(t.current.take()); // `current` above is now the only handle we own
        let save_sp: *mut *mut u8 = current.inner.saved_sp.as_ptr();
        let load_sp: *mut u8 = target.inner.saved_sp.get();
        if current.inner.state.get() == State::Running {
            current.inner.state.set(State::Suspended); // a finishing greenlet stays Dead
        }
        target.inner.state.set(State::Running);
        t.transfer.set(Some(message));
        t.switched_from.set(Some(current));
        t.current.set(Some(target));

        // SAFETY:
        // - `save_sp` points into the `Inner` of the outgoing greenlet, which
        //   is kept alive by `switched_from` until the greenlet that resumes
        //   has returned from `greenlet_switch` and drops it.
        // - `load_sp` is valid to load: the target is NotStarted (then it is
        //   the sp `init_stack` prepared on its fresh stack) or Suspended
        //   (then it is what `greenlet_switch` saved when it switched away);
        //   we asserted that above. Its stack stays mapped because `current`
        //   now owns a handle to it, and stacks are only unmapped when Dead
        //   or NotStarted.
        // - The call is an ordinary extern "C" call for the compiler: it
        //   assumes all caller-saved registers are clobbered, and the switch
        //   preserves the callee-saved ones (this greenlet gets its own back
        //   when someone switches to it again).
        unsafe { greenlet_switch(save_sp, load_sp) };

        // ---- Someone switched back to us. `t.current` is us again. ----
        // Take the value first: dropping `switched_from` may switch again
        // (to unwind a greenlet whose last handle that was).
        let reply = t.transfer.take().expect("every switch carries a message");
        if matches!(reply, Transfer::Exit) {
            t.current().inner.exiting.set(true); // we are asked to unwind
        }
        drop(t.switched_from.take());
        reply
    })
}

/// The first Rust function on every greenlet stack, called by the assembly
/// trampoline `greenlet_start`. It never returns: when the greenlet's
/// function is done, it switches to the parent for good.
///
/// `extern "C"` matters: if a panic ever escaped from here it could not
/// unwind into the assembly frame below; Rust aborts the process instead.
/// It does not happen, because `catch_unwind` below catches every panic.
pub(crate) extern "C" fn greenlet_entry() -> ! {
    let (first, body) = THREAD.with(|t| {
        let first = t.transfer.take().unwrap_or(Transfer::Exit);
        let me = t.current();
        if matches!(first, Transfer::Exit) {
            me.inner.exiting.set(true);
        }
        let body = me.inner.body.take();
        drop(t.switched_from.take());
        (first, body)
    });

    // Run the greenlet's function, catching any panic on this stack.
    let outcome = catch_unwind(AssertUnwindSafe(move || match (first, body) {
        (Transfer::Value(value), Some(body)) => body(value),
        // A parent that had not started yet receives a child's panic or an
        // exit request: it dies with it without running its function.
        (Transfer::Panic(payload), body) => {
            drop(body);
            resume_unwind(payload)
        }
        (_, body) => {
            drop(body);
            resume_unwind(Box::new(GreenletExit))
        }
    }));
    let reply = match outcome {
        Ok(value) => Transfer::Value(value),
        Err(payload) if payload.is::<GreenletExit>() => Transfer::Value(Value::new(())),
        Err(payload) => Transfer::Panic(payload),
    };

    // Finished. Hand the result to the nearest parent that can still run.
    let parent = THREAD.with(|t| {
        let me = t.current();
        me.inner.state.set(State::Dead);
        let receiver = nearest_live_ancestor(&me).unwrap_or_else(|| t.root());
        // Dead, we no longer need our parent: keep only a weak link (see
        // `ParentLink`). `receiver` holds a handle, so if it is our parent
        // this does not drop its last one.
        let link = me.inner.parent.take();
        me.inner.parent.set(link.into_weak());
        receiver
    });
    // No value with a destructor is left in this frame: the stack can be
    // unmapped as soon as the parent drops our handle.
    switch_to(parent, reply);
    // `switch_to` refuses to switch into a Dead greenlet, so this is
    // unreachable; abort rather than return into the trampoline.
    std::process::abort()
}

/// The greenlet that receives `me`'s result: its parent, or if that has
/// finished too, the parent's parent, and so on (as in Python).
fn nearest_live_ancestor(me: &Greenlet) -> Option<Greenlet> {
    let mut next = me.parent();
    while let Some(p) = next {
        if !p.is_dead() {
            return Some(p);
        }
        next = p.parent();
    }
    None
}

/// Resumes the suspended greenlet `inner` with [`Transfer::Exit`]: its
/// pending switch panics with [`GreenletExit`], which unwinds its stack, and
/// it reports back to us (its parent for the moment, like Python's
/// `GreenletExit`, which goes back to whoever killed the greenlet). Returns
/// its reply, or `None` if the thread is shutting down and its bookkeeping is
/// gone, so we cannot switch any more.
fn send_exit(inner: &Rc<Inner>) -> Option<Transfer> {
    let victim = Greenlet {
        inner: Rc::clone(inner),
    };
    let killer = THREAD.try_with(ThreadState::current).ok()?;
    let old_parent = inner.parent.replace(ParentLink::Strong(killer));
    let reply = switch_to(victim, Transfer::Exit);
    // Put the real parent back (weak if the victim is now dead, as always
    // for a finished greenlet); this drops the link to the killer.
    let restored = if inner.state.get() == State::Dead {
        old_parent.into_weak()
    } else {
        old_parent
    };
    drop(inner.parent.replace(restored));
    Some(reply)
}

/// Continues, in the greenlet that sent the exit, a panic that the exiting
/// greenlet raised instead of finishing quietly.
fn pass_on(reply: Transfer) {
    match reply {
        Transfer::Value(_) => {}
        // Never start a second panic while one is unwinding: that aborts.
        _ if std::thread::panicking() => {}
        Transfer::Panic(payload) => resume_unwind(payload),
        Transfer::Exit => resume_unwind(Box::new(GreenletExit)),
    }
}

/// Called when the last handle to a suspended greenlet is dropped: unwind
/// it, so every destructor on its stack runs.
fn kill(inner: &Rc<Inner>) {
    let Some(reply) = send_exit(inner) else {
        return; // `Inner::drop` leaks the stack
    };
    if inner.state.get() != State::Dead {
        // It caught the GreenletExit panic and switched away again instead of
        // finishing. Keep one handle forever, so its stack is never unmapped.
        std::mem::forget(Greenlet {
            inner: Rc::clone(inner),
        });
    }
    pass_on(reply);
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
    pub fn with_stack_size<A, R, F>(stack_size: usize, f: F) -> io::Result<Greenlet>
    where
        A: 'static,
        R: 'static,
        F: FnOnce(A) -> R + 'static,
    {
        let stack = Stack::new(stack_size)?;
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
            }),
        })
    }

    /// The greenlet running right now (Python's `greenlet.getcurrent()`).
    /// Outside any greenlet this is the thread's root greenlet, which stands
    /// for the thread's own stack.
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
    pub fn is_dead(&self) -> bool {
        self.inner.state.get() == State::Dead
    }

    /// True once the greenlet has been switched to at least once (a root
    /// greenlet is always started).
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
