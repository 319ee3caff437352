//! Stackless generators with Python's `yield` / `send` / `close`, on stable Rust.
//!
//! **Concept.** A Python generator is a function that can stop in the middle (`yield`),
//! hand a value out, and later continue where it stopped with a value handed
//! in (`send`). The seed's consumer is exactly that: `n = yield r`.
//!
//! An `async` block in Rust is the same kind of thing. The compiler turns it
//! into a state machine (an enum with one variant per `.await` point, holding
//! the locals alive there) that implements [`Future`].
//! Each call to `poll` runs it until the next `.await` that says
//! `Poll::Pending`, and it keeps its place for the next `poll`. No stack of its
//! own is needed, which is why this kind of coroutine is called *stackless*.
//!
//! So a generator needs no executor at all: [`Gen`] keeps the body's future,
//! and [`Co::yield_`] returns a future that parks the yielded value in a shared
//! slot and returns `Pending` once. `Gen::start`/`Gen::send` poll the body one
//! time (with a waker that does nothing) and pick the value out of the slot.
//! That is a direct handoff: the driver and the body take turns on one thread,
//! with no scheduler between them.
//!
//! ```
//! use corolab::generator::{Gen, GeneratorState};
//!
//! let mut consumer: Gen<&str, u32> = Gen::new(|co| async move {
//!     let mut r = "";
//!     loop {
//!         let n = co.yield_(r).await; // Python: n = yield r
//!         println!("consuming {n}");
//!         r = "200 OK";
//!     }
//! });
//! assert_eq!(consumer.start(), Ok(GeneratorState::Yielded(""))); // next(c)
//! assert_eq!(consumer.send(1), Ok(GeneratorState::Yielded("200 OK"))); // c.send(1)
//! consumer.close(); // c.close()
//! ```
//!
//! **Python to Rust.**
//!
//! | Python | corolab | Notes |
//! |---|---|---|
//! | `def g(): ... yield r` | `Gen::new(\|co\| async move { .. co.yield_(r).await .. })` | `Gen<Y, R, C>`: yields `Y`, receives `R`, returns `C` |
//! | `n = yield r` | `let n = co.yield_(r).await;` | |
//! | `next(g)` on a fresh generator, or `g.send(None)` | [`Gen::start`] | returns the first yielded value; never drops it |
//! | `g.send(v)` | [`Gen::send`] | `Ok(GeneratorState::Yielded(y))` |
//! | `next(g)`, `for x in g` | [`Iterator`] when `R = ()` | the return value is dropped |
//! | `g.send(v)` before starting: `TypeError` | `Err(GenError::NotStarted)` | the value is refused, not swallowed |
//! | `return v`, i.e. `StopIteration(v)` | `Ok(GeneratorState::Complete(v))` | |
//! | any call after the end: `StopIteration` | `Err(GenError::Finished)` | |
//! | `g.close()` | [`Gen::close`] | drops the body; its `Drop` impls run |
//! | `GeneratorExit` | no equivalent | the body is never resumed to clean up; `Drop` guards play the role of `finally`, so a body cannot yield while closing |
//! | `g.throw(exc)` | no equivalent | make the resume type carry it, e.g. `R = Result<T, E>`, and `match` after the `.await` |
//! | `yield from sub()` | `sub(&co).await` | `async fn sub(co: &Co<Y, R>) -> T`; sends go through to `sub`, its return value is the value of the expression |
//! | `ValueError: generator already executing` | cannot happen | `send` takes `&mut self` |
//! | `async def` awaiting I/O inside a generator | `Err(GenError::ForeignAwait)` | a `Gen` has no executor; use corolab tasks for I/O |
//! | async generator: `async def` with `yield`, `async for` | [`AsyncGen`], `poll_next` / `next().await` | body may await corolab I/O; nothing is sent back |
//!
//! `yield from` is just calling an `async fn` and awaiting it, because the
//! helper's `co.yield_` suspends the whole chain of `.await`s at once.
//! Helpers nest to any depth:
//!
//! ```
//! use corolab::generator::{Co, Gen};
//!
//! async fn count(co: &Co<u32>, from: u32, to: u32) -> u32 {
//!     for i in from..to {
//!         co.yield_(i).await;
//!     }
//!     to - from // the value of the `yield from` expression
//! }
//!
//! async fn two_ranges(co: &Co<u32>) -> u32 {
//!     count(co, 0, 2).await + count(co, 10, 12).await
//! }
//!
//! let numbers: Vec<u32> = Gen::new(|co| async move {
//!     let how_many = two_ranges(&co).await;
//!     co.yield_(how_many).await;
//! })
//! .collect();
//! assert_eq!(numbers, [0, 1, 10, 11, 4]);
//! ```
//!
//! Python's `throw` has no counterpart, but an enum or `Result` resume type
//! does the same job without exceptions:
//!
//! ```
//! use corolab::generator::{Gen, GeneratorState};
//!
//! let mut summer: Gen<i64, Result<i64, String>, String> = Gen::new(|co| async move {
//!     let mut total = 0;
//!     loop {
//!         match co.yield_(total).await {
//!             Ok(x) => total += x,
//!             Err(reason) => return format!("stopped at {total}: {reason}"),
//!         }
//!     }
//! });
//! summer.start().unwrap();
//! summer.send(Ok(5)).unwrap();
//! assert_eq!(
//!     summer.send(Err("bad input".into())),
//!     Ok(GeneratorState::Complete("stopped at 5: bad input".to_string()))
//! );
//! ```
//!
//! **Where.**
//!
//! - `src/generator/airlock.rs`: the shared slot (`Empty`, `Yielded(y)`,
//!   `Resumed(r)`) between the body and the driver.
//! - `src/generator/co.rs`: [`Co`] and the [`Yield`] future with its three
//!   states `HandOut` -> `WaitForResume` -> `Done`.
//! - `src/generator/driver.rs`: [`Gen`]; `start`, `send` and the `Iterator`
//!   impl all go through one private function, `Gen::run_until_suspended`.
//! - `src/generator/error.rs`: [`GeneratorState`] and [`GenError`].
//! - `src/generator/stream.rs`: [`AsyncGen`], the async-generator variant
//!   whose body may await corolab I/O: the same airlock and `Yield`, but
//!   polled with the executor's real waker through `poll_next`.
//!
//! **In the debugger.** Break in `Gen::run_until_suspended` (`driver.rs`) and in `Yield::poll`
//! (`co.rs`), then run the `producer_consumer` example under gdb or lldb.
//! Both are generic, so set the breakpoints by file and line
//! (`break driver.rs:LINE`) rather than by name. Step into `body.as_mut().poll(..)` and you are in the body's frame
//! (`{async_block#0}` in the backtrace): its "locals" are the fields of the
//! state machine, e.g. `co`, `r`, and `__awaitee`, the `Yield` future it is
//! parked in. In `Yield::poll` the value goes into the airlock and `Pending`
//! comes back; step out and the body has no stack frame left, everything it
//! needs lives in the boxed state machine. In gdb, `info types async_block_env`
//! lists that type and its variants: `Unresumed`, `Suspend0`, `Suspend1`, ...
//! (one per `.await`), `Returned`, `Panicked`. `body` itself prints only as a
//! `dyn Future` pointer, which is why the frame view is the useful one.
//!
//! Watch `self.stage` move `NotStarted` -> `Suspended` -> `Finished`, and the
//! airlock (`co.airlock.slot`) go `Empty` -> `Yielded` -> `Empty` -> `Resumed`
//! -> `Empty` on every round. On `close`, a breakpoint in a `Drop` impl of a
//! value the body holds shows `Gen::close` in the backtrace.

mod airlock;
mod co;
mod driver;
mod error;
mod stream;

pub use co::{Co, Yield};
pub use driver::Gen;
pub use error::{GenError, GeneratorState};
pub use stream::AsyncGen;
