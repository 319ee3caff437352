//! The async HTTP/1.1 client on corolab's own sockets, timers and semaphore.
//!
//! **Concept.** The same [`ResponseReader`] as the blocking client, driven by
//! a task instead of a thread: a read that would block parks the task and the
//! reactor wakes it when bytes arrive, so one thread can keep a hundred
//! requests in flight (the aiohttp `TCPConnector(limit=100)` story).
//!
//! **The pool.** A connection is *live* from connect to close and holds a
//! slot of the `max_connections` [`Semaphore`] (and, if set, of its host's
//! `max_connections_per_host` semaphore) the whole time, busy or idle. A
//! request for `host:port`:
//! 1. takes an idle connection to that host if one is alive (checked with a
//!    non-blocking read: EOF or unexpected bytes mean the server is done with
//!    it, and it is closed);
//! 2. otherwise, if every slot is taken but some idle connection to *another*
//!    host exists, closes that one to free a slot;
//! 3. takes a slot at once if one is free and nobody is queued for it;
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
//! **Timeouts.** `request_timeout` bounds the whole request *including the
//! wait for a pool slot* (a timeout there is [`Phase::Pool`]), the connect,
//! and the one retry. `connect_timeout` bounds each connect attempt and
//! `read_timeout` each read and each write (the longest silence).
//!
//! **Retry once.** An idempotent request sent on a *reused* connection that
//! fails before a single response byte (the server closed it as we wrote) is
//! sent again on a fresh connection, once.
//!
//! **Where.** [`Client::send`] is the whole path: `checkout`, `wait_for_connection`,
//! `fresh_connection` (`wait_in_queue` when no slot is free), `connect`,
//! `exchange`, `checkin`.
//!
//! **In the debugger.** Break in `checkin` and print `self.waiters` to see
//! who gets a finished connection; break in `exchange` to watch the reader
//! consume each read. `COROLAB_TRACE=1` shows the task parking on reads.
//!
//! ```no_run
//! corolab::block_on(async {
//!     let client = corolab::http::Client::new();
//!     let response = client.get("http://127.0.0.1:8080/pages/1").await?;
//!     println!("{}", response.text()?);
//!     let search = client
//!         .request("POST", "http://127.0.0.1:8080/search")
//!         .query("q", "coroutines")
//!         .header("Accept", "application/json")
//!         .body("{}")
//!         .await?;
//!     println!("{}", search.status());
//!     Ok::<(), corolab::http::Error>(())
//! })
//! .unwrap();
//! ```

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::future::{Future, IntoFuture};
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::future::{Either, poll_fn, select};
use crate::net::TcpStream;
use crate::sync::{OwnedPermit, Semaphore};
use crate::time::timeout;

use super::deadline::bounded_wait;
use super::error::{Error, Phase};
use super::reader::{Event, Limits, ResponseReader};
use super::request::{Request, encode_request};
use super::response::Response;
use super::url::Url;

/// Most body bytes reserved up front from a `Content-Length` (a larger body grows as it comes).
const BODY_RESERVE_LIMIT: u64 = 1024 * 1024;

#[derive(Debug, Clone)]
struct Config {
    max_connections: usize,
    max_connections_per_host: Option<usize>,
    connect_timeout: Duration,
    read_timeout: Duration,
    request_timeout: Duration,
    pool_idle_timeout: Duration,
    limits: Limits,
}

/// Configures an async [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    config: Config,
}

impl Default for ClientBuilder {
    fn default() -> ClientBuilder {
        ClientBuilder {
            config: Config {
                max_connections: 100,
                max_connections_per_host: None,
                connect_timeout: Duration::from_secs(10),
                read_timeout: Duration::from_secs(30),
                request_timeout: Duration::from_secs(30),
                pool_idle_timeout: Duration::from_secs(4),
                limits: Limits::default(),
            },
        }
    }
}

impl ClientBuilder {
    /// Most live connections (busy or idle) at once, default 100; further
    /// requests wait their turn in FIFO order. Values below 1 count as 1.
    pub fn max_connections(mut self, count: usize) -> ClientBuilder {
        self.config.max_connections = count.max(1);
        self
    }

    /// Most live connections to one `host:port` (default: no per-host limit).
    pub fn max_connections_per_host(mut self, count: usize) -> ClientBuilder {
        self.config.max_connections_per_host = Some(count.max(1));
        self
    }

    /// Longest wait for one connect attempt (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.config.connect_timeout = timeout;
        self
    }

    /// Longest silence while reading, or stall while writing (default 30 s).
    pub fn read_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.config.read_timeout = timeout;
        self
    }

    /// Longest time for a whole request, pool wait, connect and retry included (default 30 s).
    pub fn request_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.config.request_timeout = timeout;
        self
    }

    /// Idle connections older than this are closed (default 4 s, below the
    /// 5 s keep-alive timeout of common servers such as Apache httpd and Node).
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.config.pool_idle_timeout = timeout;
        self
    }

    /// Largest response head in bytes (default 64 KiB).
    pub fn max_head_bytes(mut self, bytes: usize) -> ClientBuilder {
        self.config.limits.max_head_bytes = bytes;
        self
    }

    /// Most header lines in a response (default 100).
    pub fn max_headers(mut self, count: usize) -> ClientBuilder {
        self.config.limits.max_headers = count;
        self
    }

    /// Largest response body in bytes (default 16 MiB).
    pub fn max_body_bytes(mut self, bytes: u64) -> ClientBuilder {
        self.config.limits.max_body_bytes = bytes;
        self
    }

    /// Build the client.
    pub fn build(self) -> Client {
        let slots = Rc::new(Semaphore::new(self.config.max_connections));
        Client {
            inner: Rc::new(Inner {
                config: self.config,
                slots,
                host_slots: RefCell::new(HashMap::new()),
                idle: RefCell::new(HashMap::new()),
                waiters: RefCell::new(VecDeque::new()),
                next_waiter: Cell::new(0),
            }),
        }
    }
}

/// An async HTTP/1.1 client with a keep-alive pool. Cheap to clone (clones
/// share the pool); `!Send`, like every corolab network type: use it on the
/// runtime thread it was first used on.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Rc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
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
struct Connection {
    stream: TcpStream,
    /// The reader's buffer, kept for the next response: allocated (and zeroed)
    /// once per connection instead of once per request.
    read_buf: Vec<u8>,
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

/// Why an exchange failed, and how many response bytes had arrived.
struct Failure {
    error: Error,
    response_bytes: usize,
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
    inner: &'a Inner,
    id: u64,
}

impl<'a> WaitRegistration<'a> {
    fn new(
        inner: &'a Inner,
        key: &str,
        takes_handover: bool,
        needs_global_slot: bool,
    ) -> WaitRegistration<'a> {
        let id = inner.next_waiter.get();
        inner.next_waiter.set(id + 1);
        inner.waiters.borrow_mut().push_back(Waiter {
            id,
            key: key.to_string(),
            takes_handover,
            needs_global_slot,
            handed_over: None,
            waker: None,
        });
        WaitRegistration { inner, id }
    }
}

impl Drop for WaitRegistration<'_> {
    fn drop(&mut self) {
        let waiter = {
            let mut waiters = self.inner.waiters.borrow_mut();
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
            self.inner.checkin(&key, connection);
        }
    }
}

impl Default for Client {
    fn default() -> Client {
        Client::new()
    }
}

impl Client {
    /// A client with the default settings.
    pub fn new() -> Client {
        ClientBuilder::default().build()
    }

    /// Start configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// `GET url`; await it directly or add headers and query parameters first.
    pub fn get(&self, url: &str) -> RequestBuilder<'_> {
        self.request("GET", url)
    }

    /// A request with any method; await it (or call [`RequestBuilder::send`]).
    pub fn request(&self, method: &str, url: &str) -> RequestBuilder<'_> {
        RequestBuilder {
            client: self,
            request: Url::parse(url).map(|url| Request::new(method, url)),
            timeout: None,
        }
    }

    /// Number of idle pooled connections (all hosts).
    pub fn idle_connections(&self) -> usize {
        self.inner.idle.borrow().values().map(VecDeque::len).sum()
    }

    /// Send a request and read the whole response.
    pub async fn send(&self, request: Request) -> Result<Response, Error> {
        self.send_within(request, self.inner.config.request_timeout).await
    }

    /// Send a request with its own whole-request time budget (instead of `request_timeout`).
    pub async fn send_within(&self, request: Request, budget: Duration) -> Result<Response, Error> {
        let deadline = crate::time::deadline_after(budget);
        let bytes = encode_request(&request)?;
        let key = request.url.authority_str();
        let (connection, reused) = self.wait_for_connection(key, &request.url, deadline).await?;
        match self.exchange(connection, &request, &bytes, deadline).await {
            Ok(response) => Ok(response),
            Err(failure) if reused && should_retry(&request, &failure) => {
                let (connection, _) = self.fresh_connection(key, &request.url, deadline, false).await?;
                self.exchange(connection, &request, &bytes, deadline)
                    .await
                    .map_err(|failure| failure.error)
            }
            Err(failure) => Err(failure.error),
        }
    }

    /// The pool's steps 1-4: an idle connection, a free slot, or a turn in the queue.
    async fn wait_for_connection(
        &self,
        key: &str,
        url: &Url,
        deadline: Instant,
    ) -> Result<(Connection, bool), Error> {
        if let Some(connection) = self.inner.checkout(key) {
            return Ok((connection, true));
        }
        self.fresh_connection(key, url, deadline, true).await
    }

    /// A slot (at once if one is free and nobody is queued, else in FIFO
    /// order, bounded by the deadline), then connect. If `takes_handover`, a
    /// connection to `key` handed over while waiting is taken instead.
    async fn fresh_connection(
        &self,
        key: &str,
        url: &Url,
        deadline: Instant,
        takes_handover: bool,
    ) -> Result<(Connection, bool), Error> {
        if self.inner.slots.available_permits() == 0 {
            self.inner.evict_one_idle();
        }
        let host_semaphore = self.host_semaphore(key);
        let free = free_now(&self.inner.slots) && host_semaphore.as_deref().is_none_or(free_now);
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
        let registration = WaitRegistration::new(&self.inner, key, takes_handover, needs_global_slot);
        let id = registration.id;
        let handover = poll_fn(|cx| self.inner.poll_handover(id, cx));
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
        let limit = self.inner.config.max_connections_per_host?;
        let mut host_slots = self.inner.host_slots.borrow_mut();
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
                    self.inner.mark_needs_global_slot(id);
                }
                if self.inner.slots.available_permits() == 0 {
                    self.inner.evict_one_idle();
                }
                Some(permit)
            }
            None => None,
        };
        let slot = self.inner.slots.clone().acquire_owned().await;
        (slot, host_slot)
    }

    /// Write the request, feed every read to the reader, and hand the
    /// connection back to the pool if the framing allows it.
    async fn exchange(
        &self,
        mut connection: Connection,
        request: &Request,
        bytes: &[u8],
        deadline: Instant,
    ) -> Result<Response, Failure> {
        let config = &self.inner.config;
        let fail = |error, response_bytes| Failure {
            error,
            response_bytes,
        };
        write_all_bounded(&connection.stream, bytes, config.read_timeout, deadline)
            .await
            .map_err(|e| fail(e, 0))?;
        let buffer = std::mem::take(&mut connection.read_buf);
        let mut reader = ResponseReader::with_buffer(config.limits, request.is_head(), buffer);
        let mut head = None;
        let mut body = Vec::new();
        loop {
            let event = match reader.next_event_into(&mut body) {
                Ok(event) => event,
                Err(error) => return Err(fail(error, reader.bytes_received())),
            };
            match event {
                Some(Event::Head(h)) => {
                    head = Some(h);
                    if let Some(length) = reader.body_remaining() {
                        body.reserve_exact(length.min(BODY_RESERVE_LIMIT) as usize);
                    }
                }
                Some(Event::Data(_)) => {} // next_event_into appends body data to `body` instead
                Some(Event::End { reusable }) => {
                    if reusable && request.wants_keep_alive() {
                        connection.read_buf = reader.into_buffer();
                        self.inner.checkin(request.url.authority_str(), connection);
                    }
                    let head = head.expect("the reader yields Head before End");
                    return Ok(Response::new(head, body));
                }
                None => {
                    // Read straight into the reader's buffer: no copy on the way in.
                    let room = reader.read_buffer();
                    let read = read_bounded(&connection.stream, room, config.read_timeout, deadline).await;
                    match read {
                        Ok(0) => reader.feed_eof(),
                        Ok(n) => reader.filled(n),
                        Err(error) => return Err(fail(error, reader.bytes_received())),
                    }
                }
            }
        }
    }

    /// Resolve (host names on a helper thread) and connect, each attempt bounded.
    async fn connect(&self, url: &Url, deadline: Instant) -> Result<TcpStream, Error> {
        let addrs = resolve(url, self.inner.config.connect_timeout, deadline).await?;
        let mut last_error = None;
        for addr in addrs {
            let (wait, phase) = bounded_wait(self.inner.config.connect_timeout, Phase::Connect, deadline)?;
            match timeout(wait, TcpStream::connect_addr(addr)).await {
                Ok(Ok(stream)) => {
                    let _ = stream.set_nodelay(true);
                    return Ok(stream);
                }
                Ok(Err(source)) => {
                    last_error = Some(Error::Connect {
                        addr: addr.to_string(),
                        source,
                    })
                }
                Err(_) => last_error = Some(Error::Timeout(phase)),
            }
        }
        Err(last_error.unwrap_or_else(|| Error::Connect {
            addr: url.authority(),
            source: io::Error::new(io::ErrorKind::NotFound, "name resolved to no address"),
        }))
    }
}

impl Inner {
    /// Take a live idle connection to `key` (newest first), closing stale or dead ones.
    fn checkout(&self, key: &str) -> Option<Connection> {
        self.close_expired();
        let mut idle = self.idle.borrow_mut();
        let list = idle.get_mut(key)?;
        while let Some(entry) = list.pop_back() {
            if still_open(&entry.connection.stream) {
                return Some(entry.connection);
            }
        }
        None
    }

    /// A finished, reusable connection goes by the oldest waiter it can help:
    /// handed over to a waiter for its host; closed for a waiter on another
    /// host that needs a global slot (the semaphore passes the slot on in FIFO
    /// order); waiters held by their own host's limit are skipped. Else it goes idle.
    fn checkin(&self, key: &str, connection: Connection) {
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
    fn close_expired(&self) {
        let mut idle = self.idle.borrow_mut();
        if idle.is_empty() {
            return;
        }
        let now = Instant::now();
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

/// Builds an async request; await it (it implements `IntoFuture`) or call
/// [`RequestBuilder::send`]. Errors (bad URL, bad header) surface when awaited.
#[derive(Debug)]
pub struct RequestBuilder<'a> {
    client: &'a Client,
    request: Result<Request, Error>,
    timeout: Option<Duration>,
}

impl<'a> RequestBuilder<'a> {
    /// Add a request header (checked when the request is encoded).
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        if let Ok(request) = &mut self.request {
            request.headers.push((name.to_string(), value.as_ref().to_vec()));
        }
        self
    }

    /// Add a percent-encoded query parameter.
    pub fn query(mut self, key: &str, value: &str) -> Self {
        if let Ok(request) = &mut self.request {
            request.url.append_query(key, value);
        }
        self
    }

    /// Set the body (sent with `Content-Length`).
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        if let Ok(request) = &mut self.request {
            request.body = body.into();
        }
        self
    }

    /// Bound this request by `budget` instead of the client's `request_timeout`.
    pub fn timeout(mut self, budget: Duration) -> Self {
        self.timeout = Some(budget);
        self
    }

    /// Send the request and read the whole response.
    pub async fn send(self) -> Result<Response, Error> {
        let budget = self.timeout.unwrap_or(self.client.inner.config.request_timeout);
        self.client.send_within(self.request?, budget).await
    }
}

impl<'a> IntoFuture for RequestBuilder<'a> {
    type Output = Result<Response, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Response, Error>> + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// The retry-once rule (same as the blocking client).
fn should_retry(request: &Request, failure: &Failure) -> bool {
    request.is_idempotent() && failure.response_bytes == 0 && failure.error.is_connection_closed()
}

/// IP literals need no lookup; host names are resolved by the OS resolver on
/// a helper thread (it blocks), bounded by the connect timeout.
async fn resolve(url: &Url, connect_timeout: Duration, deadline: Instant) -> Result<Vec<SocketAddr>, Error> {
    if let Ok(ip) = url.host().parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, url.port())]);
    }
    let authority = url.authority();
    let lookup = {
        let authority = authority.clone();
        crate::spawn_blocking(move || authority.to_socket_addrs().map(Vec::from_iter))
    };
    let (wait, phase) = bounded_wait(connect_timeout, Phase::Connect, deadline)?;
    match timeout(wait, lookup).await {
        Err(_) => Err(Error::Timeout(phase)),
        Ok(Err(join_error)) => Err(Error::Connect {
            addr: authority,
            source: io::Error::other(join_error.to_string()),
        }),
        Ok(Ok(Err(source))) => Err(Error::Connect {
            addr: authority,
            source,
        }),
        Ok(Ok(Ok(addrs))) => Ok(addrs),
    }
}

async fn read_bounded(
    stream: &TcpStream,
    buf: &mut [u8],
    silence: Duration,
    deadline: Instant,
) -> Result<usize, Error> {
    let (wait, phase) = bounded_wait(silence, Phase::Read, deadline)?;
    match timeout(wait, stream.read(buf)).await {
        Err(_) => Err(Error::Timeout(phase)),
        Ok(result) => result.map_err(|e| Error::from_io(e, phase)),
    }
}

async fn write_all_bounded(
    stream: &TcpStream,
    mut bytes: &[u8],
    silence: Duration,
    deadline: Instant,
) -> Result<(), Error> {
    while !bytes.is_empty() {
        let (wait, phase) = bounded_wait(silence, Phase::Write, deadline)?;
        match timeout(wait, stream.write(bytes)).await {
            Err(_) => return Err(Error::Timeout(phase)),
            Ok(Ok(0)) => return Err(Error::from_io(io::ErrorKind::WriteZero.into(), phase)),
            Ok(Ok(n)) => bytes = &bytes[n..],
            Ok(Err(e)) => return Err(Error::from_io(e, phase)),
        }
    }
    Ok(())
}

/// One non-blocking read attempt with a no-op waker: `Pending` means nothing
/// to read and not closed, so the idle connection is still usable. EOF,
/// unexpected bytes or an error mean it must be closed.
fn still_open(stream: &TcpStream) -> bool {
    let mut cx = Context::from_waker(Waker::noop());
    let mut probe = [0u8; 1];
    matches!(stream.poll_read(&mut cx, &mut probe), Poll::Pending)
}
