//! sprout: gevent for Rust.
//!
//! Depend on this crate only: `sprout::spawn`, `sprout::sleep`,
//! `sprout::net::TcpStream`. See the runtime's crate docs for the model.

#![forbid(unsafe_code)]

pub use sprout_net as net;
pub use sprout_runtime::*;

/// Monkey patching (feature `monkey`): libc's blocking calls become
/// cooperative inside greenlets, for std and C libraries alike. Enabling
/// the feature is all it takes: naming the crate here is what makes the
/// linker keep its hooks. Call [`monkey::verify`] once to be sure.
#[cfg(feature = "monkey")]
pub use sprout_monkey as monkey;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
