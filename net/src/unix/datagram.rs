//! `UnixDatagram`: a cooperative `std::os::unix::net::UnixDatagram`.

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::net;
use std::path::Path;
use std::time::Duration;

use super::SocketAddr;
use crate::io_source::IoSource;

/// A Unix datagram socket, like `std::os::unix::net::UnixDatagram`, whose
/// blocking calls suspend only the calling greenlet.
///
/// ```
/// use sprout_net::UnixDatagram;
///
/// # fn main() -> std::io::Result<()> {
/// let (a, b) = UnixDatagram::pair()?;
/// a.send(b"ping")?;
/// let mut buf = [0; 8];
/// let n = b.recv(&mut buf)?;
/// assert_eq!(&buf[..n], b"ping");
/// # Ok(())
/// # }
/// ```
pub struct UnixDatagram {
    source: IoSource<net::UnixDatagram>,
}

impl UnixDatagram {
    /// Creates a socket bound to `path`.
    ///
    /// # Errors
    ///
    /// `AddrInUse` if the path exists, and the errors of `bind`.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(net::UnixDatagram::bind(path)?)
    }

    /// Creates a socket not bound to any address.
    ///
    /// # Errors
    ///
    /// As `socket`.
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(net::UnixDatagram::unbound()?)
    }

    /// Creates an unnamed pair of connected sockets.
    ///
    /// # Errors
    ///
    /// As `socketpair`.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?))
    }

    /// Makes a std socket cooperative: switches it to non-blocking mode and
    /// registers it with this thread's hub.
    ///
    /// # Errors
    ///
    /// If the socket cannot be made non-blocking or registered.
    pub fn from_std(socket: net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        Ok(UnixDatagram {
            source: IoSource::new(socket)?,
        })
    }

    /// Turns this socket back into a blocking std socket, deregistered from
    /// the hub.
    ///
    /// # Errors
    ///
    /// If blocking mode cannot be restored.
    pub fn into_std(self) -> io::Result<net::UnixDatagram> {
        let socket = self.source.into_inner();
        socket.set_nonblocking(false)?;
        Ok(socket)
    }

    /// Connects the socket to `path`: [`send`](Self::send) goes there.
    ///
    /// # Errors
    ///
    /// As `connect`.
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        self.source.get_ref().connect(path)
    }

    /// Creates a new handle to the same socket (a duplicated fd, registered
    /// on its own), starting with this handle's timeouts.
    ///
    /// # Errors
    ///
    /// If the fd cannot be duplicated or registered.
    pub fn try_clone(&self) -> io::Result<UnixDatagram> {
        let clone = UnixDatagram {
            source: IoSource::new(self.source.get_ref().try_clone()?)?,
        };
        self.source.copy_settings_to(&clone.source);
        Ok(clone)
    }

    /// The local address of this socket.
    ///
    /// # Errors
    ///
    /// As `getsockname`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// The address of the connected peer.
    ///
    /// # Errors
    ///
    /// `NotConnected` without [`connect`](Self::connect).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().peer_addr()
    }

    /// Receives one datagram and its sender. Blocks the current greenlet
    /// until one arrives; other greenlets run meanwhile.
    ///
    /// # Errors
    ///
    /// `TimedOut` after the read timeout; the socket's error.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.source.read_with(|s| s.recv_from(buf))
    }

    /// Receives one datagram. Blocks the current greenlet until one arrives;
    /// other greenlets run meanwhile.
    ///
    /// # Errors
    ///
    /// `TimedOut` after the read timeout; the socket's error.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.source.read_with(|s| s.recv(buf))
    }

    /// Sends `buf` to the socket at `path`. Blocks the current greenlet
    /// while the receiver's queue is full; other greenlets run meanwhile.
    ///
    /// # Errors
    ///
    /// `TimedOut` after the write timeout; the socket's error.
    pub fn send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        let path = path.as_ref();
        self.source.write_with(|s| s.send_to(buf, path))
    }

    /// Sends `buf` to the connected peer. Blocks the current greenlet while
    /// the receiver's queue is full; other greenlets run meanwhile.
    ///
    /// # Errors
    ///
    /// `TimedOut` after the write timeout; `NotConnected` without
    /// [`connect`](Self::connect).
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.source.write_with(|s| s.send(buf))
    }

    /// Sets the read timeout (`TimedOut` when exceeded); `None` waits
    /// forever.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for `Some(Duration::ZERO)`, as std.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.source.set_read_timeout(timeout)
    }

    /// Sets the write timeout (`TimedOut` when exceeded); `None` waits
    /// forever.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for `Some(Duration::ZERO)`, as std.
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.source.set_write_timeout(timeout)
    }

    /// The read timeout.
    ///
    /// # Errors
    ///
    /// Never; `io::Result` for std's signature.
    pub fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.source.read_timeout())
    }

    /// The write timeout.
    ///
    /// # Errors
    ///
    /// Never; `io::Result` for std's signature.
    pub fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.source.write_timeout())
    }

    /// With `true`, calls that would block return `WouldBlock` at once
    /// instead of suspending the greenlet.
    ///
    /// # Errors
    ///
    /// Never; `io::Result` for std's signature.
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        self.source.set_nonblocking(nonblocking);
        Ok(())
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// # Errors
    ///
    /// As `getsockopt`.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.source.get_ref().take_error()
    }

    /// Shuts down the read half, the write half or both. Never blocks.
    ///
    /// # Errors
    ///
    /// As `shutdown`.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.source.get_ref().shutdown(how)
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("fd", &self.as_raw_fd())
            .field("local", &self.local_addr().ok())
            .finish()
    }
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.source.get_ref().as_raw_fd()
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source.get_ref().as_fd()
    }
}

impl TryFrom<net::UnixDatagram> for UnixDatagram {
    type Error = io::Error;

    /// As [`UnixDatagram::from_std`].
    fn try_from(socket: net::UnixDatagram) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(socket)
    }
}

impl TryFrom<UnixDatagram> for net::UnixDatagram {
    type Error = io::Error;

    /// As [`UnixDatagram::into_std`].
    fn try_from(socket: UnixDatagram) -> io::Result<net::UnixDatagram> {
        socket.into_std()
    }
}

impl From<UnixDatagram> for OwnedFd {
    /// Deregisters the socket and hands over its fd, still non-blocking.
    fn from(socket: UnixDatagram) -> OwnedFd {
        socket.source.into_inner().into()
    }
}
