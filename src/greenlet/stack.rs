//! A greenlet's private stack: one `mmap`ed region whose lowest page is a
//! `PROT_NONE` guard page.
//!
//! ```text
//!   high addresses
//!   +------------------------------+ <- top()  (page aligned, so 16-byte aligned)
//!   |  usable stack, grows down    |    PROT_READ | PROT_WRITE
//!   |  (pages are only backed by   |
//!   |   RAM once they are touched) |
//!   +------------------------------+ <- base + page_size
//!   |  guard page                  |    PROT_NONE: any access -> SIGSEGV
//!   +------------------------------+ <- base   (what mmap returned)
//!   low addresses
//! ```
//!
//! A recursion that runs off the bottom of the usable part touches the guard
//! page and the kernel sends SIGSEGV, instead of letting it silently overwrite
//! whatever memory lies below (`overflow.rs` then names the greenlet and
//! aborts). Rust inserts stack probes for big
//! frames, so even a frame larger than a page touches the guard page first.
//!
//! In the debugger: `info proc mappings` lists each stack as an anonymous
//! mapping; the guard page is the `---p` line just below it.

use std::io;
use std::ptr::NonNull;

/// One mapped stack. Dropping it unmaps the memory, so the owner must only
/// drop it when no frame on it will ever run again (see `Inner::drop` in
/// `handle.rs`).
pub(crate) struct Stack {
    /// Lowest address of the mapping: the start of the guard page.
    base: NonNull<u8>,
    /// Length of the whole mapping, guard page included.
    len: usize,
    /// The size of one page (the guard page).
    page: usize,
}

/// The size of a memory page, asked from the kernel.
pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf only reads a system constant; it has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if page <= 0 { 4096 } else { page as usize }
}

/// The smallest stack `Stack::new` maps, and so the smallest size
/// `Greenlet::with_stack_size` accepts (64 KiB).
///
/// Why this much: a panic runs the panic hook on the panicking greenlet's
/// own stack, and with `RUST_BACKTRACE=1` (or `full`) the hook symbolizes a
/// backtrace there. On x86_64 Linux that took about 22 KiB in a debug build
/// (16 KiB segfaulted), so 64 KiB leaves about three times that, plus room
/// for the greenlet's own frames. A test panics with a full backtrace on a
/// stack of exactly this size, in a child process.
///
/// # Examples
///
/// ```
/// use corolab::greenlet::{Greenlet, MIN_STACK_SIZE};
///
/// let g = Greenlet::with_stack_size(MIN_STACK_SIZE, |()| "small stack")?;
/// assert_eq!(g.switch::<(), &str>(()), "small stack");
/// assert!(Greenlet::with_stack_size(MIN_STACK_SIZE / 2, |()| ()).is_err()); // below the floor
/// # std::io::Result::Ok(())
/// ```
pub const MIN_STACK_SIZE: usize = 64 * 1024;

impl Stack {
    /// Maps `usable` bytes (rounded up to whole pages) plus one guard page.
    ///
    /// Every `Stack` has at least [`MIN_STACK_SIZE`] usable bytes: callers
    /// (`init_stack`) rely on that to write the first frame below `top()`.
    ///
    /// # Errors
    /// `InvalidInput` if `usable` is below [`MIN_STACK_SIZE`], or so large
    /// that rounding it up to whole pages and adding the guard page
    /// overflows `usize`; the `mmap`/`mprotect` error if the kernel refuses.
    pub(crate) fn new(usable: usize) -> io::Result<Stack> {
        if usable < MIN_STACK_SIZE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("greenlet stack size {usable} is below the minimum {MIN_STACK_SIZE}"),
            ));
        }
        let page = page_size();
        // Checked: `usize::MAX` rounded up to a page would wrap to 0 and
        // leave only the guard page (the first frame would land in it).
        let len = usable
            .checked_next_multiple_of(page)
            .and_then(|rounded| rounded.checked_add(page))
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "greenlet stack size {usable} is too large: rounding it up to whole pages overflows"
                    ),
                )
            })?;
        // SAFETY: an anonymous private mapping with a null hint asks the kernel
        // for fresh zeroed pages at an address of its choice; no existing
        // memory is affected. MAP_NORESERVE: do not reserve swap for pages
        // that are never touched. MAP_STACK is only a hint on Linux.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_STACK,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `ptr` is the start of the mapping we just created and the
        // first `page` bytes lie inside it; nothing else uses them yet.
        let rc = unsafe { libc::mprotect(ptr, page, libc::PROT_NONE) };
        if rc != 0 {
            let err = io::Error::last_os_error();
            // SAFETY: unmapping exactly the region mmap returned above, which
            // nobody else knows about.
            unsafe { libc::munmap(ptr, len) };
            return Err(err);
        }
        let base = NonNull::new(ptr.cast::<u8>()).expect("mmap returned a non-null address");
        let stack = Stack { base, len, page };
        assert!(
            stack.usable_size() >= MIN_STACK_SIZE,
            "a Stack has at least MIN_STACK_SIZE usable bytes"
        );
        Ok(stack)
    }

    /// One past the highest usable byte: where the first push lands below.
    pub(crate) fn top(&self) -> *mut u8 {
        // wrapping_add: plain address arithmetic, stays inside the mapping end.
        self.base.as_ptr().wrapping_add(self.len)
    }

    /// The guard page's addresses: `(first byte, one past the last byte)`.
    pub(crate) fn guard_range(&self) -> (usize, usize) {
        let start = self.base.as_ptr() as usize;
        (start, start + self.page)
    }

    /// Usable bytes (the guard page not counted).
    pub(crate) fn usable_size(&self) -> usize {
        self.len - self.page
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: `base`/`len` describe exactly the mapping made in `new`, and
        // the owner only drops a Stack when no greenlet frame on it can run
        // again, so no live reference points into it.
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.len) };
    }
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack")
            .field("guard", &self.base)
            .field("top", &self.top())
            .field("usable", &self.usable_size())
            .finish()
    }
}
