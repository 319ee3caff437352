//! [`SwitchError`]: why a [`Greenlet::try_switch`](super::Greenlet::try_switch) failed.
//!
//! **Concept.** A switch hands an untyped value across stacks; the receiver names the type it
//! expects. A dead target or a value of another type is an error here, not a panic, and the
//! value that arrived is handed back so it is not lost.
//!
//! **Where.** The enum and its `Display`; `try_switch` in `handle.rs` builds it.
//!
//! **In the debugger.** `print e` on a `WrongType` shows `expected` and `found` type names.

use std::any::Any;
use std::fmt;

/// Why [`Greenlet::try_switch`](super::Greenlet::try_switch) failed.
///
/// # Examples
///
/// ```
/// use corolab::greenlet::{Greenlet, SwitchError};
/// let double = Greenlet::new(|x: u32| x * 2);
/// let Err(SwitchError::WrongType { expected, found, value }) = double.try_switch::<u32, String>(21)
/// else {
///     unreachable!()
/// };
/// assert!(expected.ends_with("String") && found == "u32"); // `print e` in gdb shows these
/// assert_eq!(value.downcast_ref::<u32>(), Some(&42)); // the value is handed back, not lost
/// ```
#[derive(Debug)]
pub enum SwitchError {
    /// The target greenlet has finished; it can never run again.
    Dead,
    /// The switch happened, but the value that came back is not of the type
    /// the caller asked for. The value is returned so it is not lost.
    WrongType {
        /// The type the caller expected (`R` in `try_switch::<T, R>`).
        expected: &'static str,
        /// The type of the value that actually arrived.
        found: &'static str,
        /// The value that arrived.
        value: Box<dyn Any>,
    },
}

impl fmt::Display for SwitchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SwitchError::Dead => write!(f, "cannot switch to a greenlet that has finished"),
            SwitchError::WrongType { expected, found, .. } => {
                write!(
                    f,
                    "greenlet switch: expected a value of type {expected}, got {found}"
                )
            }
        }
    }
}

impl std::error::Error for SwitchError {}
