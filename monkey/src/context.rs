//! Whether a hook call takes the cooperative path, the reentrancy guard, and
//! the counters behind [`stats`](crate::stats).

#![forbid(unsafe_code)]

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use libc::c_int;

use crate::sys;

thread_local! {
    /// Set while this thread runs cooperative hook code (and cleared while
    /// that code is parked). A hook entered while it is set (from a signal
    /// handler, or from runtime code a hook called) forwards at once.
    static BUSY: Cell<bool> = const { Cell::new(false) };
}

/// Hooked calls that parked their greenlet (waited for I/O or slept).
pub(crate) static WAITS: AtomicU64 = AtomicU64::new(0);
/// `getaddrinfo` calls moved to the thread pool.
pub(crate) static LOOKUPS: AtomicU64 = AtomicU64::new(0);

pub(crate) fn count(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// One hook invocation: cooperative (inside a greenlet, not reentrant) or
/// inert. Remembers `errno` on entry so a call that succeeds after waiting
/// leaves it as it was.
#[derive(Debug)]
pub(crate) struct Ctx {
    active: bool,
    saved_errno: c_int,
}

impl Ctx {
    /// Outside a greenlet this reads one thread-local (besides `errno`)
    /// and nothing else: no allocation, no lock.
    #[inline]
    pub(crate) fn enter() -> Ctx {
        let saved_errno = sys::errno();
        let active = sprout_runtime::hub::in_greenlet() && !BUSY.replace(true);
        Ctx {
            active,
            saved_errno,
        }
    }

    /// Whether the call may park its greenlet.
    #[inline]
    pub(crate) fn active(&self) -> bool {
        self.active
    }

    /// Puts `errno` back as it was on entry (after a success).
    #[inline]
    pub(crate) fn restore_errno(&self) {
        sys::set_errno(self.saved_errno);
    }

    /// Runs `f`, which parks the greenlet, with the guard lifted so other
    /// greenlets' hooks work meanwhile.
    pub(crate) fn parked<R>(&self, f: impl FnOnce() -> R) -> R {
        debug_assert!(self.active);
        count(&WAITS);
        BUSY.set(false);
        let r = f();
        BUSY.set(true);
        r
    }
}

impl Drop for Ctx {
    fn drop(&mut self) {
        if self.active {
            BUSY.set(false);
        }
    }
}
