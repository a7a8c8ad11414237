//! `TlsStream`: a rustls connection bound to a sprout `TcpStream`.

use std::fmt;
use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::ops::DerefMut;

use rustls::{ConnectionCommon, SideData};

use crate::tcp::TcpStream;

/// A TLS session over a [`TcpStream`]: reads decrypt, writes encrypt
/// (rustls' `StreamOwned`, on a cooperative socket).
///
/// `C` is `rustls::ServerConnection` for streams from
/// [`TlsAcceptor`](super::TlsAcceptor) and `rustls::ClientConnection` for
/// streams from [`TlsConnector`](super::TlsConnector).
///
/// Reads and writes block the current greenlet until the socket is ready;
/// other greenlets run meanwhile. The socket's read and write timeouts
/// apply and report `TimedOut`. A peer that closes the connection without
/// a TLS `close_notify` makes a read fail with `UnexpectedEof` (a possible
/// truncation attack) rather than return 0.
pub struct TlsStream<C> {
    conn: C,
    sock: TcpStream,
}

impl<C, S> TlsStream<C>
where
    C: DerefMut<Target = ConnectionCommon<S>>,
    S: SideData,
{
    /// Runs the handshake of `conn` over `sock` to completion.
    pub(crate) fn handshake(conn: C, sock: TcpStream) -> io::Result<TlsStream<C>> {
        let mut stream = TlsStream { conn, sock };
        while stream.conn.is_handshaking() {
            stream.conn.complete_io(&mut stream.sock)?;
        }
        // TLS 1.2's last flight may still be queued.
        stream.flush_tls()?;
        Ok(stream)
    }

    /// The rustls connection (negotiated protocol, ALPN, peer
    /// certificates, ...).
    pub fn conn(&self) -> &C {
        &self.conn
    }

    /// The rustls connection, mutably.
    pub fn conn_mut(&mut self) -> &mut C {
        &mut self.conn
    }

    /// The underlying socket (for `peer_addr`, timeouts, ...). Reading or
    /// writing it directly corrupts the TLS session.
    pub fn get_ref(&self) -> &TcpStream {
        &self.sock
    }

    /// The underlying socket, mutably. Reading or writing it directly
    /// corrupts the TLS session.
    pub fn get_mut(&mut self) -> &mut TcpStream {
        &mut self.sock
    }

    /// Splits the stream into the rustls connection and the socket.
    pub fn into_parts(self) -> (C, TcpStream) {
        (self.conn, self.sock)
    }

    /// Sends a TLS `close_notify`, then shuts down the socket's write half
    /// (the peer reads end of stream). Reading remains possible. Blocks the
    /// current greenlet until the alert is written; other greenlets run
    /// meanwhile.
    ///
    /// # Errors
    ///
    /// Errors from writing to or shutting down the socket.
    pub fn shutdown(&mut self) -> io::Result<()> {
        self.conn.send_close_notify();
        self.flush_tls()?;
        self.sock.shutdown(Shutdown::Write)
    }

    fn flush_tls(&mut self) -> io::Result<()> {
        while self.conn.wants_write() {
            self.conn.write_tls(&mut self.sock)?;
        }
        Ok(())
    }

    fn stream(&mut self) -> rustls::Stream<'_, C, TcpStream> {
        rustls::Stream::new(&mut self.conn, &mut self.sock)
    }
}

impl<C, S> Read for TlsStream<C>
where
    C: DerefMut<Target = ConnectionCommon<S>>,
    S: SideData,
{
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream().read(buf)
    }
}

impl<C, S> Write for TlsStream<C>
where
    C: DerefMut<Target = ConnectionCommon<S>>,
    S: SideData,
{
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.stream().write(buf)?;
        // Send what was written now rather than on the next call, so a
        // request followed by a read is not left sitting in rustls.
        self.flush_tls()?;
        Ok(n)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let n = self.stream().write_vectored(bufs)?;
        self.flush_tls()?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream().flush()
    }
}

impl<C: fmt::Debug> fmt::Debug for TlsStream<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsStream")
            .field("conn", &self.conn)
            .field("sock", &self.sock)
            .finish()
    }
}
