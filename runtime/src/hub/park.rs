//! Parking: how a greenlet (or the main greenlet) waits, and how kills and
//! `with_timeout` expiries reach it at its suspension points.

use std::num::NonZeroU32;
use std::panic::resume_unwind;
use std::time::Instant;

use super::prefetch;
use super::run_queue::Ready;
use super::{
    Entry, Hub, Interruption, KillSignal, Killed, MAIN, ParkError, ParkHints, State, TimeoutHandle,
    TimeoutSignal, TimerAction, WakeToken, Woke, WouldBlockForever,
};
use crate::time::timer_queue::TimerKey;

impl Hub {
    // ===== parking =====

    /// Suspends the current greenlet until the token handed to `register` is
    /// woken or `deadline` passes; other greenlets run meanwhile. On the main
    /// greenlet this runs the hub loop inline.
    ///
    /// A pending kill or `with_timeout` expiry unwinds from here (before or
    /// after parking). `Err` means nothing could ever wake the caller.
    pub(crate) fn park(
        &self,
        what: &'static str,
        deadline: Option<Instant>,
        register: impl FnOnce(WakeToken),
    ) -> Result<Woke, WouldBlockForever> {
        match self.park_inner(what, deadline, register, false, 0) {
            Ok(w) => Ok(w),
            Err(ParkError::WouldBlockForever(e)) => Err(e),
            Err(ParkError::Interrupted(_)) => unreachable!("park unwinds on interrupts"),
        }
    }

    /// Like [`park`](Self::park), but a pending kill or `with_timeout`
    /// expiry makes it return `Err(ParkError::Interrupted)` instead of
    /// unwinding; the interrupt stays pending and unwinds at the next
    /// ordinary blocking call. For code that must not unwind (FFI frames).
    pub(super) fn park_interruptible(
        &self,
        what: &'static str,
        deadline: Option<Instant>,
        register: impl FnOnce(WakeToken),
    ) -> Result<Woke, ParkError> {
        self.park_inner(what, deadline, register, true, 0)
    }

    /// The interrupt pending for the running greenlet that may be
    /// delivered now, if any.
    pub(crate) fn pending_interrupt(&self) -> Option<Interruption> {
        if self.interrupts.get() == 0 {
            return None;
        }
        let entries = self.entries.borrow();
        Self::due(&entries[self.current.get()], std::thread::panicking()).map(Due::interruption)
    }

    /// The interrupt to deliver to `e` now, if any. `unwinding`: the
    /// greenlet is (or, see below, may be) unwinding already. Then a kill,
    /// or the expiry of a `with_timeout` block it entered before, would
    /// unwind out of a destructor that runs during cleanup, which aborts
    /// the process; so those wait until it is no longer unwinding (until
    /// whatever caught the unwinding returned), and only the expiry of a
    /// block started during the unwinding, which that block's destructor
    /// catches itself, is due.
    ///
    /// Whether a greenlet unwinds is `std::thread::panicking()`, which is
    /// per thread: while one greenlet is parked in a destructor during
    /// unwinding, it is true for every greenlet of the hub. Those then wait
    /// for their kills too (no kill is lost; it is delivered at their next
    /// suspension point after that).
    pub(super) fn due(e: &Entry, unwinding: bool) -> Option<Due> {
        if unwinding {
            return e.pending_inner.map(Due::timeout);
        }
        if e.kill {
            return Some(Due::Kill);
        }
        match (e.pending_timeout, e.pending_inner) {
            (Some(a), Some(b)) => Some(Due::timeout(if b.1 < a.1 { b } else { a })),
            (a, b) => a.or(b).map(Due::timeout),
        }
    }

    /// Delivers (or, for interruptible parks, reports) a pending kill or
    /// timeout before the current greenlet suspends. Inline so that the
    /// common case, nothing pending, costs one load and a branch.
    #[inline]
    pub(super) fn interrupt_point(&self, key: usize, interruptible: bool) -> Result<(), ParkError> {
        if self.interrupts.get() == 0 {
            return Ok(());
        }
        self.pending_interrupt_point(key, interruptible, std::thread::panicking())
    }

    /// Like [`interrupt_point`](Self::interrupt_point), as the greenlet
    /// resumes from a suspension: whether it is unwinding is what it was
    /// when it suspended (its own state cannot have changed meanwhile, and
    /// `std::thread::panicking()` now may be another greenlet's).
    #[inline]
    pub(super) fn resume_point(&self, key: usize, interruptible: bool) -> Result<(), ParkError> {
        if self.interrupts.get() == 0 {
            return Ok(());
        }
        let unwinding = self.entries.borrow()[key].unwinding;
        self.pending_interrupt_point(key, interruptible, unwinding)
    }

    #[cold]
    fn pending_interrupt_point(
        &self,
        key: usize,
        interruptible: bool,
        unwinding: bool,
    ) -> Result<(), ParkError> {
        if interruptible {
            let due = Self::due(&self.entries.borrow()[key], unwinding);
            match due {
                Some(d) => Err(ParkError::Interrupted(d.interruption())),
                None => Ok(()),
            }
        } else {
            self.deliver_interrupts(key, unwinding);
            Ok(())
        }
    }

    /// Parks the current greenlet. `hint` is the address of the object it
    /// waits through (its socket, say), 0 for none: the hub prefetches it
    /// with the greenlet's stack before resuming it.
    pub(crate) fn park_inner(
        &self,
        what: &'static str,
        deadline: Option<Instant>,
        register: impl FnOnce(WakeToken),
        interruptible: bool,
        hint: usize,
    ) -> Result<Woke, ParkError> {
        let key = self.current.get();
        self.interrupt_point(key, interruptible)?;
        let seq = self.new_seq();
        {
            let mut entries = self.entries.borrow_mut();
            let e = &mut entries[key];
            e.seq = seq;
            e.notified = false;
            e.timed_out = false;
        }
        let token = WakeToken { key, seq };
        register(token);
        {
            let mut entries = self.entries.borrow_mut();
            let e = &mut entries[key];
            if e.notified {
                e.notified = false;
                e.seq = self.new_seq();
                return Ok(Woke::Notified);
            }
            let hints = ParkHints {
                object: hint,
                line: 0,
            };
            e.parked(what, prefetch::stack_marker(), hints);
        }
        if let Some(d) = deadline {
            self.arm_deadline(key, d, token);
        }
        let outcome = self.suspend(key);
        let (timed_out, timer) = self.entries.borrow_mut()[key].unparked(self.new_seq());
        if let Some(t) = timer {
            self.cancel_deadline(t);
        }
        if outcome.is_err() {
            return Err(ParkError::WouldBlockForever(WouldBlockForever {
                call: what,
            }));
        }
        self.resume_point(key, interruptible)?;
        if key == MAIN && self.strict.is_on() {
            self.strict.raise();
        }
        Ok(if timed_out {
            Woke::TimedOut
        } else {
            Woke::Notified
        })
    }

    /// Sets the timer that ends greenlet `key`'s park at `d`, kept in its
    /// entry until the park ends. Out of line, like
    /// [`cancel_deadline`](Self::cancel_deadline): most parks have no
    /// deadline, and inlined the timer queue's code would widen the frames
    /// that stay on every parked greenlet's stack and are touched at every
    /// switch.
    #[inline(never)]
    pub(super) fn arm_deadline(&self, key: usize, d: Instant, token: WakeToken) {
        let t = self
            .timers
            .borrow_mut()
            .insert(d, TimerAction::Deadline(token));
        self.entries.borrow_mut()[key].park_timer = Some(t);
    }

    #[inline(never)]
    pub(super) fn cancel_deadline(&self, t: TimerKey) {
        self.timers.borrow_mut().cancel(t);
    }

    /// Moves the current greenlet to the back of the run queue and lets the
    /// others run.
    #[inline]
    pub(crate) fn yield_now(&self) {
        let key = self.current.get();
        let _ = self.interrupt_point(key, false);
        let seq = self.new_seq();
        {
            let mut entries = self.entries.borrow_mut();
            let e = &mut entries[key];
            e.seq = seq;
            e.state = State::Ready;
        }
        self.run_queue.borrow_mut().push(Ready { key, seq });
        // Cannot fail: the caller itself is in the run queue. Its run-queue
        // item was consumed, so the sequence number needs no bump.
        let _ = self.suspend(key);
        // No interrupt wakes a ready greenlet, so `std::thread::panicking()`
        // may answer here: it is true whenever this greenlet unwinds (and
        // at worst also while another one does, when the interrupt waits).
        let _ = self.interrupt_point(key, false);
    }

    /// Parks until the run queue is empty (gevent's `idle`).
    pub(crate) fn idle(&self) {
        let _ = self.park("idle", None, |t| self.idle_waiters.borrow_mut().push(t));
    }

    /// Leaves the current greenlet until it is resumed.
    #[inline]
    pub(super) fn suspend(&self, key: usize) -> Result<(), ()> {
        if key == MAIN {
            return self.run_until_main_ready();
        }
        let y = self.current_yielder.get();
        debug_assert!(!y.is_null());
        // SAFETY: by `current_yielder`'s invariant, while greenlet `key` runs
        // it points at the `Yielder` on that greenlet's own stack, which lives
        // until the coroutine returns; we are running on that very stack.
        let yielder = unsafe { &*y };
        yielder.suspend(());
        Ok(())
    }

    pub(super) fn add_interrupts(&self, delta: isize) {
        self.interrupts
            .set(self.interrupts.get().wrapping_add_signed(delta));
    }

    /// Forgets the pending interrupts of an entry being removed.
    pub(super) fn forget_interrupts(&self, e: &Entry) {
        let n = isize::from(e.kill)
            + isize::from(e.pending_timeout.is_some())
            + isize::from(e.pending_inner.is_some());
        self.add_interrupts(-n);
    }

    /// Unwinds the current greenlet `key` with the interrupt due to it (see
    /// [`due`](Self::due)), if any.
    #[cold]
    pub(super) fn deliver_interrupts(&self, key: usize, unwinding: bool) {
        let due = {
            let mut entries = self.entries.borrow_mut();
            let e = &mut entries[key];
            let due = Self::due(e, unwinding);
            let mut taken = 0;
            match due {
                Some(Due::Kill) => {
                    e.kill = false;
                    taken = 1;
                }
                // Unwinding to this block leaves every deeper one too.
                Some(Due::Timeout { depth, .. }) => {
                    for slot in [&mut e.pending_timeout, &mut e.pending_inner] {
                        if slot.is_some_and(|(_, d)| d.get() >= depth) {
                            *slot = None;
                            taken += 1;
                        }
                    }
                }
                None => {}
            }
            self.add_interrupts(-taken);
            due
        };
        match due {
            Some(Due::Kill) => resume_unwind(Box::new(KillSignal)),
            Some(Due::Timeout { tid, .. }) => resume_unwind(Box::new(TimeoutSignal { tid })),
            None => {}
        }
    }

    // ===== kill =====

    /// Asks greenlet `key`/`id` to die. A greenlet that has not started is
    /// removed at once and its start closure returned (to be dropped by the
    /// caller, outside the hub's borrows). Returns `Ok(None)` when a kill was
    /// queued, `Err(())` when the greenlet is gone.
    pub(crate) fn request_kill(&self, key: usize, id: u64) -> Result<Option<Killed>, ()> {
        let mut entries = self.entries.borrow_mut();
        match entries.get_mut(key) {
            Some(e) if e.id == id => {
                if e.not_started() {
                    let e = entries.remove(key);
                    drop(entries);
                    if let Some(t) = e.park_timer {
                        self.timers.borrow_mut().cancel(t);
                    }
                    if let Some(stack) = e.stack {
                        self.stacks.borrow_mut().give(stack);
                    }
                    self.stats.finished.set(self.stats.finished.get() + 1);
                    self.with_monitor(|m| m.finished(id));
                    return Ok(Some(Killed {
                        start: e.start,
                        completion: e.completion,
                    }));
                }
                // A greenlet killing itself unwinds at once, unless it is
                // unwinding already (from a destructor): then the kill waits
                // like any other (see `due`).
                if key == self.current.get() && !std::thread::panicking() {
                    drop(entries);
                    resume_unwind(Box::new(KillSignal));
                }
                if !e.kill {
                    e.kill = true;
                    self.add_interrupts(1);
                }
                drop(entries);
                self.interrupt(key);
                Ok(None)
            }
            _ => Err(()),
        }
    }

    // ===== timeouts =====

    /// Starts a `with_timeout` block for the current greenlet.
    pub(crate) fn timeout_start(&self, deadline: Instant) -> TimeoutHandle {
        let key = self.current.get();
        let tid = self.new_seq();
        let (id, depth) = {
            let mut entries = self.entries.borrow_mut();
            let e = &mut entries[key];
            e.timeout_depth += 1;
            let depth = NonZeroU32::new(e.timeout_depth).expect("a block's depth counts from 1");
            (e.id, depth)
        };
        let timer = self.timers.borrow_mut().insert(
            deadline,
            TimerAction::Timeout {
                key,
                id,
                tid,
                depth,
                in_unwind: std::thread::panicking(),
            },
        );
        TimeoutHandle {
            key,
            id,
            tid,
            timer,
        }
    }

    /// Ends a `with_timeout` block: cancels its timer and forgets its expiry
    /// if that was not delivered.
    pub(crate) fn timeout_end(&self, h: &TimeoutHandle) {
        self.timers.borrow_mut().cancel(h.timer);
        let mut entries = self.entries.borrow_mut();
        if let Some(e) = entries.get_mut(h.key)
            && e.id == h.id
        {
            e.timeout_depth -= 1;
            for slot in [&mut e.pending_timeout, &mut e.pending_inner] {
                if matches!(*slot, Some((tid, _)) if tid == h.tid) {
                    *slot = None;
                    self.add_interrupts(-1);
                }
            }
        }
    }

    pub(super) fn fire_timeout(
        &self,
        key: usize,
        id: u64,
        tid: u64,
        depth: NonZeroU32,
        in_unwind: bool,
    ) {
        {
            let mut entries = self.entries.borrow_mut();
            let Some(e) = entries.get_mut(key) else {
                return;
            };
            if e.id != id {
                return;
            }
            // The outermost expired block wins: unwinding to it also leaves
            // every inner one, so no expiry is lost. Blocks started during
            // an unwinding are kept apart (see `due`).
            let slot = if in_unwind {
                &mut e.pending_inner
            } else {
                &mut e.pending_timeout
            };
            match *slot {
                None => {
                    *slot = Some((tid, depth));
                    self.add_interrupts(1);
                }
                Some((_, d)) if depth < d => *slot = Some((tid, depth)),
                Some(_) => {}
            }
        }
        self.interrupt(key);
    }
}

/// An interrupt due to a greenlet (see [`Hub::due`]).
#[derive(Debug, Clone, Copy)]
pub(super) enum Due {
    Kill,
    /// The expiry of the `with_timeout` block `tid`, `depth` deep.
    Timeout {
        tid: u64,
        depth: u32,
    },
}

impl Due {
    fn timeout((tid, depth): (u64, NonZeroU32)) -> Self {
        Due::Timeout {
            tid,
            depth: depth.get(),
        }
    }

    fn interruption(self) -> Interruption {
        match self {
            Due::Kill => Interruption::Killed,
            Due::Timeout { .. } => Interruption::TimedOut,
        }
    }
}
