//! `Notify`: wake-ups between greenlets of one hub, for the server.
//!
//! A thin layer over the runtime's [`Event`]: `notify_all` sets and clears
//! it, which wakes every greenlet waiting at that moment (an `Event` wait
//! returns `true` if the flag was set at any point during it). Purely
//! local, so a wait for it is reported as a deadlock when nothing else can
//! run.

use std::time::Instant;

use sprout_runtime::sync::Event;

/// A list of parked greenlets waiting for a condition to change.
#[derive(Debug, Default)]
pub(crate) struct Notify {
    event: Event,
}

impl Notify {
    /// Parks the current greenlet until `ready()` holds (checked before and
    /// after every wake-up) or `deadline` passes; returns whether it holds.
    ///
    /// # Panics
    ///
    /// If nothing could ever notify it (a deadlock: "would block forever").
    pub(crate) fn wait_until(&self, deadline: Option<Instant>, ready: impl Fn() -> bool) -> bool {
        loop {
            if ready() {
                return true;
            }
            let notified = match deadline {
                None => self.event.wait(),
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => self.event.wait_timeout(left),
                    _ => false,
                },
            };
            if ready() {
                return true;
            }
            if !notified {
                return false;
            }
        }
    }

    /// Wakes every waiter (each re-checks its condition). Never switches.
    pub(crate) fn notify_all(&self) {
        self.event.set();
        self.event.clear();
    }

    /// Whether anybody waits.
    pub(crate) fn has_waiters(&self) -> bool {
        self.event.waiters() > 0
    }
}
