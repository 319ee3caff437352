//! # corolab: a coroutine runtime you can read
//!
//! corolab rebuilds, from the bottom, the ideas behind Python's asyncio, aiohttp, generators
//! and gevent: a single-threaded executor, an epoll reactor (through mio) with timers,
//! non-blocking TCP, channels, a small HTTP/1.1 client, stackless generators and stackful
//! greenlets, plus a trace that shows every poll, wake and epoll wait.
//!
//! ```
//! use std::time::{Duration, Instant};
//!
//! let start = Instant::now();
//! corolab::block_on(async {
//!     // Five tasks sleeping 2 s each would take 10 s one after another; here they overlap.
//!     let handles: Vec<_> = (0..5)
//!         .map(|i| corolab::spawn(async move {
//!             corolab::time::sleep(Duration::from_millis(20)).await;
//!             i
//!         }))
//!         .collect();
//!     for (i, handle) in handles.into_iter().enumerate() {
//!         assert_eq!(handle.await.unwrap(), i);
//!     }
//! });
//! assert!(start.elapsed() < Duration::from_millis(100));
//! ```
//!
//! Layers (a lower layer never imports a higher one): [`executor`] (tasks, run queue,
//! `JoinHandle`), [`reactor`] (mio + timers; wakers only), [`runtime`] (the loop and the
//! thread-local context), [`time`], [`net`], [`sync`], [`future`], then [`http`], and beside
//! them [`generator`] and [`greenlet`] (with `green`, gevent-style green threads on the same
//! reactor, on Linux x86_64/aarch64). [`trace`] is the event log all of them report into.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod executor;
pub mod future;
pub mod generator;
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
pub mod green;
pub mod greenlet;
pub mod http;
pub mod net;
pub mod reactor;
pub mod runtime;
mod slab;
pub mod sync;
pub mod time;
pub mod trace;

pub use executor::{JoinError, JoinHandle, spawn, spawn_blocking, spawn_named, yield_now};
pub use runtime::{Runtime, block_on};

/// Tasks and their handles (the same items as [`executor`], under the name tokio users expect).
pub mod task {
    pub use crate::executor::{JoinError, JoinHandle, TaskId, spawn, spawn_blocking, spawn_named, yield_now};
}

/// Compiles the Rust snippets of the docs that are written as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/seed-examples.md")]
pub struct SeedExamplesDoctests;
