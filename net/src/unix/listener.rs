//! `UnixListener`: a cooperative `std::os::unix::net::UnixListener`.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::net;
use std::path::Path;

use super::{SocketAddr, UnixStream};
use crate::io_source::IoSource;

/// A Unix stream socket server, like `std::os::unix::net::UnixListener`,
/// whose `accept` suspends only the calling greenlet.
///
/// ```
/// use std::io::{Read, Write};
/// use sprout_net::{UnixListener, UnixStream};
///
/// # fn main() -> std::io::Result<()> {
/// let dir = std::env::temp_dir().join(format!("sprout-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("listener.sock");
/// let _ = std::fs::remove_file(&path);
/// let listener = UnixListener::bind(&path)?;
/// let client_path = path.clone();
/// let client = sprout_runtime::spawn(move || -> std::io::Result<()> {
///     UnixStream::connect(client_path)?.write_all(b"hi")
/// });
/// let (mut conn, _) = listener.accept()?;
/// let mut buf = String::new();
/// conn.read_to_string(&mut buf)?;
/// assert_eq!(buf, "hi");
/// client.join().unwrap()?;
/// std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// ```
///
/// The socket file is not removed when the listener is dropped (std does
/// not either).
pub struct UnixListener {
    source: IoSource<mio::net::UnixListener>,
}

impl UnixListener {
    /// Creates a listener bound to `path`.
    ///
    /// # Errors
    ///
    /// `AddrInUse` if the path exists, and the errors of `bind`.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        UnixListener::from_nonblocking(mio::net::UnixListener::bind(path)?)
    }

    fn from_nonblocking(listener: mio::net::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener {
            source: IoSource::new(listener)?,
        })
    }

    /// Makes a std listener cooperative: switches it to non-blocking mode
    /// and registers it with this thread's hub.
    ///
    /// # Errors
    ///
    /// If the socket cannot be made non-blocking or registered.
    pub fn from_std(listener: net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        UnixListener::from_nonblocking(mio::net::UnixListener::from_std(listener))
    }

    /// Turns this listener back into a blocking std listener, deregistered
    /// from the hub.
    ///
    /// # Errors
    ///
    /// If blocking mode cannot be restored.
    pub fn into_std(self) -> io::Result<net::UnixListener> {
        let listener = net::UnixListener::from(OwnedFd::from(self.source.into_inner()));
        listener.set_nonblocking(false)?;
        Ok(listener)
    }

    /// Accepts a new connection. Blocks the current greenlet until one
    /// arrives; other greenlets run meanwhile.
    ///
    /// # Errors
    ///
    /// Whatever `accept4` reports (`EMFILE`, ...).
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (stream, addr) = self.source.read_with(|l| l.accept())?;
        let stream = net::UnixStream::from(OwnedFd::from(stream));
        Ok((UnixStream::from_nonblocking(stream)?, addr))
    }

    /// Creates a new handle to the same socket (a duplicated fd, registered
    /// on its own).
    ///
    /// # Errors
    ///
    /// If the fd cannot be duplicated or registered.
    pub fn try_clone(&self) -> io::Result<UnixListener> {
        let fd = self.source.get_ref().as_fd().try_clone_to_owned()?;
        UnixListener::from_nonblocking(mio::net::UnixListener::from_std(net::UnixListener::from(
            fd,
        )))
    }

    /// The local address of this listener.
    ///
    /// # Errors
    ///
    /// As `getsockname`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// With `true`, `accept` returns `WouldBlock` at once instead of
    /// suspending the greenlet when no connection is queued.
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

    /// An endless iterator of incoming connections. Each `next` blocks the
    /// current greenlet until a connection arrives; other greenlets run
    /// meanwhile.
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }
}

/// An iterator over the connections of a [`UnixListener`], from
/// [`UnixListener::incoming`]. Never returns `None`.
#[derive(Debug)]
pub struct Incoming<'a> {
    listener: &'a UnixListener,
}

impl Iterator for Incoming<'_> {
    type Item = io::Result<UnixStream>;

    /// Blocks the current greenlet until a connection arrives; other
    /// greenlets run meanwhile.
    fn next(&mut self) -> Option<io::Result<UnixStream>> {
        Some(self.listener.accept().map(|(s, _)| s))
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("fd", &self.as_raw_fd())
            .field("local", &self.local_addr().ok())
            .finish()
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.source.get_ref().as_raw_fd()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source.get_ref().as_fd()
    }
}

impl TryFrom<net::UnixListener> for UnixListener {
    type Error = io::Error;

    /// As [`UnixListener::from_std`].
    fn try_from(listener: net::UnixListener) -> io::Result<UnixListener> {
        UnixListener::from_std(listener)
    }
}

impl TryFrom<UnixListener> for net::UnixListener {
    type Error = io::Error;

    /// As [`UnixListener::into_std`].
    fn try_from(listener: UnixListener) -> io::Result<net::UnixListener> {
        listener.into_std()
    }
}

impl From<UnixListener> for OwnedFd {
    /// Deregisters the listener and hands over its fd, still non-blocking.
    fn from(listener: UnixListener) -> OwnedFd {
        listener.source.into_inner().into()
    }
}
