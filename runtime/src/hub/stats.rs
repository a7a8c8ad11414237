//! Hub counters.

use std::cell::Cell;

/// Counters of one hub, as returned by [`stats`](crate::hub::stats).
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub(crate) spawned: Cell<u64>,
    pub(crate) finished: Cell<u64>,
    pub(crate) switches: Cell<u64>,
    pub(crate) turns: Cell<u64>,
}

impl Stats {
    /// Greenlets spawned on this hub.
    pub fn spawned(&self) -> u64 {
        self.spawned.get()
    }

    /// Greenlets that finished (returned, panicked or were killed).
    pub fn finished(&self) -> u64 {
        self.finished.get()
    }

    /// Switches from the hub into a greenlet.
    pub fn switches(&self) -> u64 {
        self.switches.get()
    }

    /// Turns of the loop (io polls).
    pub fn turns(&self) -> u64 {
        self.turns.get()
    }
}
