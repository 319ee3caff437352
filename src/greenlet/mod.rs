//! Stackful coroutines: greenlets, each with its own stack and registers.
//!
//! **Concept.** The seeds define a coroutine as "a user-space thread with its own register
//! context and stack: on a switch the registers and stack are saved elsewhere,
//! and restored when switching back". Rust's `async fn` does not work that way
//! (it is *stackless*: the compiler turns the function into a state machine
//! that returns to its caller at every `.await`). A greenlet is the other kind,
//! *stackful*: it gets a real stack of its own, so it can stop in the middle of
//! ten nested ordinary function calls and later continue exactly there.
//!
//! Python's `greenlet` module names the operations, and we keep its names:
//! [`Greenlet::new`] creates one (nothing runs yet), [`Greenlet::switch`]
//! suspends the running greenlet and runs another, passing a value across;
//! the pending `switch` of the suspended one returns whatever is passed when
//! someone switches back. When a greenlet's function returns, its value goes
//! to its *parent* (the greenlet that created it); a panic goes there too.
//! Dropping the last handle to a suspended greenlet unwinds its stack, so all
//! destructors run (Python's `GreenletExit`).
//!
//! ```
//! use corolab::greenlet::Greenlet;
//!
//! let consumer = Greenlet::new(|first: u32| {
//!     let main = Greenlet::current().parent().unwrap();
//!     let mut total = first;
//!     loop {
//!         // Suspend here; `main.switch` returns the next value sent to us.
//!         let next: Option<u32> = main.switch(total);
//!         match next {
//!             Some(n) => total += n,
//!             None => return total * 100,
//!         }
//!     }
//! });
//! let running: u32 = consumer.switch(1_u32);
//! assert_eq!(running, 1);
//! let running: u32 = consumer.switch(Some(2_u32));
//! assert_eq!(running, 3);
//! let last: u32 = consumer.switch(None::<u32>);
//! assert_eq!(last, 300);
//! assert!(consumer.is_dead());
//! ```
//!
//! Values cross a switch as `Box<dyn Any>` and are downcast on arrival, as
//! untyped as in Python but checked: the wrong type is a clear panic from
//! [`Greenlet::switch`] or a [`SwitchError`] from [`Greenlet::try_switch`],
//! never undefined behaviour.
//!
//! **Where.**
//!
//! - `arch_x86_64.rs` / `arch_aarch64.rs`: `greenlet_switch`, the context
//!   switch, a naked function of about twenty instructions: push the
//!   callee-saved registers on the old stack, store the stack pointer, load
//!   the new one, pop the new greenlet's registers, `ret`. Also
//!   `greenlet_start` (the first instruction of a new greenlet) and
//!   `init_stack` (the fake saved registers a new stack starts with).
//! - `stack.rs`: stacks from `mmap`, with a `PROT_NONE` guard page, so a stack
//!   overflow is a fault, never silent corruption.
//! - `overflow.rs`: the SIGSEGV/SIGBUS handler (on an alternate signal stack)
//!   that recognises a greenlet's guard page, prints "greenlet N has
//!   overflowed its stack of S bytes" with the fix ([`Greenlet::with_stack_size`])
//!   and aborts, as std does for threads; any other fault goes to the handler
//!   that was there before.
//! - `handle.rs`: the [`Greenlet`] handle and its state (`Inner`: life-cycle
//!   `State`, parent link, stack).
//! - `switch.rs`: the per-thread "who is running" bookkeeping, `switch_to`
//!   (`hand_over`, the assembly, `receive`) and `greenlet_entry` (catches
//!   panics with `catch_unwind` so no unwind ever crosses the assembly frames,
//!   then hands the result to the parent); the exit protocol (`kill`).
//!
//! This module is the only place in corolab where `unsafe` is allowed; every
//! `unsafe` block says why it is sound in a `// SAFETY:` comment.
//!
//! **In the debugger.**
//!
//! ```text
//! (gdb) break corolab_greenlet_switch  # the asm has a plain symbol name
//! (gdb) run
//! (gdb) bt                     # Greenlet::switch -> switch_to -> corolab_greenlet_switch
//! (gdb) stepi 9                # the six pushes, `sub rsp, 8`, stmxcsr, fnstcw
//! (gdb) x/8gx $rsp             # MXCSR+CW, r15, r14, r13, r12, rbx, rbp, return address
//! (gdb) stepi 2                # `mov rsp, rsi`: rsp jumps to another mapping
//! (gdb) info proc mappings     # ... the greenlet's stack; the ---p line below is its guard page
//! (gdb) break corolab::greenlet::switch::greenlet_entry
//! (gdb) continue
//! (gdb) bt                     # inside a greenlet: your frames, greenlet_entry, greenlet_start, end
//! ```
//!
//! A backtrace inside a greenlet ends at `greenlet_start`: its unwind info
//! says "no caller" (`.cfi_undefined rip`), which is also what stops a
//! `RUST_BACKTRACE=1` panic backtrace from walking off the top of the stack.
//!
//! **How many.** Each greenlet is two kernel memory mappings (its stack and
//! its guard page), and Linux caps mappings per process at `vm.max_map_count`
//! (65,530 by default; `cat /proc/sys/vm/max_map_count` shows it), so about
//! 32,700 greenlets can be alive at once (32,747 measured on the development
//! machine, by the test `live_greenlets_stop_near_half_of_max_map_count_with_an_out_of_memory_error`): past that, [`Greenlet::with_stack_size`]
//! returns an `OutOfMemory` error and [`Greenlet::new`] panics with it. To go
//! higher, raise the limit as root: `sysctl -w vm.max_map_count=262144` (about
//! 130,000 greenlets; put `vm.max_map_count = 262144` in `/etc/sysctl.d/` to keep
//! it after a reboot). Stackless tasks have no such limit.
//!
//! **Targets.** Linux on x86_64 and aarch64. On every other target this module only
//! contains [`SUPPORTED`]` == false`: the rest of corolab builds and works
//! unchanged, and code that names [`Greenlet`] fails to compile there.
#![allow(unsafe_code)]
#![warn(clippy::undocumented_unsafe_blocks)]

/// Whether greenlets exist on this target (Linux on x86_64 or aarch64).
///
/// # Examples
///
/// ```
/// if corolab::greenlet::SUPPORTED {
///     // `Greenlet`, `green::spawn` and the generators built on them are here
/// }
/// ```
pub const SUPPORTED: bool = cfg!(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
));

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[path = "arch_x86_64.rs"]
mod arch;

#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
#[path = "arch_aarch64.rs"]
mod arch;

#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
mod error;
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
mod handle;
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
mod overflow;
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
mod stack;
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
mod switch;

#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
pub use error::SwitchError;
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
pub use handle::{DEFAULT_STACK_SIZE, Greenlet};
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
pub use stack::MIN_STACK_SIZE;
