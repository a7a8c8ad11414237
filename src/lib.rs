//! sprout: gevent for Rust.
//!
//! Stackful green threads ("greenlets") on one event loop per OS thread,
//! with a net and time layer shaped like `std` that switches to the hub
//! instead of blocking. Depend on this crate only: `sprout::spawn`,
//! `sprout::sleep`, `sprout::net::TcpStream`, `sprout::queue::Queue`.
//!
//! ```
//! use std::io::{Read, Write};
//!
//! let listener = sprout::net::TcpListener::bind("127.0.0.1:0")?;
//! let addr = listener.local_addr()?;
//! let server = sprout::spawn(move || -> std::io::Result<()> {
//!     let (mut conn, _) = listener.accept()?;
//!     let mut buf = [0u8; 5];
//!     conn.read_exact(&mut buf)?;
//!     buf.make_ascii_uppercase();
//!     conn.write_all(&buf)
//! });
//! let mut client = sprout::net::TcpStream::connect(addr)?;
//! client.write_all(b"hello")?;
//! let mut reply = [0u8; 5];
//! client.read_exact(&mut reply)?;
//! assert_eq!(&reply, b"HELLO");
//! server.join().unwrap()?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! See the runtime's crate docs ([`sprout_runtime`]) for the model: the
//! hub, greenlets, kill and timeouts, and the rule that blocking calls
//! switch to the hub instead of blocking the OS thread.
//!
//! # Cargo features
//!
//! - `tls`: `sprout::net::tls`, TLS over sprout's `TcpStream` with rustls.
//! - `monkey`: `sprout::monkey`, libc interposition that makes unmodified
//!   blocking code (std, C libraries) cooperative inside greenlets.

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
