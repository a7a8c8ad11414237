//! `IoSource<T>`: one non-blocking socket registered with the hub.
//!
//! Every blocking method of every socket type is one line into
//! [`IoSource::read_with`] or [`IoSource::write_with`]: try the syscall
//! first, and only after the OS answered `WouldBlock` park the greenlet on
//! the hub until the socket is ready (or the socket's timeout passes).

use std::cell::Cell;
use std::io::{self, IoSlice, IoSliceMut, Read};
use std::os::fd::{AsFd, AsRawFd};
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use sprout_runtime::io::Registration;

/// A non-blocking socket `T` plus its registration and its timeouts.
///
/// # Invariant
///
/// `io` is `Some` from construction until `into_inner` or `drop`, it is in
/// non-blocking mode, and it is registered with this thread's hub through
/// `registration`.
#[derive(Debug)]
pub(crate) struct IoSource<T: AsRawFd> {
    io: Option<T>,
    registration: Registration,
    read_timeout: Cell<Option<Duration>>,
    write_timeout: Cell<Option<Duration>>,
    /// `set_nonblocking(true)`: operations return `WouldBlock` instead of
    /// parking.
    nonblocking: Cell<bool>,
}

impl<T: AsRawFd> IoSource<T> {
    /// Registers `io`, which must already be in non-blocking mode.
    pub(crate) fn new(io: T) -> io::Result<IoSource<T>> {
        let fd = io.as_raw_fd();
        let registration = Registration::new(&mut SourceFd(&fd))?;
        Ok(IoSource {
            io: Some(io),
            registration,
            read_timeout: Cell::new(None),
            write_timeout: Cell::new(None),
            nonblocking: Cell::new(false),
        })
    }

    /// The socket itself.
    pub(crate) fn get_ref(&self) -> &T {
        self.io
            .as_ref()
            .expect("IoSource holds its socket until dropped")
    }

    /// The registration, for waits that are not a plain retry loop
    /// (non-blocking connect).
    pub(crate) fn registration(&self) -> &Registration {
        &self.registration
    }

    /// Runs `op` until it does not return `WouldBlock`, parking on read
    /// readiness in between, bounded by the read timeout.
    #[inline(always)]
    pub(crate) fn read_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        let io = self.get_ref();
        if self.nonblocking.get() {
            return op(io);
        }
        let deadline = self.read_timeout.get().map(|t| Instant::now() + t);
        self.registration.read_with(deadline, || op(io))
    }

    /// `write_with` for a byte stream write of `len` bytes: a short write
    /// means the send buffer is full, so write readiness is cleared at once
    /// and the next write waits for the next edge instead of spending a
    /// system call to learn `WouldBlock` (tokio's `PollEvented` does the
    /// same). Sound because nothing can process readiness between the write
    /// and the clear (both run on this thread), and a connection that fails
    /// later raises a new error/hang-up edge.
    ///
    #[inline(always)]
    pub(crate) fn write_stream(
        &self,
        len: usize,
        op: impl FnMut(&T) -> io::Result<usize>,
    ) -> io::Result<usize> {
        let n = self.write_with(op)?;
        if n > 0 && n < len {
            self.registration.clear_writable();
        }
        Ok(n)
    }

    /// `read_with` for a byte stream read into `len` bytes of buffer: a
    /// short read means the receive buffer was drained, so read readiness
    /// is cleared and the next read waits for the next edge instead of
    /// spending a system call to learn `WouldBlock` (tokio does the same).
    /// An end of file or error seen by the hub keeps readiness set (the
    /// registration remembers it), so none is lost.
    #[inline(always)]
    pub(crate) fn read_stream(
        &self,
        len: usize,
        op: impl FnMut(&T) -> io::Result<usize>,
    ) -> io::Result<usize> {
        let n = self.read_with(op)?;
        if n > 0 && n < len && !self.nonblocking.get() {
            self.registration.clear_readable();
        }
        Ok(n)
    }

    /// Like `read_with` for write readiness and the write timeout.
    #[inline(always)]
    pub(crate) fn write_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        let io = self.get_ref();
        if self.nonblocking.get() {
            return op(io);
        }
        let deadline = self.write_timeout.get().map(|t| Instant::now() + t);
        self.registration.write_with(deadline, || op(io))
    }

    pub(crate) fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.read_timeout.set(check_timeout(timeout)?);
        Ok(())
    }

    pub(crate) fn read_timeout(&self) -> Option<Duration> {
        self.read_timeout.get()
    }

    pub(crate) fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.write_timeout.set(check_timeout(timeout)?);
        Ok(())
    }

    pub(crate) fn write_timeout(&self) -> Option<Duration> {
        self.write_timeout.get()
    }

    pub(crate) fn set_nonblocking(&self, nonblocking: bool) {
        self.nonblocking.set(nonblocking);
    }

    /// Copies timeouts and the non-blocking flag to `other` (for `try_clone`).
    pub(crate) fn copy_settings_to<U: AsRawFd>(&self, other: &IoSource<U>) {
        other.read_timeout.set(self.read_timeout.get());
        other.write_timeout.set(self.write_timeout.get());
        other.nonblocking.set(self.nonblocking.get());
    }

    /// Deregisters the socket and hands it back, still non-blocking.
    pub(crate) fn into_inner(mut self) -> T {
        let io = self
            .io
            .take()
            .expect("IoSource holds its socket until dropped");
        let fd = io.as_raw_fd();
        self.registration.deregister(&mut SourceFd(&fd));
        io
    }
}

impl<T: AsRawFd + AsFd> IoSource<T> {
    /// The socket as a `socket2` reference, for options std lacks and for
    /// `send` with `MSG_NOSIGNAL`.
    pub(crate) fn sock(&self) -> socket2::SockRef<'_> {
        socket2::SockRef::from(self.get_ref())
    }
}

impl<T: AsRawFd> Drop for IoSource<T> {
    fn drop(&mut self) {
        // Deregister first, then close (when `io` drops): a duplicate of the
        // fd (`try_clone`) keeps the open file alive, and epoll would keep
        // reporting events for this registration otherwise.
        if let Some(io) = &self.io {
            let fd = io.as_raw_fd();
            self.registration.deregister(&mut SourceFd(&fd));
        }
    }
}

/// std rejects a zero timeout with `InvalidInput`; so do we.
fn check_timeout(timeout: Option<Duration>) -> io::Result<Option<Duration>> {
    if timeout == Some(Duration::ZERO) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "cannot set a 0 duration timeout",
        ));
    }
    Ok(timeout)
}

/// `send(2)` flags for every stream write: never raise `SIGPIPE`; a closed
/// peer is reported as `EPIPE`.
pub(crate) const SEND_FLAGS: libc::c_int = libc::MSG_NOSIGNAL;

/// Whether `e` is `WouldBlock` (also used by connect's `EINPROGRESS`).
pub(crate) fn would_block(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock || e.raw_os_error() == Some(libc::EINPROGRESS)
}

// ===== byte streams (TcpStream, UnixStream) =====

impl<T> IoSource<T>
where
    T: AsFd + AsRawFd,
    for<'a> &'a T: Read,
{
    /// `read` for a byte stream: a short read clears read readiness.
    pub(crate) fn stream_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let len = buf.len();
        self.read_stream(len, |mut s| s.read(buf))
    }

    /// `read_vectored` for a byte stream.
    pub(crate) fn stream_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.read_with(|mut s| s.read_vectored(bufs))
    }

    /// `write` for a byte stream, with `MSG_NOSIGNAL` (a closed peer is an
    /// `EPIPE` error, never a signal).
    pub(crate) fn stream_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.write_stream(buf.len(), |s| {
            socket2::SockRef::from(s).send_with_flags(buf, SEND_FLAGS)
        })
    }

    /// `write_vectored` for a byte stream, with `MSG_NOSIGNAL`.
    pub(crate) fn stream_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let len = bufs.iter().map(|b| b.len()).sum();
        self.write_stream(len, |s| {
            socket2::SockRef::from(s).send_vectored_with_flags(bufs, SEND_FLAGS)
        })
    }
}

/// Implements `Read` and `Write` for a stream type with a `source:
/// IoSource<_>` field, and for shared references to it (as std does for
/// `TcpStream` and `&TcpStream`).
macro_rules! impl_stream_io {
    ($t:ty) => {
        /// Blocks the current greenlet until data (or end of file) is
        /// there; other greenlets run meanwhile.
        impl std::io::Read for $t {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.source.stream_read(buf)
            }

            fn read_vectored(
                &mut self,
                bufs: &mut [std::io::IoSliceMut<'_>],
            ) -> std::io::Result<usize> {
                self.source.stream_read_vectored(bufs)
            }
        }

        /// Blocks the current greenlet until data (or end of file) is
        /// there; other greenlets run meanwhile.
        impl std::io::Read for &$t {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.source.stream_read(buf)
            }

            fn read_vectored(
                &mut self,
                bufs: &mut [std::io::IoSliceMut<'_>],
            ) -> std::io::Result<usize> {
                self.source.stream_read_vectored(bufs)
            }
        }

        /// Blocks the current greenlet until the kernel takes some bytes;
        /// other greenlets run meanwhile.
        impl std::io::Write for $t {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.source.stream_write(buf)
            }

            fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                self.source.stream_write_vectored(bufs)
            }

            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }

        /// Blocks the current greenlet until the kernel takes some bytes;
        /// other greenlets run meanwhile.
        impl std::io::Write for &$t {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.source.stream_write(buf)
            }

            fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                self.source.stream_write_vectored(bufs)
            }

            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
    };
}

pub(crate) use impl_stream_io;
