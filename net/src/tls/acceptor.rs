//! `TlsAcceptor`: the server side of a TLS handshake.

use std::io;
use std::sync::Arc;

use rustls::{ServerConfig, ServerConnection};

use super::TlsStream;
use crate::tcp::TcpStream;

/// Turns accepted [`TcpStream`]s into server-side [`TlsStream`]s with a
/// shared rustls `ServerConfig`. Cheap to clone.
#[derive(Clone)]
pub struct TlsAcceptor {
    config: Arc<ServerConfig>,
}

impl TlsAcceptor {
    /// An acceptor using `config` for every connection.
    pub fn new(config: Arc<ServerConfig>) -> TlsAcceptor {
        TlsAcceptor { config }
    }

    /// The config it uses.
    pub fn config(&self) -> &Arc<ServerConfig> {
        &self.config
    }

    /// Runs the server handshake on `stream`. Blocks the current greenlet
    /// until the handshake completes or fails; other greenlets run
    /// meanwhile. The stream's read and write timeouts bound each socket
    /// read and write of the handshake.
    ///
    /// # Errors
    ///
    /// `TimedOut` if the socket's timeout passes, `UnexpectedEof` if the
    /// peer closes mid-handshake, `InvalidData` for a TLS protocol error
    /// (rustls' error is the inner error), or other socket errors.
    pub fn accept(&self, stream: TcpStream) -> io::Result<TlsStream<ServerConnection>> {
        let conn = ServerConnection::new(Arc::clone(&self.config)).map_err(io::Error::other)?;
        TlsStream::handshake(conn, stream)
    }
}

impl From<Arc<ServerConfig>> for TlsAcceptor {
    fn from(config: Arc<ServerConfig>) -> TlsAcceptor {
        TlsAcceptor::new(config)
    }
}

impl std::fmt::Debug for TlsAcceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsAcceptor").finish_non_exhaustive()
    }
}
