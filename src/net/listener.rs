//! `TcpListener` and `resolve`: accepting connections, and names without blocking.
//!
//! **Concept.** A listening socket is readable when a finished handshake waits in its backlog;
//! `accept` drains them until `WouldBlock`. The OS resolver blocks, so `resolve` runs it on a
//! helper thread.
//!
//! **Where.** `TcpListener::bind` (socket2: `SO_REUSEADDR`, backlog), `TcpListener::accept`,
//! `resolve`.
//!
//! **In the debugger.** `break corolab::net::listener::TcpListener::accept`; the accepted
//! stream's `token()` is the one its reads show in the trace.

use super::tcp::TcpStream;
use crate::executor::{budget, spawn_blocking};
use crate::reactor::IoSource;
use crate::trace::Interest;
use socket2::{Domain, Socket, Type};
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::task::{Context, Poll, ready};

/// A listening TCP socket registered with the current runtime.
///
/// # Examples
///
/// ```
/// use corolab::net::{TcpListener, TcpStream};
///
/// corolab::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0")?;
///     let addr = listener.local_addr()?;
///     corolab::spawn(async move {
///         while let Ok((stream, _peer)) = listener.accept().await {
///             corolab::spawn(async move { stream.write_all(b"hi").await }); // one task each
///         }
///     });
///     let mut greeting = Vec::new();
///     TcpStream::connect(addr).await?.read_to_end(&mut greeting).await?;
///     assert_eq!(greeting, b"hi");
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub struct TcpListener {
    io: IoSource<mio::net::TcpListener>,
}

/// Backlog passed to `listen(2)`: how many finished handshakes may wait for `accept`.
const BACKLOG: i32 = 4096;

impl TcpListener {
    /// Binds to the first address of `addr` that works (`SO_REUSEADDR` on, so a restarted
    /// server can bind again at once). Port 0 picks a free port; see [`TcpListener::local_addr`].
    ///
    /// # Examples
    ///
    /// ```
    /// # corolab::block_on(async {
    /// use corolab::net::TcpListener;
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?; // port 0: any free port
    /// let taken = TcpListener::bind(listener.local_addr()?).unwrap_err();
    /// assert_eq!(taken.kind(), std::io::ErrorKind::AddrInUse);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// # corolab::block_on(async {
    /// # let listener = corolab::net::TcpListener::bind("127.0.0.1:0")?;
    /// let client = corolab::net::TcpStream::connect(listener.local_addr()?).await?;
    /// let (stream, peer) = listener.accept().await?; // parks until a handshake is done
    /// assert_eq!(peer, client.local_addr()?);
    /// assert_eq!(stream.peer_addr()?, peer);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// corolab::block_on(async {
    ///     let listener = corolab::net::TcpListener::bind("127.0.0.1:0")?;
    ///     assert_ne!(listener.local_addr()?.port(), 0); // the kernel picked a free port
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
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
///
/// # Examples
///
/// ```
/// corolab::block_on(async {
///     // The OS resolver blocks, so this runs it on a helper thread.
///     let addrs = corolab::net::resolve("localhost", 8080).await?;
///     assert!(addrs.iter().all(|a| a.port() == 8080));
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
pub async fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    let host = host.to_string();
    spawn_blocking(move || (host.as_str(), port).to_socket_addrs().map(|a| a.collect()))
        .await
        .map_err(io::Error::other)?
}
