//! sprout: gevent for Rust.
//!
//! Depend on this crate only: `sprout::spawn`, `sprout::sleep`,
//! `sprout::net::TcpStream`. See the runtime's crate docs for the model.

#![forbid(unsafe_code)]

pub use sprout_net as net;
pub use sprout_runtime::*;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
