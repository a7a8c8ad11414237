//! `UdpSocket`: a cooperative `std::net::UdpSocket`.

use std::fmt;
use std::io;
use std::net::{self, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::Duration;

use crate::addr::{ToSocketAddrs, each_addr};
use crate::io_source::IoSource;

/// A UDP socket, like `std::net::UdpSocket`, whose blocking calls suspend
/// only the calling greenlet.
///
/// ```
/// use sprout_net::UdpSocket;
///
/// # fn main() -> std::io::Result<()> {
/// let a = UdpSocket::bind("127.0.0.1:0")?;
/// let b = UdpSocket::bind("127.0.0.1:0")?;
/// a.send_to(b"ping", b.local_addr()?)?;
/// let mut buf = [0; 16];
/// let (n, from) = b.recv_from(&mut buf)?;
/// assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
/// # Ok(())
/// # }
/// ```
///
/// Several greenlets may receive on one socket: each datagram wakes all
/// waiting receivers in FIFO order and the first to retry gets it.
/// Timeouts ([`set_read_timeout`](Self::set_read_timeout)) give
/// `io::ErrorKind::TimedOut`. Not `Send`: see
/// [`TcpStream`](crate::TcpStream#threads).
pub struct UdpSocket {
    source: IoSource<net::UdpSocket>,
}

impl UdpSocket {
    /// Creates a UDP socket bound to `addr` (the first address that works).
    /// Host names are resolved on the thread pool, which blocks the current
    /// greenlet until the answer is there; other greenlets run meanwhile.
    ///
    /// # Errors
    ///
    /// As `bind`; `InvalidInput` if `addr` yields no address.
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        each_addr(addr, |a| UdpSocket::from_std(net::UdpSocket::bind(a)?))
    }

    /// Makes a std socket cooperative: switches it to non-blocking mode and
    /// registers it with this thread's hub.
    ///
    /// # Errors
    ///
    /// If the socket cannot be made non-blocking or registered.
    pub fn from_std(socket: net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            source: IoSource::new(socket)?,
        })
    }

    /// Turns this socket back into a blocking std socket, deregistered from
    /// the hub.
    ///
    /// # Errors
    ///
    /// If blocking mode cannot be restored.
    pub fn into_std(self) -> io::Result<net::UdpSocket> {
        let socket = self.source.into_inner();
        socket.set_nonblocking(false)?;
        Ok(socket)
    }

    /// Receives one datagram, returning its length and sender. Blocks the
    /// current greenlet until a datagram arrives; other greenlets run
    /// meanwhile. A datagram longer than `buf` is truncated.
    ///
    /// # Errors
    ///
    /// `TimedOut` after the read timeout; the socket's error.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.source.read_with(|s| s.recv_from(buf))
    }

    /// Like [`recv_from`](Self::recv_from), but leaves the datagram queued.
    /// Blocks the current greenlet until a datagram arrives; other greenlets
    /// run meanwhile.
    ///
    /// # Errors
    ///
    /// As [`recv_from`](Self::recv_from).
    pub fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.source.read_with(|s| s.peek_from(buf))
    }

    /// Sends `buf` to `addr` (its first address, as std), returning the
    /// bytes sent. Blocks the current greenlet until the kernel takes the
    /// datagram; other greenlets run meanwhile.
    ///
    /// # Errors
    ///
    /// `TimedOut` after the write timeout; `InvalidInput` if `addr` yields
    /// no address; the socket's error.
    pub fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], addr: A) -> io::Result<usize> {
        match addr.to_socket_addrs()?.next() {
            Some(addr) => self.source.write_with(|s| s.send_to(buf, addr)),
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no addresses to send data to",
            )),
        }
    }

    /// The address of the connected peer.
    ///
    /// # Errors
    ///
    /// `NotConnected` if [`connect`](Self::connect) was not called.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().peer_addr()
    }

    /// The local address of the socket.
    ///
    /// # Errors
    ///
    /// As `getsockname`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// Creates a new handle to the same socket (a duplicated fd, registered
    /// on its own), starting with this handle's timeouts.
    ///
    /// # Errors
    ///
    /// If the fd cannot be duplicated or registered.
    pub fn try_clone(&self) -> io::Result<UdpSocket> {
        let clone = UdpSocket {
            source: IoSource::new(self.source.get_ref().try_clone()?)?,
        };
        self.source.copy_settings_to(&clone.source);
        Ok(clone)
    }

    /// Sets the read timeout: a receive that waits longer fails with
    /// `TimedOut`. `None` waits forever.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for `Some(Duration::ZERO)`, as std.
    pub fn set_read_timeout(&self, dur: Option<Duration>) -> io::Result<()> {
        self.source.set_read_timeout(dur)
    }

    /// Sets the write timeout: a send that waits longer fails with
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

    /// Sets `SO_BROADCAST`.
    ///
    /// # Errors
    ///
    /// As `setsockopt`.
    pub fn set_broadcast(&self, broadcast: bool) -> io::Result<()> {
        self.source.get_ref().set_broadcast(broadcast)
    }

    /// Whether `SO_BROADCAST` is set.
    ///
    /// # Errors
    ///
    /// As `getsockopt`.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.source.get_ref().broadcast()
    }

    /// Sets `IP_MULTICAST_LOOP`.
    ///
    /// # Errors
    ///
    /// As `setsockopt`.
    pub fn set_multicast_loop_v4(&self, multicast_loop_v4: bool) -> io::Result<()> {
        self.source
            .get_ref()
            .set_multicast_loop_v4(multicast_loop_v4)
    }

    /// Whether `IP_MULTICAST_LOOP` is set.
    ///
    /// # Errors
    ///
    /// As `getsockopt`.
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.source.get_ref().multicast_loop_v4()
    }

    /// Sets `IP_MULTICAST_TTL`.
    ///
    /// # Errors
    ///
    /// As `setsockopt`.
    pub fn set_multicast_ttl_v4(&self, multicast_ttl_v4: u32) -> io::Result<()> {
        self.source.get_ref().set_multicast_ttl_v4(multicast_ttl_v4)
    }

    /// The `IP_MULTICAST_TTL` setting.
    ///
    /// # Errors
    ///
    /// As `getsockopt`.
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.source.get_ref().multicast_ttl_v4()
    }

    /// Sets `IPV6_MULTICAST_LOOP`.
    ///
    /// # Errors
    ///
    /// As `setsockopt`.
    pub fn set_multicast_loop_v6(&self, multicast_loop_v6: bool) -> io::Result<()> {
        self.source
            .get_ref()
            .set_multicast_loop_v6(multicast_loop_v6)
    }

    /// Whether `IPV6_MULTICAST_LOOP` is set.
    ///
    /// # Errors
    ///
    /// As `getsockopt`.
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.source.get_ref().multicast_loop_v6()
    }

    /// Joins an IPv4 multicast group.
    ///
    /// # Errors
    ///
    /// As `setsockopt`.
    pub fn join_multicast_v4(&self, multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        self.source
            .get_ref()
            .join_multicast_v4(multiaddr, interface)
    }

    /// Joins an IPv6 multicast group.
    ///
    /// # Errors
    ///
    /// As `setsockopt`.
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.source
            .get_ref()
            .join_multicast_v6(multiaddr, interface)
    }

    /// Leaves an IPv4 multicast group.
    ///
    /// # Errors
    ///
    /// As `setsockopt`.
    pub fn leave_multicast_v4(&self, multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        self.source
            .get_ref()
            .leave_multicast_v4(multiaddr, interface)
    }

    /// Leaves an IPv6 multicast group.
    ///
    /// # Errors
    ///
    /// As `setsockopt`.
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.source
            .get_ref()
            .leave_multicast_v6(multiaddr, interface)
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

    /// Connects the socket to `addr` (the first address that works):
    /// [`send`](Self::send) goes there and [`recv`](Self::recv) takes only
    /// its datagrams. Host names are resolved on the thread pool, which
    /// blocks the current greenlet until the answer is there; other greenlets
    /// run meanwhile.
    ///
    /// # Errors
    ///
    /// As `connect`; `InvalidInput` if `addr` yields no address.
    pub fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        each_addr(addr, |a| self.source.get_ref().connect(a))
    }

    /// Sends `buf` to the connected peer. Blocks the current greenlet until
    /// the kernel takes the datagram; other greenlets run meanwhile.
    ///
    /// # Errors
    ///
    /// `TimedOut` after the write timeout; `NotConnected` without
    /// [`connect`](Self::connect); `ConnectionRefused` after the peer's ICMP
    /// port-unreachable.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.source.write_with(|s| s.send(buf))
    }

    /// Receives one datagram from the connected peer. Blocks the current
    /// greenlet until one arrives; other greenlets run meanwhile.
    ///
    /// # Errors
    ///
    /// `TimedOut` after the read timeout; `ConnectionRefused` after the
    /// peer's ICMP port-unreachable.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.source.read_with(|s| s.recv(buf))
    }

    /// Like [`recv`](Self::recv), but leaves the datagram queued. Blocks the
    /// current greenlet until one arrives; other greenlets run meanwhile.
    ///
    /// # Errors
    ///
    /// As [`recv`](Self::recv).
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.source.read_with(|s| s.peek(buf))
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
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("UdpSocket");
        if let Ok(addr) = self.local_addr() {
            d.field("addr", &addr);
        }
        d.field("fd", &self.as_raw_fd()).finish()
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.source.get_ref().as_raw_fd()
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source.get_ref().as_fd()
    }
}

impl TryFrom<net::UdpSocket> for UdpSocket {
    type Error = io::Error;

    /// As [`UdpSocket::from_std`].
    fn try_from(socket: net::UdpSocket) -> io::Result<UdpSocket> {
        UdpSocket::from_std(socket)
    }
}

impl TryFrom<UdpSocket> for net::UdpSocket {
    type Error = io::Error;

    /// As [`UdpSocket::into_std`].
    fn try_from(socket: UdpSocket) -> io::Result<net::UdpSocket> {
        socket.into_std()
    }
}

impl From<UdpSocket> for OwnedFd {
    /// Deregisters the socket and hands over its fd, still non-blocking.
    fn from(socket: UdpSocket) -> OwnedFd {
        socket.source.into_inner().into()
    }
}
