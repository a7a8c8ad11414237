//! `TlsConnector`: the client side of a TLS handshake.

use std::io;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection};

use super::TlsStream;
use crate::tcp::TcpStream;

/// Turns connected [`TcpStream`]s into client-side [`TlsStream`]s with a
/// shared rustls `ClientConfig`. Cheap to clone.
#[derive(Clone)]
pub struct TlsConnector {
    config: Arc<ClientConfig>,
}

impl TlsConnector {
    /// A connector using `config` for every connection.
    pub fn new(config: Arc<ClientConfig>) -> TlsConnector {
        TlsConnector { config }
    }

    /// The config it uses.
    pub fn config(&self) -> &Arc<ClientConfig> {
        &self.config
    }

    /// Runs the client handshake on `stream`, verifying that the server's
    /// certificate is valid for `server_name` (a DNS name or an IP
    /// address, which is also sent as SNI when it is a name). Blocks the
    /// current greenlet until the handshake completes or fails; other
    /// greenlets run meanwhile. The stream's read and write timeouts bound
    /// each socket read and write of the handshake.
    ///
    /// # Errors
    ///
    /// `InvalidInput` if `server_name` is neither a DNS name nor an IP
    /// address, `TimedOut` if the socket's timeout passes,
    /// `UnexpectedEof` if the peer closes mid-handshake, `InvalidData` for
    /// a TLS protocol or certificate error (rustls' error is the inner
    /// error), or other socket errors.
    pub fn connect(
        &self,
        server_name: &str,
        stream: TcpStream,
    ) -> io::Result<TlsStream<ClientConnection>> {
        let name = ServerName::try_from(server_name.to_owned())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let conn =
            ClientConnection::new(Arc::clone(&self.config), name).map_err(io::Error::other)?;
        TlsStream::handshake(conn, stream)
    }
}

impl From<Arc<ClientConfig>> for TlsConnector {
    fn from(config: Arc<ClientConfig>) -> TlsConnector {
        TlsConnector::new(config)
    }
}

impl std::fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConnector").finish_non_exhaustive()
    }
}
