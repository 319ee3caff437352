//! Connection counters, readable from any thread (tests and benchmarks read them while the
//! server runs on its own thread).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A snapshot of a server's counters (see [`ServerCounters::snapshot`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerStats {
    /// Connections accepted since the server started.
    pub accepted: u64,
    /// Connections open right now.
    pub active: u64,
    /// Most connections open at the same time.
    pub peak_active: u64,
    /// Requests handed to the handler.
    pub requests: u64,
    /// Requests refused by the server itself (400, 408, 413, 431, 501).
    pub rejected: u64,
}

/// The live counters, shared between the server and whoever watches it (`Arc`, atomics).
#[derive(Debug, Default)]
pub struct ServerCounters {
    accepted: AtomicU64,
    active: AtomicU64,
    peak_active: AtomicU64,
    requests: AtomicU64,
    rejected: AtomicU64,
}

impl ServerCounters {
    /// Reads all counters (each one atomically; together they are a close approximation).
    pub fn snapshot(&self) -> ServerStats {
        ServerStats {
            accepted: self.accepted.load(Relaxed),
            active: self.active.load(Relaxed),
            peak_active: self.peak_active.load(Relaxed),
            requests: self.requests.load(Relaxed),
            rejected: self.rejected.load(Relaxed),
        }
    }

    /// Counts a new connection; the returned guard counts it as closed when dropped (also
    /// when its task is cancelled by a shutdown).
    pub(crate) fn open_connection(self: &Arc<Self>) -> OpenConnection {
        self.accepted.fetch_add(1, Relaxed);
        let now = self.active.fetch_add(1, Relaxed) + 1;
        self.peak_active.fetch_max(now, Relaxed);
        OpenConnection(self.clone())
    }

    pub(crate) fn count_request(&self) {
        self.requests.fetch_add(1, Relaxed);
    }

    pub(crate) fn count_rejected(&self) {
        self.rejected.fetch_add(1, Relaxed);
    }
}

/// Held by a connection task for as long as its connection is open.
pub(crate) struct OpenConnection(Arc<ServerCounters>);

impl OpenConnection {
    pub(crate) fn counters(&self) -> &ServerCounters {
        &self.0
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Relaxed);
    }
}
