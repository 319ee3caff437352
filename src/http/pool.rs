//! The async client's connection pool: checkout, checkin, and the queue of
//! requests waiting for a connection.
//!
//! **Concept.** A connection is *live* from connect to close and holds a
//! slot of the `max_connections` [`Semaphore`] (and, if set, of its host's
//! `max_connections_per_host` semaphore) the whole time, busy or idle. A
//! request for `host:port`:
//! 1. takes an idle connection to that host if one is usable (see "Which idle
//!    connection is alive?" below; the others are closed);
//! 2. otherwise, if every slot is taken but some idle connection to *another*
//!    host exists, closes that one to free a slot;
//! 3. takes a slot at once if one is free, nobody is queued for it and the
//!    task's cooperative budget cannot make the taking yield;
//! 4. otherwise joins the pool's one queue of waiters (oldest first) and
//!    waits for a slot (host slot first, then a global one) or for a
//!    connection to its host handed over by a request that just finished.
//!
//! A finished connection whose framing allows reuse goes by the *oldest*
//! waiter it can help: handed over if that waiter wants this host; closed
//! (so its slot passes to the semaphore's first waiter) if that waiter wants
//! another host and waits for a global slot. Waiters stuck on their own
//! host's `max_connections_per_host` are skipped: closing this connection
//! would not help them. If nobody is helped, the connection goes idle. Idle
//! connections older than `pool_idle_timeout` are closed when the pool is
//! next touched (there is no background task). Dropping the client closes
//! every idle connection.
//!
//! **Which idle connection is alive?** Checkout skips a connection that
//! belongs to another runtime (an earlier `block_on`: its reactor is gone, so
//! nothing would ever wake a read on it) and one the server has closed. The
//! reactor's readiness tells for free whether EOF or stray bytes were seen;
//! it cannot tell what the kernel learnt while the thread was busy and the
//! reactor not looking. So a connection idle for [`PROBE_AFTER_IDLE`] or
//! longer is also asked directly, with one non-blocking `recv(MSG_PEEK)`.
//! Back-to-back requests (idle for microseconds) pay no system call. One
//! checked while the task's cooperative budget is spent is asked directly
//! too: the reactor's answer would be a `Pending` that never looked.
//!
//! **Where.** `Client::wait_for_connection` (steps 1-4), `Pool::checkout`
//! and `usable` (step 1), `Client::fresh_connection` and `wait_in_queue`
//! (steps 2-4), `Pool::checkin` (the handover rule).
//!
//! **In the debugger.** Break in `Pool::checkin` and print `self.waiters` to
//! see who gets a finished connection; break in `usable` to see why an idle
//! connection is kept or closed.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::io;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::builder::Config;
use super::client::Client;
use super::error::{Error, Phase};
use super::url::Url;
use crate::executor::budget;
use crate::future::{Either, poll_fn, select};
use crate::net::TcpStream;
use crate::sync::{OwnedPermit, Semaphore};
use crate::time::timeout;

/// An idle connection at least this old is probed with a system call at
/// checkout: the reactor may not have looked at it since the server closed it.
pub(crate) const PROBE_AFTER_IDLE: Duration = Duration::from_millis(1);

/// The pool behind a [`Client`] and its clones.
#[derive(Debug)]
pub(crate) struct Pool {
    pub(crate) config: Config,
    /// One permit per live connection (`max_connections`).
    slots: Rc<Semaphore>,
    /// Per-host permits, when `max_connections_per_host` is set.
    host_slots: RefCell<HashMap<String, Rc<Semaphore>>>,
    /// Idle connections per `host:port`, oldest first.
    idle: RefCell<HashMap<String, VecDeque<Idle>>>,
    /// Every request waiting for a connection, oldest first (ids only grow).
    waiters: RefCell<VecDeque<Waiter>>,
    /// Id for the next waiting request.
    next_waiter: Cell<u64>,
}

/// A live connection and the slots it occupies (released when it is dropped).
#[derive(Debug)]
pub(crate) struct Connection {
    pub(crate) stream: TcpStream,
    /// The reader's buffer, kept for the next response: allocated (and zeroed)
    /// once per connection instead of once per request.
    pub(crate) read_buf: Vec<u8>,
    _slot: OwnedPermit,
    _host_slot: Option<OwnedPermit>,
}

#[derive(Debug)]
struct Idle {
    connection: Connection,
    since: Instant,
}

/// One request waiting in the pool's queue.
#[derive(Debug)]
struct Waiter {
    id: u64,
    /// The `host:port` it wants.
    key: String,
    /// False for the retry, which must have a fresh connection.
    takes_handover: bool,
    /// True while it waits for a global slot; false while it waits for its
    /// host's slot (`max_connections_per_host`), which no other host's
    /// connection can give it.
    needs_global_slot: bool,
    /// A connection `checkin` handed over, not yet picked up.
    handed_over: Option<Connection>,
    /// The task to wake when a connection is handed over.
    waker: Option<Waker>,
}

/// What a waiting request got: a connection handed over, or slots to connect with.
enum Granted {
    Connection(Connection),
    Slots(OwnedPermit, Option<OwnedPermit>),
}

/// A request's place in the waiter queue. Dropping it (however the wait
/// ends: slot, handover, timeout, cancellation) leaves the queue, so no stale
/// entry is left behind, and wakes nobody. A connection handed over but
/// never picked up (the request was cancelled) is checked in again.
struct WaitRegistration<'a> {
    pool: &'a Pool,
    id: u64,
}

impl<'a> WaitRegistration<'a> {
    fn new(pool: &'a Pool, key: &str, takes_handover: bool, needs_global_slot: bool) -> WaitRegistration<'a> {
        let id = pool.next_waiter.get();
        pool.next_waiter.set(id + 1);
        pool.waiters.borrow_mut().push_back(Waiter {
            id,
            key: key.to_string(),
            takes_handover,
            needs_global_slot,
            handed_over: None,
            waker: None,
        });
        WaitRegistration { pool, id }
    }
}

impl Drop for WaitRegistration<'_> {
    fn drop(&mut self) {
        let waiter = {
            let mut waiters = self.pool.waiters.borrow_mut();
            match waiters.binary_search_by_key(&self.id, |w| w.id) {
                Ok(index) => waiters.remove(index),
                Err(_) => None,
            }
        };
        if let Some(Waiter {
            key,
            handed_over: Some(connection),
            ..
        }) = waiter
        {
            self.pool.checkin(&key, connection);
        }
    }
}

impl Client {
    /// The pool's steps 1-4: an idle connection, a free slot, or a turn in the queue.
    pub(super) async fn wait_for_connection(
        &self,
        key: &str,
        url: &Url,
        deadline: Instant,
    ) -> Result<(Connection, bool), Error> {
        if let Some(connection) = self.pool.checkout(key) {
            return Ok((connection, true));
        }
        self.fresh_connection(key, url, deadline, true).await
    }

    /// A slot (at once if one is free and nobody is queued, else in FIFO
    /// order, bounded by the deadline), then connect. If `takes_handover`, a
    /// connection to `key` handed over while waiting is taken instead.
    pub(super) async fn fresh_connection(
        &self,
        key: &str,
        url: &Url,
        deadline: Instant,
        takes_handover: bool,
    ) -> Result<(Connection, bool), Error> {
        if self.pool.slots.available_permits() == 0 {
            self.pool.evict_one_idle();
        }
        let host_semaphore = self.host_semaphore(key);
        let free = free_now(&self.pool.slots)
            && host_semaphore.as_deref().is_none_or(free_now)
            && budget_for_two_acquires();
        let (slot, host_slot) = if free {
            // Nobody to overtake and neither acquire can wait: no queue entry, no timer.
            self.acquire_slots(host_semaphore, None).await
        } else {
            match self
                .wait_in_queue(key, host_semaphore, deadline, takes_handover)
                .await?
            {
                Granted::Connection(connection) => return Ok((connection, true)),
                Granted::Slots(slot, host_slot) => (slot, host_slot),
            }
        };
        let stream = self.connect(url, deadline).await?;
        let connection = Connection {
            stream,
            read_buf: Vec::new(),
            _slot: slot,
            _host_slot: host_slot,
        };
        Ok((connection, false))
    }

    /// Step 4: join the waiter queue and wait for slots or a handover, within the deadline.
    async fn wait_in_queue(
        &self,
        key: &str,
        host_semaphore: Option<Rc<Semaphore>>,
        deadline: Instant,
        takes_handover: bool,
    ) -> Result<Granted, Error> {
        let needs_global_slot = host_semaphore.is_none();
        let registration = WaitRegistration::new(&self.pool, key, takes_handover, needs_global_slot);
        let id = registration.id;
        let handover = poll_fn(|cx| self.pool.poll_handover(id, cx));
        let slots = self.acquire_slots(host_semaphore, Some(id));
        let left = deadline.saturating_duration_since(Instant::now());
        let outcome = timeout(left, select(handover, slots)).await;
        drop(registration);
        match outcome {
            Err(_) => Err(Error::Timeout(Phase::Pool)),
            Ok(Either::Left(connection)) => Ok(Granted::Connection(connection)),
            Ok(Either::Right((slot, host_slot))) => Ok(Granted::Slots(slot, host_slot)),
        }
    }

    /// The per-host semaphore for `key`, if `max_connections_per_host` is set.
    fn host_semaphore(&self, key: &str) -> Option<Rc<Semaphore>> {
        let limit = self.pool.config.max_connections_per_host?;
        let mut host_slots = self.pool.host_slots.borrow_mut();
        if let Some(semaphore) = host_slots.get(key) {
            return Some(semaphore.clone());
        }
        let semaphore = Rc::new(Semaphore::new(limit));
        host_slots.insert(key.to_string(), semaphore.clone());
        Some(semaphore)
    }

    /// The host slot first (so waiting for it holds no global slot), then a
    /// global slot. `waiter` is the queue entry to mark once only the global slot is missing.
    async fn acquire_slots(
        &self,
        host_semaphore: Option<Rc<Semaphore>>,
        waiter: Option<u64>,
    ) -> (OwnedPermit, Option<OwnedPermit>) {
        let host_slot = match host_semaphore {
            Some(semaphore) => {
                let permit = semaphore.acquire_owned().await;
                if let Some(id) = waiter {
                    self.pool.mark_needs_global_slot(id);
                }
                if self.pool.slots.available_permits() == 0 {
                    self.pool.evict_one_idle();
                }
                Some(permit)
            }
            None => None,
        };
        let slot = self.pool.slots.clone().acquire_owned().await;
        (slot, host_slot)
    }
}

impl Default for Pool {
    fn default() -> Pool {
        Pool::new(Config::default())
    }
}

impl Pool {
    /// An empty pool for `config`.
    pub(crate) fn new(config: Config) -> Pool {
        Pool {
            slots: Rc::new(Semaphore::new(config.max_connections)),
            config,
            host_slots: RefCell::new(HashMap::new()),
            idle: RefCell::new(HashMap::new()),
            waiters: RefCell::new(VecDeque::new()),
            next_waiter: Cell::new(0),
        }
    }

    /// Number of idle connections (all hosts).
    pub(crate) fn idle_count(&self) -> usize {
        self.idle.borrow().values().map(VecDeque::len).sum()
    }

    /// Step 1: take a usable idle connection to `key` (newest first), closing
    /// expired, dead and foreign ones (dropping a connection frees its slots).
    fn checkout(&self, key: &str) -> Option<Connection> {
        let now = Instant::now();
        self.close_expired(now);
        let mut idle = self.idle.borrow_mut();
        let list = idle.get_mut(key)?;
        // LAB(pool-checkout) begin: pop the newest idle connection until one is `usable(&entry, now)`; drop the others
        while let Some(entry) = list.pop_back() {
            if usable(&entry, now) {
                return Some(entry.connection);
            }
        }
        None
        // LAB(pool-checkout) end
    }

    /// A finished, reusable connection goes by the oldest waiter it can help:
    /// handed over to a waiter for its host; closed for a waiter on another
    /// host that needs a global slot (the semaphore passes the slot on in FIFO
    /// order); waiters held by their own host's limit are skipped. Else it goes idle.
    pub(crate) fn checkin(&self, key: &str, connection: Connection) {
        let mut waiters = self.waiters.borrow_mut();
        for waiter in waiters.iter_mut() {
            if waiter.handed_over.is_some() {
                continue; // already served, not yet running
            }
            if waiter.key == key && waiter.takes_handover {
                waiter.handed_over = Some(connection);
                let waker = waiter.waker.take();
                drop(waiters);
                if let Some(waker) = waker {
                    waker.wake();
                }
                return;
            }
            if waiter.key == key || waiter.needs_global_slot {
                drop(waiters);
                drop(connection); // frees the slot(s) this waiter is queued for
                return;
            }
        }
        drop(waiters);
        let entry = Idle {
            connection,
            since: Instant::now(),
        };
        let mut idle = self.idle.borrow_mut();
        match idle.get_mut(key) {
            Some(list) => list.push_back(entry),
            None => {
                idle.insert(key.to_string(), VecDeque::from([entry]));
            }
        }
    }

    /// Ready with the connection once `checkin` has handed one to waiter `id`.
    fn poll_handover(&self, id: u64, cx: &mut Context<'_>) -> Poll<Connection> {
        let mut waiters = self.waiters.borrow_mut();
        let Ok(index) = waiters.binary_search_by_key(&id, |w| w.id) else {
            return Poll::Pending;
        };
        let waiter = &mut waiters[index];
        if let Some(connection) = waiter.handed_over.take() {
            return Poll::Ready(connection);
        }
        if !waiter.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            waiter.waker = Some(cx.waker().clone());
        }
        crate::trace::park(|| crate::trace::Wait::PoolSlot {
            host: waiter.key.clone(),
        });
        Poll::Pending
    }

    /// Waiter `id` holds its host slot and now waits for a global one.
    fn mark_needs_global_slot(&self, id: u64) {
        let mut waiters = self.waiters.borrow_mut();
        if let Ok(index) = waiters.binary_search_by_key(&id, |w| w.id) {
            waiters[index].needs_global_slot = true;
        }
    }

    /// Close idle connections older than `pool_idle_timeout` (all hosts).
    /// Each list is oldest first, so the expired ones are at its front. Hosts
    /// left without idle connections are forgotten (a host whose last idle
    /// connection was just checked out keeps its entry until a sweep finds
    /// it empty, so the usual checkout/checkin cycle allocates nothing).
    fn close_expired(&self, now: Instant) {
        let mut idle = self.idle.borrow_mut();
        if idle.is_empty() {
            return;
        }
        let max_age = self.config.pool_idle_timeout;
        let mut any_empty = false;
        for list in idle.values_mut() {
            while list
                .front()
                .is_some_and(|entry| now.saturating_duration_since(entry.since) >= max_age)
            {
                list.pop_front();
            }
            any_empty |= list.is_empty();
        }
        if any_empty {
            idle.retain(|_, list| !list.is_empty());
        }
    }

    /// Close the oldest idle connection (any host) so its slot can be used.
    fn evict_one_idle(&self) {
        let mut idle = self.idle.borrow_mut();
        let oldest = idle
            .iter()
            .filter_map(|(key, list)| list.front().map(|entry| (entry.since, key.clone())))
            .min();
        if let Some((_, key)) = oldest
            && let Some(list) = idle.get_mut(&key)
        {
            list.pop_front();
        }
    }
}

/// True if acquiring a permit of `semaphore` would not wait: one is free and nobody is queued.
fn free_now(semaphore: &Semaphore) -> bool {
    semaphore.available_permits() > 0 && semaphore.waiting() == 0
}

/// Can the task take a host slot and a global slot without being made to yield? Each
/// acquire needs a unit of the cooperative budget; without it the semaphore yields first,
/// another task may take the free slot, and the wait that follows has no timer (a waiter
/// outside the queue is never handed a connection either: it could wait forever).
fn budget_for_two_acquires() -> bool {
    budget::remaining().is_none_or(|left| left >= 2)
}

/// Can this idle connection carry the next request? Not if it belongs to
/// another runtime (issue 16.2: its reactor is gone, a read on it would never
/// wake). Not if the reactor saw EOF or stray bytes on it (`seen_open`, free).
/// And if it has been idle long enough for the reactor's view to be stale, or
/// the reactor could not be asked, not if the kernel already knows the server
/// closed it or wrote to it (`kernel_says_open`).
fn usable(entry: &Idle, now: Instant) -> bool {
    let stream = &entry.connection.stream;
    if !stream.belongs_to_current_runtime() {
        return false;
    }
    let idle_for = now.saturating_duration_since(entry.since);
    match seen_open(stream) {
        Some(false) => false,
        Some(true) if idle_for < PROBE_AFTER_IDLE => true,
        _ => kernel_says_open(stream),
    }
}

/// One non-blocking read attempt with a no-op waker: `Pending` means the
/// reactor has seen nothing to read (no system call when readiness is clear).
/// EOF, unexpected bytes or an error mean the connection must be closed.
/// `None` when the task's cooperative budget is spent: `poll_read` would then
/// answer `Pending` without looking at the socket at all.
fn seen_open(stream: &TcpStream) -> Option<bool> {
    if budget::remaining() == Some(0) {
        return None;
    }
    let mut cx = Context::from_waker(Waker::noop());
    let mut probe = [0u8; 1];
    Some(matches!(stream.poll_read(&mut cx, &mut probe), Poll::Pending))
}

/// Ask the kernel, bypassing the reactor: one `recv(MSG_PEEK | MSG_DONTWAIT)`.
/// `WouldBlock` means nothing to read and no FIN or RST: still open.
fn kernel_says_open(stream: &TcpStream) -> bool {
    let mut probe = [0u8; 1];
    matches!(stream.try_peek(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
}

#[cfg(test)]
mod tests;
