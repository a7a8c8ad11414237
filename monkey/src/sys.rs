//! Raw system calls, `errno`, and the real `getaddrinfo`.
//!
//! Hooks forward with `libc::syscall` rather than calling libc's function of
//! the same name: that name now resolves to the hook itself, and
//! `dlsym(RTLD_NEXT)` does not work in statically linked programs. Only
//! `getaddrinfo`, which is no system call, is looked up with `dlsym`.
//!
//! The wrappers whose arguments are all integers are safe functions; those
//! that pass pointers are `unsafe fn` with the kernel's contract as their
//! safety precondition.

use std::ffi::CStr;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use libc::{addrinfo, c_char, c_int, c_long};

/// Result of a raw system call: `-1` with `errno` set on failure.
pub(crate) type Ret = c_long;

/// Issues system call `nr` with up to six arguments (unused ones are
/// ignored by the kernel).
///
/// # Safety
///
/// `args` must satisfy the contract of system call `nr`: every pointer valid
/// for the access and length the call makes.
#[inline]
pub(crate) unsafe fn syscall(nr: c_long, args: [c_long; 6]) -> Ret {
    // SAFETY: forwarded from the caller's obligation on `nr` and `args`.
    unsafe { libc::syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]) }
}

/// `syscall` for calls that take integers only and so cannot touch memory.
#[inline]
fn int_syscall(nr: c_long, args: [c_long; 6]) -> Ret {
    // SAFETY: every caller passes a call number whose arguments are plain
    // integers (fds, flags, commands that take an int), so no memory is
    // read or written on our behalf.
    unsafe { syscall(nr, args) }
}

/// This thread's `errno`.
#[inline]
pub(crate) fn errno() -> c_int {
    io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Sets this thread's `errno`.
#[inline]
pub(crate) fn set_errno(value: c_int) {
    // SAFETY: `__errno_location` has no preconditions.
    let p = unsafe { libc::__errno_location() };
    // SAFETY: it returns a valid, aligned pointer to this thread's errno,
    // which lives as long as the thread.
    unsafe { *p = value };
}

/// Whether `e` means "would block".
#[inline]
pub(crate) fn would_block(e: c_int) -> bool {
    e == libc::EAGAIN || e == libc::EWOULDBLOCK
}

pub(crate) fn close(fd: c_int) -> Ret {
    int_syscall(libc::SYS_close, [fd as c_long, 0, 0, 0, 0, 0])
}

pub(crate) fn dup(fd: c_int) -> Ret {
    int_syscall(libc::SYS_dup, [fd as c_long, 0, 0, 0, 0, 0])
}

pub(crate) fn dup3(old: c_int, new: c_int, flags: c_int) -> Ret {
    int_syscall(
        libc::SYS_dup3,
        [old as c_long, new as c_long, flags as c_long, 0, 0, 0],
    )
}

/// `dup2`, whose `old == new` case (check `old` is valid, return it)
/// `dup3` rejects.
pub(crate) fn dup2(old: c_int, new: c_int) -> Ret {
    if old == new {
        let r = fcntl_int(old, libc::F_GETFD, 0);
        return if r < 0 { r } else { Ret::from(old) };
    }
    dup3(old, new, 0)
}

/// `fcntl` with an integer argument (every command but the lock, owner and
/// lease ones that take pointers).
pub(crate) fn fcntl_int(fd: c_int, cmd: c_int, arg: c_long) -> Ret {
    int_syscall(libc::SYS_fcntl, [fd as c_long, cmd as c_long, arg, 0, 0, 0])
}

/// Whether `cmd` is an `fcntl` command whose argument is a plain integer.
pub(crate) fn fcntl_takes_int(cmd: c_int) -> bool {
    matches!(
        cmd,
        libc::F_DUPFD
            | libc::F_DUPFD_CLOEXEC
            | libc::F_GETFD
            | libc::F_SETFD
            | libc::F_GETFL
            | libc::F_SETFL
    )
}

/// Whether `fd` is a socket (`fstat`; false if it is not open).
pub(crate) fn is_socket(fd: c_int) -> bool {
    let mut st = std::mem::MaybeUninit::<libc::stat>::zeroed();
    // SAFETY: `st` is a writable `struct stat`, as fstat(2) requires.
    let r = unsafe {
        syscall(
            libc::SYS_fstat,
            [fd as c_long, st.as_mut_ptr() as c_long, 0, 0, 0, 0],
        )
    };
    if r < 0 {
        return false;
    }
    // SAFETY: fstat succeeded, so it filled the whole struct (and it was
    // zeroed before anyway).
    let st = unsafe { st.assume_init() };
    st.st_mode & libc::S_IFMT == libc::S_IFSOCK
}

/// The socket's `SO_RCVTIMEO` or `SO_SNDTIMEO`; `None` when unset (zero) or
/// not a socket.
pub(crate) fn socket_timeout(fd: c_int, option: c_int) -> Option<Duration> {
    let mut tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    let mut len = size_of::<libc::timeval>() as libc::socklen_t;
    // SAFETY: `tv` and `len` are writable and `len` holds the size of `tv`,
    // as getsockopt(2) requires.
    let r = unsafe {
        syscall(
            libc::SYS_getsockopt,
            [
                fd as c_long,
                libc::SOL_SOCKET as c_long,
                option as c_long,
                (&raw mut tv) as c_long,
                (&raw mut len) as c_long,
                0,
            ],
        )
    };
    if r < 0 || (tv.tv_sec <= 0 && tv.tv_usec <= 0) {
        return None;
    }
    Some(Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64))
}

/// `SO_ERROR` of a socket (the result of a non-blocking connect).
pub(crate) fn socket_error(fd: c_int) -> c_int {
    let mut err: c_int = 0;
    let mut len = size_of::<c_int>() as libc::socklen_t;
    // SAFETY: `err` and `len` are writable and `len` holds the size of
    // `err`, as getsockopt(2) requires.
    let r = unsafe {
        syscall(
            libc::SYS_getsockopt,
            [
                fd as c_long,
                libc::SOL_SOCKET as c_long,
                libc::SO_ERROR as c_long,
                (&raw mut err) as c_long,
                (&raw mut len) as c_long,
                0,
            ],
        )
    };
    if r < 0 { errno() } else { err }
}

/// `ppoll` over `fds` with `timeout` (`None`: forever) and no signal mask.
pub(crate) fn ppoll(fds: &mut [libc::pollfd], timeout: Option<Duration>) -> Ret {
    let ts = timeout.map(timespec);
    let ts_ptr = ts.as_ref().map_or(std::ptr::null(), |t| t as *const _);
    // SAFETY: `fds` is a valid, writable array of `fds.len()` entries and
    // `ts_ptr` is null or points at a live timespec, as ppoll(2) requires.
    unsafe {
        syscall(
            libc::SYS_ppoll,
            [
                fds.as_mut_ptr() as c_long,
                fds.len() as c_long,
                ts_ptr as c_long,
                0,
                8,
                0,
            ],
        )
    }
}

/// A `Duration` as a `timespec` (saturating).
pub(crate) fn timespec(d: Duration) -> libc::timespec {
    libc::timespec {
        tv_sec: d.as_secs().min(libc::time_t::MAX as u64) as libc::time_t,
        tv_nsec: d.subsec_nanos() as c_long,
    }
}

/// `clock_gettime(clock)`; `None` for an invalid clock.
pub(crate) fn clock_now(clock: libc::clockid_t) -> Option<libc::timespec> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a writable timespec, as clock_gettime(2) requires;
    // libc's clock_gettime (vDSO) is not hooked.
    let r = unsafe { libc::clock_gettime(clock, &raw mut ts) };
    (r == 0).then_some(ts)
}

pub(crate) fn epoll_create() -> Ret {
    int_syscall(
        libc::SYS_epoll_create1,
        [libc::EPOLL_CLOEXEC as c_long, 0, 0, 0, 0, 0],
    )
}

/// Adds (or, with `modify`, changes) `fd` in `epfd` with `events`,
/// level-triggered.
pub(crate) fn epoll_ctl(epfd: c_int, modify: bool, fd: c_int, events: u32) -> Ret {
    let mut ev = libc::epoll_event {
        events,
        u64: fd as u64,
    };
    let op = if modify {
        libc::EPOLL_CTL_MOD
    } else {
        libc::EPOLL_CTL_ADD
    };
    // SAFETY: `ev` is a valid epoll_event, as epoll_ctl(2) requires.
    unsafe {
        syscall(
            libc::SYS_epoll_ctl,
            [
                epfd as c_long,
                op as c_long,
                fd as c_long,
                (&raw mut ev) as c_long,
                0,
                0,
            ],
        )
    }
}

/// Takes ownership of a fresh fd (as returned by [`eventfd`]).
pub(crate) fn owned_fd(fd: c_int) -> OwnedFd {
    debug_assert!(fd >= 0);
    // SAFETY: callers pass an fd they just created and nothing else owns.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// A non-blocking, close-on-exec eventfd.
pub(crate) fn eventfd() -> Ret {
    int_syscall(
        libc::SYS_eventfd2,
        [
            (libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) as c_long,
            0,
            0,
            0,
            0,
            0,
        ],
    )
}

/// Adds one to an eventfd.
pub(crate) fn eventfd_signal(fd: c_int) {
    let one: u64 = 1;
    // SAFETY: `one` is 8 readable bytes, as write(2) on an eventfd needs.
    let _ = unsafe {
        syscall(
            libc::SYS_write,
            [fd as c_long, (&raw const one) as c_long, 8, 0, 0, 0],
        )
    };
}

// ===== getaddrinfo =====

/// The signature of `getaddrinfo(3)`.
type GetAddrInfo = unsafe extern "C" fn(
    *const c_char,
    *const c_char,
    *const addrinfo,
    *mut *mut addrinfo,
) -> c_int;

/// libc's own `getaddrinfo`, looked up once (0: not yet, 1: not found).
static REAL_GETADDRINFO: AtomicUsize = AtomicUsize::new(0);

fn real_getaddrinfo() -> Option<GetAddrInfo> {
    let mut p = REAL_GETADDRINFO.load(Ordering::Acquire);
    if p == 0 {
        // SAFETY: the name is a valid NUL-terminated string; RTLD_NEXT
        // finds the next definition after this executable, libc's.
        let sym = unsafe { libc::dlsym(libc::RTLD_NEXT, c"getaddrinfo".as_ptr()) };
        p = if sym.is_null() { 1 } else { sym as usize };
        REAL_GETADDRINFO.store(p, Ordering::Release);
    }
    if p == 1 {
        return None;
    }
    // SAFETY: `p` is the address dlsym returned for `getaddrinfo`, a
    // function with exactly this signature.
    Some(unsafe { std::mem::transmute::<usize, GetAddrInfo>(p) })
}

/// Calls libc's own `getaddrinfo`. `EAI_SYSTEM` with `ENOSYS` if it cannot
/// be found (a statically linked program).
///
/// # Safety
///
/// As for `getaddrinfo(3)`: `node` and `service` null or NUL-terminated,
/// `hints` null or a valid `addrinfo`, `res` writable.
pub(crate) unsafe fn getaddrinfo(
    node: *const c_char,
    service: *const c_char,
    hints: *const addrinfo,
    res: *mut *mut addrinfo,
) -> c_int {
    match real_getaddrinfo() {
        // SAFETY: forwarded from the caller's obligation.
        Some(f) => unsafe { f(node, service, hints, res) },
        None => {
            set_errno(libc::ENOSYS);
            libc::EAI_SYSTEM
        }
    }
}

/// A result list of `getaddrinfo`, freed on drop unless taken.
#[derive(Debug)]
pub(crate) struct AddrInfoList(*mut addrinfo);

// SAFETY: the list is plain heap memory owned by whoever holds this value;
// glibc's `freeaddrinfo` may run on any thread.
unsafe impl Send for AddrInfoList {}

impl AddrInfoList {
    pub(crate) fn empty() -> AddrInfoList {
        AddrInfoList(std::ptr::null_mut())
    }

    /// Hands the list to the caller, who must free it with `freeaddrinfo`.
    pub(crate) fn into_raw(self) -> *mut addrinfo {
        let p = self.0;
        std::mem::forget(self);
        p
    }
}

impl Drop for AddrInfoList {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the pointer came from a successful getaddrinfo and is
            // freed exactly once, here.
            unsafe { libc::freeaddrinfo(self.0) };
        }
    }
}

/// Resolves with libc's own `getaddrinfo` (blocking): the return code, the
/// list, and `errno` (meaningful for `EAI_SYSTEM`).
pub(crate) fn resolve(
    node: Option<&CStr>,
    service: Option<&CStr>,
    hints: Option<&addrinfo>,
) -> (c_int, AddrInfoList, c_int) {
    let mut res: *mut addrinfo = std::ptr::null_mut();
    // SAFETY: the strings are NUL-terminated, `hints` a valid addrinfo with
    // null pointers (see `lookup::Hints`), and `res` writable.
    let rc = unsafe {
        getaddrinfo(
            node.map_or(std::ptr::null(), CStr::as_ptr),
            service.map_or(std::ptr::null(), CStr::as_ptr),
            hints.map_or(std::ptr::null(), |h| h as *const addrinfo),
            &raw mut res,
        )
    };
    let err = errno();
    let list = AddrInfoList(if rc == 0 { res } else { std::ptr::null_mut() });
    (rc, list, err)
}
