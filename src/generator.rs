//! Stackless generators (Python-style yield/send/close). Work in progress.
