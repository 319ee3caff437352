//! `TcpStream`: connecting, reading and writing.
//!
//! **Concept.** A read or write that would block answers `Poll::Pending` and parks the task
//! until epoll reports the socket ready; a connect waits for *writable*, then reads `SO_ERROR`.
//!
//! **Where.** `TcpStream::connect_addr`, `TcpStream::poll_read`, `TcpStream::poll_write`; the
//! listener is in `listener.rs`, socket options and getters in `options.rs`.
//!
//! **In the debugger.** `break corolab::net::tcp::TcpStream::poll_read`, then
//! `print self.io.key` for the token the trace shows.

use crate::executor::budget;
use crate::reactor::IoSource;
use crate::trace::Interest;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::task::{Context, Poll, ready};

/// A TCP connection registered with the current runtime. `!Send`: it belongs to its thread.
///
/// # Examples
///
/// ```
/// use corolab::net::{TcpListener, TcpStream};
///
/// corolab::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0")?;
///     let client = TcpStream::connect(listener.local_addr()?).await?;
///     let (server, _peer) = listener.accept().await?;
///     client.write_all(b"ping").await?;
///     let mut buf = [0u8; 4];
///     let n = server.read(&mut buf).await?; // parks until the bytes are there
///     assert_eq!(&buf[..n], b"ping");
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub struct TcpStream {
    pub(super) io: IoSource<mio::net::TcpStream>,
}

impl TcpStream {
    /// Connects to each address `addr` resolves to in turn, returning the first success or
    /// the last error. **Resolving a host name blocks the thread**; IP literals do not.
    ///
    /// # Examples
    ///
    /// ```
    /// # corolab::block_on(async {
    /// # let listener = corolab::net::TcpListener::bind("127.0.0.1:0")?;
    /// # let port = listener.local_addr()?.port();
    /// use corolab::net::TcpStream;
    ///
    /// let stream = TcpStream::connect(("127.0.0.1", port)).await?; // anything `ToSocketAddrs`
    /// assert_eq!(stream.peer_addr()?.port(), port);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::net::{TcpListener, TcpStream};
    ///
    /// corolab::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let addr: std::net::SocketAddr = listener.local_addr()?; // no name to resolve
    ///     let stream = TcpStream::connect_addr(addr).await?;
    ///     assert_eq!(stream.peer_addr()?, addr);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
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
    pub(super) fn from_mio(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: IoSource::new(stream)?,
        })
    }

    /// Adopts a connected blocking std stream (it is switched to non-blocking mode).
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::net::TcpStream;
    ///
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// corolab::block_on(async move {
    ///     let stream = TcpStream::from_std(std_stream)?; // now non-blocking, registered with epoll
    ///     stream.write_all(b"hi").await?;
    ///     let (mut peer, _) = listener.accept()?;
    ///     let mut buf = [0u8; 2];
    ///     std::io::Read::read_exact(&mut peer, &mut buf)?;
    ///     assert_eq!(&buf, b"hi");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::net::{TcpListener, TcpStream};
    ///
    /// corolab::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.write_all(b"hi").await?;
    ///     let mut buf = [0u8; 2];
    ///     let n = std::future::poll_fn(|cx| server.poll_read(cx, &mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"hi");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::net::{TcpListener, TcpStream};
    ///
    /// corolab::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let n = std::future::poll_fn(|cx| client.poll_write(cx, b"hi")).await?;
    ///     assert_eq!(n, 2); // an empty send buffer takes both bytes
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        ready!(budget::poll_proceed(cx));
        let result = ready!(self.io.poll_io(cx, Interest::Write, |s| (&*s).write(buf)));
        budget::spend();
        Poll::Ready(result)
    }

    /// Peeks at waiting bytes without waiting and without asking the reactor: one
    /// `recv(MSG_PEEK)` on the non-blocking socket. `WouldBlock` means nothing is there and
    /// the peer has not closed; `Ok(0)` means it has. The HTTP pool's liveness probe.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::net::{TcpListener, TcpStream};
    ///
    /// corolab::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     let mut buf = [0u8; 1];
    ///     let nothing = client.try_peek(&mut buf).unwrap_err();
    ///     assert_eq!(nothing.kind(), std::io::ErrorKind::WouldBlock); // alive, quiet
    ///     drop(server);
    ///     corolab::time::sleep(std::time::Duration::from_millis(20)).await;
    ///     assert_eq!(client.try_peek(&mut buf)?, 0); // the peer closed
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn try_peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.get_ref().peek(buf)
    }

    /// Reads some bytes; `Ok(0)` is EOF.
    ///
    /// # Examples
    ///
    /// ```
    /// # corolab::block_on(async {
    /// # let listener = corolab::net::TcpListener::bind("127.0.0.1:0")?;
    /// # let client = corolab::net::TcpStream::connect(listener.local_addr()?).await?;
    /// # let (server, _) = listener.accept().await?; // `client` and `server`: the two ends
    /// client.write_all(b"ping").await?;
    /// let mut buf = [0u8; 8];
    /// let n = server.read(&mut buf).await?; // parks until the bytes are there
    /// assert_eq!(&buf[..n], b"ping");
    /// drop(client);
    /// assert_eq!(server.read(&mut buf).await?, 0); // end of file
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read(cx, buf)).await
    }

    /// Writes some bytes, returning how many were taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::net::{TcpListener, TcpStream};
    ///
    /// corolab::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     let n = client.write(b"ping").await?; // may take fewer bytes than offered
    ///     let mut buf = [0u8; 4];
    ///     assert_eq!(server.read(&mut buf[..n]).await?, n);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write(cx, buf)).await
    }

    /// Writes all of `buf`.
    ///
    /// # Examples
    ///
    /// ```
    /// # corolab::block_on(async {
    /// # let listener = corolab::net::TcpListener::bind("127.0.0.1:0")?;
    /// # let client = corolab::net::TcpStream::connect(listener.local_addr()?).await?;
    /// # let (server, _) = listener.accept().await?; // `client` and `server`: the two ends
    /// let reader = corolab::spawn(async move {
    ///     let mut all = Vec::new();
    ///     server.read_to_end(&mut all).await.map(|_| all.len())
    /// });
    /// client.write_all(&[7; 1 << 20]).await?; // 1 MiB: many partial writes, parking in between
    /// drop(client);
    /// assert_eq!(reader.await.unwrap()?, 1 << 20);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// # corolab::block_on(async {
    /// # let listener = corolab::net::TcpListener::bind("127.0.0.1:0")?;
    /// # let client = corolab::net::TcpStream::connect(listener.local_addr()?).await?;
    /// # let (server, _) = listener.accept().await?; // `client` and `server`: the two ends
    /// client.write_all(b"all of it").await?;
    /// drop(client); // end of file for the reader
    /// let mut all = Vec::new();
    /// assert_eq!(server.read_to_end(&mut all).await?, 9);
    /// assert_eq!(all, b"all of it");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// # corolab::block_on(async {
    /// # let listener = corolab::net::TcpListener::bind("127.0.0.1:0")?;
    /// # let client = corolab::net::TcpStream::connect(listener.local_addr()?).await?;
    /// # let (server, _) = listener.accept().await?; // `client` and `server`: the two ends
    /// use std::net::Shutdown;
    ///
    /// client.shutdown(Shutdown::Write)?; // sends FIN: the peer reads end of file
    /// assert_eq!(server.read(&mut [0u8; 8]).await?, 0);
    /// server.write_all(b"still open").await?; // the other direction still works
    /// assert_eq!(client.read(&mut [0u8; 16]).await?, 10);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self.io.get_ref().shutdown(how) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            result => result,
        }
    }
}
