//! `TcpStream`: a cooperative `std::net::TcpStream`.

use std::fmt;
use std::io;
use std::net::{self, Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};

use crate::addr::{ToSocketAddrs, each_addr};
use crate::io_source::{IoSource, would_block};

/// A TCP stream between a local and a remote socket, like
/// `std::net::TcpStream`, whose blocking calls suspend only the calling
/// greenlet.
///
/// Every method has std's name, arguments and result; a call that would
/// block parks the greenlet on the hub until the socket is ready. The
/// stream is closed when dropped.
///
/// ```
/// use std::io::{Read, Write};
/// use sprout_net::{TcpListener, TcpStream};
///
/// # fn main() -> std::io::Result<()> {
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let addr = listener.local_addr()?;
/// let server = sprout_runtime::spawn(move || -> std::io::Result<()> {
///     let (mut conn, _) = listener.accept()?;
///     let mut buf = [0; 5];
///     conn.read_exact(&mut buf)?;
///     conn.write_all(&buf.to_ascii_uppercase())
/// });
/// let mut stream = TcpStream::connect(addr)?;
/// stream.write_all(b"hello")?;
/// let mut reply = [0; 5];
/// stream.read_exact(&mut reply)?;
/// assert_eq!(&reply, b"HELLO");
/// server.join().unwrap()?;
/// # Ok(())
/// # }
/// ```
///
/// # Several greenlets on one stream
///
/// `&TcpStream` implements `Read` and `Write`, so one greenlet can read
/// while another writes. When several greenlets wait on the *same*
/// direction, each readiness event wakes all of them in the order they
/// started waiting (FIFO) and each retries its call; the ones that find no
/// data (or no buffer space) wait again. Their reads therefore interleave
/// in arbitrary chunks: give each direction one greenlet when the byte
/// stream has a structure.
///
/// # Timeouts
///
/// [`set_read_timeout`](Self::set_read_timeout) and
/// [`set_write_timeout`](Self::set_write_timeout) bound each call. A call
/// that runs out of time fails with `io::ErrorKind::TimedOut` (std leaves
/// the kind to the platform: `WouldBlock` on Unix). The timeouts belong to
/// this handle: a [`try_clone`](Self::try_clone) copies them but then keeps
/// its own.
///
/// # Errors from the peer
///
/// A peer that resets the connection, a half-closed connection and writing
/// to a closed peer are ordinary `io::Error`s (`ConnectionReset`,
/// `BrokenPipe`) or end-of-file reads (`Ok(0)`), never a signal: writes use
/// `MSG_NOSIGNAL`, so `SIGPIPE` is never raised whatever its disposition.
///
/// # Threads
///
/// A stream is registered with the hub of the thread that created it, so
/// it is not `Send`. To move a connection to another thread, convert it
/// with [`into_std`](Self::into_std) and back with
/// [`from_std`](Self::from_std) there:
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<sprout_net::TcpStream>();
/// ```
pub struct TcpStream {
    source: IoSource<net::TcpStream>,
}

impl TcpStream {
    /// Opens a TCP connection to a remote host, trying each address of
    /// `addr` in turn until one succeeds (std's behaviour). Host names are
    /// resolved on the thread pool. Blocks the current greenlet until the
    /// connection is established or has failed; other greenlets run
    /// meanwhile.
    ///
    /// # Errors
    ///
    /// The error of the last address tried (for example
    /// `ConnectionRefused`), or `InvalidInput` if `addr` yields no address.
    pub fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        each_addr(addr, |a| TcpStream::connect_deadline(a, None))
    }

    /// Opens a TCP connection to `addr`, giving up after `timeout`. Blocks
    /// the current greenlet until the connection is established, has failed
    /// or timed out; other greenlets run meanwhile.
    ///
    /// # Errors
    ///
    /// `TimedOut` when the timeout passes, `InvalidInput` for a zero
    /// timeout (as std), or the connection's error.
    pub fn connect_timeout(addr: &SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        if timeout.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot set a 0 duration timeout",
            ));
        }
        TcpStream::connect_deadline(addr, Some(Instant::now() + timeout))
    }

    fn connect_deadline(addr: &SocketAddr, deadline: Option<Instant>) -> io::Result<TcpStream> {
        let socket = Socket::new(
            Domain::for_address(*addr),
            Type::STREAM.nonblocking().cloexec(),
            Some(Protocol::TCP),
        )?;
        let in_progress = match socket.connect(&(*addr).into()) {
            Ok(()) => false,
            Err(e) if would_block(&e) => true,
            Err(e) => return Err(e),
        };
        let stream = TcpStream::from_nonblocking(net::TcpStream::from(socket))?;
        if in_progress {
            let reg = stream.source.registration();
            loop {
                // The registration starts out "ready"; only the event of the
                // finished handshake counts.
                reg.clear_writable();
                reg.wait_writable(deadline)?;
                if let Some(e) = stream.take_error()? {
                    return Err(e);
                }
                match stream.peer_addr() {
                    Ok(_) => break,
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => continue,
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(stream)
    }

    /// Wraps a std stream that is already in non-blocking mode.
    pub(crate) fn from_nonblocking(stream: net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            source: IoSource::new(stream)?,
        })
    }

    /// Makes a std stream cooperative: switches it to non-blocking mode and
    /// registers it with this thread's hub (tokio's `from_std`).
    ///
    /// # Errors
    ///
    /// If the socket cannot be made non-blocking or registered.
    pub fn from_std(stream: net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_nonblocking(stream)
    }

    /// Turns this stream back into a blocking std stream, deregistered from
    /// the hub, for example to move it to another thread.
    ///
    /// # Errors
    ///
    /// If blocking mode cannot be restored.
    pub fn into_std(self) -> io::Result<net::TcpStream> {
        let stream = self.source.into_inner();
        stream.set_nonblocking(false)?;
        Ok(stream)
    }

    /// The remote address this stream is connected to.
    ///
    /// # Errors
    ///
    /// `NotConnected` if the connection is gone.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().peer_addr()
    }

    /// The local address of this end of the connection.
    ///
    /// # Errors
    ///
    /// As `getsockname`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// Shuts down the read half, the write half or both. Greenlets blocked
    /// on this connection (through a clone) wake: reads return `Ok(0)`,
    /// writes fail with `BrokenPipe`. Never blocks.
    ///
    /// # Errors
    ///
    /// `NotConnected` if the connection is gone.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.source.get_ref().shutdown(how)
    }

    /// Creates a new handle to the same connection (a duplicated fd,
    /// registered on its own). The clone starts with this handle's
    /// timeouts.
    ///
    /// # Errors
    ///
    /// If the fd cannot be duplicated or registered.
    pub fn try_clone(&self) -> io::Result<TcpStream> {
        let clone = TcpStream::from_nonblocking(self.source.get_ref().try_clone()?)?;
        self.source.copy_settings_to(&clone.source);
        Ok(clone)
    }

    /// Sets the read timeout: a read that waits longer fails with
    /// `TimedOut`. `None` waits forever.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for `Some(Duration::ZERO)`, as std.
    pub fn set_read_timeout(&self, dur: Option<Duration>) -> io::Result<()> {
        self.source.set_read_timeout(dur)
    }

    /// Sets the write timeout: a write that waits longer fails with
    /// `TimedOut`. `None` waits forever.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for `Some(Duration::ZERO)`, as std.
    pub fn set_write_timeout(&self, dur: Option<Duration>) -> io::Result<()> {
        self.source.set_write_timeout(dur)
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

    /// Receives data without removing it from the queue. Blocks the current
    /// greenlet until data (or end of file) is there; other greenlets run
    /// meanwhile.
    ///
    /// # Errors
    ///
    /// `TimedOut` after the read timeout; the connection's error.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.source.read_with(|s| s.peek(buf))
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm).
    ///
    /// # Errors
    ///
    /// As `setsockopt`.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.source.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Errors
    ///
    /// As `getsockopt`.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.source.get_ref().nodelay()
    }

    /// Sets `SO_LINGER`: `Some(Duration::ZERO)` makes closing the stream
    /// reset the connection.
    ///
    /// # Errors
    ///
    /// As `setsockopt`.
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        self.source.sock().set_linger(linger)
    }

    /// The `SO_LINGER` setting.
    ///
    /// # Errors
    ///
    /// As `getsockopt`.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        self.source.sock().linger()
    }

    /// Sets the IP time-to-live of outgoing packets.
    ///
    /// # Errors
    ///
    /// As `setsockopt`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.source.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live of outgoing packets.
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

    /// With `true`, calls that would block return `WouldBlock` at once
    /// instead of suspending the greenlet (the socket itself always stays
    /// non-blocking). Never blocks.
    ///
    /// # Errors
    ///
    /// Never; `io::Result` for std's signature.
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        self.source.set_nonblocking(nonblocking);
        Ok(())
    }
}

crate::io_source::impl_stream_io!(TcpStream);

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("TcpStream");
        if let Ok(addr) = self.local_addr() {
            d.field("addr", &addr);
        }
        if let Ok(peer) = self.peer_addr() {
            d.field("peer", &peer);
        }
        d.field("fd", &self.as_raw_fd()).finish()
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.source.get_ref().as_raw_fd()
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source.get_ref().as_fd()
    }
}

impl TryFrom<net::TcpStream> for TcpStream {
    type Error = io::Error;

    /// As [`TcpStream::from_std`].
    fn try_from(stream: net::TcpStream) -> io::Result<TcpStream> {
        TcpStream::from_std(stream)
    }
}

impl TryFrom<TcpStream> for net::TcpStream {
    type Error = io::Error;

    /// As [`TcpStream::into_std`].
    fn try_from(stream: TcpStream) -> io::Result<net::TcpStream> {
        stream.into_std()
    }
}

impl From<TcpStream> for OwnedFd {
    /// Deregisters the stream and hands over its fd, still non-blocking.
    fn from(stream: TcpStream) -> OwnedFd {
        stream.source.into_inner().into()
    }
}
