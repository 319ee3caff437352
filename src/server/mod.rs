//! A tiny HTTP/1.1 server on corolab (order API, slow server, test servers). Work in progress.
