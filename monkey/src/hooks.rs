//! The interposed libc symbols.
//!
//! Each function here has the name and C signature of a libc function, so
//! the executable's definition wins over libc's for std and for every C
//! library in the process. Each forwards to the kernel with a raw system
//! call (or, for `getaddrinfo`, to libc's own function), after deciding
//! with one thread-local read whether the call runs inside a greenlet; only
//! then may it park.
//!
//! Every hook has the safety contract of the libc function it replaces:
//! its callers already promised that (buffers valid for their lengths, and
//! so on), and each `unsafe` block below relies on exactly that promise.
//!
//! `fcntl` and `ioctl` are variadic in C. They are defined here with one
//! integer-sized third argument, which the x86-64 and AArch64 Linux calling
//! conventions pass in the same register as a variadic one.

use std::ffi::{CStr, CString, c_void};
use std::time::{Duration, Instant};

use libc::{
    addrinfo, c_char, c_int, c_long, c_uint, c_ulong, clockid_t, iovec, msghdr, nfds_t, pollfd,
    size_t, sockaddr, socklen_t, ssize_t, timespec,
};

use crate::blocking::{self, Dir};
use crate::context::Ctx;
use crate::fd_table;
use crate::lookup::{self, Hints, Query};
use crate::registry;
use crate::sys;

// ===== fd creation and flags =====

/// Marks a socket the hook just created: managed inside a greenlet (it was
/// created non-blocking), forgotten outside.
fn created(ctx: &Ctx, fd: c_int, user_nonblock: bool) {
    if ctx.active() {
        fd_table::new_socket(fd, user_nonblock);
    } else {
        fd_table::clear(fd);
    }
}

/// Socket type flags for the kernel: non-blocking inside a greenlet.
fn kernel_type(ctx: &Ctx, ty: c_int) -> c_int {
    if ctx.active() {
        ty | libc::SOCK_NONBLOCK
    } else {
        ty
    }
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn socket(domain: c_int, ty: c_int, protocol: c_int) -> c_int {
    let ctx = Ctx::enter();
    let kty = kernel_type(&ctx, ty);
    // SAFETY: socket(2) takes integers only.
    let r = unsafe {
        sys::syscall(
            libc::SYS_socket,
            [domain.into(), kty.into(), protocol.into(), 0, 0, 0],
        )
    };
    if r >= 0 {
        created(&ctx, r as c_int, ty & libc::SOCK_NONBLOCK != 0);
    }
    r as c_int
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn socketpair(
    domain: c_int,
    ty: c_int,
    protocol: c_int,
    sv: *mut c_int,
) -> c_int {
    let ctx = Ctx::enter();
    let kty = kernel_type(&ctx, ty);
    // SAFETY: socketpair(2)'s contract: `sv` is writable for two ints.
    let r = unsafe {
        sys::syscall(
            libc::SYS_socketpair,
            [
                domain.into(),
                kty.into(),
                protocol.into(),
                sv as c_long,
                0,
                0,
            ],
        )
    };
    if r == 0 {
        // SAFETY: as above; the kernel just filled both entries.
        let fds = unsafe { sv.cast::<[c_int; 2]>().read() };
        for fd in fds {
            created(&ctx, fd, ty & libc::SOCK_NONBLOCK != 0);
        }
    }
    r as c_int
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn accept(
    fd: c_int,
    addr: *mut sockaddr,
    len: *mut socklen_t,
) -> c_int {
    // SAFETY: accept(2) has the contract of accept4(2) with no flags.
    unsafe { accept4(fd, addr, len, 0) }
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn accept4(
    fd: c_int,
    addr: *mut sockaddr,
    len: *mut socklen_t,
    flags: c_int,
) -> c_int {
    let ctx = Ctx::enter();
    let kflags = kernel_type(&ctx, flags);
    let op = || {
        // SAFETY: accept4(2)'s contract: `addr`/`len` null or writable.
        unsafe {
            sys::syscall(
                libc::SYS_accept4,
                [
                    fd.into(),
                    addr as c_long,
                    len as c_long,
                    kflags.into(),
                    0,
                    0,
                ],
            )
        }
    };
    let r = blocking::io(&ctx, fd, Dir::Read, false, op);
    if r >= 0 {
        created(&ctx, r as c_int, flags & libc::SOCK_NONBLOCK != 0);
    }
    r as c_int
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn close(fd: c_int) -> c_int {
    registry::forget(fd);
    fd_table::clear(fd);
    sys::close(fd) as c_int
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn dup(fd: c_int) -> c_int {
    let r = sys::dup(fd);
    if r >= 0 {
        fd_table::copy(fd, r as c_int);
    }
    r as c_int
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn dup2(old: c_int, new: c_int) -> c_int {
    if old != new {
        registry::forget(new);
    }
    let r = sys::dup2(old, new);
    if r >= 0 && old != new {
        fd_table::copy(old, new);
    }
    r as c_int
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn dup3(old: c_int, new: c_int, flags: c_int) -> c_int {
    if old != new {
        registry::forget(new);
    }
    let r = sys::dup3(old, new, flags);
    if r >= 0 {
        fd_table::copy(old, new);
    }
    r as c_int
}

/// Records the user's mode for a managed fd. A socket switched to
/// non-blocking leaves this thread's hub: the user may now register it
/// elsewhere (`sprout::net`'s `from_std` does).
fn set_user_nonblock(fd: c_int, on: bool) {
    if on {
        registry::forget(fd);
    }
    fd_table::update(fd, fd_table::USER_NONBLOCK, on);
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn fcntl(fd: c_int, cmd: c_int, arg: c_ulong) -> c_int {
    let nonblock = libc::O_NONBLOCK as sys::Ret;
    match cmd {
        libc::F_GETFL => {
            let r = sys::fcntl_int(fd, cmd, 0);
            let e = fd_table::get(fd);
            if r < 0 || !e.has(fd_table::MANAGED) {
                return r as c_int;
            }
            let user = if e.has(fd_table::USER_NONBLOCK) {
                nonblock
            } else {
                0
            };
            ((r & !nonblock) | user) as c_int
        }
        libc::F_SETFL if fd_table::get(fd).has(fd_table::MANAGED) => {
            let r = sys::fcntl_int(fd, cmd, arg as c_long | nonblock);
            if r >= 0 {
                set_user_nonblock(fd, arg as c_long & nonblock != 0);
            }
            r as c_int
        }
        libc::F_DUPFD | libc::F_DUPFD_CLOEXEC => {
            let r = sys::fcntl_int(fd, cmd, arg as c_long);
            if r >= 0 {
                fd_table::copy(fd, r as c_int);
            }
            r as c_int
        }
        _ if sys::fcntl_takes_int(cmd) => sys::fcntl_int(fd, cmd, arg as c_long) as c_int,
        // SAFETY: fcntl(2)'s contract for `cmd`: if it takes a pointer,
        // `arg` is one valid for that command.
        _ => unsafe {
            sys::syscall(
                libc::SYS_fcntl,
                [fd.into(), cmd.into(), arg as c_long, 0, 0, 0],
            ) as c_int
        },
    }
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn ioctl(fd: c_int, request: c_ulong, arg: *mut c_void) -> c_int {
    if request == libc::FIONBIO as c_ulong
        && !arg.is_null()
        && fd_table::get(fd).has(fd_table::MANAGED)
    {
        // SAFETY: ioctl(2)'s contract for FIONBIO: `arg` points at an int.
        let on = unsafe { *arg.cast::<c_int>() } != 0;
        set_user_nonblock(fd, on);
        return 0;
    }
    // SAFETY: ioctl(2)'s contract for `request`.
    unsafe {
        sys::syscall(
            libc::SYS_ioctl,
            [fd.into(), request as c_long, arg as c_long, 0, 0, 0],
        ) as c_int
    }
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn setsockopt(
    fd: c_int,
    level: c_int,
    name: c_int,
    value: *const c_void,
    len: socklen_t,
) -> c_int {
    // SAFETY: setsockopt(2)'s contract: `value` readable for `len` bytes.
    let r = unsafe {
        sys::syscall(
            libc::SYS_setsockopt,
            [
                fd.into(),
                level.into(),
                name.into(),
                value as c_long,
                len as c_long,
                0,
            ],
        )
    };
    if r == 0
        && level == libc::SOL_SOCKET
        && (name == libc::SO_RCVTIMEO || name == libc::SO_SNDTIMEO)
    {
        fd_table::TIMEOUTS_USED.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    r as c_int
}

// ===== I/O =====

fn dontwait(flags: c_int) -> bool {
    flags & libc::MSG_DONTWAIT != 0
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn read(fd: c_int, buf: *mut c_void, count: size_t) -> ssize_t {
    let ctx = Ctx::enter();
    let op = || {
        // SAFETY: read(2)'s contract: `buf` writable for `count` bytes.
        unsafe {
            sys::syscall(
                libc::SYS_read,
                [fd.into(), buf as c_long, count as c_long, 0, 0, 0],
            )
        }
    };
    blocking::io(&ctx, fd, Dir::Read, false, op) as ssize_t
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn write(fd: c_int, buf: *const c_void, count: size_t) -> ssize_t {
    let ctx = Ctx::enter();
    let op = || {
        // SAFETY: write(2)'s contract: `buf` readable for `count` bytes.
        unsafe {
            sys::syscall(
                libc::SYS_write,
                [fd.into(), buf as c_long, count as c_long, 0, 0, 0],
            )
        }
    };
    blocking::io(&ctx, fd, Dir::Write, false, op) as ssize_t
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn readv(fd: c_int, iov: *const iovec, iovcnt: c_int) -> ssize_t {
    let ctx = Ctx::enter();
    let op = || {
        // SAFETY: readv(2)'s contract: `iov` holds `iovcnt` writable buffers.
        unsafe {
            sys::syscall(
                libc::SYS_readv,
                [fd.into(), iov as c_long, iovcnt.into(), 0, 0, 0],
            )
        }
    };
    blocking::io(&ctx, fd, Dir::Read, false, op) as ssize_t
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn writev(fd: c_int, iov: *const iovec, iovcnt: c_int) -> ssize_t {
    let ctx = Ctx::enter();
    let op = || {
        // SAFETY: writev(2)'s contract: `iov` holds `iovcnt` readable buffers.
        unsafe {
            sys::syscall(
                libc::SYS_writev,
                [fd.into(), iov as c_long, iovcnt.into(), 0, 0, 0],
            )
        }
    };
    blocking::io(&ctx, fd, Dir::Write, false, op) as ssize_t
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn recv(
    fd: c_int,
    buf: *mut c_void,
    len: size_t,
    flags: c_int,
) -> ssize_t {
    // SAFETY: recv(2) is recvfrom(2) without an address.
    unsafe {
        recvfrom(
            fd,
            buf,
            len,
            flags,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    }
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn recvfrom(
    fd: c_int,
    buf: *mut c_void,
    len: size_t,
    flags: c_int,
    addr: *mut sockaddr,
    addrlen: *mut socklen_t,
) -> ssize_t {
    let ctx = Ctx::enter();
    let op = || {
        // SAFETY: recvfrom(2)'s contract: `buf` writable for `len` bytes,
        // `addr`/`addrlen` null or writable.
        unsafe {
            sys::syscall(
                libc::SYS_recvfrom,
                [
                    fd.into(),
                    buf as c_long,
                    len as c_long,
                    flags.into(),
                    addr as c_long,
                    addrlen as c_long,
                ],
            )
        }
    };
    blocking::io(&ctx, fd, Dir::Read, dontwait(flags), op) as ssize_t
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn send(
    fd: c_int,
    buf: *const c_void,
    len: size_t,
    flags: c_int,
) -> ssize_t {
    // SAFETY: send(2) is sendto(2) without an address.
    unsafe { sendto(fd, buf, len, flags, std::ptr::null(), 0) }
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn sendto(
    fd: c_int,
    buf: *const c_void,
    len: size_t,
    flags: c_int,
    addr: *const sockaddr,
    addrlen: socklen_t,
) -> ssize_t {
    let ctx = Ctx::enter();
    let op = || {
        // SAFETY: sendto(2)'s contract: `buf` readable for `len` bytes,
        // `addr` null or readable for `addrlen` bytes.
        unsafe {
            sys::syscall(
                libc::SYS_sendto,
                [
                    fd.into(),
                    buf as c_long,
                    len as c_long,
                    flags.into(),
                    addr as c_long,
                    addrlen as c_long,
                ],
            )
        }
    };
    blocking::io(&ctx, fd, Dir::Write, dontwait(flags), op) as ssize_t
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn recvmsg(fd: c_int, msg: *mut msghdr, flags: c_int) -> ssize_t {
    let ctx = Ctx::enter();
    let op = || {
        // SAFETY: recvmsg(2)'s contract: `msg` a valid, writable msghdr.
        unsafe {
            sys::syscall(
                libc::SYS_recvmsg,
                [fd.into(), msg as c_long, flags.into(), 0, 0, 0],
            )
        }
    };
    blocking::io(&ctx, fd, Dir::Read, dontwait(flags), op) as ssize_t
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn sendmsg(fd: c_int, msg: *const msghdr, flags: c_int) -> ssize_t {
    let ctx = Ctx::enter();
    let op = || {
        // SAFETY: sendmsg(2)'s contract: `msg` a valid msghdr.
        unsafe {
            sys::syscall(
                libc::SYS_sendmsg,
                [fd.into(), msg as c_long, flags.into(), 0, 0, 0],
            )
        }
    };
    blocking::io(&ctx, fd, Dir::Write, dontwait(flags), op) as ssize_t
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn connect(fd: c_int, addr: *const sockaddr, len: socklen_t) -> c_int {
    let ctx = Ctx::enter();
    let op = || {
        // SAFETY: connect(2)'s contract: `addr` readable for `len` bytes.
        unsafe {
            sys::syscall(
                libc::SYS_connect,
                [fd.into(), addr as c_long, len as c_long, 0, 0, 0],
            )
        }
    };
    blocking::connect(&ctx, fd, op) as c_int
}

// ===== waiting =====

/// The pollfd array of a `poll` call as a slice.
///
/// # Safety
///
/// poll(2)'s contract: `fds` valid and writable for `nfds` entries.
unsafe fn pollfds<'a>(fds: *mut pollfd, nfds: nfds_t) -> &'a mut [pollfd] {
    if fds.is_null() || nfds == 0 {
        return &mut [];
    }
    // SAFETY: the caller's obligation.
    unsafe { std::slice::from_raw_parts_mut(fds, nfds as usize) }
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn poll(fds: *mut pollfd, nfds: nfds_t, timeout: c_int) -> c_int {
    let ctx = Ctx::enter();
    let timeout = u64::try_from(timeout).ok().map(Duration::from_millis);
    // SAFETY: poll(2)'s contract, as `pollfds` requires.
    let fds = unsafe { pollfds(fds, nfds) };
    blocking::poll(&ctx, fds, timeout) as c_int
}

/// A valid timespec as a `Duration`; `None` if out of range.
fn duration(ts: &timespec) -> Option<Duration> {
    let nanos = u32::try_from(ts.tv_nsec)
        .ok()
        .filter(|n| *n < 1_000_000_000)?;
    Some(Duration::new(u64::try_from(ts.tv_sec).ok()?, nanos))
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn ppoll(
    fds: *mut pollfd,
    nfds: nfds_t,
    tmo: *const timespec,
    sigmask: *const libc::sigset_t,
) -> c_int {
    let ctx = Ctx::enter();
    // SAFETY: ppoll(2)'s contract: `tmo` null or a valid timespec.
    let tmo_value = unsafe { tmo.as_ref() }.copied();
    let timeout = tmo_value.map(|t| duration(&t));
    if !sigmask.is_null() || timeout == Some(None) {
        // A signal mask cannot be applied while other greenlets run, and a
        // bad timeout is the kernel's to reject: forward as is (the kernel
        // writes the remaining time back, which glibc hides with a copy).
        let mut copy = tmo_value;
        let tp = copy
            .as_mut()
            .map_or(std::ptr::null_mut(), |t| t as *mut timespec);
        // SAFETY: ppoll(2)'s contract for `fds`/`nfds`/`sigmask`; `tp` is
        // null or our own timespec.
        return unsafe {
            sys::syscall(
                libc::SYS_ppoll,
                [
                    fds as c_long,
                    nfds as c_long,
                    tp as c_long,
                    sigmask as c_long,
                    8,
                    0,
                ],
            ) as c_int
        };
    }
    // SAFETY: ppoll(2)'s contract, as `pollfds` requires.
    let fds = unsafe { pollfds(fds, nfds) };
    blocking::poll(&ctx, fds, timeout.flatten()) as c_int
}

// ===== sleeping =====

/// Parks for `d`. `Err((errno, remaining))` when interrupted.
fn sleep_for(ctx: &Ctx, d: Duration) -> Result<(), (c_int, Duration)> {
    let deadline = Instant::now() + d;
    match blocking::sleep_until(ctx, Some(deadline)) {
        Ok(()) => {
            ctx.restore_errno();
            Ok(())
        }
        Err(e) => Err((e, deadline.saturating_duration_since(Instant::now()))),
    }
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn nanosleep(req: *const timespec, rem: *mut timespec) -> c_int {
    let ctx = Ctx::enter();
    // SAFETY: nanosleep(2)'s contract: `req` a valid timespec (null is
    // reported by the kernel as EFAULT, so it is forwarded).
    let d = unsafe { req.as_ref() }.and_then(duration);
    let (true, Some(d)) = (ctx.active(), d) else {
        // SAFETY: nanosleep(2)'s contract: `rem` null or writable.
        return unsafe {
            sys::syscall(
                libc::SYS_nanosleep,
                [req as c_long, rem as c_long, 0, 0, 0, 0],
            ) as c_int
        };
    };
    match sleep_for(&ctx, d) {
        Ok(()) => 0,
        Err((e, left)) => {
            if !rem.is_null() {
                // SAFETY: nanosleep(2)'s contract: `rem` null or writable.
                unsafe { rem.write(sys::timespec(left)) };
            }
            sys::set_errno(e);
            -1
        }
    }
}

/// Whether a greenlet can sleep on `clock` (the others are CPU-time clocks).
fn wall_or_monotonic(clock: clockid_t) -> bool {
    matches!(
        clock,
        libc::CLOCK_REALTIME | libc::CLOCK_MONOTONIC | libc::CLOCK_BOOTTIME | libc::CLOCK_TAI
    )
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn clock_nanosleep(
    clock: clockid_t,
    flags: c_int,
    req: *const timespec,
    rem: *mut timespec,
) -> c_int {
    let ctx = Ctx::enter();
    // SAFETY: clock_nanosleep(2)'s contract: `req` a valid timespec.
    let request = unsafe { req.as_ref() }.and_then(duration);
    let absolute = flags & libc::TIMER_ABSTIME != 0;
    let wait = match request {
        Some(d) if ctx.active() && wall_or_monotonic(clock) && absolute => sys::clock_now(clock)
            .map(|now| duration(&now).map_or(Duration::ZERO, |now| d.saturating_sub(now))),
        Some(d) if ctx.active() && wall_or_monotonic(clock) => Some(d),
        _ => None,
    };
    let Some(d) = wait else {
        // SAFETY: clock_nanosleep(2)'s contract: `rem` null or writable.
        let r = unsafe {
            sys::syscall(
                libc::SYS_clock_nanosleep,
                [
                    clock.into(),
                    flags.into(),
                    req as c_long,
                    rem as c_long,
                    0,
                    0,
                ],
            )
        };
        // Unlike most calls it returns the error and leaves errno alone.
        let err = if r < 0 { sys::errno() } else { 0 };
        ctx.restore_errno();
        return err;
    };
    match sleep_for(&ctx, d) {
        Ok(()) => 0,
        Err((e, left)) => {
            if !absolute && !rem.is_null() {
                // SAFETY: clock_nanosleep(2)'s contract: `rem` null or
                // writable.
                unsafe { rem.write(sys::timespec(left)) };
            }
            ctx.restore_errno();
            e
        }
    }
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn usleep(usec: c_uint) -> c_int {
    let ctx = Ctx::enter();
    let d = Duration::from_micros(usec.into());
    if !ctx.active() {
        let ts = sys::timespec(d);
        // SAFETY: `ts` is a valid timespec; no remainder is asked for.
        return unsafe {
            sys::syscall(
                libc::SYS_nanosleep,
                [(&raw const ts) as c_long, 0, 0, 0, 0, 0],
            ) as c_int
        };
    }
    match sleep_for(&ctx, d) {
        Ok(()) => 0,
        Err((e, _)) => {
            sys::set_errno(e);
            -1
        }
    }
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn sleep(secs: c_uint) -> c_uint {
    let ctx = Ctx::enter();
    let d = Duration::from_secs(secs.into());
    let left = if ctx.active() {
        match sleep_for(&ctx, d) {
            Ok(()) => return 0,
            Err((e, left)) => {
                sys::set_errno(e);
                left
            }
        }
    } else {
        let ts = sys::timespec(d);
        let mut rem = sys::timespec(Duration::ZERO);
        // SAFETY: `ts` is a valid timespec and `rem` writable.
        let r = unsafe {
            sys::syscall(
                libc::SYS_nanosleep,
                [
                    (&raw const ts) as c_long,
                    (&raw mut rem) as c_long,
                    0,
                    0,
                    0,
                    0,
                ],
            )
        };
        if r == 0 {
            return 0;
        }
        duration(&rem).unwrap_or(Duration::ZERO)
    };
    // Unslept seconds, rounded up as glibc does.
    (left.as_secs() + u64::from(left.subsec_nanos() > 0)) as c_uint
}

// ===== name resolution =====

/// A C string argument as an owned copy (the lookup may outlive the call).
///
/// # Safety
///
/// `p` null or NUL-terminated.
unsafe fn owned_cstr(p: *const c_char) -> Option<CString> {
    // SAFETY: the caller's obligation.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_owned())
}

#[unsafe(no_mangle)]
pub(crate) unsafe extern "C" fn getaddrinfo(
    node: *const c_char,
    service: *const c_char,
    hints: *const addrinfo,
    res: *mut *mut addrinfo,
) -> c_int {
    let ctx = Ctx::enter();
    if !ctx.active() || res.is_null() {
        // SAFETY: getaddrinfo(3)'s contract, forwarded unchanged.
        return unsafe { sys::getaddrinfo(node, service, hints, res) };
    }
    // SAFETY: getaddrinfo(3)'s contract: `hints` null or a valid addrinfo.
    let hints = unsafe { hints.as_ref() }.map(|h| Hints {
        flags: h.ai_flags,
        family: h.ai_family,
        socktype: h.ai_socktype,
        protocol: h.ai_protocol,
    });
    // SAFETY: getaddrinfo(3)'s contract: `node` null or NUL-terminated.
    let node = unsafe { owned_cstr(node) };
    // SAFETY: getaddrinfo(3)'s contract: `service` null or NUL-terminated.
    let service = unsafe { owned_cstr(service) };
    let query = Query {
        node,
        service,
        hints,
    };
    let (rc, list) = lookup::resolve(&ctx, query);
    if rc == 0 {
        // SAFETY: getaddrinfo(3)'s contract: `res` writable (checked
        // non-null above).
        unsafe { res.write(list.into_raw()) };
    }
    rc
}

/// Every hook, by name, for [`verify`](crate::verify): each must be what
/// the name resolves to in the program.
pub(crate) fn table() -> [(&'static str, usize, usize); 29] {
    [
        (
            "socket",
            socket as *const () as usize,
            libc::socket as *const () as usize,
        ),
        (
            "socketpair",
            socketpair as *const () as usize,
            libc::socketpair as *const () as usize,
        ),
        (
            "accept",
            accept as *const () as usize,
            libc::accept as *const () as usize,
        ),
        (
            "accept4",
            accept4 as *const () as usize,
            libc::accept4 as *const () as usize,
        ),
        (
            "close",
            close as *const () as usize,
            libc::close as *const () as usize,
        ),
        (
            "dup",
            dup as *const () as usize,
            libc::dup as *const () as usize,
        ),
        (
            "dup2",
            dup2 as *const () as usize,
            libc::dup2 as *const () as usize,
        ),
        (
            "dup3",
            dup3 as *const () as usize,
            libc::dup3 as *const () as usize,
        ),
        (
            "fcntl",
            fcntl as *const () as usize,
            libc::fcntl as *const () as usize,
        ),
        (
            "ioctl",
            ioctl as *const () as usize,
            libc::ioctl as *const () as usize,
        ),
        (
            "setsockopt",
            setsockopt as *const () as usize,
            libc::setsockopt as *const () as usize,
        ),
        (
            "read",
            read as *const () as usize,
            libc::read as *const () as usize,
        ),
        (
            "write",
            write as *const () as usize,
            libc::write as *const () as usize,
        ),
        (
            "readv",
            readv as *const () as usize,
            libc::readv as *const () as usize,
        ),
        (
            "writev",
            writev as *const () as usize,
            libc::writev as *const () as usize,
        ),
        (
            "recv",
            recv as *const () as usize,
            libc::recv as *const () as usize,
        ),
        (
            "send",
            send as *const () as usize,
            libc::send as *const () as usize,
        ),
        (
            "recvfrom",
            recvfrom as *const () as usize,
            libc::recvfrom as *const () as usize,
        ),
        (
            "sendto",
            sendto as *const () as usize,
            libc::sendto as *const () as usize,
        ),
        (
            "recvmsg",
            recvmsg as *const () as usize,
            libc::recvmsg as *const () as usize,
        ),
        (
            "sendmsg",
            sendmsg as *const () as usize,
            libc::sendmsg as *const () as usize,
        ),
        (
            "connect",
            connect as *const () as usize,
            libc::connect as *const () as usize,
        ),
        (
            "poll",
            poll as *const () as usize,
            libc::poll as *const () as usize,
        ),
        (
            "ppoll",
            ppoll as *const () as usize,
            libc::ppoll as *const () as usize,
        ),
        (
            "nanosleep",
            nanosleep as *const () as usize,
            libc::nanosleep as *const () as usize,
        ),
        (
            "clock_nanosleep",
            clock_nanosleep as *const () as usize,
            libc::clock_nanosleep as *const () as usize,
        ),
        (
            "usleep",
            usleep as *const () as usize,
            libc::usleep as *const () as usize,
        ),
        (
            "sleep",
            sleep as *const () as usize,
            libc::sleep as *const () as usize,
        ),
        (
            "getaddrinfo",
            getaddrinfo as *const () as usize,
            libc::getaddrinfo as *const () as usize,
        ),
    ]
}
