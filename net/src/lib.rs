//! Cooperative, `std::net`-shaped sockets for [sprout](https://example.invalid/sprout).
//!
//! Every type here has the name, methods and signatures of its `std`
//! counterpart, so switching `use std::net::TcpStream` to
//! `use sprout::net::TcpStream` is the whole migration. The difference is
//! what happens when a call would block: instead of blocking the OS thread,
//! the calling greenlet is parked on the hub and other greenlets run until
//! the socket is ready.
//!
//! ```
//! use std::io::{Read, Write};
//! use sprout_net::{TcpListener, TcpStream};
//!
//! # fn main() -> std::io::Result<()> {
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let addr = listener.local_addr()?;
//! // An uppercase echo server: one greenlet per connection.
//! sprout_runtime::spawn(move || {
//!     for conn in listener.incoming() {
//!         let mut conn = conn.unwrap();
//!         sprout_runtime::spawn(move || {
//!             let mut buf = [0; 1024];
//!             while let Ok(n @ 1..) = conn.read(&mut buf) {
//!                 conn.write_all(&buf[..n].to_ascii_uppercase()).unwrap();
//!             }
//!         });
//!     }
//! });
//! let clients: Vec<_> = (0..10)
//!     .map(|i| {
//!         sprout_runtime::spawn(move || -> std::io::Result<String> {
//!             let mut stream = TcpStream::connect(addr)?;
//!             stream.write_all(format!("hello {i}").as_bytes())?;
//!             let mut reply = vec![0; 7];
//!             stream.read_exact(&mut reply)?;
//!             Ok(String::from_utf8(reply).unwrap())
//!         })
//!     })
//!     .collect();
//! for (i, c) in clients.into_iter().enumerate() {
//!     assert_eq!(c.join().unwrap()?, format!("HELLO {i}"));
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # How a call blocks
//!
//! Each socket is non-blocking and registered once, edge-triggered, with
//! its thread's hub. A call tries the system call first and parks only when
//! the OS answers `WouldBlock`; readiness wakes it to retry. Socket
//! timeouts (`set_read_timeout`, ...) bound each call and report
//! `io::ErrorKind::TimedOut`.
//!
//! Several greenlets blocked on the same direction of one socket are all
//! woken by each readiness event, in the order they started waiting, and
//! each retries; those that find nothing wait again.
//!
//! # Names and threads
//!
//! Host names in addresses are resolved with `getaddrinfo` on the thread
//! pool ([`ToSocketAddrs`], [`lookup_host`]), never on the hub. Sockets are
//! not `Send`: each belongs to its thread's hub. `from_std`/`into_std`
//! convert to and from the std types (also as `TryFrom`).
//!
//! # Servers
//!
//! [`StreamServer`] accepts connections and runs a handler greenlet per
//! connection; [`StreamServer::workers`] runs one server per OS thread on a
//! shared port.
//!
//! # Cargo features
//!
//! - `tls`: the `tls` module, TLS streams over [`TcpStream`] with rustls
//!   (gevent's `ssl`).

#![forbid(unsafe_code)]
#![warn(missing_docs, clippy::print_stdout, clippy::print_stderr)]
#![doc(test(attr(deny(warnings))))]

mod addr;
mod io_source;
mod notify;
mod server;
mod tcp;
#[cfg(feature = "tls")]
pub mod tls;
mod udp;
pub mod unix;

pub use addr::{LookupHost, ToSocketAddrs, lookup_host};
pub use server::{StreamServer, Workers, WorkersStopper};
pub use tcp::{Incoming, TcpListener, TcpStream};
pub use udp::UdpSocket;

/// std's plain address and option types, re-exported so that replacing
/// `std::net` with `sprout::net` in a `use` line is the whole migration.
pub use std::net::{
    AddrParseError, IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, SocketAddrV4, SocketAddrV6,
};
pub use unix::{UnixDatagram, UnixListener, UnixStream};
