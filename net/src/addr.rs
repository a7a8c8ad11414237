//! Address resolution that never blocks the hub.
//!
//! [`ToSocketAddrs`] mirrors `std::net::ToSocketAddrs` (same method, same
//! implementing types), but a host name is resolved with `getaddrinfo` on
//! the thread pool ([`spawn_blocking`](sprout_runtime::spawn_blocking)):
//! only the calling greenlet waits for the answer. Literal addresses
//! (`"127.0.0.1:80"`, `"[::1]:80"`) are parsed in place, without a thread
//! hop.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::{iter, option, slice, vec};

/// A value that can be turned into one or more socket addresses, like
/// `std::net::ToSocketAddrs`, implemented for the same types.
///
/// Host names (`"localhost:80"`, `("example.org", 443)`) are resolved on
/// the thread pool. Resolving blocks the current greenlet until the answer
/// is there; other greenlets run meanwhile.
///
/// ```
/// use sprout_net::ToSocketAddrs;
/// # fn main() -> std::io::Result<()> {
/// let addrs: Vec<_> = "localhost:8080".to_socket_addrs()?.collect();
/// assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 8080));
/// let literal: Vec<_> = ("127.0.0.1", 9).to_socket_addrs()?.collect();
/// assert_eq!(literal, ["127.0.0.1:9".parse().unwrap()]);
/// # Ok(())
/// # }
/// ```
pub trait ToSocketAddrs {
    /// The iterator of resolved addresses.
    type Iter: Iterator<Item = SocketAddr>;

    /// Resolves `self` into socket addresses. Blocks the current greenlet
    /// while a host name is looked up; other greenlets run meanwhile.
    ///
    /// # Errors
    ///
    /// As `std::net::ToSocketAddrs`: an unparsable string, or a failed
    /// lookup.
    fn to_socket_addrs(&self) -> io::Result<Self::Iter>;
}

impl ToSocketAddrs for SocketAddr {
    type Iter = option::IntoIter<SocketAddr>;
    fn to_socket_addrs(&self) -> io::Result<Self::Iter> {
        Ok(Some(*self).into_iter())
    }
}

impl ToSocketAddrs for SocketAddrV4 {
    type Iter = option::IntoIter<SocketAddr>;
    fn to_socket_addrs(&self) -> io::Result<Self::Iter> {
        SocketAddr::V4(*self).to_socket_addrs()
    }
}

impl ToSocketAddrs for SocketAddrV6 {
    type Iter = option::IntoIter<SocketAddr>;
    fn to_socket_addrs(&self) -> io::Result<Self::Iter> {
        SocketAddr::V6(*self).to_socket_addrs()
    }
}

impl ToSocketAddrs for (IpAddr, u16) {
    type Iter = option::IntoIter<SocketAddr>;
    fn to_socket_addrs(&self) -> io::Result<Self::Iter> {
        SocketAddr::from(*self).to_socket_addrs()
    }
}

impl ToSocketAddrs for (Ipv4Addr, u16) {
    type Iter = option::IntoIter<SocketAddr>;
    fn to_socket_addrs(&self) -> io::Result<Self::Iter> {
        SocketAddr::from(*self).to_socket_addrs()
    }
}

impl ToSocketAddrs for (Ipv6Addr, u16) {
    type Iter = option::IntoIter<SocketAddr>;
    fn to_socket_addrs(&self) -> io::Result<Self::Iter> {
        SocketAddr::from(*self).to_socket_addrs()
    }
}

impl ToSocketAddrs for (&str, u16) {
    type Iter = vec::IntoIter<SocketAddr>;
    fn to_socket_addrs(&self) -> io::Result<Self::Iter> {
        let (host, port) = *self;
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)].into_iter());
        }
        resolve((host.to_owned(), port))
    }
}

impl ToSocketAddrs for (String, u16) {
    type Iter = vec::IntoIter<SocketAddr>;
    fn to_socket_addrs(&self) -> io::Result<Self::Iter> {
        (self.0.as_str(), self.1).to_socket_addrs()
    }
}

impl ToSocketAddrs for str {
    type Iter = vec::IntoIter<SocketAddr>;
    fn to_socket_addrs(&self) -> io::Result<Self::Iter> {
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return Ok(vec![addr].into_iter());
        }
        resolve(self.to_owned())
    }
}

impl ToSocketAddrs for String {
    type Iter = vec::IntoIter<SocketAddr>;
    fn to_socket_addrs(&self) -> io::Result<Self::Iter> {
        self.as_str().to_socket_addrs()
    }
}

impl<'a> ToSocketAddrs for &'a [SocketAddr] {
    type Iter = iter::Cloned<slice::Iter<'a, SocketAddr>>;
    fn to_socket_addrs(&self) -> io::Result<Self::Iter> {
        Ok(self.iter().cloned())
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {
    type Iter = T::Iter;
    fn to_socket_addrs(&self) -> io::Result<Self::Iter> {
        (**self).to_socket_addrs()
    }
}

/// Runs std's blocking resolver on the thread pool.
fn resolve<A>(addr: A) -> io::Result<vec::IntoIter<SocketAddr>>
where
    A: std::net::ToSocketAddrs + Send + 'static,
{
    let addrs = sprout_runtime::spawn_blocking(move || {
        addr.to_socket_addrs().map(Iterator::collect::<Vec<_>>)
    })
    .map_err(|e| io::Error::other(format!("name resolution panicked: {e}")))??;
    Ok(addrs.into_iter())
}

/// Calls `f` with each address of `addr` in turn until one succeeds;
/// returns the last error (std's `each_addr`).
pub(crate) fn each_addr<A, F, T>(addr: A, mut f: F) -> io::Result<T>
where
    A: ToSocketAddrs,
    F: FnMut(&SocketAddr) -> io::Result<T>,
{
    let mut last_err = None;
    for addr in addr.to_socket_addrs()? {
        match f(&addr) {
            Ok(v) => return Ok(v),
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any addresses",
        )
    }))
}

/// The addresses of a host, from [`lookup_host`].
pub struct LookupHost {
    addrs: vec::IntoIter<SocketAddr>,
}

impl fmt::Debug for LookupHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.addrs.as_slice()).finish()
    }
}

impl Iterator for LookupHost {
    type Item = SocketAddr;
    fn next(&mut self) -> Option<SocketAddr> {
        self.addrs.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.addrs.size_hint()
    }
}

/// Resolves a host name (no port) into its addresses, each with port 0, as
/// std's `lookup_host` did. The lookup runs on the thread pool: blocks the
/// current greenlet until the answer is there; other greenlets run
/// meanwhile.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let addrs: Vec<_> = sprout_net::lookup_host("localhost")?.collect();
/// assert!(!addrs.is_empty());
/// assert!(addrs.iter().all(|a| a.ip().is_loopback()));
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// Whatever `getaddrinfo` reports for an unknown host.
pub fn lookup_host(host: &str) -> io::Result<LookupHost> {
    let addrs = if let Ok(ip) = host.parse::<IpAddr>() {
        vec![SocketAddr::new(ip, 0)].into_iter()
    } else {
        resolve((host.to_owned(), 0))?
    };
    Ok(LookupHost { addrs })
}
