//! `green::TcpStream`: the seeds' "monkey-patched socket".
//!
//! **Concept.** Its `read` and `write` look blocking, but on `WouldBlock` they switch to the
//! hub; the green thread resumes when epoll reports the socket ready.
//!
//! **Where.** Each method is a thin call of `wait_io` (in `wait_io.rs`) around a
//! `net::TcpStream::poll_*` function; timeouts are kept in `Cell`s on the stream.
//!
//! **In the debugger.** `break corolab::green::tcp::TcpStream::read`, then `finish` after a
//! `break corolab::green::hub::park` shows the green thread giving way inside it.

use super::hub::{CannotWait, wait_for};
use super::wait_io::{check_timeout, wait_io};
use crate::net;
use std::cell::Cell;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::time::Duration;

/// A TCP connection with blocking-looking methods for green threads.
///
/// Every method that would block (connect, read, write) tries the socket
/// first; when the kernel says `WouldBlock`, the stream's `poll_*` function
/// has registered the task's waker with the reactor, and the green thread
/// switches to the hub. When epoll reports the socket ready, the task is
/// polled again, which switches back into the green thread, which tries
/// again. Like `std::net::TcpStream`, reads and writes wait forever unless a
/// timeout is set with [`set_read_timeout`](TcpStream::set_read_timeout) /
/// [`set_write_timeout`](TcpStream::set_write_timeout).
///
/// Used outside a green thread, every waiting method returns an error of
/// kind `Unsupported` instead of blocking the runtime. While the green
/// thread is being cancelled (its stack unwinds) or a panic is unwinding on
/// this OS thread, a method that would have to wait fails at once with an
/// error of kind `Other` (not `Interrupted`, which std's helpers such as
/// `read_to_end` would retry forever).
///
/// # Examples
///
/// ```
/// use corolab::green::{self, TcpStream};
/// use std::time::Duration;
///
/// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let addr = listener.local_addr()?;
/// let sent = green::run(move || -> std::io::Result<usize> {
///     let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
///     stream.write_all(b"ping")?; // looks blocking; parks only this green thread
///     let (mut peer, _) = listener.accept()?;
///     let mut buf = [0u8; 4];
///     std::io::Read::read_exact(&mut peer, &mut buf)?;
///     Ok(buf.len())
/// })
/// .unwrap()?;
/// assert_eq!(sent, 4);
/// # std::io::Result::Ok(())
/// ```
pub struct TcpStream {
    stream: net::TcpStream,
    read_timeout: Cell<Option<Duration>>,
    write_timeout: Cell<Option<Duration>>,
}

impl TcpStream {
    /// Connects to each address `addr` resolves to in turn (like
    /// `std::net::TcpStream::connect`), waiting green. Resolving a host name
    /// blocks the thread; IP literals do not. The wait for the handshake is
    /// bounded by the kernel's SYN retries; use
    /// [`connect_timeout`](TcpStream::connect_timeout) for a tighter bound.
    ///
    /// # Examples
    ///
    /// ```
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let addr = listener.local_addr().unwrap();
    /// # corolab::green::run(move || -> std::io::Result<()> {
    /// use corolab::green::TcpStream;
    ///
    /// let stream = TcpStream::connect(("127.0.0.1", addr.port()))?; // waits green for the handshake
    /// assert_eq!(stream.peer_addr()?, addr);
    /// # Ok(())
    /// # }).unwrap().unwrap();
    /// ```
    pub fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let stream = wait_for(net::TcpStream::connect(addr)).map_err(CannotWait::into_io)??;
        Ok(TcpStream::from_async(stream))
    }

    /// Connects to one address, giving up with `TimedOut` after `timeout`.
    ///
    /// # Examples
    ///
    /// ```
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let addr = listener.local_addr().unwrap();
    /// # corolab::green::run(move || -> std::io::Result<()> {
    /// use corolab::green::TcpStream;
    /// use std::time::Duration;
    ///
    /// let _stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    /// let zero = TcpStream::connect_timeout(&addr, Duration::ZERO).unwrap_err();
    /// assert_eq!(zero.kind(), std::io::ErrorKind::InvalidInput); // as in std
    /// # Ok(())
    /// # }).unwrap().unwrap();
    /// ```
    pub fn connect_timeout(addr: &SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        check_timeout(Some(timeout))?;
        let attempt = crate::time::timeout(timeout, net::TcpStream::connect_addr(*addr));
        match wait_for(attempt).map_err(CannotWait::into_io)? {
            Ok(stream) => Ok(TcpStream::from_async(stream?)),
            Err(_elapsed) => Err(io::Error::new(io::ErrorKind::TimedOut, "green connect timed out")),
        }
    }

    /// Wraps an async [`net::TcpStream`] (same socket, same reactor).
    ///
    /// # Examples
    ///
    /// ```
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let addr = listener.local_addr().unwrap();
    /// # corolab::green::run(move || -> std::io::Result<()> {
    /// let std_stream = std::net::TcpStream::connect(addr)?;
    /// let async_stream = corolab::net::TcpStream::from_std(std_stream)?; // registered with epoll
    /// let stream = corolab::green::TcpStream::from_async(async_stream);
    /// assert_eq!(stream.peer_addr()?, addr);
    /// # Ok(())
    /// # }).unwrap().unwrap();
    /// ```
    pub fn from_async(stream: net::TcpStream) -> TcpStream {
        TcpStream {
            stream,
            read_timeout: Cell::new(None),
            write_timeout: Cell::new(None),
        }
    }

    /// Gives back the async stream, for use with `.await`.
    ///
    /// # Examples
    ///
    /// ```
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let addr = listener.local_addr().unwrap();
    /// # corolab::green::run(move || -> std::io::Result<()> {
    /// let stream = corolab::green::TcpStream::connect(addr)?;
    /// let back: corolab::net::TcpStream = stream.into_async(); // the same socket, for `.await`
    /// assert_eq!(back.peer_addr()?, addr);
    /// # Ok(())
    /// # }).unwrap().unwrap();
    /// ```
    pub fn into_async(self) -> net::TcpStream {
        self.stream
    }

    /// Reads some bytes; `Ok(0)` is end of file. Switches to the hub while
    /// nothing has arrived.
    ///
    /// # Examples
    ///
    /// ```
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let addr = listener.local_addr().unwrap();
    /// # corolab::green::run(move || -> std::io::Result<()> {
    /// use std::io::Write;
    ///
    /// let stream = corolab::green::TcpStream::connect(addr)?;
    /// listener.accept()?.0.write_all(b"pong")?; // the peer, a plain std socket
    /// let mut buf = [0u8; 8];
    /// let n = stream.read(&mut buf)?; // parks this green thread until bytes arrive
    /// assert_eq!(&buf[..n], b"pong");
    /// # Ok(())
    /// # }).unwrap().unwrap();
    /// ```
    pub fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        wait_io(self.read_timeout.get(), |cx| self.stream.poll_read(cx, buf))
    }

    /// Writes some bytes, returning how many the kernel took. Switches to the
    /// hub while the send buffer is full.
    ///
    /// # Examples
    ///
    /// ```
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let addr = listener.local_addr().unwrap();
    /// # corolab::green::run(move || -> std::io::Result<()> {
    /// let stream = corolab::green::TcpStream::connect(addr)?;
    /// assert_eq!(stream.write(b"ping")?, 4); // an empty send buffer takes all of it
    /// # Ok(())
    /// # }).unwrap().unwrap();
    /// ```
    pub fn write(&self, buf: &[u8]) -> io::Result<usize> {
        wait_io(self.write_timeout.get(), |cx| self.stream.poll_write(cx, buf))
    }

    /// Writes all of `buf`.
    ///
    /// # Examples
    ///
    /// ```
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// # let addr = listener.local_addr()?;
    /// # let reader = std::thread::spawn(move || -> std::io::Result<usize> {
    /// #     std::io::Read::read_to_end(&mut listener.accept()?.0, &mut Vec::new()) // the peer
    /// # });
    /// # corolab::green::run(move || -> std::io::Result<()> {
    /// let stream = corolab::green::TcpStream::connect(addr)?;
    /// stream.write_all(&[7; 1 << 20])?; // 1 MiB: parks whenever the send buffer is full
    /// # Ok(())
    /// # })
    /// # .unwrap()?;
    /// assert_eq!(reader.join().unwrap()?, 1 << 20);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf)? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }

    /// Reads until end of file, appending to `out`; returns the bytes read.
    ///
    /// # Examples
    ///
    /// ```
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let addr = listener.local_addr().unwrap();
    /// # corolab::green::run(move || -> std::io::Result<()> {
    /// use std::io::Write;
    ///
    /// let stream = corolab::green::TcpStream::connect(addr)?;
    /// listener.accept()?.0.write_all(b"all of it")?; // then the peer closes
    /// let mut all = Vec::new();
    /// assert_eq!(stream.read_to_end(&mut all)?, 9);
    /// # Ok(())
    /// # }).unwrap().unwrap();
    /// ```
    pub fn read_to_end(&self, out: &mut Vec<u8>) -> io::Result<usize> {
        let start = out.len();
        let mut chunk = [0u8; 8192];
        loop {
            match self.read(&mut chunk)? {
                0 => return Ok(out.len() - start),
                n => out.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Bounds each `read` (`None`: wait forever). A zero duration is
    /// rejected, as in `std`.
    ///
    /// # Examples
    ///
    /// ```
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let addr = listener.local_addr().unwrap();
    /// # corolab::green::run(move || -> std::io::Result<()> {
    /// use std::time::Duration;
    ///
    /// let stream = corolab::green::TcpStream::connect(addr)?; // the peer never writes
    /// stream.set_read_timeout(Some(Duration::from_millis(20)))?;
    /// let silence = stream.read(&mut [0u8; 8]).unwrap_err();
    /// assert_eq!(silence.kind(), std::io::ErrorKind::TimedOut);
    /// assert!(stream.set_read_timeout(Some(Duration::ZERO)).is_err()); // as in std
    /// # Ok(())
    /// # }).unwrap().unwrap();
    /// ```
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        check_timeout(timeout)?;
        self.read_timeout.set(timeout);
        Ok(())
    }

    /// Bounds each `write` (`None`: wait forever).
    ///
    /// # Examples
    ///
    /// ```
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let addr = listener.local_addr().unwrap();
    /// # corolab::green::run(move || -> std::io::Result<()> {
    /// use std::time::Duration;
    ///
    /// let stream = corolab::green::TcpStream::connect(addr)?; // the peer never reads
    /// stream.set_write_timeout(Some(Duration::from_millis(20)))?;
    /// let full = stream.write_all(&vec![0; 64 << 20]).unwrap_err(); // more than the buffers hold
    /// assert_eq!(full.kind(), std::io::ErrorKind::TimedOut);
    /// # Ok(())
    /// # }).unwrap().unwrap();
    /// ```
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        check_timeout(timeout)?;
        self.write_timeout.set(timeout);
        Ok(())
    }

    /// Shuts down the read side, the write side (sends FIN) or both.
    ///
    /// # Examples
    ///
    /// ```
    /// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// # let addr = listener.local_addr().unwrap();
    /// # corolab::green::run(move || -> std::io::Result<()> {
    /// let stream = corolab::green::TcpStream::connect(addr)?;
    /// stream.shutdown(std::net::Shutdown::Write)?; // sends FIN
    /// let (mut peer, _) = listener.accept()?;
    /// assert_eq!(std::io::Read::read(&mut peer, &mut [0u8; 8])?, 0); // end of file
    /// # Ok(())
    /// # }).unwrap().unwrap();
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.stream.shutdown(how)
    }

    /// Turns Nagle's algorithm off (`true`) or on.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::green::{self, TcpStream};
    ///
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// green::run(move || -> std::io::Result<()> {
    ///     let stream = TcpStream::connect(addr)?;
    ///     stream.set_nodelay(true)?; // small writes leave at once
    ///     Ok(())
    /// })
    /// .unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.stream.set_nodelay(nodelay)
    }

    /// The remote address.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::green::{self, TcpStream};
    ///
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// green::run(move || -> std::io::Result<()> {
    ///     let stream = TcpStream::connect(addr)?;
    ///     assert_eq!(stream.peer_addr()?, addr);
    ///     Ok(())
    /// })
    /// .unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream.peer_addr()
    }

    /// The local address.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::green::{self, TcpStream};
    ///
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// green::run(move || -> std::io::Result<()> {
    ///     let stream = TcpStream::connect(addr)?;
    ///     let (peer, _) = listener.accept()?;
    ///     assert_eq!(stream.local_addr()?, peer.peer_addr()?);
    ///     Ok(())
    /// })
    /// .unwrap()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.local_addr()
    }
}

impl Read for TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        TcpStream::read(self, buf)
    }
}

impl Read for &TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        TcpStream::read(self, buf)
    }
}

impl Write for TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        TcpStream::write(self, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(()) // no user-space buffer: every write goes straight to the kernel
    }
}

impl Write for &TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        TcpStream::write(self, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("green::TcpStream")
            .field("stream", &self.stream)
            .field("read_timeout", &self.read_timeout.get())
            .field("write_timeout", &self.write_timeout.get())
            .finish()
    }
}
