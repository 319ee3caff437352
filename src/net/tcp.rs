//! `TcpStream` and `TcpListener`.

use crate::executor::{budget, spawn_blocking};
use crate::reactor::IoSource;
use crate::trace::Interest;
use socket2::{Domain, SockRef, Socket, Type};
use std::fmt;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::task::{Context, Poll, ready};
use std::time::Duration;

/// A TCP connection registered with the current runtime. `!Send`: it belongs to its thread.
pub struct TcpStream {
    io: IoSource<mio::net::TcpStream>,
}

impl TcpStream {
    /// Connects to each address `addr` resolves to in turn, returning the first success or
    /// the last error. **Resolving a host name blocks the thread**; IP literals do not.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let mut last_error = None;
        for addr in addr.to_socket_addrs()? {
            match TcpStream::connect_addr(addr).await {
                Ok(stream) => return Ok(stream),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "address resolved to no socket address",
            )
        }))
    }

    /// Connects to one address: non-blocking `connect`, wait for writable, check `SO_ERROR`.
    pub async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = TcpStream::from_mio(mio::net::TcpStream::connect(addr)?)?;
        poll_fn(|cx| stream.poll_connected(cx)).await?;
        Ok(stream)
    }

    fn poll_connected(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            ready!(self.io.poll_ready(cx, Interest::Write))?;
            if let Some(error) = self.io.get_ref().take_error()? {
                return Poll::Ready(Err(error));
            }
            match self.io.get_ref().peer_addr() {
                Ok(_) => return Poll::Ready(Ok(())),
                // Still in progress: wait for the next writable edge.
                Err(e) if e.kind() == io::ErrorKind::NotConnected => self.io.clear_readiness(Interest::Write),
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// Wraps a connected (or connecting) mio stream.
    fn from_mio(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: IoSource::new(stream)?,
        })
    }

    /// Adopts a connected blocking std stream (it is switched to non-blocking mode).
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_mio(mio::net::TcpStream::from_std(stream))
    }

    /// Reads into `buf` once it is readable. `Ok(0)` means EOF (or an empty `buf`).
    /// A short read (fewer bytes than `buf` holds) means the kernel's buffer is empty now, so
    /// readiness is cleared at once: the next read waits for the next edge instead of first
    /// spending a system call to learn `WouldBlock` (tokio does the same).
    ///
    /// Each `Ready` spends one unit of the task's cooperative budget (`executor::budget`): a
    /// reader of a socket that always has data still lets other tasks run.
    pub fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        ready!(budget::poll_proceed(cx));
        let wanted = buf.len();
        let result = ready!(self.io.poll_io(cx, Interest::Read, |s| (&*s).read(buf)));
        budget::spend();
        if let Ok(n) = result
            && n > 0
            && n < wanted
        {
            self.io.clear_readable_after_short_read();
        }
        Poll::Ready(result)
    }

    /// Writes some of `buf` once there is room in the send buffer. Spends one unit of the
    /// cooperative budget per `Ready`, like `poll_read`.
    pub fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        ready!(budget::poll_proceed(cx));
        let result = ready!(self.io.poll_io(cx, Interest::Write, |s| (&*s).write(buf)));
        budget::spend();
        Poll::Ready(result)
    }

    /// Peeks at waiting bytes without waiting and without asking the reactor: one
    /// `recv(MSG_PEEK)` on the non-blocking socket. `WouldBlock` means nothing is there and
    /// the peer has not closed; `Ok(0)` means it has. The HTTP pool's liveness probe.
    pub fn try_peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.get_ref().peek(buf)
    }

    /// Reads some bytes; `Ok(0)` is EOF.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read(cx, buf)).await
    }

    /// Writes some bytes, returning how many were taken.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write(cx, buf)).await
    }

    /// Writes all of `buf`.
    pub async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }

    /// Reads until EOF, appending to `out`; returns the number of bytes read.
    pub async fn read_to_end(&self, out: &mut Vec<u8>) -> io::Result<usize> {
        let start = out.len();
        let mut chunk = [0u8; 8192];
        loop {
            match self.read(&mut chunk).await? {
                0 => return Ok(out.len() - start),
                n => out.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Shuts down the read side, the write side (sends FIN) or both. A connection the peer
    /// already reset (or that is otherwise gone) is shut down in every sense, so the kernel's
    /// `NotConnected` answer becomes `Ok(())`, as in tokio: "no more writes" is true either
    /// way, and the reset itself is reported by the next read or write.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self.io.get_ref().shutdown(how) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            result => result,
        }
    }

    /// Turns Nagle's algorithm off (`true`) or on.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// `SO_LINGER`: `Some(Duration::ZERO)` makes close send a reset (RST) instead of FIN.
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        SockRef::from(self.io.get_ref()).set_linger(linger)
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The file descriptor (as shown in traces).
    pub fn raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }

    /// Whether this stream is registered with the runtime running on this thread now. A
    /// stream belongs to the runtime that created it; the HTTP pool uses this to never hand a
    /// connection to another runtime.
    pub fn belongs_to_current_runtime(&self) -> bool {
        self.io.belongs_to_current_reactor()
    }

    /// The id of the runtime this stream is registered with (see `Runtime::id`).
    pub fn runtime_id(&self) -> u64 {
        self.io.reactor_id()
    }

    /// The reactor token of this socket (as shown in traces).
    pub fn token(&self) -> u64 {
        self.io.token()
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("fd", &self.raw_fd())
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .finish()
    }
}

/// A listening TCP socket registered with the current runtime.
pub struct TcpListener {
    io: IoSource<mio::net::TcpListener>,
}

/// Backlog passed to `listen(2)`: how many finished handshakes may wait for `accept`.
const BACKLOG: i32 = 4096;

impl TcpListener {
    /// Binds to the first address of `addr` that works (`SO_REUSEADDR` on, so a restarted
    /// server can bind again at once). Port 0 picks a free port; see [`TcpListener::local_addr`].
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let mut last_error = None;
        for addr in addr.to_socket_addrs()? {
            match bind_one(addr) {
                Ok(listener) => return Ok(listener),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "address resolved to no socket address",
            )
        }))
    }

    /// Waits for a connection. Readiness stays set until `accept` says `WouldBlock`, so a burst
    /// of connections is drained without waiting for new events.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, addr) = poll_fn(|cx| self.poll_accept(cx)).await?;
        Ok((TcpStream::from_mio(stream)?, addr))
    }

    /// Poll-level `accept`; spends one unit of the cooperative budget per `Ready`.
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(mio::net::TcpStream, SocketAddr)>> {
        ready!(budget::poll_proceed(cx));
        let result = ready!(self.io.poll_io(cx, Interest::Read, |l| l.accept()));
        budget::spend();
        Poll::Ready(result)
    }

    /// The bound address (with the real port if 0 was asked for).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

fn bind_one(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    let listener = mio::net::TcpListener::from_std(socket.into());
    Ok(TcpListener {
        io: IoSource::new(listener)?,
    })
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local", &self.local_addr().ok())
            .finish()
    }
}

/// Resolves `host:port` on a helper thread (the OS resolver blocks), without blocking tasks.
pub async fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    let host = host.to_string();
    spawn_blocking(move || (host.as_str(), port).to_socket_addrs().map(|a| a.collect()))
        .await
        .map_err(io::Error::other)?
}
