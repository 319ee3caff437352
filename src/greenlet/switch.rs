//! The switch machinery: the per-thread "who is running" bookkeeping and the
//! two Rust functions on either side of the assembly: [`switch_to`] (every
//! switch goes through it) and [`greenlet_entry`] (the first Rust frame on a
//! new stack). Also the exit protocol that unwinds a suspended greenlet
//! ([`kill`], [`send_exit`]).

use std::any::{Any, type_name};
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::rc::Rc;

use super::arch::greenlet_switch;
use super::handle::{Greenlet, Inner, ParentLink, State};
use super::overflow;

/// A value in flight between two greenlets, with its type name so a wrong
/// downcast can say what it got.
pub(super) struct Value {
    pub(super) boxed: Box<dyn Any>,
    pub(super) type_name: &'static str,
}

impl Value {
    pub(super) fn new<T: 'static>(value: T) -> Value {
        Value {
            boxed: Box::new(value),
            type_name: type_name::<T>(),
        }
    }

    pub(super) fn downcast<T: 'static>(self) -> Result<T, Value> {
        let type_name = self.type_name;
        match self.boxed.downcast::<T>() {
            Ok(b) => Ok(*b),
            Err(boxed) => Err(Value { boxed, type_name }),
        }
    }
}

/// What a switch hands to the greenlet that resumes.
pub(super) enum Transfer {
    /// An ordinary value (`switch(value)`, or a greenlet's return value).
    Value(Value),
    /// The greenlet we came from panicked; re-raise it here.
    Panic(Box<dyn Any + Send>),
    /// "Please die": sent by [`kill`] when the last handle is dropped.
    Exit,
}

/// Private panic payload used to unwind a greenlet whose last handle was
/// dropped (Python's `GreenletExit`). Nobody outside this module can name it, so
/// [`greenlet_entry`] knows that a payload of this type means "asked to exit".
pub(super) struct GreenletExit;

/// Per-thread bookkeeping. `Cell<Option<_>>` (take/set) instead of `RefCell`
/// so that no borrow is ever held while a greenlet handle is dropped (a drop
/// can itself switch greenlets).
pub(super) struct ThreadState {
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
    pub(super) static THREAD: ThreadState = const {
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
    pub(super) fn current(&self) -> Greenlet {
        let current = match self.current.take() {
            Some(g) => g,
            None => {
                let root = Greenlet {
                    inner: Rc::new(Inner::root(self.new_id())),
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

    pub(super) fn new_id(&self) -> u64 {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        id
    }
}

/// The heart of the module: make `target` the running greenlet, and return
/// whatever the next greenlet to switch back to *us* hands over.
///
/// Three steps, each a function a breakpoint can stop in: [`hand_over`]
/// (the bookkeeping), `greenlet_switch` (the assembly), [`receive`] (what
/// came back). Nothing that owns a handle stays in this frame while we are
/// suspended: the outgoing greenlet is parked in `switched_from`, the target
/// in `current`. So a suspended greenlet does not keep itself alive, and
/// dropping its last handle elsewhere can unwind it.
pub(super) fn switch_to(target: Greenlet, message: Transfer) -> Transfer {
    THREAD.with(|t| {
        let guard = target.inner.guard;
        let (save_sp, load_sp) = match hand_over(t, target, message) {
            Handover::Switch { save_sp, load_sp } => (save_sp, load_sp),
            Handover::ToSelf(message) => return message,
        };
        overflow::set_running(guard);
        // SAFETY:
        // - `save_sp` points into the `Inner` of the outgoing greenlet, which
        //   is kept alive by `switched_from` until the greenlet that resumes
        //   has returned from `greenlet_switch` and drops it.
        // - `load_sp` is valid to load: `hand_over` asserted that the target
        //   is NotStarted (then it is the sp `init_stack` prepared on its
        //   fresh stack) or Suspended (then it is what `greenlet_switch` saved
        //   when it switched away). Its stack stays mapped because `current`
        //   now owns a handle to it, and stacks are only unmapped when Dead
        //   or NotStarted.
        // - The call is an ordinary extern "C" call for the compiler: it
        //   assumes all caller-saved registers are clobbered, and the switch
        //   preserves the callee-saved ones (this greenlet gets its own back
        //   when someone switches to it again).
        unsafe { greenlet_switch(save_sp, load_sp) };
        // ---- Someone switched back to us. `t.current` is us again. ----
        receive(t)
    })
}

/// What [`hand_over`] decided.
enum Handover {
    /// Switch stacks: save our stack pointer at `save_sp`, load `load_sp`.
    Switch { save_sp: *mut *mut u8, load_sp: *mut u8 },
    /// The target is the running greenlet: the message comes straight back.
    ToSelf(Transfer),
}

/// The bookkeeping of a switch, before the assembly runs: who is current,
/// which states change, where the message waits, and which stack pointers
/// the assembly saves and loads.
fn hand_over(t: &ThreadState, target: Greenlet, message: Transfer) -> Handover {
    // LAB(greenlet-switch) begin: swap `current`, set both states, park the message and the outgoing handle, return both sps
    let current = t.current();
    if Rc::ptr_eq(&current.inner, &target.inner) {
        return Handover::ToSelf(message); // switching to yourself is a no-op, as in Python
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
    Handover::Switch { save_sp, load_sp }
    // LAB(greenlet-switch) end
}

/// Right after the assembly returned into us: take the message that came
/// with the switch, then drop the handle of the greenlet we came from.
fn receive(t: &ThreadState) -> Transfer {
    // Take the value first: dropping `switched_from` may switch again
    // (to unwind a greenlet whose last handle that was).
    let reply = t.transfer.take().expect("every switch carries a message");
    if matches!(reply, Transfer::Exit) {
        t.current().inner.exiting.set(true); // we are asked to unwind
    }
    drop(t.switched_from.take());
    reply
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
    let parent = THREAD.with(finish);
    // The switch back is implicit, but a switch all the same: trace it like `try_switch`.
    crate::trace::greenlet_switch_with(|| (THREAD.with(|t| t.current().inner.id), parent.inner.id));
    // No value with a destructor is left in this frame: the stack can be
    // unmapped as soon as the parent drops our handle.
    switch_to(parent, reply);
    // `switch_to` refuses to switch into a Dead greenlet, so this is
    // unreachable; abort rather than return into the trampoline.
    std::process::abort()
}

/// Marks the running greenlet Dead and returns who receives its result.
fn finish(t: &ThreadState) -> Greenlet {
    let me = t.current();
    me.inner.state.set(State::Dead);
    let receiver = nearest_live_ancestor(&me).unwrap_or_else(|| t.root());
    // Dead, we no longer need our parent: keep only a weak link (see
    // `ParentLink`). `receiver` holds a handle, so if it is our parent
    // this does not drop its last one.
    let link = me.inner.parent.take();
    me.inner.parent.set(link.into_weak());
    receiver
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
pub(super) fn send_exit(inner: &Rc<Inner>) -> Option<Transfer> {
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
pub(super) fn pass_on(reply: Transfer) {
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
pub(super) fn kill(inner: &Rc<Inner>) {
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
