//! The hub's record of one greenlet.

use std::panic::Location;
use std::rc::Rc;

use corosensei::{Coroutine, Yielder};

use crate::greenlet::stack::GreenStack;
use crate::time::timer_queue::TimerKey;

/// A greenlet's coroutine: resumed with `()`, suspends with `()`.
pub(crate) type Coro = Coroutine<(), (), (), GreenStack>;

/// The greenlet's view of its coroutine.
pub(crate) type GreenYielder = Yielder<(), ()>;

/// Scheduling state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// In the run queue.
    Ready,
    /// Executing (or, for the main greenlet, running the hub loop's caller).
    Running,
    /// Suspended until woken.
    Parked,
}

/// Completes a greenlet's join state when it is killed before it starts.
pub(crate) trait Completion {
    fn complete_killed(self: Rc<Self>);
}

/// Everything the hub knows about one greenlet.
pub(crate) struct Entry {
    pub(crate) id: u64,
    pub(crate) name: Option<Rc<str>>,
    pub(crate) location: &'static Location<'static>,
    pub(crate) state: State,
    /// Wait sequence number; a `WakeToken` or run-queue item is valid only
    /// while it matches.
    pub(crate) seq: u64,
    /// Woken after preparing to park but before parking.
    pub(crate) notified: bool,
    /// The last wake-up came from the park deadline.
    pub(crate) timed_out: bool,
    /// A kill is pending; delivered at the next suspension point.
    pub(crate) kill: bool,
    /// A `with_timeout` that fired: (timeout id, nesting depth). The
    /// outermost of those that were started while the greenlet was not
    /// unwinding.
    pub(crate) pending_timeout: Option<(u64, u32)>,
    /// Likewise for the blocks started while it was unwinding (in a
    /// destructor run by a kill, a timeout or a panic): the only expiries
    /// that may unwind it while it still is (see `Hub::due`).
    pub(crate) pending_inner: Option<(u64, u32)>,
    /// It was unwinding (`std::thread::panicking()`) when it last parked or
    /// yielded, so a kill or an outer timeout must not unwind it from that
    /// suspension: unwinding out of a destructor during cleanup aborts the
    /// process. Those wait, and neither wakes it.
    pub(crate) unwinding: bool,
    /// How many `with_timeout` blocks are active.
    pub(crate) timeout_depth: u32,
    /// What the greenlet is blocked in, for diagnostics.
    pub(crate) waiting_on: &'static str,
    /// The timer of the current park's deadline, or the one that starts a
    /// `spawn_later` greenlet (the diagnostics show its deadline).
    pub(crate) park_timer: Option<TimerKey>,
    /// The body, until the greenlet first runs.
    pub(crate) start: Option<Box<dyn FnOnce()>>,
    /// Its stack, until the greenlet first runs.
    pub(crate) stack: Option<GreenStack>,
    /// The coroutine, while started and suspended (boxed: it moves in and
    /// out of the entry on every switch).
    pub(crate) coroutine: Option<Box<Coro>>,
    /// Top of its stack, for the overflow handler.
    pub(crate) stack_top: usize,
    /// About where its stack pointer was when it last parked (0 before
    /// that): the hub prefetches the stack lines around it before the
    /// greenlet runs again.
    pub(crate) park_sp: usize,
    /// The object its last park waited through (see `Hub::park_inner`), 0
    /// for none; prefetched with its stack.
    pub(crate) park_hint: usize,
    /// Set by the greenlet on its first run; points into its own stack.
    pub(crate) yielder: *const GreenYielder,
    /// Completes the join state if killed before starting.
    pub(crate) completion: Option<Rc<dyn Completion>>,
}

impl Entry {
    pub(crate) fn main(id: u64) -> Self {
        Entry {
            id,
            name: Some(Rc::from("main")),
            location: Location::caller(),
            state: State::Running,
            seq: 0,
            notified: false,
            timed_out: false,
            kill: false,
            pending_timeout: None,
            pending_inner: None,
            unwinding: false,
            timeout_depth: 0,
            waiting_on: "",
            park_timer: None,
            start: None,
            stack: None,
            coroutine: None,
            stack_top: 0,
            park_sp: 0,
            park_hint: 0,
            yielder: std::ptr::null(),
            completion: None,
        }
    }

    /// Has not run yet (no coroutine made).
    pub(crate) fn not_started(&self) -> bool {
        self.start.is_some()
    }

    /// Records that the greenlet parks in `what`, with its stack pointer
    /// about at `sp` (see [`park_sp`](Self::park_sp)) and `hint` the object
    /// it waits through.
    #[inline(always)]
    pub(crate) fn parked(&mut self, what: &'static str, sp: usize, hint: usize) {
        self.state = State::Parked;
        self.unwinding = std::thread::panicking();
        self.waiting_on = what;
        self.park_sp = sp;
        self.park_hint = hint;
    }

    /// Records that the greenlet runs again after a park, under the new
    /// sequence number `seq` (which outdates the park's tokens). Returns
    /// whether the park's deadline woke it, and the park's timer, for the
    /// caller to cancel.
    #[inline(always)]
    pub(crate) fn unparked(&mut self, seq: u64) -> (bool, Option<TimerKey>) {
        self.state = State::Running;
        self.waiting_on = "";
        self.seq = seq;
        (self.timed_out, self.park_timer.take())
    }
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("state", &self.state)
            .field("waiting_on", &self.waiting_on)
            .finish_non_exhaustive()
    }
}
