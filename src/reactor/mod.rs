//! The reactor: one `epoll` instance (through mio) plus the timer heap.
//!
//! **Concept.** epoll keeps an *interest list* (the sockets we registered) and a *ready list*
//! (those the kernel saw become readable or writable). `epoll_wait` sleeps until the ready list
//! is non-empty or a timeout passes. corolab registers every socket once, for both directions,
//! *edge-triggered*: the kernel reports a change (e.g. new data arrived) once, not on every
//! wait. So the reactor remembers readiness in per-socket bits, and an operation that finds
//! a bit set tries the system call; when the OS answers `WouldBlock` the bit is cleared and a
//! waker handed over. A TCP read that returns fewer bytes than asked for also clears the read
//! bit (it emptied the buffer; chapter 4 says why that is sound). The reactor knows wakers,
//! never tasks.
//!
//! **Where.** [`Reactor::wait_for_io`] calls `epoll_wait`; [`Reactor::dispatch_io_events`] turns
//! each event into readiness bits (`readiness_bits`) and queues the read or write wakers of its
//! socket (`queue_wakers`, one side at a time in `queue_side`); [`Reactor::fire_timers`]
//! wakes every sleeper whose deadline passed. Tokens are generational slab keys (see
//! `slab.rs`): an event for a socket closed earlier in the same batch finds a newer generation
//! in its slot and wakes nobody (`trace_stale_event`). [`IoSource`] wraps a mio socket and is
//! what `net` builds on. `timers.rs` holds the timer heap and the timer calls, `context.rs`
//! the thread's current reactor, `debug.rs` what `{:?}` prints.
//!
//! **In the debugger.** `break corolab::reactor::Reactor::wait_for_io` and
//! `break corolab::reactor::Reactor::dispatch_io_events`. For one event at a time (debug
//! build), `break corolab::reactor::queue_wakers`: there `token`, `slot` and `ready` are
//! arguments, so `print token`, `print slot.fd`, `print/t ready` and `print *slot` work at the
//! first line (a local `token` inside `dispatch_io_events` does not exist yet when a breakpoint
//! on the function stops, and gdb then finds a libc symbol of that name). `{:?}` on the
//! `Runtime` lists registrations and their readiness bits.

mod context;
mod debug;
mod io_source;
mod timers;

pub use io_source::{IoSource, WrongRuntime};
pub use timers::TimerKey;

use crate::slab::{Key, Slab};
use crate::trace::{self, Event, Interest, WakeCause};
use mio::{Events, Poll, Token};
use std::cell::{Cell, RefCell};
use std::io;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::task::{Context, Waker};
use std::time::{Duration, Instant};
use timers::Timers;

/// Token of the cross-thread waker (an eventfd). Never produced by the slab.
const WAKE_TOKEN: Token = Token(usize::MAX);

/// Readiness bits kept per socket.
mod bits {
    pub const READABLE: u8 = 1;
    pub const WRITABLE: u8 = 2;
    pub const READ_CLOSED: u8 = 4;
    pub const WRITE_CLOSED: u8 = 8;
    pub const ERROR: u8 = 16;
    pub const READ_SIDE: u8 = READABLE | READ_CLOSED | ERROR;
    pub const WRITE_SIDE: u8 = WRITABLE | WRITE_CLOSED | ERROR;
}

fn side(interest: Interest) -> u8 {
    match interest {
        Interest::Read => bits::READ_SIDE,
        Interest::Write => bits::WRITE_SIDE,
    }
}

/// One registered socket. Several tasks may wait on the same socket (an `Rc<TcpStream>` read
/// by two tasks, a listener shared by acceptors), so each direction keeps a *list* of wakers,
/// all woken on readiness; the one that loses the race finds `WouldBlock` and waits again.
struct IoSlot {
    fd: RawFd,
    readiness: u8,
    read_wakers: Vec<Waker>,
    write_wakers: Vec<Waker>,
}

/// Adds `waker` to `list` unless a waker for the same task is already there.
fn remember(list: &mut Vec<Waker>, waker: &Waker) {
    if !list.iter().any(|w| w.will_wake(waker)) {
        list.push(waker.clone());
    }
}

/// Counters kept by the reactor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ReactorStats {
    /// Calls to `epoll_wait`.
    pub reactor_waits: u64,
    /// I/O events returned by `epoll_wait` (cross-thread pokes not counted).
    pub io_events: u64,
    /// Timers that fired.
    pub timers_fired: u64,
}

/// See the module docs.
///
/// # Examples
///
/// ```
/// corolab::block_on(async {
///     let reactor = corolab::reactor::Reactor::current().unwrap(); // the runtime's reactor
///     assert!(format!("{reactor:?}").starts_with("Reactor { registrations: [], pending_timers: 0"));
/// });
/// ```
pub struct Reactor {
    /// This reactor's number, unique in the process (see [`Reactor::id`]).
    id: u64,
    poll: RefCell<Poll>,
    events: RefCell<Events>,
    io: RefCell<Slab<IoSlot>>,
    timers: RefCell<Timers>,
    waker: Arc<mio::Waker>,
    stats: Cell<ReactorStats>,
    /// Reused buffer of wakers to call once no borrow is held.
    to_wake: RefCell<Vec<(Waker, WakeCause)>>,
    /// Reused buffer of expired timers (see `fire_timers`).
    expired: Cell<Vec<(u64, Instant, Option<Waker>)>>,
}

/// How many expired timers `fire_timers` takes out of the heap at a time.
const TIMER_BATCH: usize = 64;

/// Numbers handed to reactors (and so runtimes) in creation order, starting at 1.
static NEXT_REACTOR_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Reactor {
    /// Creates the epoll instance and the cross-thread waker.
    pub(crate) fn new() -> io::Result<Reactor> {
        let poll = Poll::new()?;
        let waker = Arc::new(mio::Waker::new(poll.registry(), WAKE_TOKEN)?);
        Ok(Reactor {
            id: NEXT_REACTOR_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            poll: RefCell::new(poll),
            events: RefCell::new(Events::with_capacity(1024)),
            io: RefCell::new(Slab::default()),
            timers: RefCell::new(Timers::default()),
            waker,
            stats: Cell::new(ReactorStats::default()),
            to_wake: RefCell::new(Vec::new()),
            expired: Cell::new(Vec::new()),
        })
    }

    /// This reactor's number: unique in the process, 1 for the first runtime created. Sockets
    /// and timers remember it, so using one from another runtime can be named in an error.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// A handle other threads can use to interrupt `wait_for_io`.
    pub(crate) fn thread_waker(&self) -> Arc<mio::Waker> {
        self.waker.clone()
    }

    /// Sockets currently registered.
    ///
    /// # Examples
    ///
    /// ```
    /// # corolab::block_on(async {
    /// let reactor = corolab::reactor::Reactor::current().unwrap();
    /// let listener = corolab::net::TcpListener::bind("127.0.0.1:0").unwrap(); // registered now
    /// assert_eq!(reactor.registration_count(), 1);
    /// drop(listener);
    /// assert_eq!(reactor.registration_count(), 0, "closing a socket deregisters it");
    /// # });
    /// ```
    pub fn registration_count(&self) -> usize {
        self.io.borrow().len()
    }

    /// Counters so far.
    pub(crate) fn stats(&self) -> ReactorStats {
        self.stats.get()
    }

    fn bump(&self, f: impl FnOnce(&mut ReactorStats)) {
        let mut s = self.stats.get();
        f(&mut s);
        self.stats.set(s);
    }

    // ---------------------------------------------------------------- I/O registrations

    /// Registers `source` (file descriptor `fd`) for both directions, edge-triggered.
    /// Readiness starts as "readable and writable": the first operation simply tries, and
    /// `WouldBlock` tells us to wait. This saves a trip through `epoll_wait` per socket.
    pub(crate) fn register(&self, source: &mut impl mio::event::Source, fd: RawFd) -> io::Result<Key> {
        let key = self.io.borrow_mut().insert(IoSlot {
            fd,
            readiness: bits::READABLE | bits::WRITABLE,
            read_wakers: Vec::new(),
            write_wakers: Vec::new(),
        });
        let token = Token(key.to_u64() as usize);
        let interest = mio::Interest::READABLE | mio::Interest::WRITABLE;
        if let Err(e) = self.poll.borrow().registry().register(source, token, interest) {
            self.io.borrow_mut().remove(key);
            return Err(e);
        }
        trace::emit_for(self.id, || Event::IoRegistered {
            token: key.to_u64(),
            fd,
        });
        Ok(key)
    }

    /// Removes `source` from epoll and forgets its wakers. Events already returned for it
    /// are ignored: its key's generation is gone.
    pub(crate) fn deregister(&self, source: &mut impl mio::event::Source, key: Key) {
        let _ = self.poll.borrow().registry().deregister(source);
        let slot = self.io.borrow_mut().remove(key);
        if let Some(slot) = slot {
            trace::emit_for(self.id, || Event::IoDeregistered {
                token: key.to_u64(),
                fd: slot.fd,
            });
            drop(slot); // drops wakers: no borrow held
        }
    }

    /// Is `interest` ready on `key`? If not, stores the waker to be called when it is.
    pub(crate) fn poll_ready(
        &self,
        key: Key,
        interest: Interest,
        cx: &mut Context<'_>,
    ) -> std::task::Poll<()> {
        let mut io = self.io.borrow_mut();
        let Some(slot) = io.get_mut(key) else {
            return std::task::Poll::Ready(()); // gone: let the operation report the error
        };
        if slot.readiness & side(interest) != 0 {
            return std::task::Poll::Ready(());
        }
        // A future moved to another task adds the new task's waker; the old one may get one
        // spurious wake, which is harmless. The list is emptied at every readiness event.
        match interest {
            Interest::Read => remember(&mut slot.read_wakers, cx.waker()),
            Interest::Write => remember(&mut slot.write_wakers, cx.waker()),
        }
        // The park reason of the task being polled; a probe with a no-op waker (the HTTP
        // pool's liveness check) parks nobody.
        let fd = slot.fd;
        if trace::enabled() && !cx.waker().will_wake(Waker::noop()) {
            trace::park(|| trace::Wait::Io {
                token: key.to_u64(),
                fd,
                side: interest,
            });
        }
        std::task::Poll::Pending
    }

    /// A read returned fewer bytes than asked for: the receive buffer was empty at that
    /// moment, so clear `READABLE` now instead of paying a system call for the `WouldBlock`
    /// that the next read would return. Only `READABLE`: a hang-up or error reported in the
    /// same event must stay visible, or the next read would wait for an edge already gone.
    /// Data arriving later makes a new edge, which sets the bit again.
    pub(crate) fn clear_readable_after_short_read(&self, key: Key) {
        if let Some(slot) = self.io.borrow_mut().get_mut(key) {
            slot.readiness &= !bits::READABLE;
            trace::emit_for(self.id, || Event::IoShortRead {
                token: key.to_u64(),
                fd: slot.fd,
            });
        }
    }

    /// An operation returned `WouldBlock`: forget that `interest` was ready.
    pub(crate) fn clear_readiness(&self, key: Key, interest: Interest) {
        if let Some(slot) = self.io.borrow_mut().get_mut(key) {
            slot.readiness &= !side(interest);
            trace::emit_for(self.id, || Event::IoWouldBlock {
                token: key.to_u64(),
                fd: slot.fd,
                interest,
            });
        }
    }

    // ---------------------------------------------------------------- the run-loop phases

    /// Phase: block in `epoll_wait` for at most `timeout` (`None`: until an event). Returns the
    /// number of events; `EINTR` counts as zero events.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::Duration;
    /// # corolab::block_on(async {
    /// # let reactor = corolab::reactor::Reactor::current().unwrap();
    /// let listener = corolab::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// assert_eq!(reactor.wait_for_io(Some(Duration::from_secs(5))).unwrap(), 1); // readable
    /// assert_eq!(reactor.wait_for_io(Some(Duration::ZERO)).unwrap(), 0, "edge: reported once");
    /// # });
    /// ```
    pub fn wait_for_io(&self, timeout: Option<Duration>) -> io::Result<usize> {
        trace::emit_for(self.id, || Event::ReactorWait {
            timeout_us: timeout.map(|t| t.as_micros() as u64),
        });
        let mut events = self.events.borrow_mut();
        let result = self.poll.borrow_mut().poll(&mut events, timeout);
        self.bump(|s| s.reactor_waits += 1);
        match result {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => events.clear(),
            Err(e) => return Err(e),
        }
        let n = events.iter().count();
        trace::emit_for(self.id, || Event::ReactorWoke { events: n });
        Ok(n)
    }

    /// Phase: turn the events of the last `wait_for_io` into readiness bits and wakes. The
    /// wakers are collected first and called once no borrow is held (a woken task may be
    /// polled at once by a waker that runs code, and must find the reactor free).
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::Duration;
    /// # corolab::block_on(async {
    /// # let reactor = corolab::reactor::Reactor::current().unwrap();
    /// let listener = corolab::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// let acceptor = corolab::spawn(async move { listener.accept().await.is_ok() });
    /// corolab::yield_now().await; // the acceptor found no connection and left its waker
    /// let _client = std::net::TcpStream::connect(addr).unwrap();
    /// reactor.wait_for_io(Some(Duration::from_secs(5))).unwrap();
    /// assert_eq!(reactor.dispatch_io_events(), 1); // the listener's event wakes the acceptor
    /// assert!(acceptor.await.unwrap());
    /// # });
    /// ```
    pub fn dispatch_io_events(&self) -> usize {
        let mut to_wake = std::mem::take(&mut *self.to_wake.borrow_mut());
        let mut count = 0;
        {
            let events = self.events.borrow();
            let mut io = self.io.borrow_mut();
            for event in events.iter() {
                if event.token() == WAKE_TOKEN {
                    continue; // another thread poked us; the executor drains its queue
                }
                count += 1;
                let key = Key::from_u64(event.token().0 as u64);
                let Some(slot) = io.get_mut(key) else {
                    // A stale token: the socket was closed and maybe its slot reused.
                    trace_stale_event(key, event);
                    continue;
                };
                let ready = readiness_bits(event);
                slot.readiness |= ready;
                queue_wakers(slot, key.to_u64(), ready, &mut to_wake);
            }
        }
        self.bump(|s| s.io_events += count as u64);
        wake_all(&mut to_wake);
        *self.to_wake.borrow_mut() = to_wake;
        count
    }

    /// Phase: wake every timer whose deadline is `<= now`, in (deadline, sequence) order.
    /// Expired timers are taken in batches of `TIMER_BATCH`, woken with no borrow held, so
    /// 100,000 timers due at once never need a 100,000-entry list.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::{task::Waker, time::Instant};
    /// # corolab::block_on(async {
    /// # let reactor = corolab::reactor::Reactor::current().unwrap();
    /// let _due = reactor.add_timer(Instant::now(), Waker::noop());
    /// assert_eq!(reactor.fire_timers(Instant::now()), 1);
    /// assert_eq!(reactor.fire_timers(Instant::now()), 0, "a timer fires once");
    /// # });
    /// ```
    pub fn fire_timers(&self, now: Instant) -> usize {
        let mut batch = self.expired.take();
        let mut fired = 0;
        loop {
            self.timers
                .borrow_mut()
                .take_expired(now, TIMER_BATCH, &mut batch);
            if batch.is_empty() {
                break;
            }
            fired += batch.len();
            for (id, deadline, waker) in batch.drain(..) {
                trace::emit_for(self.id, || Event::TimerFired {
                    timer: id,
                    late_us: now.saturating_duration_since(deadline).as_micros() as u64,
                });
                if let Some(waker) = waker {
                    trace::with_cause(WakeCause::Timer { timer: id }, || waker.wake());
                }
            }
        }
        self.expired.set(batch);
        self.bump(|s| s.timers_fired += fired as u64);
        fired
    }
}

/// The readiness bits of one epoll event.
fn readiness_bits(event: &mio::event::Event) -> u8 {
    let mut ready = 0;
    if event.is_readable() {
        ready |= bits::READABLE;
    }
    if event.is_read_closed() {
        ready |= bits::READ_CLOSED;
    }
    if event.is_writable() {
        ready |= bits::WRITABLE;
    }
    if event.is_write_closed() {
        ready |= bits::WRITE_CLOSED;
    }
    if event.is_error() {
        ready |= bits::ERROR;
    }
    ready
}

/// Traces an event for a socket closed since: its key's generation is gone, nobody is woken.
fn trace_stale_event(key: Key, event: &mio::event::Event) {
    trace::emit(|| Event::IoReady {
        token: key.to_u64(),
        fd: -1,
        readable: event.is_readable(),
        writable: event.is_writable(),
        error: event.is_error(),
    });
}

/// Moves the wakers of each side of `slot` that `ready` concerns into `to_wake`, each with the
/// cause the trace shows ("by fd 7 readable").
fn queue_wakers(slot: &mut IoSlot, token: u64, ready: u8, to_wake: &mut Vec<(Waker, WakeCause)>) {
    let fd = slot.fd;
    trace::emit(|| Event::IoReady {
        token,
        fd,
        readable: ready & (bits::READABLE | bits::READ_CLOSED) != 0,
        writable: ready & (bits::WRITABLE | bits::WRITE_CLOSED) != 0,
        error: ready & bits::ERROR != 0,
    });
    if ready & bits::READ_SIDE != 0 {
        queue_side(&mut slot.read_wakers, token, fd, Interest::Read, to_wake);
    }
    if ready & bits::WRITE_SIDE != 0 {
        queue_side(&mut slot.write_wakers, token, fd, Interest::Write, to_wake);
    }
}

/// Queues the wakers of one side (read or write) of a socket; the list is left empty.
fn queue_side(
    wakers: &mut Vec<Waker>,
    token: u64,
    fd: RawFd,
    interest: Interest,
    to_wake: &mut Vec<(Waker, WakeCause)>,
) {
    let cause = WakeCause::Io { token, fd, interest };
    to_wake.extend(wakers.drain(..).map(|w| (w, cause)));
}

fn wake_all(to_wake: &mut Vec<(Waker, WakeCause)>) {
    for (waker, cause) in to_wake.drain(..) {
        trace::with_cause(cause, || waker.wake());
    }
}

/// Rounds a timeout *up* to whole milliseconds: `epoll_wait` counts milliseconds, and rounding
/// down would wake us just before the deadline, find nothing due, and spin.
///
/// # Examples
///
/// ```
/// # use std::time::Duration;
/// use corolab::reactor::ceil_to_millis;
///
/// assert_eq!(ceil_to_millis(Duration::from_micros(9_700)), Duration::from_millis(10));
/// ```
pub fn ceil_to_millis(d: Duration) -> Duration {
    let ms = d.as_nanos().div_ceil(1_000_000);
    Duration::from_millis(ms.min(u64::MAX as u128) as u64)
}
