//! The thread-local context: which reactor serves this thread.
//!
//! `block_on` sets it (`Reactor::enter`); sockets and timers find their reactor through it
//! (`Reactor::current`), and `Reactor::current_id` tells a socket or timer of another runtime
//! that it is being used from the wrong one.

use super::Reactor;
use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;

thread_local! {
    static CURRENT: RefCell<Option<Rc<Reactor>>> = const { RefCell::new(None) };
    /// The id of `CURRENT` (0: none), so the cross-runtime check is one `Cell` read.
    static CURRENT_ID: Cell<u64> = const { Cell::new(0) };
}

impl Reactor {
    /// The id of this thread's current reactor, if a runtime is running here.
    pub(crate) fn current_id() -> Option<u64> {
        Some(CURRENT_ID.with(Cell::get)).filter(|&id| id != 0)
    }

    /// Makes `reactor` this thread's current reactor until the guard is dropped.
    pub(crate) fn enter(reactor: Rc<Reactor>) -> EnterGuard {
        CURRENT_ID.with(|id| id.set(reactor.id));
        let previous = CURRENT.with(|c| c.borrow_mut().replace(reactor));
        EnterGuard { previous }
    }

    /// This thread's current reactor, or an error saying there is none.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::reactor::Reactor;
    ///
    /// assert!(Reactor::current().is_err()); // no runtime on this thread yet
    /// corolab::block_on(async { assert!(Reactor::current().is_ok()) });
    /// ```
    pub fn current() -> io::Result<Rc<Reactor>> {
        CURRENT
            .with(|c| c.borrow().clone())
            .ok_or_else(|| io::Error::other("no corolab runtime on this thread: use corolab::block_on"))
    }
}

/// Restores the previous current reactor when dropped.
pub(crate) struct EnterGuard {
    previous: Option<Rc<Reactor>>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT_ID.with(|id| id.set(previous.as_ref().map_or(0, |r| r.id)));
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}
