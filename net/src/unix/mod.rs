//! Unix domain sockets: [`UnixListener`], [`UnixStream`] and
//! [`UnixDatagram`], like `std::os::unix::net`, whose blocking calls
//! suspend only the calling greenlet.

mod datagram;
mod listener;
mod stream;

pub use datagram::UnixDatagram;
pub use listener::{Incoming, UnixListener};
pub use stream::UnixStream;

/// The address type of Unix sockets (std's).
pub use std::os::unix::net::SocketAddr;
