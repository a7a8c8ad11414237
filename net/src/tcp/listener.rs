//! `TcpListener`: a cooperative `std::net::TcpListener`.

use std::fmt;
use std::io;
use std::net::{self, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use socket2::{Domain, Protocol, Socket, Type};

use super::TcpStream;
use crate::addr::{ToSocketAddrs, each_addr};
use crate::io_source::IoSource;

/// Length of the accept queue requested by [`TcpListener::bind`] (the
/// kernel caps it at `net.core.somaxconn`).
pub(crate) const BACKLOG: i32 = 4096;

/// A TCP socket server, listening for connections, like
/// `std::net::TcpListener`, whose `accept` suspends only the calling
/// greenlet.
///
/// ```
/// use sprout_net::{TcpListener, TcpStream};
///
/// # fn main() -> std::io::Result<()> {
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let addr = listener.local_addr()?;
/// let client = sprout_runtime::spawn(move || TcpStream::connect(addr));
/// let (conn, peer) = listener.accept()?;
/// let client = client.join().unwrap()?;
/// assert_eq!(peer, client.local_addr()?);
/// assert_eq!(conn.peer_addr()?, client.local_addr()?);
/// # Ok(())
/// # }
/// ```
///
/// Several greenlets may `accept` on one listener: each new connection
/// wakes all of them in FIFO order and one of them gets it; the others wait
/// again.
///
/// Like every sprout socket it belongs to the hub of its thread and is not
/// `Send`; [`into_std`](Self::into_std) and [`from_std`](Self::from_std)
/// move it between threads.
pub struct TcpListener {
    source: IoSource<mio::net::TcpListener>,
}

impl TcpListener {
    /// Creates a listener bound to `addr` (the first address of `addr` that
    /// works, std's behaviour), with `SO_REUSEADDR` set as std does on Unix.
    /// Bind to port 0 to have the OS pick a free port, then ask
    /// [`local_addr`](Self::local_addr). Host names are resolved on the
    /// thread pool, which blocks the current greenlet until the answer is
    /// there; other greenlets run meanwhile.
    ///
    /// # Errors
    ///
    /// `AddrInUse`, `AddrNotAvailable`, ... for the last address tried;
    /// `InvalidInput` if `addr` yields no address.
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        each_addr(addr, |a| TcpListener::bind_with(a, false))
    }

    /// Binds a listener to `addr`, optionally with `SO_REUSEPORT` (several
    /// listeners, one per hub, sharing one port: `StreamServer::workers`).
    pub(crate) fn bind_with(addr: &SocketAddr, reuse_port: bool) -> io::Result<TcpListener> {
        TcpListener::from_nonblocking(bind_std(addr, reuse_port)?)
    }

    fn from_nonblocking(listener: net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener {
            source: IoSource::new(mio::net::TcpListener::from_std(listener))?,
        })
    }

    /// Makes a std listener cooperative: switches it to non-blocking mode
    /// and registers it with this thread's hub.
    ///
    /// # Errors
    ///
    /// If the socket cannot be made non-blocking or registered.
    pub fn from_std(listener: net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        TcpListener::from_nonblocking(listener)
    }

    /// Turns this listener back into a blocking std listener, deregistered
    /// from the hub.
    ///
    /// # Errors
    ///
    /// If blocking mode cannot be restored.
    pub fn into_std(self) -> io::Result<net::TcpListener> {
        let listener = net::TcpListener::from(OwnedFd::from(self.source.into_inner()));
        listener.set_nonblocking(false)?;
        Ok(listener)
    }

    /// The local address this listener is bound to.
    ///
    /// # Errors
    ///
    /// As `getsockname`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// Creates a new handle to the same listening socket (a duplicated fd,
    /// registered on its own).
    ///
    /// # Errors
    ///
    /// If the fd cannot be duplicated or registered.
    pub fn try_clone(&self) -> io::Result<TcpListener> {
        let fd = self.source.get_ref().as_fd().try_clone_to_owned()?;
        let clone = TcpListener::from_nonblocking(net::TcpListener::from(fd))?;
        self.source.copy_settings_to(&clone.source);
        Ok(clone)
    }

    /// Accepts a new connection, returning the stream and the remote
    /// address. Blocks the current greenlet until a connection arrives;
    /// other greenlets run meanwhile.
    ///
    /// The new stream is non-blocking and registered from the start
    /// (`accept4` with `SOCK_NONBLOCK`, no extra system call).
    ///
    /// # Errors
    ///
    /// Whatever `accept4` reports, for example `EMFILE` when the process is
    /// out of file descriptors (the connection stays queued; retry later).
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) = self.source.read_with(|l| l.accept())?;
        let stream = net::TcpStream::from(OwnedFd::from(stream));
        Ok((TcpStream::from_nonblocking(stream)?, peer))
    }

    /// An endless iterator of incoming connections: `accept` in a loop,
    /// without the peer address. Each `next` blocks the current greenlet
    /// until a connection arrives; other greenlets run meanwhile.
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// Sets the IP time-to-live of packets from accepted sockets.
    ///
    /// # Errors
    ///
    /// As `setsockopt`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.source.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live setting.
    ///
    /// # Errors
    ///
    /// As `getsockopt`.
    pub fn ttl(&self) -> io::Result<u32> {
        self.source.get_ref().ttl()
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// # Errors
    ///
    /// As `getsockopt`.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.source.get_ref().take_error()
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
}

/// Binds a non-blocking std listener with std's options.
pub(crate) fn bind_std(addr: &SocketAddr, reuse_port: bool) -> io::Result<net::TcpListener> {
    let socket = Socket::new(
        Domain::for_address(*addr),
        Type::STREAM.nonblocking().cloexec(),
        Some(Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    if reuse_port {
        socket.set_reuse_port(true)?;
    }
    socket.bind(&(*addr).into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

/// An iterator over the connections of a [`TcpListener`], from
/// [`TcpListener::incoming`]. Never returns `None`.
#[derive(Debug)]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
}

impl Iterator for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    /// Blocks the current greenlet until a connection arrives; other
    /// greenlets run meanwhile.
    fn next(&mut self) -> Option<io::Result<TcpStream>> {
        Some(self.listener.accept().map(|(s, _)| s))
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("TcpListener");
        if let Ok(addr) = self.local_addr() {
            d.field("addr", &addr);
        }
        d.field("fd", &self.as_raw_fd()).finish()
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.source.get_ref().as_raw_fd()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source.get_ref().as_fd()
    }
}

impl TryFrom<net::TcpListener> for TcpListener {
    type Error = io::Error;

    /// As [`TcpListener::from_std`].
    fn try_from(listener: net::TcpListener) -> io::Result<TcpListener> {
        TcpListener::from_std(listener)
    }
}

impl TryFrom<TcpListener> for net::TcpListener {
    type Error = io::Error;

    /// As [`TcpListener::into_std`].
    fn try_from(listener: TcpListener) -> io::Result<net::TcpListener> {
        listener.into_std()
    }
}

impl From<TcpListener> for OwnedFd {
    /// Deregisters the listener and hands over its fd, still non-blocking.
    fn from(listener: TcpListener) -> OwnedFd {
        listener.source.into_inner().into()
    }
}
