//! `IoSource`: a mio socket registered with the current reactor.
//!
//! A source belongs to the reactor (so the runtime) that registered it: its waker list lives
//! there, and only that reactor's `epoll_wait` hears about it. Polled while *another* runtime
//! runs on this thread, it would park its waker where nobody looks, so it fails at once with
//! [`WrongRuntime`] instead of waiting forever.

use super::Reactor;
use crate::slab::Key;
use crate::trace::Interest;
use std::fmt;
use std::io;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::task::{Context, Poll, ready};

/// A registered mio source. Dropping it deregisters it and forgets its wakers.
pub struct IoSource<S: mio::event::Source + AsRawFd> {
    source: S,
    key: Key,
    reactor: Rc<Reactor>,
}

impl<S: mio::event::Source + AsRawFd> IoSource<S> {
    /// Registers `source` with this thread's reactor.
    pub fn new(mut source: S) -> io::Result<Self> {
        let reactor = Reactor::current()?;
        let fd = source.as_raw_fd();
        let key = reactor.register(&mut source, fd)?;
        Ok(IoSource { source, key, reactor })
    }

    /// The mio source.
    pub fn get_ref(&self) -> &S {
        &self.source
    }

    /// The id of the reactor this source is registered with (see `Reactor::id`).
    pub fn reactor_id(&self) -> u64 {
        self.reactor.id()
    }

    /// Whether this source belongs to the runtime running on this thread now.
    pub fn belongs_to_current_reactor(&self) -> bool {
        Reactor::current_id() == Some(self.reactor.id())
    }

    /// The packed token (for traces and tests).
    pub fn token(&self) -> u64 {
        self.key.to_u64()
    }

    /// Waits until `interest` is (believed) ready. Fails with [`WrongRuntime`] if another
    /// runtime is running on this thread (outside any runtime it waits in its own reactor).
    pub fn poll_ready(&self, cx: &mut Context<'_>, interest: Interest) -> Poll<io::Result<()>> {
        if let Some(current) = Reactor::current_id()
            && current != self.reactor.id()
        {
            return Poll::Ready(Err(WrongRuntime::error(self.reactor.id(), current)));
        }
        self.reactor.poll_ready(self.key, interest, cx).map(Ok)
    }

    /// A read returned less than asked for; see `Reactor::clear_readable_after_short_read`.
    pub fn clear_readable_after_short_read(&self) {
        self.reactor.clear_readable_after_short_read(self.key);
    }

    /// Forgets readiness for `interest` (after `WouldBlock`).
    pub fn clear_readiness(&self, interest: Interest) {
        self.reactor.clear_readiness(self.key, interest);
    }

    /// The edge-triggered I/O loop: while the reactor says ready, try `op`; on `WouldBlock`
    /// clear readiness and wait for the next edge; retry `EINTR`; anything else is the answer.
    pub fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            if let Err(e) = ready!(self.poll_ready(cx, interest)) {
                return Poll::Ready(Err(e));
            }
            match op(&self.source) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(interest),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                result => return Poll::Ready(result),
            }
        }
    }
}

impl<S: mio::event::Source + AsRawFd> Drop for IoSource<S> {
    fn drop(&mut self) {
        self.reactor.deregister(&mut self.source, self.key);
    }
}

/// The error inside the `io::Error` (kind `Other`) a socket gives when it is used from a
/// runtime other than the one it was created in. Get it with
/// `error.get_ref().and_then(|e| e.downcast_ref::<WrongRuntime>())`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WrongRuntime {
    /// The runtime the socket is registered with (see `Runtime::id`).
    pub belongs_to: u64,
    /// The runtime that tried to use it.
    pub used_from: u64,
}

impl WrongRuntime {
    fn error(belongs_to: u64, used_from: u64) -> io::Error {
        io::Error::other(WrongRuntime {
            belongs_to,
            used_from,
        })
    }
}

impl fmt::Display for WrongRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "this socket belongs to runtime {} but was used from runtime {}: a socket is \
             registered with the runtime that created it; create it in the runtime that uses it",
            self.belongs_to, self.used_from
        )
    }
}

impl std::error::Error for WrongRuntime {}
