//! Tiny HTTP/1.1 client. Work in progress.
