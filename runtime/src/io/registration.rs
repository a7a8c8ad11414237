//! Registration of one I/O source with the hub.

use std::io;
use std::marker::PhantomData;
use std::time::Instant;

use super::driver::Direction;
use crate::hub::{IoWait, with_hub};

/// One source registered once, edge-triggered, with this thread's hub.
///
/// Keeps a readiness flag per direction. [`read_with`](Self::read_with) and
/// [`write_with`](Self::write_with) try the operation first and wait only
/// after it returned `WouldBlock`; this is the one retry loop every socket
/// operation in `sprout::net` goes through.
///
/// Several greenlets may wait on the same direction: every wake-up wakes
/// them all in the order they started waiting, and each retries its
/// operation; those that get `WouldBlock` again wait again.
///
/// A `Registration` belongs to the hub of the thread that created it, so it
/// is neither `Send` nor `Sync`:
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<sprout_runtime::io::Registration>();
/// ```
#[derive(Debug)]
pub struct Registration {
    key: usize,
    generation: u32,
    _not_send: PhantomData<*const ()>,
}

impl Registration {
    /// Registers `source` with the current thread's hub for both read and
    /// write readiness, edge-triggered.
    ///
    /// # Errors
    ///
    /// Whatever `epoll_ctl` reports.
    pub fn new<S: mio::event::Source + ?Sized>(source: &mut S) -> io::Result<Registration> {
        let (key, generation) = with_hub(|hub| hub.driver.register(source))?;
        Ok(Registration {
            key,
            generation,
            _not_send: PhantomData,
        })
    }

    /// Removes `source` from the poller. Call it before closing the source;
    /// dropping the `Registration` afterwards wakes any remaining waiters.
    pub fn deregister<S: mio::event::Source + ?Sized>(&self, source: &mut S) {
        // Never creates a hub: during thread teardown there may be none.
        crate::hub::try_with_hub(|hub| hub.driver.deregister(source));
    }

    /// Runs `op` until it does not return `WouldBlock`, waiting for read
    /// readiness in between. Blocks the current greenlet until then; other
    /// greenlets run meanwhile.
    ///
    /// # Errors
    ///
    /// `op`'s error, or `ErrorKind::TimedOut` once `deadline` passes.
    #[inline(always)]
    pub fn read_with<R>(
        &self,
        deadline: Option<Instant>,
        op: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        self.op_with(Direction::Read, deadline, op)
    }

    /// Like [`read_with`](Self::read_with) for write readiness.
    ///
    /// # Errors
    ///
    /// `op`'s error, or `ErrorKind::TimedOut` once `deadline` passes.
    #[inline(always)]
    pub fn write_with<R>(
        &self,
        deadline: Option<Instant>,
        op: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        self.op_with(Direction::Write, deadline, op)
    }

    #[inline(always)]
    fn op_with<R>(
        &self,
        dir: Direction,
        deadline: Option<Instant>,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        let mut ready = self.is_ready(dir);
        loop {
            if ready {
                match op() {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear(dir),
                    res => return res,
                }
            }
            self.wait(dir, deadline)?;
            // A wait returns only once it saw the readiness (at once if it
            // was set already): the operation is tried without asking the
            // driver again. Should another greenlet on the same socket have
            // used it up meanwhile, the operation says `WouldBlock` and the
            // loop waits again.
            ready = true;
        }
    }

    /// Waits until the source is readable (or `deadline` passes). Blocks the
    /// current greenlet; other greenlets run meanwhile.
    ///
    /// # Errors
    ///
    /// `ErrorKind::TimedOut` after the deadline; `ErrorKind::NotConnected`
    /// if the registration was removed while waiting.
    pub fn wait_readable(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.wait(Direction::Read, deadline)
    }

    /// Waits until the source is writable (or `deadline` passes).
    ///
    /// # Errors
    ///
    /// As for [`wait_readable`](Self::wait_readable).
    pub fn wait_writable(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.wait(Direction::Write, deadline)
    }

    /// Like [`wait_readable`](Self::wait_readable), but a pending kill or
    /// `with_timeout` expiry returns an error instead of unwinding (see
    /// [`park_interruptible`](crate::hub::park_interruptible)).
    ///
    /// # Errors
    ///
    /// As for `wait_readable`, plus `ErrorKind::Interrupted` wrapping the
    /// [`Interruption`](crate::hub::Interruption).
    pub fn wait_readable_interruptible(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.wait_mode(Direction::Read, deadline, true)
    }

    /// Like [`wait_writable`](Self::wait_writable), but interruptible as
    /// [`wait_readable_interruptible`](Self::wait_readable_interruptible).
    ///
    /// # Errors
    ///
    /// As for `wait_readable_interruptible`.
    pub fn wait_writable_interruptible(&self, deadline: Option<Instant>) -> io::Result<()> {
        self.wait_mode(Direction::Write, deadline, true)
    }

    /// Forgets cached read readiness: after a `WouldBlock` from an operation
    /// made outside `read_with`, or after a short read from a byte stream
    /// (the socket's buffer was drained, so the next read can wait for the
    /// next edge without spending a system call). Once the peer closed its
    /// side or the socket failed, readiness stays set: reads return at once.
    pub fn clear_readable(&self) {
        self.clear(Direction::Read);
    }

    /// Forgets cached write readiness.
    pub fn clear_writable(&self) {
        self.clear(Direction::Write);
    }

    fn is_ready(&self, dir: Direction) -> bool {
        with_hub(|hub| {
            hub.driver
                .with_source(self.key, self.generation, |s| s.is_ready(dir))
                .unwrap_or(true)
        })
    }

    fn clear(&self, dir: Direction) {
        with_hub(|hub| {
            hub.driver
                .with_source(self.key, self.generation, |s| s.clear(dir))
        });
    }

    #[inline(always)]
    fn wait(&self, dir: Direction, deadline: Option<Instant>) -> io::Result<()> {
        self.wait_mode(dir, deadline, false)
    }

    /// Parks on the hub: the frames of every greenlet blocked on a socket,
    /// so kept to the one call (see `Hub::park_io`).
    #[inline(always)]
    fn wait_mode(
        &self,
        dir: Direction,
        deadline: Option<Instant>,
        interruptible: bool,
    ) -> io::Result<()> {
        let io = IoWait {
            key: self.key,
            generation: self.generation,
            dir,
            interruptible,
        };
        // The socket that owns this registration usually lives in the
        // waiting greenlet's frames; it is touched first thing after the
        // wake-up.
        let hint = std::ptr::from_ref(self).addr();
        with_hub(|hub| hub.park_io(&io, deadline, hint))
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        crate::hub::try_with_hub(|hub| {
            hub.driver
                .remove(self.key, self.generation, |t| hub.wake(t))
        });
    }
}
