//! The per-fd state table: which sockets sprout made non-blocking, and what
//! the user believes their mode is.
//!
//! One `AtomicU64` per fd number below [`MAX_FDS`], in a zeroed static (so
//! untouched pages cost nothing): the low 32 bits are flags, the high 32 a
//! generation bumped whenever the number gets a new meaning (created,
//! adopted, closed, duplicated onto). Per-thread registrations remember the
//! generation they were made for, so a registration for an fd number that
//! was closed and reused is recognised as stale.
//!
//! Reading and writing it never allocates or locks, so the fd hooks keep it
//! right on every path, inside greenlets or not.

#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use libc::c_int;

use crate::sys;

/// Fd numbers the table covers; higher fds are never managed (they block
/// as without sprout).
pub(crate) const MAX_FDS: usize = 1 << 20;

static TABLE: [AtomicU64; MAX_FDS] = [const { AtomicU64::new(0) }; MAX_FDS];

/// Whether any socket timeout (`SO_RCVTIMEO`/`SO_SNDTIMEO`) was ever set
/// through the hooks; until then waits skip asking the kernel for one.
pub(crate) static TIMEOUTS_USED: AtomicBool = AtomicBool::new(false);

/// The entry describes the fd now open under this number.
pub(crate) const KNOWN: u32 = 1;
/// The fd is a socket.
pub(crate) const SOCKET: u32 = 1 << 1;
/// sprout set `O_NONBLOCK` on it; the user's view is [`USER_NONBLOCK`].
pub(crate) const MANAGED: u32 = 1 << 2;
/// The user asked for non-blocking mode.
pub(crate) const USER_NONBLOCK: u32 = 1 << 3;
/// Some thread's hub has a registration for it.
pub(crate) const REGISTERED: u32 = 1 << 4;

/// A snapshot of one fd's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) generation: u32,
    pub(crate) flags: u32,
}

impl Entry {
    const NONE: Entry = Entry {
        generation: 0,
        flags: 0,
    };

    pub(crate) fn has(self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// Managed and blocking in the user's eyes: the hooks make it wait.
    pub(crate) fn emulates_blocking(self) -> bool {
        self.has(MANAGED) && !self.has(USER_NONBLOCK)
    }
}

fn slot(fd: c_int) -> Option<&'static AtomicU64> {
    usize::try_from(fd).ok().and_then(|i| TABLE.get(i))
}

fn unpack(v: u64) -> Entry {
    Entry {
        generation: (v >> 32) as u32,
        flags: v as u32,
    }
}

/// The entry of `fd` (empty for fds out of range).
pub(crate) fn get(fd: c_int) -> Entry {
    slot(fd).map_or(Entry::NONE, |s| unpack(s.load(Ordering::Acquire)))
}

/// Gives `fd` a new meaning: `flags`, with a fresh generation.
pub(crate) fn set(fd: c_int, flags: u32) {
    if let Some(s) = slot(fd) {
        let generation = unpack(s.load(Ordering::Acquire)).generation.wrapping_add(1);
        s.store(
            (u64::from(generation) << 32) | u64::from(flags),
            Ordering::Release,
        );
    }
}

/// Forgets `fd` (it was closed or created by a path that does not manage).
pub(crate) fn clear(fd: c_int) {
    set(fd, 0);
}

/// `to` now refers to the same open file as `from` (dup): same mode, but
/// not registered anywhere under the new number.
pub(crate) fn copy(from: c_int, to: c_int) {
    set(to, get(from).flags & !REGISTERED);
}

/// Sets or clears `flag` on `fd`, keeping the generation.
pub(crate) fn update(fd: c_int, flag: u32, on: bool) {
    if let Some(s) = slot(fd) {
        let bits = u64::from(flag);
        if on {
            s.fetch_or(bits, Ordering::AcqRel);
        } else {
            s.fetch_and(!bits, Ordering::AcqRel);
        }
    }
}

/// The entry of `fd`, classifying it first if it is unknown: called in a
/// greenlet before the first hooked operation on an fd that was opened
/// outside a greenlet (a listener bound in `main`) or by a path without
/// hooks.
///
/// A socket (fd 3 and up: stdio stays as it is, since it is shared with
/// other processes) is managed: made non-blocking in the kernel, with the
/// mode it had as the user's view. Anything else (files, pipes, ttys,
/// eventfds) is left alone and marked known, so it is classified once.
pub(crate) fn adopt(fd: c_int) -> Entry {
    let e = get(fd);
    if e.has(KNOWN) || slot(fd).is_none() {
        return e;
    }
    let fl = sys::fcntl_int(fd, libc::F_GETFL, 0);
    if fl < 0 {
        return e; // not open: the operation itself reports EBADF
    }
    let flags = if fd > 2 && sys::is_socket(fd) {
        let user_nonblock = fl & libc::O_NONBLOCK as sys::Ret != 0;
        if !user_nonblock
            && sys::fcntl_int(fd, libc::F_SETFL, fl | libc::O_NONBLOCK as sys::Ret) < 0
        {
            KNOWN | SOCKET
        } else if user_nonblock {
            KNOWN | SOCKET | MANAGED | USER_NONBLOCK
        } else {
            KNOWN | SOCKET | MANAGED
        }
    } else {
        KNOWN
    };
    set(fd, flags);
    get(fd)
}

/// Flags for a socket a hook just created inside a greenlet (always
/// non-blocking in the kernel); `nonblock` is what the caller asked for.
pub(crate) fn new_socket(fd: c_int, nonblock: bool) {
    let user = if nonblock { USER_NONBLOCK } else { 0 };
    set(fd, KNOWN | SOCKET | MANAGED | user);
}
