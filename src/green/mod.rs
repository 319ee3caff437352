//! gevent-lite: green threads (greenlets) scheduled by the corolab reactor.
//!
//! **Concept.** gevent = greenlet + an event loop + sockets that switch instead of block.
//! Each green thread is ordinary blocking-looking code on its own greenlet
//! stack. When it would block (a socket says `WouldBlock`, a sleep is not
//! over), it hands a waker to the reactor and switches to the *hub*; the hub
//! runs other green threads and async tasks until epoll or a timer says
//! "ready", then switches back. The seeds call this "whoever returns first is
//! handled first".
//!
//! Here the hub is not a separate loop: it is corolab's executor. Each green
//! thread is a task whose future (`GreenTask` in `hub.rs`) does one thing
//! when polled: switch into the greenlet. The greenlet runs until it parks
//! (the poll returns `Pending`) or finishes (`Ready`). So stackful green
//! threads and stackless `async` tasks share one run queue and one reactor,
//! and can wait on each other: async code `.await`s a [`JoinHandle`], a
//! green thread `.join()`s one.
//!
//! ```
//! use corolab::green;
//! use std::io::{Read, Write};
//!
//! corolab::block_on(async {
//!     // A stackless server...
//!     let listener = corolab::net::TcpListener::bind("127.0.0.1:0").unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     corolab::spawn(async move {
//!         let (conn, _) = listener.accept().await.unwrap();
//!         conn.write_all(b"hello from async").await.unwrap();
//!     });
//!     // ...and a stackful client, written as plain blocking code.
//!     let client = green::spawn(move || {
//!         let mut stream = green::TcpStream::connect(addr).unwrap();
//!         let mut text = String::new();
//!         stream.read_to_string(&mut text).unwrap();
//!         text
//!     });
//!     assert_eq!(client.await.unwrap(), "hello from async");
//! });
//! ```
//!
//! **Where.**
//!
//! - `hub.rs`: `GreenTask::poll` (switch in, record the waker and the hub in
//!   a thread-local `PollContext`), `park` (switch back to the hub),
//!   `park_until` (the one "poll with the task's waker, else park, repeat"
//!   loop every green wait runs), and the public [`sleep`].
//! - `join.rs`: the public [`spawn`], [`joinall`], [`run`], [`JoinHandle`].
//! - `tcp.rs`: [`TcpStream`], whose `wait_io` (in `wait_io.rs`) is the monkey-patched socket:
//!   one step calls `net::TcpStream::poll_read`/`poll_write` with the task's
//!   waker and polls a `Sleep` for the timeout; `park_until` repeats it.
//! - `http.rs`: [`http_get`] / [`http_send`], the HTTP client's sans-I/O
//!   core (`encode_request`, `ResponseReader`) driven by a green
//!   [`TcpStream`]: plain blocking-looking code, one connection per request.
//!
//! **In the debugger.** `break corolab::green::hub::park` stops each time a green thread gives
//! way; `bt` there shows the blocking-looking call (`TcpStream::read`) deep
//! in your code, on the greenlet's stack. `break corolab_greenlet_switch`
//! then shows the switch to the hub, and `finish` lands in `GreenTask::poll`
//! on the thread's stack, right before it returns `Pending` to the executor.
//! `COROLAB_TRACE=1` shows green threads as tasks named `green`.
//!
//! Cancelling a green thread (aborting its handle, or the runtime shutting
//! down) drops its task, and the task's `Drop` unwinds its stacks: first the
//! greenlet that parked, if the green thread was waiting inside a nested
//! greenlet of its own, then the green thread's greenlet, which drops any
//! greenlets in between. Destructors run, sockets close. While a stack is
//! being unwound it cannot wait any more: green calls there fail at once
//! (see `CannotWait` in `hub.rs`). A green thread must not be switched into
//! by hand with [`Greenlet::switch`](crate::greenlet::Greenlet::switch).

mod http;
mod hub;
mod join;
mod tcp;
mod wait_io;

pub use http::{HttpConfig, http_get, http_send};
pub use hub::{in_green_thread, sleep};
pub use join::{JoinHandle, joinall, run, spawn};
pub use tcp::TcpStream;

/// The code in the chapter `docs/09-stackful-coroutines.md` is compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/09-stackful-coroutines.md")]
struct ChapterDoctests;
