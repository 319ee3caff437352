//! Socket options and getters of `TcpStream`.
//!
//! **Concept.** Options the kernel keeps per socket (`TCP_NODELAY`, `SO_LINGER`) and the names
//! a trace or a pool needs (addresses, fd, reactor token, owning runtime). None of them waits.
//!
//! **Where.** One `impl TcpStream` block; `set_linger` goes through socket2 because mio does
//! not offer it.
//!
//! **In the debugger.** Stopped in any of these, `print self.io.key` equals `token()`; `raw_fd()` is the `fd N` in
//! `strace -e epoll_ctl` output.

use super::tcp::TcpStream;
use socket2::SockRef;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

impl TcpStream {
    /// Turns Nagle's algorithm off (`true`) or on.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::net::{TcpListener, TcpStream};
    ///
    /// corolab::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     stream.set_nodelay(true)?; // small writes go out at once
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// `SO_LINGER`: `Some(Duration::ZERO)` makes close send a reset (RST) instead of FIN.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::net::{TcpListener, TcpStream};
    ///
    /// corolab::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     stream.set_linger(Some(std::time::Duration::ZERO))?; // drop sends RST
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        SockRef::from(self.io.get_ref()).set_linger(linger)
    }

    /// The remote address.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::net::{TcpListener, TcpStream};
    ///
    /// corolab::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The local address.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::net::{TcpListener, TcpStream};
    ///
    /// corolab::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     assert_eq!(stream.local_addr()?, server.peer_addr()?);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The file descriptor (as shown in traces).
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::net::{TcpListener, TcpStream};
    ///
    /// corolab::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert!(stream.raw_fd() >= 0); // the `fd N` in trace lines
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }

    /// Whether this stream is registered with the runtime running on this thread now. A
    /// stream belongs to the runtime that created it; the HTTP pool uses this to never hand a
    /// connection to another runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::net::{TcpListener, TcpStream};
    ///
    /// corolab::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert!(stream.belongs_to_current_runtime());
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn belongs_to_current_runtime(&self) -> bool {
        self.io.belongs_to_current_reactor()
    }

    /// The id of the runtime this stream is registered with (see `Runtime::id`).
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::net::{TcpListener, TcpStream};
    ///
    /// corolab::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     assert_eq!(stream.runtime_id(), server.runtime_id()); // one runtime
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn runtime_id(&self) -> u64 {
        self.io.reactor_id()
    }

    /// The reactor token of this socket (as shown in traces).
    ///
    /// # Examples
    ///
    /// ```
    /// use corolab::net::{TcpListener, TcpStream};
    ///
    /// corolab::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     assert_ne!(stream.token(), server.token()); // one token per socket
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
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
