//! The airlock: the one shared slot through which a generator body and its
//! driver ([`Gen`](super::Gen)) pass values to each other.
//!
//! Only one value is ever in flight: either the body has just yielded
//! something (`Slot::Yielded`) or the driver has just sent something
//! (`Slot::Resumed`). Everything is single-threaded, so a [`Cell`] is enough;
//! no lock, no `RefCell` borrow that could fail at run time.

use std::cell::Cell;

/// What currently sits in the airlock.
#[derive(Default)]
pub(crate) enum Slot<Y, R> {
    /// Nothing in flight.
    #[default]
    Empty,
    /// The body called `co.yield_(y)` and is waiting for the driver to pick `y` up.
    Yielded(Y),
    /// The driver called `send(r)` and the body has not picked `r` up yet.
    Resumed(R),
}

/// The shared slot. One `Rc<Airlock>` lives in [`Gen`](super::Gen), the other in
/// [`Co`](super::Co).
pub(crate) struct Airlock<Y, R> {
    slot: Cell<Slot<Y, R>>,
}

impl<Y, R> Airlock<Y, R> {
    /// An empty airlock.
    pub(crate) fn new() -> Self {
        Airlock {
            slot: Cell::new(Slot::Empty),
        }
    }

    /// Body side: leave a yielded value for the driver.
    ///
    /// Panics (inside the body, so the panic reaches whoever called `send`) if
    /// something is already in flight: that only happens when a body polls two
    /// `co.yield_` futures at once (e.g. with a `join`) or drops one half-way,
    /// and silently overwriting a value would lose it.
    pub(crate) fn put_yielded(&self, value: Y) {
        match self.slot.replace(Slot::Yielded(value)) {
            Slot::Empty => {}
            Slot::Yielded(_) => panic!(
                "corolab::generator: two co.yield_ futures are in flight at once; \
                 await each co.yield_(..) to completion before starting the next"
            ),
            Slot::Resumed(_) => panic!(
                "corolab::generator: co.yield_ was called while a sent value was still \
                 waiting to be received; await each co.yield_(..) to completion"
            ),
        }
    }

    /// Body side: take the value the driver sent, if there is one.
    pub(crate) fn take_resumed(&self) -> Option<R> {
        match self.slot.take() {
            Slot::Resumed(value) => Some(value),
            other => {
                self.slot.set(other);
                None
            }
        }
    }

    /// Driver side: hand a value to the suspended body.
    pub(crate) fn put_resumed(&self, value: R) {
        self.slot.set(Slot::Resumed(value));
    }

    /// Driver side: empty the airlock and return what was in it.
    pub(crate) fn take(&self) -> Slot<Y, R> {
        self.slot.take()
    }
}
