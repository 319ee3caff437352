//! Finding the server, once for all three clients: name resolution and the
//! connect loop, sans-I/O.
//!
//! **Concept.** An IP literal needs no lookup; a host name goes to the OS
//! resolver, which blocks and cannot be interrupted, so each client runs it
//! off its thread and stops *waiting* after `connect_timeout`
//! ([`Resolve::Lookup`], answered with [`lookup_answer`]). Then each address
//! is tried in turn, each attempt bounded ([`Attempts`]); the last error is
//! the one reported. Each client keeps only how a lookup and a connect wait.
//!
//! **Where.** [`resolve_plan`], [`lookup_answer`], [`Attempts::next`], [`Attempts::failed`].
//!
//! **In the debugger.** Break in `Attempts::failed` to see each refused address.

use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::deadline::{Wait, bounded_wait};
use super::error::{Error, Phase};
use super::url::Url;

/// What resolving a URL's host takes.
pub(crate) enum Resolve {
    /// An IP literal: nothing to look up.
    Literal(Vec<SocketAddr>),
    /// A host name: run [`lookup`] off the thread, wait at most this long.
    Lookup(Wait),
}

/// Is there anything to look up, and how long may the lookup take?
pub(crate) fn resolve_plan(
    url: &Url,
    connect_timeout: Duration,
    deadline: Instant,
) -> Result<Resolve, Error> {
    if let Ok(ip) = url.host().parse::<IpAddr>() {
        return Ok(Resolve::Literal(vec![SocketAddr::new(ip, url.port())]));
    }
    Ok(Resolve::Lookup(bounded_wait(
        connect_timeout,
        Phase::Connect,
        deadline,
    )?))
}

/// The blocking OS lookup of `authority` (`host:port`), for a helper thread.
pub(crate) fn lookup(authority: &str) -> io::Result<Vec<SocketAddr>> {
    authority.to_socket_addrs().map(Vec::from_iter)
}

/// The lookup's answer as the request sees it; `None`: it did not answer within `wait`.
pub(crate) fn lookup_answer(
    authority: &str,
    answer: Option<io::Result<Vec<SocketAddr>>>,
    wait: Wait,
) -> Result<Vec<SocketAddr>, Error> {
    match answer {
        None => Err(Error::Timeout(wait.phase)),
        Some(Ok(addrs)) => Ok(addrs),
        Some(Err(source)) => Err(Error::Connect {
            addr: authority.to_string(),
            source,
        }),
    }
}

/// The connect loop: each address in turn, each attempt bounded, the last error kept.
pub(crate) struct Attempts {
    addrs: std::vec::IntoIter<SocketAddr>,
    authority: String,
    connect_timeout: Duration,
    deadline: Instant,
    wait: Option<Wait>,
    last_error: Option<Error>,
}

impl Attempts {
    pub(crate) fn new(
        addrs: Vec<SocketAddr>,
        url: &Url,
        connect_timeout: Duration,
        deadline: Instant,
    ) -> Attempts {
        Attempts {
            addrs: addrs.into_iter(),
            authority: url.authority(),
            connect_timeout,
            deadline,
            wait: None,
            last_error: None,
        }
    }

    /// The next address to try and how long the attempt may take; `None` when all failed.
    pub(crate) fn next(&mut self) -> Result<Option<(SocketAddr, Wait)>, Error> {
        let Some(addr) = self.addrs.next() else {
            return Ok(None);
        };
        let wait = bounded_wait(self.connect_timeout, Phase::Connect, self.deadline)?;
        self.wait = Some(wait);
        Ok(Some((addr, wait)))
    }

    /// The attempt on `addr` failed (`TimedOut` for a timeout). `Unsupported`
    /// (green sockets outside a green thread) ends the loop at once.
    pub(crate) fn failed(&mut self, addr: SocketAddr, source: io::Error) -> Result<(), Error> {
        let phase = self.wait.map_or(Phase::Connect, |w| w.phase);
        self.last_error = Some(match source.kind() {
            io::ErrorKind::TimedOut => Error::Timeout(phase),
            io::ErrorKind::Unsupported => return Err(Error::Io(source)),
            _ => Error::Connect {
                addr: addr.to_string(),
                source,
            },
        });
        Ok(())
    }

    /// Every address failed: the last error (or "no address" if there was none).
    pub(crate) fn into_error(self) -> Error {
        self.last_error.unwrap_or_else(|| Error::Connect {
            addr: self.authority,
            source: io::Error::new(io::ErrorKind::NotFound, "name resolved to no address"),
        })
    }
}
