//! Stackful coroutines (greenlets). Work in progress.
