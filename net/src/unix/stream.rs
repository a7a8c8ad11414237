//! `UnixStream`: a cooperative `std::os::unix::net::UnixStream`.

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::net;
use std::path::Path;
use std::time::Duration;

use socket2::{Domain, SockAddr, Socket, Type};

use super::SocketAddr;
use crate::io_source::{IoSource, would_block};

/// A Unix stream socket, like `std::os::unix::net::UnixStream`, whose
/// blocking calls suspend only the calling greenlet.
///
/// ```
/// use std::io::{Read, Write};
/// use sprout_net::UnixStream;
///
/// # fn main() -> std::io::Result<()> {
/// let (mut a, mut b) = UnixStream::pair()?;
/// a.write_all(b"hi")?;
/// let mut buf = [0; 2];
/// b.read_exact(&mut buf)?;
/// assert_eq!(&buf, b"hi");
/// # Ok(())
/// # }
/// ```
///
/// Concurrency, timeouts, peer errors and threads behave as for
/// [`TcpStream`](crate::TcpStream): see its documentation.
pub struct UnixStream {
    source: IoSource<net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path`. Blocks the current greenlet while
    /// the listener's queue is full; other greenlets run meanwhile.
    ///
    /// # Errors
    ///
    /// `NotFound`, `ConnectionRefused`, ... as `connect`.
    pub fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        let addr = SockAddr::unix(path)?;
        let mut backoff = Duration::from_millis(1);
        loop {
            let socket = Socket::new(Domain::UNIX, Type::STREAM.nonblocking().cloexec(), None)?;
            match socket.connect(&addr) {
                Ok(()) => {
                    return UnixStream::from_nonblocking(net::UnixStream::from(OwnedFd::from(
                        socket,
                    )));
                }
                // A Unix socket connects at once or reports a full accept
                // queue with EAGAIN; there is no readiness to wait for, so
                // retry with a short, growing sleep.
                Err(e) if would_block(&e) => {
                    sprout_runtime::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_millis(50));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Creates an unnamed pair of connected sockets.
    ///
    /// # Errors
    ///
    /// As `socketpair`.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = net::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    pub(crate) fn from_nonblocking(stream: net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            source: IoSource::new(stream)?,
        })
    }

    /// Makes a std stream cooperative: switches it to non-blocking mode and
    /// registers it with this thread's hub.
    ///
    /// # Errors
    ///
    /// If the socket cannot be made non-blocking or registered.
    pub fn from_std(stream: net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::from_nonblocking(stream)
    }

    /// Turns this stream back into a blocking std stream, deregistered from
    /// the hub.
    ///
    /// # Errors
    ///
    /// If blocking mode cannot be restored.
    pub fn into_std(self) -> io::Result<net::UnixStream> {
        let stream = self.source.into_inner();
        stream.set_nonblocking(false)?;
        Ok(stream)
    }

    /// Creates a new handle to the same socket (a duplicated fd, registered
    /// on its own), starting with this handle's timeouts.
    ///
    /// # Errors
    ///
    /// If the fd cannot be duplicated or registered.
    pub fn try_clone(&self) -> io::Result<UnixStream> {
        let clone = UnixStream::from_nonblocking(self.source.get_ref().try_clone()?)?;
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

    /// The address of the peer.
    ///
    /// # Errors
    ///
    /// As `getpeername`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().peer_addr()
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

    /// Shuts down the read half, the write half or both; greenlets blocked
    /// on the socket (through a clone) wake. Never blocks.
    ///
    /// # Errors
    ///
    /// As `shutdown`.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.source.get_ref().shutdown(how)
    }
}

crate::io_source::impl_stream_io!(UnixStream);

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("fd", &self.as_raw_fd())
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .finish()
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.source.get_ref().as_raw_fd()
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source.get_ref().as_fd()
    }
}

impl TryFrom<net::UnixStream> for UnixStream {
    type Error = io::Error;

    /// As [`UnixStream::from_std`].
    fn try_from(stream: net::UnixStream) -> io::Result<UnixStream> {
        UnixStream::from_std(stream)
    }
}

impl TryFrom<UnixStream> for net::UnixStream {
    type Error = io::Error;

    /// As [`UnixStream::into_std`].
    fn try_from(stream: UnixStream) -> io::Result<net::UnixStream> {
        stream.into_std()
    }
}

impl From<UnixStream> for OwnedFd {
    /// Deregisters the stream and hands over its fd, still non-blocking.
    fn from(stream: UnixStream) -> OwnedFd {
        stream.source.into_inner().into()
    }
}
