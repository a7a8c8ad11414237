//! Blocking semantics for managed fds: the retry loops the hooks share.
//!
//! Inside a greenlet, an operation on a managed fd that the kernel answers
//! with `EAGAIN` parks the greenlet until the hub sees the fd ready (or the
//! socket's `SO_RCVTIMEO`/`SO_SNDTIMEO` passes) and tries again. Outside a
//! greenlet (the thread's own stack, another OS thread) the same fd waits
//! in a real `poll`, so code there sees exactly the blocking socket it
//! expects. Sockets the user made non-blocking return `EAGAIN` at once
//! either way.
//!
//! Parking never unwinds: a kill or `with_timeout` expiry makes the call
//! fail with `ECANCELED` or `ETIMEDOUT`, and the greenlet unwinds at its
//! next ordinary blocking call, in Rust code.

#![forbid(unsafe_code)]

use std::io;
use std::time::{Duration, Instant};

use libc::c_int;
use sprout_runtime::hub::{Interruption, ParkError, Woke, park_interruptible};
use sprout_runtime::io::Registration;

use crate::context::Ctx;
use crate::fd_table::{self, Entry};
use crate::{registry, sys};

/// Which readiness an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dir {
    Read,
    Write,
}

impl Dir {
    fn poll_events(self) -> i16 {
        match self {
            Dir::Read => libc::POLLIN,
            Dir::Write => libc::POLLOUT,
        }
    }

    fn timeout_option(self) -> c_int {
        match self {
            Dir::Read => libc::SO_RCVTIMEO,
            Dir::Write => libc::SO_SNDTIMEO,
        }
    }
}

/// The errno a hooked call fails with when its greenlet is interrupted.
pub(crate) fn interrupted_errno(i: Interruption) -> c_int {
    match i {
        Interruption::Killed => libc::ECANCELED,
        Interruption::TimedOut => libc::ETIMEDOUT,
    }
}

/// The deadline the socket's own timeout puts on an operation starting now.
fn socket_deadline(fd: c_int, dir: Dir) -> Option<Instant> {
    if !fd_table::TIMEOUTS_USED.load(std::sync::atomic::Ordering::Relaxed) {
        return None;
    }
    sys::socket_timeout(fd, dir.timeout_option()).map(|t| Instant::now() + t)
}

/// Why a wait ended without readiness: the errno the call fails with.
type WaitError = c_int;

/// Parks until `fd` may be ready for `dir`. `EAGAIN` once `deadline`
/// passes (what a blocking socket reports when its timeout expires).
fn wait(
    ctx: &Ctx,
    fd: c_int,
    entry: Entry,
    dir: Dir,
    deadline: Option<Instant>,
) -> Result<(), WaitError> {
    let reg = match registry::get(fd, entry.generation) {
        Ok(r) => r,
        // epoll refuses it: wait the plain way (blocks this thread).
        Err(_) => return real_wait(fd, dir, deadline),
    };
    // The operation just said EAGAIN, and no event can be processed before
    // this greenlet parks, so the cached readiness is stale.
    match dir {
        Dir::Read => reg.clear_readable(),
        Dir::Write => reg.clear_writable(),
    }
    let res = ctx.parked(|| match dir {
        Dir::Read => reg.wait_readable_interruptible(deadline),
        Dir::Write => reg.wait_writable_interruptible(deadline),
    });
    res.map_err(|e| wait_errno(&e))
}

/// The errno for a failed registration wait.
pub(crate) fn wait_errno(e: &io::Error) -> c_int {
    if let Some(ParkError::Interrupted(i)) = e.get_ref().and_then(|r| r.downcast_ref::<ParkError>())
    {
        return interrupted_errno(*i);
    }
    match e.kind() {
        io::ErrorKind::TimedOut => libc::EAGAIN,
        // The fd was closed under the waiting greenlet.
        io::ErrorKind::NotConnected => libc::EBADF,
        _ => e.raw_os_error().unwrap_or(libc::EIO),
    }
}

/// Waits in a real `poll` (blocking the OS thread) until `fd` is ready for
/// `dir` or `deadline` passes (`EAGAIN`).
fn real_wait(fd: c_int, dir: Dir, deadline: Option<Instant>) -> Result<(), WaitError> {
    let mut pfd = [libc::pollfd {
        fd,
        events: dir.poll_events(),
        revents: 0,
    }];
    loop {
        let timeout = match deadline {
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(t) if !t.is_zero() => Some(t),
                _ => return Err(libc::EAGAIN),
            },
            None => None,
        };
        let r = sys::ppoll(&mut pfd, timeout);
        if r > 0 {
            return Ok(());
        }
        if r < 0 && sys::errno() != libc::EINTR {
            return Err(sys::errno());
        }
    }
}

/// Runs one socket operation with blocking semantics. `op` is the raw
/// system call; `nonblocking_call` is true when the call itself asked not
/// to block (`MSG_DONTWAIT`).
pub(crate) fn io(
    ctx: &Ctx,
    fd: c_int,
    dir: Dir,
    nonblocking_call: bool,
    mut op: impl FnMut() -> sys::Ret,
) -> sys::Ret {
    if !ctx.active() {
        let r = op();
        if r >= 0 || nonblocking_call || !sys::would_block(sys::errno()) {
            return r;
        }
        // A socket sprout made non-blocking, used outside a greenlet.
        return emulate(ctx, fd, dir, op);
    }
    let entry = fd_table::adopt(fd);
    if !entry.emulates_blocking() || nonblocking_call {
        return op();
    }
    // The socket's timeout, read at the first wait (`None` until then).
    let mut deadline = None;
    loop {
        let r = op();
        if r >= 0 {
            ctx.restore_errno();
            return r;
        }
        if !sys::would_block(sys::errno()) {
            return r;
        }
        let d = *deadline.get_or_insert_with(|| socket_deadline(fd, dir));
        if let Err(e) = wait(ctx, fd, entry, dir, d) {
            sys::set_errno(e);
            return -1;
        }
    }
}

/// The blocking path of [`io`] outside a greenlet: real `poll` between
/// tries, only for managed fds in blocking mode (anything else returns the
/// `EAGAIN` it got).
fn emulate(ctx: &Ctx, fd: c_int, dir: Dir, mut op: impl FnMut() -> sys::Ret) -> sys::Ret {
    if !fd_table::get(fd).emulates_blocking() {
        sys::set_errno(libc::EAGAIN);
        return -1;
    }
    let deadline = socket_deadline(fd, dir);
    loop {
        if let Err(e) = real_wait(fd, dir, deadline) {
            sys::set_errno(e);
            return -1;
        }
        let r = op();
        if r >= 0 {
            ctx.restore_errno();
            return r;
        }
        if !sys::would_block(sys::errno()) {
            return r;
        }
    }
}

/// `connect` with blocking semantics: a non-blocking connect, a wait for
/// writability, then `SO_ERROR`.
pub(crate) fn connect(ctx: &Ctx, fd: c_int, mut op: impl FnMut() -> sys::Ret) -> sys::Ret {
    let entry = if ctx.active() {
        fd_table::adopt(fd)
    } else {
        fd_table::get(fd)
    };
    if !entry.emulates_blocking() {
        return op();
    }
    // The socket's timeout, read at the first wait (`None` until then).
    let mut deadline = None;
    loop {
        let r = op();
        if r >= 0 {
            ctx.restore_errno();
            return r;
        }
        let e = sys::errno();
        // EAGAIN: a Unix socket's listener backlog is full; try again.
        if e != libc::EINPROGRESS && !sys::would_block(e) {
            return r;
        }
        let d = *deadline.get_or_insert_with(|| socket_deadline(fd, Dir::Write));
        let waited = if ctx.active() {
            wait(ctx, fd, entry, Dir::Write, d)
        } else {
            real_wait(fd, Dir::Write, d)
        };
        match waited {
            Ok(()) if e == libc::EINPROGRESS => {
                return match sys::socket_error(fd) {
                    0 => {
                        ctx.restore_errno();
                        0
                    }
                    err => {
                        sys::set_errno(err);
                        -1
                    }
                };
            }
            Ok(()) => {}
            // A blocking connect that times out reports EINPROGRESS.
            Err(libc::EAGAIN) if e == libc::EINPROGRESS => {
                sys::set_errno(libc::EINPROGRESS);
                return -1;
            }
            Err(err) => {
                sys::set_errno(err);
                return -1;
            }
        }
    }
}

/// `poll`/`ppoll` inside a greenlet: try without waiting; otherwise park
/// until one of the fds may be ready or `timeout` passes, then poll again
/// for the exact result.
///
/// The wait watches a private epoll set holding the polled fds
/// (level-triggered, the events asked for), itself registered with the hub:
/// it becomes readable when any of them does. Any mix and number of fds
/// works: sockets, pipes (`Command::output`), eventfds, terminals.
pub(crate) fn poll(ctx: &Ctx, fds: &mut [libc::pollfd], timeout: Option<Duration>) -> sys::Ret {
    if !ctx.active() || timeout == Some(Duration::ZERO) {
        return sys::ppoll(fds, timeout);
    }
    let r = sys::ppoll(fds, Some(Duration::ZERO));
    if r != 0 {
        if r > 0 {
            ctx.restore_errno();
        }
        return r;
    }
    let deadline = timeout.map(|t| Instant::now() + t);
    if fds.iter().all(|p| p.fd < 0) {
        return match sleep_until(ctx, deadline) {
            Ok(()) => {
                ctx.restore_errno();
                0
            }
            Err(e) => {
                sys::set_errno(e);
                -1
            }
        };
    }
    let epfd = sys::epoll_create();
    if epfd < 0 {
        return sys::ppoll(fds, timeout);
    }
    let epfd = epfd as c_int;
    for p in fds.iter().filter(|p| p.fd >= 0) {
        if sys::epoll_ctl(epfd, false, p.fd, p.events as u16 as u32) < 0
            && sys::errno() == libc::EEXIST
        {
            // The same fd twice: watch the union of what was asked.
            let all = fds
                .iter()
                .filter(|q| q.fd == p.fd)
                .fold(0u32, |a, q| a | q.events as u16 as u32);
            let _ = sys::epoll_ctl(epfd, true, p.fd, all);
        }
    }
    let result = match Registration::new(&mut mio::unix::SourceFd(&epfd)) {
        Ok(reg) => {
            let r = poll_wait(ctx, &reg, fds, deadline);
            reg.deregister(&mut mio::unix::SourceFd(&epfd));
            r
        }
        Err(_) => sys::ppoll(fds, timeout),
    };
    sys::close(epfd);
    if result >= 0 {
        ctx.restore_errno();
    }
    result
}

fn poll_wait(
    ctx: &Ctx,
    reg: &Registration,
    fds: &mut [libc::pollfd],
    deadline: Option<Instant>,
) -> sys::Ret {
    loop {
        reg.clear_readable();
        match ctx.parked(|| reg.wait_readable_interruptible(deadline)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                return sys::ppoll(fds, Some(Duration::ZERO));
            }
            Err(e) => {
                sys::set_errno(wait_errno(&e));
                return -1;
            }
        }
        let r = sys::ppoll(fds, Some(Duration::ZERO));
        if r != 0 {
            return r;
        }
    }
}

/// Parks the greenlet until `deadline` (`None`: until interrupted).
/// `Err(errno)` when a kill or `with_timeout` cut it short.
pub(crate) fn sleep_until(ctx: &Ctx, deadline: Option<Instant>) -> Result<(), c_int> {
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(());
        }
        match ctx.parked(|| park_interruptible("sleeping in a hooked libc call", deadline, |_| {}))
        {
            Ok(Woke::TimedOut | Woke::Notified) => {}
            Err(ParkError::Interrupted(i)) => return Err(interrupted_errno(i)),
            Err(ParkError::WouldBlockForever(_)) => return Err(libc::EDEADLK),
        }
    }
}
