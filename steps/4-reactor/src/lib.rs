//! Step 4: an epoll reactor. Readiness from the kernel, not a helper thread, drives the tasks.
//!
//! **Concept.** The **reactor** (反应器) owns a mio `Poll` (epoll). Each non-blocking (非阻塞)
//! socket is registered once ([`Reactor::register`]); a read tries the system call first and
//! only on `WouldBlock` leaves its waker in the socket's slot. The loop ([`run`]) polls the
//! run queue and, only when it is empty, sleeps in `epoll_wait`; each event becomes a wake.
//! mio is **edge-triggered** (边缘触发): "readable" comes once per arrival, so a reader must
//! [`drain`] until `WouldBlock`. A **token** (令牌) is a slot index plus a **generation** (代)
//! bumped on reuse, so a late event for a closed socket wakes nobody ([`Reactor::slot_for`]).
//!
//! **Where.** [`run`]: `run_ready_tasks`, [`Reactor::wait_for_io`],
//! [`Reactor::dispatch_io_events`]. The executor is step 3's, used as a library: this step
//! never sleeps on its condition variable, it sleeps in `epoll_wait` instead.
//!
//! **In the debugger.** `break step4_reactor::Reactor::wait_for_io` stops right before the
//! thread sleeps; `finish` returns when a socket is ready; `print self.slots` shows who waits.
//!
//! **What the real corolab adds here, and where.** `src/reactor/mod.rs` (`Reactor::register`,
//! `Reactor::dispatch_io_events`) keeps readiness bits (readable, writable, closed, error),
//! waits for writes, and takes wakes from other threads (mio's `Waker`); the slab with
//! generations is `src/slab.rs` (`Key::to_u64`); the socket is `src/net/tcp.rs`.

use mio::{Events, Interest, Token, net::TcpStream};
use std::task::{Poll, Waker};
use std::{cell::RefCell, io, io::Read, net::TcpStream as StdStream};
use std::{os::fd::AsRawFd, rc::Rc, time::Duration};
pub use step3_wakers::{Executor, set_wake_cause, trace};

/// One registered socket: its generation (bumped each time the slot is freed), its fd (for
/// the trace), and the wakers of the tasks waiting to read it, or to write (step 7).
#[derive(Default)]
pub struct Slot {
    pub generation: u32,
    pub in_use: bool,
    pub fd: i32,
    pub reader: Option<Waker>,
    pub writer: Option<Waker>,
}

/// The reactor: epoll, and one slot per registered socket.
pub struct Reactor {
    poll: mio::Poll,
    events: Events,
    slots: Vec<Slot>,
}

/// Tasks share the reactor through this (one thread: `Rc<RefCell<_>>` is enough).
pub type Handle = Rc<RefCell<Reactor>>;

impl Reactor {
    /// A reactor with its own epoll instance.
    pub fn new() -> io::Result<Handle> {
        let (poll, events) = (mio::Poll::new()?, Events::with_capacity(64));
        Ok(Rc::new(RefCell::new(Reactor { poll, events, slots: Vec::new() })))
    }

    /// Adds `stream` to the interest list (edge-triggered); returns its token.
    pub fn register(&mut self, stream: &mut TcpStream, interest: Interest) -> io::Result<Token> {
        let index = self.slots.iter().position(|s| !s.in_use).unwrap_or_else(|| {
            self.slots.push(Slot::default());
            self.slots.len() - 1
        });
        let slot = &mut self.slots[index];
        let token = Token(((slot.generation as usize) << 32) | index);
        self.poll.registry().register(stream, token, interest)?;
        (slot.in_use, slot.fd) = (true, stream.as_raw_fd());
        trace::line(format!("register fd {} (token {:#x})", slot.fd, token.0));
        Ok(token)
    }

    /// Removes `stream` from epoll and frees its slot for reuse, under a new generation.
    pub fn deregister(&mut self, stream: &mut TcpStream, token: Token) {
        let _ = self.poll.registry().deregister(stream);
        if let Some(slot) = self.slot_for(token) {
            trace::line(format!("deregister fd {} (token {:#x})", slot.fd, token.0));
            *slot = Slot { generation: slot.generation + 1, ..Slot::default() };
        }
    }

    /// The slot `token` names, if it still belongs to that socket (same generation).
    pub fn slot_for(&mut self, token: Token) -> Option<&mut Slot> {
        // LAB(generation-tokens) begin: index = low 32 bits, generation = high bits; both must match
        let (index, generation) = (token.0 & 0xffff_ffff, (token.0 >> 32) as u32);
        self.slots.get_mut(index).filter(|s| s.in_use && s.generation == generation)
        // LAB(generation-tokens) end
    }

    /// Wakes whoever waits on `token` for what is ready; false for a stale token or nobody.
    pub fn wake_token(&mut self, token: Token, readable: bool, writable: bool) -> bool {
        let Some(slot) = self.slot_for(token) else {
            return false;
        };
        let what = if readable && writable {
            "readable+writable"
        } else if readable {
            "readable"
        } else {
            "writable"
        };
        trace::line(format!("  fd {} {what}", slot.fd));
        let (fd, mut woke) = (slot.fd, false);
        for (ready, waiter, side) in
            [(readable, &mut slot.reader, "readable"), (writable, &mut slot.writer, "writable")]
        {
            if let Some(waker) = waiter.take_if(|_| ready) {
                set_wake_cause(format!("fd {fd} {side}"));
                waker.wake();
                woke = true;
            }
        }
        woke
    }

    /// Is some task waiting for a socket? (If none is, `epoll_wait` would sleep forever.)
    pub fn has_waiters(&self) -> bool {
        self.slots.iter().any(|s| s.reader.is_some() || s.writer.is_some())
    }

    /// Sleeps in `epoll_wait` until a registered socket is ready, or `timeout` (step 5).
    pub fn wait_for_io(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        match timeout {
            Some(t) => trace::line(format!("epoll_wait(timeout {:.3} ms)", trace::ms(t))),
            None => trace::line("epoll_wait(no timeout: nothing to do until I/O)".into()),
        }
        self.poll.poll(&mut self.events, timeout)?;
        trace::line(format!("epoll_wait returned {} event(s)", self.events.iter().count()));
        Ok(())
    }

    /// Turns the events `epoll_wait` returned into wakes.
    pub fn dispatch_io_events(&mut self) {
        let events: Vec<_> =
            self.events.iter().map(|e| (e.token(), e.is_readable(), e.is_writable())).collect();
        for (token, readable, writable) in events {
            self.wake_token(token, readable, writable);
        }
    }
}

/// Reads what the socket has until `WouldBlock` (`Ok(false)`) or end of stream (`Ok(true)`).
pub fn drain(stream: &mut impl Read, out: &mut Vec<u8>) -> io::Result<bool> {
    // LAB(edge-drain) begin: read 4 KiB chunks into `out` until WouldBlock (false) or EOF (true)
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) => return Err(e),
        }
    }
    // LAB(edge-drain) end
}

/// A registered non-blocking TCP stream. Dropping it deregisters it.
pub struct Socket {
    /// The mio stream.
    pub stream: TcpStream,
    /// Its token in the reactor.
    pub token: Token,
    /// The reactor it is registered with.
    pub reactor: Handle,
}

impl Socket {
    /// Makes `stream` non-blocking and registers it for reading.
    pub fn new(reactor: &Handle, stream: StdStream) -> io::Result<Socket> {
        stream.set_nonblocking(true)?;
        Socket::register(reactor, TcpStream::from_std(stream), Interest::READABLE)
    }

    /// Registers a mio stream for `interest`.
    pub fn register(
        reactor: &Handle,
        mut stream: TcpStream,
        interest: Interest,
    ) -> io::Result<Socket> {
        let token = reactor.borrow_mut().register(&mut stream, interest)?;
        Ok(Socket { stream, token, reactor: reactor.clone() })
    }

    /// Reads until at least `n` bytes have arrived (or the peer closed).
    pub async fn read_at_least(&mut self, n: usize) -> io::Result<Vec<u8>> {
        let mut got = Vec::new();
        std::future::poll_fn(|cx| {
            if drain(&mut self.stream, &mut got)? || got.len() >= n {
                return Poll::Ready(Ok(std::mem::take(&mut got)));
            }
            let fd = self.stream.as_raw_fd();
            trace::line(format!("fd {fd} WouldBlock: wait until readable"));
            trace::waits_for(format!("fd {fd} readable"));
            if let Some(slot) = self.reactor.borrow_mut().slot_for(self.token) {
                slot.reader = Some(cx.waker().clone()); // what the next event will wake
            }
            Poll::Pending
        })
        .await
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.reactor.borrow_mut().deregister(&mut self.stream, self.token);
    }
}

/// The loop: one turn of ready tasks; then epoll_wait (without sleeping if some task is
/// still queued), and the events become wakes.
pub fn run(executor: &mut Executor, reactor: &Handle) -> io::Result<()> {
    loop {
        trace::phase("run_ready_tasks");
        executor.run_ready_tasks();
        if !executor.has_tasks() {
            return Ok(());
        }
        let timeout = if executor.has_ready_tasks() { Some(Duration::ZERO) } else { None };
        if timeout.is_none() && !reactor.borrow().has_waiters() {
            return Err(io::Error::other("every task waits, and not for a socket: it would hang"));
        }
        trace::phase("wait_for_io");
        reactor.borrow_mut().wait_for_io(timeout)?;
        trace::phase("dispatch_io_events");
        reactor.borrow_mut().dispatch_io_events();
    }
}

/// Two tasks read from two sockets; the peer answers the second first, 30 ms apart.
pub fn run_demo() -> io::Result<()> {
    let ms30 = Duration::from_millis(30);
    let script = vec![(ms30, 1, b"page B".to_vec()), (ms30, 0, b"page A".to_vec())];
    let peer = trace::scripted_peer(2, script)?;
    let (reactor, mut executor) = (Reactor::new()?, Executor::default());
    for i in 1..=2 {
        let mut socket = Socket::new(&reactor, StdStream::connect(peer)?)?;
        executor.spawn(async move {
            let got = socket.read_at_least(6).await.unwrap_or_default();
            trace::say(format!("task {i} read {:?}", String::from_utf8_lossy(&got)));
        });
    }
    run(&mut executor, &reactor)
}
