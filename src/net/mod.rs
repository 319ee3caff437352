//! Non-blocking TCP sockets that suspend the task instead of the thread.
//!
//! **Concept.** A non-blocking socket answers `WouldBlock` instead of making the thread wait.
//! corolab turns that answer into `Poll::Pending`: the task hands its waker to the reactor and
//! yields; when epoll reports the socket ready, the task is woken and the operation is retried.
//! Connecting works the same way: start a non-blocking `connect`, wait until the socket is
//! *writable*, then ask the kernel (`SO_ERROR`, `take_error`) whether it worked: a closed port
//! answers `ConnectionRefused` at once. A read of `Ok(0)` means the peer closed (EOF).
//!
//! **Where.** [`TcpStream`] (`tcp.rs`, options in `options.rs`) and [`TcpListener`]
//! (`listener.rs`) wrap mio sockets in an `IoSource`, whose
//! `poll_io` is the "try until `WouldBlock`, then wait" loop. Options that mio does not offer
//! (`SO_LINGER`, `SO_REUSEADDR`, the listen backlog) go through socket2.
//!
//! **In the debugger.** `break corolab::net::tcp::TcpStream::poll_read` (gdb wants the
//! full module path); `print self.io.key` gives the
//! token to look for in the trace (`fd N readable -> wake task M -> poll task M`).
//!
//! Host names: `connect("example.com:80")` resolves through the OS resolver, which **blocks the
//! thread** (and so every task) while it runs. IP literals never block. For names, resolve with
//! [`resolve`] (runs on a helper thread) and pass the addresses to [`TcpStream::connect_addr`].

mod listener;
mod options;
mod tcp;

pub use crate::reactor::WrongRuntime;
pub use listener::{TcpListener, resolve};
pub use tcp::TcpStream;
