//! `Notify`: wake-ups between greenlets of one hub, for the server.
//!
//! Built only on the runtime's public [`park_remote`]: a waiter parks with a
//! [`RemoteWake`] that `notify_all` fires.

use std::cell::RefCell;
use std::time::Instant;

use sprout_runtime::hub::Woke;
use sprout_runtime::io::{RemoteWake, park_remote};

/// A list of parked greenlets waiting for a condition to change.
#[derive(Debug, Default)]
pub(crate) struct Notify {
    waiters: RefCell<Vec<RemoteWake>>,
}

impl Notify {
    /// Parks the current greenlet until `ready()` holds (checked before and
    /// after every wake-up) or `deadline` passes; returns whether it holds.
    pub(crate) fn wait_until(
        &self,
        what: &'static str,
        deadline: Option<Instant>,
        ready: impl Fn() -> bool,
    ) -> bool {
        loop {
            if ready() {
                return true;
            }
            let woke = park_remote(what, deadline, |remote| {
                self.waiters.borrow_mut().push(remote)
            })
            .unwrap_or_else(|e| panic!("{e}"));
            if ready() {
                return true;
            }
            if woke == Woke::TimedOut {
                return false;
            }
        }
    }

    /// Wakes every waiter (each re-checks its condition).
    pub(crate) fn notify_all(&self) {
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        for w in waiters {
            w.wake();
        }
    }

    /// Whether anybody waits.
    pub(crate) fn has_waiters(&self) -> bool {
        !self.waiters.borrow().is_empty()
    }
}
