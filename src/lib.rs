//! corolab: a hand-rolled coroutine runtime for learning (skeleton; the runtime core lands next).
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod generator;
pub mod greenlet;
pub mod http;
