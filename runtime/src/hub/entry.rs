//! The hub's record of one greenlet.

use std::num::NonZeroU32;
use std::panic::Location;
use std::rc::Rc;

use corosensei::{Coroutine, Yielder};

use crate::greenlet::stack::{GreenStack, StackCoro};
use crate::time::timer_queue::TimerKey;

/// A greenlet's coroutine: resumed with `()`, suspends with `()`.
pub(crate) type Coro = Coroutine<(), (), (), GreenStack>;

/// The greenlet's view of its coroutine.
pub(crate) type GreenYielder = Yielder<(), ()>;

/// Scheduling state.
///
/// Four bytes wide so that its unused values are the entry's largest
/// niche: the hub's slab keeps its vacant/occupied tag in an entry's
/// largest niche, and every lookup of a key reads that tag, so it must be
/// in the entry's first line with the rest of a wake-up's fields (see
/// [`Entry`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
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

/// Besides its stack, what the hub prefetches before it resumes a parked
/// greenlet: the memory its wake-up touches first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ParkHints {
    /// The address of an object it waited through (its socket's
    /// registration, see `Hub::park_inner`), of any alignment; 0 for none.
    pub(crate) object: usize,
    /// The address of a record it reads again on the wake-up that is one
    /// cache line, line-aligned (its socket's state in the io driver); 0
    /// for none.
    pub(crate) line: usize,
}

/// Everything the hub knows about one greenlet.
///
/// Laid out by hand (and aligned, like its slot in the hub's slab, to a
/// cache line) so that a wake-up and a resume touch two lines of it: with
/// thousands of greenlets the entries no longer stay cached between two of
/// a greenlet's runs, and each line touched is a miss. The first line
/// holds what the hub reads to wake, prefetch and resume the greenlet, the
/// second what a park writes; the rest is read only at spawn, at exit, for
/// diagnostics or while a kill or timeout is pending.
///
/// The slab's tag also lives in the first line: the slab stores whether a
/// slot is vacant in the largest niche of `Entry`, which is `state`'s
/// (four bytes, three values used). No field outside line 0 may have a
/// larger one: a pending timeout's depth is a `NonZeroU32` (it counts from
/// one) so that its `Option` needs no tag of its own; with a `u32` depth,
/// that tag's unused values were the largest niche, and every lookup of a
/// key read a third line of the entry.
#[repr(C, align(64))]
pub(crate) struct Entry {
    // ===== line 0: wake-up and resume =====
    /// Wait sequence number; a `WakeToken` or run-queue item is valid only
    /// while it matches.
    pub(crate) seq: u64,
    /// The coroutine, once started (kept at the top of its stack, so that
    /// it stays put while it runs even if the slab reallocates).
    pub(crate) coroutine: Option<StackCoro>,
    /// Set by the greenlet on its first run; points into its own stack.
    pub(crate) yielder: *const GreenYielder,
    /// Top of its stack, for the overflow handler.
    pub(crate) stack_top: usize,
    /// About where its stack pointer was when it last parked (0 before
    /// that): the hub prefetches the stack lines around it before the
    /// greenlet runs again.
    pub(crate) park_sp: usize,
    /// What its last park waited through, prefetched with its stack.
    pub(crate) park_hints: ParkHints,
    pub(crate) state: State,
    /// Woken after preparing to park but before parking.
    pub(crate) notified: bool,
    /// The last wake-up came from the park deadline.
    pub(crate) timed_out: bool,
    /// A kill is pending; delivered at the next suspension point.
    pub(crate) kill: bool,
    /// It was unwinding (`std::thread::panicking()`) when it last parked or
    /// yielded, so a kill or an outer timeout must not unwind it from that
    /// suspension: unwinding out of a destructor during cleanup aborts the
    /// process. Those wait, and neither wakes it.
    pub(crate) unwinding: bool,
    // ===== line 1: park =====
    pub(crate) id: u64,
    /// What the greenlet is blocked in, for diagnostics.
    pub(crate) waiting_on: &'static str,
    /// The timer of the current park's deadline, or the one that starts a
    /// `spawn_later` greenlet (the diagnostics show its deadline).
    pub(crate) park_timer: Option<TimerKey>,
    /// How many `with_timeout` blocks are active.
    pub(crate) timeout_depth: u32,
    // ===== the rest =====
    /// A `with_timeout` that fired: (timeout id, nesting depth from 1). The
    /// outermost of those that were started while the greenlet was not
    /// unwinding.
    pub(crate) pending_timeout: Option<(u64, NonZeroU32)>,
    /// Likewise for the blocks started while it was unwinding (in a
    /// destructor run by a kill, a timeout or a panic): the only expiries
    /// that may unwind it while it still is (see `Hub::due`).
    pub(crate) pending_inner: Option<(u64, NonZeroU32)>,
    pub(crate) name: Option<Rc<str>>,
    pub(crate) location: &'static Location<'static>,
    /// The body, until the greenlet first runs.
    pub(crate) start: Option<Box<dyn FnOnce()>>,
    /// Its stack, until the greenlet first runs.
    pub(crate) stack: Option<GreenStack>,
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
            park_hints: ParkHints::default(),
            yielder: std::ptr::null(),
            completion: None,
        }
    }

    /// Has not run yet (no coroutine made).
    pub(crate) fn not_started(&self) -> bool {
        self.start.is_some()
    }

    /// Records that the greenlet parks in `what`, with its stack pointer
    /// about at `sp` (see [`park_sp`](Self::park_sp)) and `hints` what it
    /// waits through.
    #[inline(always)]
    pub(crate) fn parked(&mut self, what: &'static str, sp: usize, hints: ParkHints) {
        self.state = State::Parked;
        self.unwinding = std::thread::panicking();
        self.waiting_on = what;
        self.park_sp = sp;
        self.park_hints = hints;
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

#[cfg(test)]
mod tests {
    use std::mem::offset_of;

    use super::Entry;

    #[test]
    fn the_fields_of_a_wake_up_and_a_resume_are_in_two_lines() {
        assert_eq!(align_of::<Entry>(), 64);
        assert_eq!(size_of::<Entry>(), 256);
        for end in [
            offset_of!(Entry, seq) + 8,
            offset_of!(Entry, coroutine) + 8,
            offset_of!(Entry, yielder) + 8,
            offset_of!(Entry, stack_top) + 8,
            offset_of!(Entry, park_sp) + 8,
            offset_of!(Entry, park_hints) + 16,
            offset_of!(Entry, state) + 4,
            offset_of!(Entry, unwinding) + 1,
        ] {
            assert!(end <= 64, "a field of line 0 ends at byte {end}");
        }
        for end in [
            offset_of!(Entry, id) + 8,
            offset_of!(Entry, waiting_on) + 16,
            offset_of!(Entry, park_timer) + 24,
            offset_of!(Entry, timeout_depth) + 4,
        ] {
            assert!(end <= 128, "a field of line 1 ends at byte {end}");
        }
        // The slab's tag goes to the largest niche, which must be state's
        // (line 0): four bytes with three values used, which beats the
        // nanoseconds of the park timer's `Instant` (a billion values
        // used); a pending timeout's `Option` has no niche left over.
        assert_eq!(size_of::<super::State>(), 4);
        type Pending = Option<(u64, std::num::NonZeroU32)>;
        assert_eq!(size_of::<Pending>(), 16);
        assert!(size_of::<Option<Pending>>() > size_of::<Pending>());
        // The slab keeps the alignment (its slot adds no tag: the state
        // enum has room for it).
        let mut slab = slab::Slab::new();
        let a = slab.insert(Entry::main(0));
        let b = slab.insert(Entry::main(1));
        let (pa, pb) = (
            std::ptr::from_ref(&slab[a]).addr(),
            std::ptr::from_ref(&slab[b]).addr(),
        );
        assert_eq!(pa % 64, 0);
        assert_eq!(pb - pa, 256);
    }
}
