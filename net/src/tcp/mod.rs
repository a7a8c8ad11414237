//! TCP: [`TcpListener`] and [`TcpStream`].

pub(crate) mod listener;
mod stream;

pub use listener::{Incoming, TcpListener};
pub use stream::TcpStream;
