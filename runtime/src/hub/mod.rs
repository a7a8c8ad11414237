//! The hub: one event loop per OS thread.
//!
//! The hub owns the run queue, the timer queue, the io driver and every
//! greenlet of its thread. The thread's own stack acts as the *main greenlet*:
//! a blocking call made there runs the hub loop inline until its own wake-up
//! condition holds, so `spawn(..).join()` works from plain `fn main`.
//!
//! The loop has tokio's current-thread shape: run up to `EVENT_INTERVAL` (61)
//! ready greenlets in FIFO order, then poll the io driver (with a zero timeout
//! when more greenlets are ready, otherwise until the next timer), wake the
//! greenlets whose I/O became ready, fire expired timers against a clock
//! sampled once per turn, and repeat.
//!
//! Low-level parking (`park`, [`WakeToken`]) is what every blocking call is
//! built on. Tokens carry a sequence number, so a stale wake-up (a timer that
//! raced with readiness, a second notification) is ignored rather than waking
//! a greenlet that has moved on.

mod current;
mod entry;
mod run_queue;
mod stats;

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::panic::{Location, resume_unwind};
use std::rc::Rc;
use std::time::{Duration, Instant};

use corosensei::{Coroutine, CoroutineResult};
use slab::Slab;

use crate::debug::{Monitor, Strict};
use crate::greenlet::overflow;
use crate::greenlet::stack::{DEFAULT_STACK_SIZE, StackPool};
use crate::io::driver::Driver;
use crate::time::timer_queue::{TimerKey, TimerQueue};

pub(crate) use current::{try_with_hub, with_hub};
pub(crate) use entry::{Completion, Coro, Entry, GreenYielder, State};
use run_queue::{Ready, RunQueue};
pub use stats::Stats;

/// How many greenlets run before the hub polls for I/O again.
pub(crate) const EVENT_INTERVAL: usize = 61;

/// Slab key of the main greenlet (the thread's own stack).
pub(crate) const MAIN: usize = 0;

/// Wakes one particular wait of one greenlet.
///
/// Valid only until that greenlet's wait ends; waking a stale token does
/// nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WakeToken {
    pub(crate) key: usize,
    pub(crate) seq: u64,
}

impl WakeToken {
    /// Makes the waiting greenlet ready (on this thread's hub).
    pub fn wake(self) {
        with_hub(|hub| hub.wake(self));
    }
}

/// How a park ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woke {
    /// Someone woke the token.
    Notified,
    /// The deadline passed first.
    TimedOut,
}

/// A blocking call that nothing can ever wake: no greenlet is ready, no timer
/// is pending, no I/O is awaited and no cross-thread work is outstanding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WouldBlockForever {
    /// The blocking call, e.g. `"JoinHandle::join"`.
    pub call: &'static str,
}

impl fmt::Display for WouldBlockForever {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sprout: `{}` would block forever: no greenlet is ready, no timer is pending, \
             no I/O is awaited and no thread-pool work is outstanding (deadlock)",
            self.call
        )
    }
}

impl std::error::Error for WouldBlockForever {}

impl From<WouldBlockForever> for io::Error {
    fn from(e: WouldBlockForever) -> io::Error {
        io::Error::other(e)
    }
}

/// A kill or `with_timeout` expiry waiting to be delivered to a greenlet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interruption {
    /// The greenlet is being killed.
    Killed,
    /// An enclosing `with_timeout` expired.
    TimedOut,
}

/// Why [`park_interruptible`] returned without being woken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParkError {
    /// Nothing could ever wake the caller.
    WouldBlockForever(WouldBlockForever),
    /// A kill or timeout is pending; it unwinds at the next ordinary
    /// blocking call.
    Interrupted(Interruption),
}

impl fmt::Display for ParkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParkError::WouldBlockForever(e) => e.fmt(f),
            ParkError::Interrupted(Interruption::Killed) => f.write_str("greenlet is being killed"),
            ParkError::Interrupted(Interruption::TimedOut) => f.write_str("deadline has elapsed"),
        }
    }
}

impl std::error::Error for ParkError {}

/// Unwinds a killed greenlet from its suspension point; private payload.
#[derive(Debug)]
pub(crate) struct KillSignal;

/// Unwinds a greenlet whose `with_timeout` fired; private payload.
#[derive(Debug)]
pub(crate) struct TimeoutSignal {
    pub(crate) tid: u64,
}

/// Something the timer queue does when a deadline passes.
#[derive(Debug)]
enum TimerAction {
    /// A park deadline: wake with `Woke::TimedOut`.
    Deadline(WakeToken),
    /// Start a `spawn_later` greenlet.
    Start(WakeToken),
    /// A `with_timeout` block expired.
    Timeout {
        key: usize,
        id: u64,
        tid: u64,
        depth: u32,
    },
}

/// An active `with_timeout` block of one greenlet.
#[derive(Debug)]
pub(crate) struct TimeoutHandle {
    key: usize,
    id: u64,
    pub(crate) tid: u64,
    timer: TimerKey,
}

/// The event loop of one OS thread. See the module docs.
pub(crate) struct Hub {
    entries: RefCell<Slab<Entry>>,
    run_queue: RefCell<RunQueue>,
    timers: RefCell<TimerQueue<TimerAction>>,
    pub(crate) driver: Driver,
    current: Cell<usize>,
    /// The `Yielder` of the running greenlet.
    ///
    /// # Invariant
    ///
    /// While a greenlet runs, this is null or points at the `Yielder` on
    /// that greenlet's own stack: `switch_into` sets it from the entry before
    /// resuming, and a greenlet's first code sets it (and the entry's copy)
    /// before anything can suspend.
    current_yielder: Cell<*const GreenYielder>,
    next_id: Cell<u64>,
    next_seq: Cell<u64>,
    stacks: RefCell<StackPool>,
    idle_waiters: RefCell<Vec<WakeToken>>,
    /// Entries with a pending kill or timeout expiry; lets the common path
    /// of every switch skip looking for one.
    interrupts: Cell<usize>,
    /// Whether `monitor` is set (checked on every switch).
    monitored: Cell<bool>,
    monitor: RefCell<Option<Monitor>>,
    pub(crate) strict: Strict,
    pub(crate) stats: Stats,
    pid: u32,
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("greenlets", &self.entries.borrow().len())
            .field("ready", &self.run_queue.borrow().len())
            .field("timers", &self.timers.borrow().len())
            .finish_non_exhaustive()
    }
}

fn env_stack_size() -> usize {
    std::env::var("SPROUT_STACK_SIZE")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .unwrap_or(DEFAULT_STACK_SIZE)
}

impl Hub {
    pub(crate) fn new() -> io::Result<Hub> {
        overflow::install();
        let monitor = Monitor::from_env();
        let mut entries = Slab::with_capacity(64);
        let main_key = entries.insert(Entry::main(1));
        debug_assert_eq!(main_key, MAIN);
        Ok(Hub {
            entries: RefCell::new(entries),
            run_queue: RefCell::new(RunQueue::new()),
            timers: RefCell::new(TimerQueue::new()),
            driver: Driver::new()?,
            current: Cell::new(MAIN),
            current_yielder: Cell::new(std::ptr::null()),
            next_id: Cell::new(2),
            next_seq: Cell::new(1),
            stacks: RefCell::new(StackPool::new(env_stack_size())),
            idle_waiters: RefCell::new(Vec::new()),
            interrupts: Cell::new(0),
            monitored: Cell::new(monitor.is_some()),
            monitor: RefCell::new(monitor),
            strict: Strict::from_env(),
            stats: Stats::default(),
            pid: std::process::id(),
        })
    }

    #[inline]
    fn new_seq(&self) -> u64 {
        let s = self.next_seq.get();
        self.next_seq.set(s + 1);
        s
    }

    /// A fresh sequence number, also used to order completions.
    pub(crate) fn ticket(&self) -> u64 {
        self.new_seq()
    }

    /// Slab key of the running greenlet (`MAIN` on the thread's own stack).
    #[inline]
    pub(crate) fn current_key(&self) -> usize {
        self.current.get()
    }

    /// Id and name of the running greenlet.
    pub(crate) fn current_info(&self) -> (u64, Option<Rc<str>>) {
        let entries = self.entries.borrow();
        let e = &entries[self.current.get()];
        (e.id, e.name.clone())
    }

    pub(crate) fn default_stack_size(&self) -> usize {
        self.stacks.borrow().default_size()
    }

    /// Makes sure the stack pool has made its first chunk (which settles how
    /// guard pages are installed).
    pub(crate) fn prime_stacks(&self) {
        let _ = self.stacks.borrow_mut().prime();
    }

    pub(crate) fn set_default_stack_size(&self, size: usize) {
        let mut stacks = self.stacks.borrow_mut();
        *stacks = StackPool::new(size);
    }

    // ===== spawning =====

    /// Registers a new greenlet that runs `start` on a fresh stack, now or
    /// at `start_at`. Returns its slab key and id.
    pub(crate) fn spawn(&self, spec: SpawnSpec) -> io::Result<usize> {
        let SpawnSpec {
            start,
            completion,
            name,
            stack_size,
            location,
            start_at,
            id,
        } = spec;
        // Reserved now so that running out of stacks is reported by spawn;
        // the greenlet may trade it for a warm one when it first runs.
        let stack = self.stacks.borrow_mut().take(stack_size)?;
        let seq = self.new_seq();
        let stack_top = stack.top();
        let key = self.entries.borrow_mut().insert(Entry {
            id,
            name,
            location,
            state: if start_at.is_some() {
                State::Parked
            } else {
                State::Ready
            },
            seq,
            notified: false,
            timed_out: false,
            kill: false,
            pending_timeout: None,
            timeout_depth: 0,
            waiting_on: if start_at.is_some() {
                "spawn_later"
            } else {
                ""
            },
            deadline: start_at,
            start: Some(start),
            stack: Some(stack),
            coroutine: None,
            stack_top,
            yielder: std::ptr::null(),
            completion: Some(completion),
            start_timer: None,
        });
        let token = WakeToken { key, seq };
        match start_at {
            Some(at) => {
                let timer = self
                    .timers
                    .borrow_mut()
                    .insert(at, TimerAction::Start(token));
                self.entries.borrow_mut()[key].start_timer = Some(timer);
            }
            None => self.run_queue.borrow_mut().push(Ready { key, seq }),
        }
        self.stats.spawned.set(self.stats.spawned.get() + 1);
        if self.monitored.get()
            && let Some(m) = self.monitor.borrow().as_ref()
        {
            let entries = self.entries.borrow();
            m.spawned(id, entries[key].name.as_deref(), location);
        }
        Ok(key)
    }

    /// Allocates the id for a greenlet about to be spawned.
    pub(crate) fn next_greenlet_id(&self) -> u64 {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        id
    }

    // ===== waking =====

    /// Makes the greenlet waiting on `token` ready; stale tokens are ignored.
    pub(crate) fn wake(&self, token: WakeToken) {
        self.wake_inner(token, false);
    }

    fn wake_inner(&self, token: WakeToken, timed_out: bool) {
        let mut entries = self.entries.borrow_mut();
        let Some(e) = entries.get_mut(token.key) else {
            return;
        };
        if e.seq != token.seq {
            return;
        }
        match e.state {
            State::Parked => {
                e.state = State::Ready;
                e.timed_out = timed_out;
                drop(entries);
                self.run_queue.borrow_mut().push(Ready {
                    key: token.key,
                    seq: token.seq,
                });
            }
            // Woken between preparing to park and parking: park returns at once.
            State::Running => {
                if !timed_out {
                    e.notified = true;
                }
            }
            State::Ready => {}
        }
    }

    /// Starts (or replaces) the blocking monitor.
    pub(crate) fn set_monitor(&self, monitor: Monitor) {
        {
            let entries = self.entries.borrow();
            for (k, e) in entries.iter() {
                if k != MAIN {
                    monitor.spawned(e.id, e.name.as_deref(), e.location);
                }
            }
        }
        let old = self.monitor.borrow_mut().replace(monitor);
        self.monitored.set(true);
        drop(old);
    }

    /// Runs `f` on the blocking monitor, if one is running.
    pub(crate) fn with_monitor<R>(&self, f: impl FnOnce(&Monitor) -> R) -> Option<R> {
        self.monitor.borrow().as_ref().map(f)
    }

    /// Whether `token`'s wait is still going on (it could still be woken).
    pub(crate) fn token_is_waiting(&self, token: WakeToken) -> bool {
        matches!(self.entries.borrow().get(token.key), Some(e) if e.seq == token.seq)
    }

    /// Makes a parked greenlet ready so it notices a pending kill or timeout.
    fn interrupt(&self, key: usize) {
        let mut entries = self.entries.borrow_mut();
        let e = &mut entries[key];
        if e.state == State::Parked {
            e.state = State::Ready;
            let seq = e.seq;
            drop(entries);
            self.run_queue.borrow_mut().push(Ready { key, seq });
        }
    }

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
        match self.park_inner(what, deadline, register, false) {
            Ok(w) => Ok(w),
            Err(ParkError::WouldBlockForever(e)) => Err(e),
            Err(ParkError::Interrupted(_)) => unreachable!("park unwinds on interrupts"),
        }
    }

    /// Like [`park`](Self::park), but a pending kill or `with_timeout`
    /// expiry makes it return `Err(ParkError::Interrupted)` instead of
    /// unwinding; the interrupt stays pending and unwinds at the next
    /// ordinary blocking call. For code that must not unwind (FFI frames).
    fn park_interruptible(
        &self,
        what: &'static str,
        deadline: Option<Instant>,
        register: impl FnOnce(WakeToken),
    ) -> Result<Woke, ParkError> {
        self.park_inner(what, deadline, register, true)
    }

    /// The interrupt pending for the running greenlet, if any.
    pub(crate) fn pending_interrupt(&self) -> Option<Interruption> {
        if self.interrupts.get() == 0 {
            return None;
        }
        let entries = self.entries.borrow();
        let e = &entries[self.current.get()];
        if e.kill {
            Some(Interruption::Killed)
        } else if e.pending_timeout.is_some() {
            Some(Interruption::TimedOut)
        } else {
            None
        }
    }

    fn interrupt_point(&self, key: usize, interruptible: bool) -> Result<(), ParkError> {
        if interruptible {
            match self.pending_interrupt() {
                Some(i) => Err(ParkError::Interrupted(i)),
                None => Ok(()),
            }
        } else {
            self.check_interrupts(key);
            Ok(())
        }
    }

    pub(crate) fn park_inner(
        &self,
        what: &'static str,
        deadline: Option<Instant>,
        register: impl FnOnce(WakeToken),
        interruptible: bool,
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
            e.state = State::Parked;
            e.waiting_on = what;
            e.deadline = deadline;
        }
        let timer = deadline.map(|d| {
            self.timers
                .borrow_mut()
                .insert(d, TimerAction::Deadline(token))
        });
        let outcome = self.suspend(key);
        if let Some(t) = timer {
            self.timers.borrow_mut().cancel(t);
        }
        let timed_out = {
            let mut entries = self.entries.borrow_mut();
            let e = &mut entries[key];
            e.state = State::Running;
            e.waiting_on = "";
            e.deadline = None;
            e.seq = self.new_seq();
            e.timed_out
        };
        if outcome.is_err() {
            return Err(ParkError::WouldBlockForever(WouldBlockForever {
                call: what,
            }));
        }
        self.interrupt_point(key, interruptible)?;
        if key == MAIN && self.strict.is_on() {
            self.strict.raise();
        }
        Ok(if timed_out {
            Woke::TimedOut
        } else {
            Woke::Notified
        })
    }

    /// Moves the current greenlet to the back of the run queue and lets the
    /// others run.
    pub(crate) fn yield_now(&self) {
        let key = self.current.get();
        self.check_interrupts(key);
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
        self.check_interrupts(key);
    }

    /// Parks until the run queue is empty (gevent's `idle`).
    pub(crate) fn idle(&self) {
        let _ = self.park("idle", None, |t| self.idle_waiters.borrow_mut().push(t));
    }

    /// Leaves the current greenlet until it is resumed.
    fn suspend(&self, key: usize) -> Result<(), ()> {
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

    #[inline]
    fn check_interrupts(&self, key: usize) {
        if self.interrupts.get() != 0 {
            self.deliver_interrupts(key);
        }
    }

    fn add_interrupts(&self, delta: isize) {
        self.interrupts
            .set(self.interrupts.get().wrapping_add_signed(delta));
    }

    /// Forgets the pending interrupts of an entry being removed.
    fn forget_interrupts(&self, e: &Entry) {
        let n = isize::from(e.kill) + isize::from(e.pending_timeout.is_some());
        self.add_interrupts(-n);
    }

    #[cold]
    fn deliver_interrupts(&self, key: usize) {
        let (kill, timeout) = {
            let mut entries = self.entries.borrow_mut();
            let e = &mut entries[key];
            let kill = std::mem::take(&mut e.kill);
            let timeout = if kill { None } else { e.pending_timeout.take() };
            (kill, timeout)
        };
        self.add_interrupts(-(isize::from(kill) + isize::from(timeout.is_some())));
        if kill {
            resume_unwind(Box::new(KillSignal));
        }
        if let Some((tid, _)) = timeout {
            resume_unwind(Box::new(TimeoutSignal { tid }));
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
                    if let Some(t) = e.start_timer {
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
                if key == self.current.get() {
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
            (e.id, e.timeout_depth)
        };
        let timer = self.timers.borrow_mut().insert(
            deadline,
            TimerAction::Timeout {
                key,
                id,
                tid,
                depth,
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
            if matches!(e.pending_timeout, Some((tid, _)) if tid == h.tid) {
                e.pending_timeout = None;
                self.add_interrupts(-1);
            }
        }
    }

    fn fire_timeout(&self, key: usize, id: u64, tid: u64, depth: u32) {
        {
            let mut entries = self.entries.borrow_mut();
            let Some(e) = entries.get_mut(key) else {
                return;
            };
            if e.id != id {
                return;
            }
            // The outermost expired block wins: unwinding to it also leaves
            // every inner one, so no expiry is lost.
            match e.pending_timeout {
                None => {
                    e.pending_timeout = Some((tid, depth));
                    self.add_interrupts(1);
                }
                Some((_, d)) if depth < d => e.pending_timeout = Some((tid, depth)),
                Some(_) => {}
            }
        }
        self.interrupt(key);
    }

    // ===== the loop =====

    /// Runs the loop on the main greenlet's stack until the main greenlet is
    /// popped from the run queue.
    fn run_until_main_ready(&self) -> Result<(), ()> {
        loop {
            let mut budget = EVENT_INTERVAL;
            while budget > 0 {
                let Some(r) = self.run_queue.borrow_mut().pop() else {
                    break;
                };
                let (coro, top, id) = match self.prepare(r) {
                    Next::Stale => continue,
                    Next::Main => return Ok(()),
                    Next::Run(coro, top, id) => (coro, top, id),
                };
                self.switch_into(r.key, coro, top, id);
                budget -= 1;
            }
            self.turn().map_err(|_| ())?;
        }
    }

    /// One poll of the io driver plus expired timers.
    fn turn(&self) -> Result<(), WouldBlockForever> {
        self.stats.turns.set(self.stats.turns.get() + 1);
        let timeout = if !self.run_queue.borrow().is_empty() {
            Some(Duration::ZERO)
        } else if !self.idle_waiters.borrow().is_empty() {
            let waiters = std::mem::take(&mut *self.idle_waiters.borrow_mut());
            for t in waiters {
                self.wake(t);
            }
            return Ok(());
        } else {
            match self.timers.borrow().next_deadline() {
                Some(d) => Some(d.saturating_duration_since(Instant::now())),
                None if self.driver.can_wake() => None,
                None => return Err(WouldBlockForever { call: "hub" }),
            }
        };
        self.check_fork();
        self.driver.poll(timeout, |t| self.wake(t))?;
        let now = Instant::now();
        loop {
            let Some((_, action)) = self.timers.borrow_mut().pop_expired(now) else {
                break;
            };
            match action {
                TimerAction::Deadline(t) => self.wake_inner(t, true),
                TimerAction::Start(t) => {
                    if let Some(e) = self.entries.borrow_mut().get_mut(t.key) {
                        e.start_timer = None;
                        e.waiting_on = "";
                    }
                    self.wake(t);
                }
                TimerAction::Timeout {
                    key,
                    id,
                    tid,
                    depth,
                } => self.fire_timeout(key, id, tid, depth),
            }
        }
        Ok(())
    }

    fn check_fork(&self) {
        if std::process::id() != self.pid {
            panic!(
                "sprout: this hub was created by process {} and is being used after fork() in \
                 process {}; the child shares the parent's epoll set, so it cannot run the \
                 parent's hub: start greenlets in the child only from a fresh thread, or exec",
                self.pid,
                std::process::id()
            );
        }
    }

    /// Checks a run-queue item and readies its greenlet to run.
    fn prepare(&self, r: Ready) -> Next {
        let mut entries = self.entries.borrow_mut();
        let Some(e) = entries.get_mut(r.key) else {
            return Next::Stale;
        };
        if e.seq != r.seq || e.state != State::Ready {
            return Next::Stale; // it parked again, finished, or the slot was reused
        }
        e.state = State::Running;
        if r.key == MAIN {
            return Next::Main;
        }
        if e.coroutine.is_none() {
            self.start_coroutine(r.key, e);
        }
        self.current_yielder.set(e.yielder);
        let coro: *mut Coro = &mut **e
            .coroutine
            .as_mut()
            .expect("a started greenlet has a coroutine");
        Next::Run(coro, e.stack_top, e.id)
    }

    /// Makes the coroutine of a greenlet about to run for the first time.
    fn start_coroutine(&self, key: usize, e: &mut Entry) {
        let start = e
            .start
            .take()
            .expect("a ready greenlet has a body or a coroutine");
        let reserved = e
            .stack
            .take()
            .expect("an unstarted greenlet owns its stack");
        let mut stack = self.stacks.borrow_mut().prefer_warm(reserved);
        stack.write_header(e.id, e.name.as_deref());
        e.stack_top = stack.top();
        e.completion = None;
        e.coroutine = Some(Box::new(Coroutine::with_stack(
            stack,
            move |y: &GreenYielder, ()| {
                with_hub(|hub| {
                    hub.current_yielder.set(y);
                    hub.entries.borrow_mut()[key].yielder = y;
                });
                start();
            },
        )));
    }

    /// Switches into greenlet `key` (whose boxed coroutine is `coro`) and
    /// back; removes the greenlet if it returned.
    fn switch_into(&self, key: usize, coro: *mut Coro, top: usize, id: u64) {
        if self.monitored.get()
            && let Some(m) = self.monitor.borrow().as_ref()
        {
            m.enter(id);
        }
        self.current.set(key);
        overflow::set_running(top);
        self.stats.switches.set(self.stats.switches.get() + 1);
        // SAFETY: `coro` points into the `Box<Coro>` of entry `key`, so it
        // stays put even if the slab reallocates. That box is neither dropped
        // nor otherwise accessed while the greenlet runs: entries of started
        // greenlets are only removed below, after `resume` returns (kills of
        // started greenlets unwind them instead, and shutdown runs on the
        // main stack, never inside a greenlet).
        let result = unsafe { (*coro).resume(()) };
        overflow::set_running(0);
        self.current.set(MAIN);
        if self.monitored.get()
            && let Some(m) = self.monitor.borrow().as_ref()
        {
            m.leave();
            if matches!(result, CoroutineResult::Return(())) {
                m.finished(id);
            }
        }
        if let CoroutineResult::Return(()) = result {
            let mut entry = self.entries.borrow_mut().remove(key);
            self.forget_interrupts(&entry);
            let coro = entry
                .coroutine
                .take()
                .expect("a finished greenlet had a coroutine");
            self.stacks.borrow_mut().give(coro.into_stack());
            self.stats.finished.set(self.stats.finished.get() + 1);
            drop(entry);
        }
    }

    // ===== introspection =====

    /// Number of live greenlets, not counting main.
    pub(crate) fn live(&self) -> usize {
        self.entries.borrow().len() - 1
    }

    /// Number of pending timers.
    pub(crate) fn pending_timers(&self) -> usize {
        self.timers.borrow().len()
    }

    /// Calls `f` for every live greenlet (main included).
    pub(crate) fn for_each_entry(&self, mut f: impl FnMut(usize, &Entry)) {
        for (k, e) in self.entries.borrow().iter() {
            f(k, e);
        }
    }

    // ===== shutdown =====

    /// Kills every greenlet left when the thread exits, so their destructors
    /// run. A greenlet that survives several kills is forgotten.
    fn shutdown(&self) {
        for _round in 0..8 {
            let victims: Vec<(usize, u64)> = self
                .entries
                .borrow()
                .iter()
                .filter(|(k, _)| *k != MAIN)
                .map(|(k, e)| (k, e.id))
                .collect();
            if victims.is_empty() {
                break;
            }
            for (key, id) in victims {
                if let Ok(Some(killed)) = self.request_kill(key, id) {
                    drop(killed.start);
                    if let Some(c) = killed.completion {
                        c.complete_killed();
                    }
                }
            }
            // Let the killed greenlets unwind; never block on I/O here.
            let mut guard = 0;
            while guard < 100_000 {
                let Some(r) = self.run_queue.borrow_mut().pop() else {
                    break;
                };
                guard += 1;
                if r.key != MAIN
                    && let Next::Run(coro, top, id) = self.prepare(r)
                {
                    self.switch_into(r.key, coro, top, id);
                }
            }
        }
        // Whatever could not be unwound is leaked: dropping a suspended
        // coroutine would resume it.
        let leftovers: Vec<Entry> = {
            let mut entries = self.entries.borrow_mut();
            let keys: Vec<usize> = entries
                .iter()
                .map(|(k, _)| k)
                .filter(|k| *k != MAIN)
                .collect();
            keys.into_iter().map(|k| entries.remove(k)).collect()
        };
        if !leftovers.is_empty() {
            log::warn!(
                "sprout: {} greenlet(s) ignored kill at thread exit and were leaked",
                leftovers.len()
            );
        }
        for mut e in leftovers {
            if let Some(c) = e.coroutine.take() {
                std::mem::forget(c);
            }
            std::mem::forget(e);
        }
        let _ = self.timers.borrow_mut().drain();
    }
}

/// What a popped run-queue item turned out to be.
enum Next {
    Stale,
    Main,
    Run(*mut Coro, usize, u64),
}

/// Everything `Hub::spawn` needs to register a greenlet.
pub(crate) struct SpawnSpec {
    pub(crate) start: Box<dyn FnOnce()>,
    pub(crate) completion: Rc<dyn Completion>,
    pub(crate) name: Option<Rc<str>>,
    pub(crate) stack_size: Option<usize>,
    pub(crate) location: &'static Location<'static>,
    pub(crate) start_at: Option<Instant>,
    pub(crate) id: u64,
}

/// What `request_kill` hands back for a greenlet killed before it started.
pub(crate) struct Killed {
    pub(crate) start: Option<Box<dyn FnOnce()>>,
    pub(crate) completion: Option<Rc<dyn Completion>>,
}

// ===== free functions used across the crate =====

/// Parks the current greenlet; see [`Hub::park`].
pub(crate) fn park(
    what: &'static str,
    deadline: Option<Instant>,
    register: impl FnOnce(WakeToken),
) -> Result<Woke, WouldBlockForever> {
    with_hub(|hub| hub.park(what, deadline, register))
}

/// Parks the current greenlet like every blocking call does, but never
/// unwinds: a pending kill or `with_timeout` expiry makes it return
/// `Err(ParkError::Interrupted)` and stays pending, to unwind at the next
/// ordinary blocking call. Meant for code that must not be unwound, such as
/// `extern "C"` hooks; `register` receives the token that wakes the caller.
///
/// Blocks the current greenlet until woken, `deadline` or an interrupt;
/// other greenlets run meanwhile.
///
/// # Errors
///
/// [`ParkError`].
pub fn park_interruptible(
    what: &'static str,
    deadline: Option<Instant>,
    register: impl FnOnce(WakeToken),
) -> Result<Woke, ParkError> {
    with_hub(|hub| hub.park_interruptible(what, deadline, register))
}

/// Whether the caller runs inside a greenlet (not on the thread's own
/// stack). One thread-local read; never creates a hub.
#[inline]
pub fn in_greenlet() -> bool {
    try_with_hub(|hub| hub.current_key() != MAIN).unwrap_or(false)
}

/// The kill or timeout pending for the running greenlet, if any. Never
/// blocks.
pub fn pending_interrupt() -> Option<Interruption> {
    try_with_hub(|hub| hub.pending_interrupt()).flatten()
}

/// Hub counters of this thread.
pub fn stats() -> Stats {
    with_hub(|hub| hub.stats.clone())
}
