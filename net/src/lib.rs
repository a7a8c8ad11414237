//! Cooperative, `std::net`-shaped sockets for sprout.

#![forbid(unsafe_code)]
#![warn(missing_docs, clippy::print_stdout, clippy::print_stderr)]
