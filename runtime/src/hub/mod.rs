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
//! sampled once per turn, and repeat. While greenlets are ready and none waits
//! on I/O or cross-thread work, the zero-timeout poll is skipped: it could
//! wake nobody, and CPU-bound switching then makes no system calls.
//!
//! Low-level parking (`park`, [`WakeToken`]) is what every blocking call is
//! built on. Tokens carry a sequence number, so a stale wake-up (a timer that
//! raced with readiness, a second notification) is ignored rather than waking
//! a greenlet that has moved on.

mod current;
mod entry;
mod io_wait;
mod park;
pub(crate) mod prefetch;
mod run;
mod run_queue;
mod stats;

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::num::NonZeroU32;
use std::panic::Location;
use std::rc::Rc;
use std::time::Instant;

use slab::Slab;

use crate::debug::{Monitor, Strict};
use crate::greenlet::overflow;
use crate::greenlet::stack::{DEFAULT_STACK_SIZE, StackPool};
use crate::io::driver::Driver;
use crate::time::timer_queue::{TimerKey, TimerQueue};

pub(crate) use current::{try_with_hub, with_hub};
pub(crate) use entry::{Completion, Coro, Entry, GreenYielder, ParkHints, State};
pub(crate) use io_wait::IoWait;
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
        depth: NonZeroU32,
        /// Started while the greenlet was unwinding (see
        /// `Entry::pending_inner`).
        in_unwind: bool,
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
    /// `run::FORKS` when the hub was made; a change means we are a child.
    forks_at_creation: u64,
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
        run::watch_forks();
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
            forks_at_creation: run::FORKS.load(std::sync::atomic::Ordering::Relaxed),
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
        self.stacks.borrow_mut().set_default_size(size);
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
            pending_inner: None,
            unwinding: false,
            timeout_depth: 0,
            waiting_on: if start_at.is_some() {
                "spawn_later"
            } else {
                ""
            },
            park_timer: None,
            start: Some(start),
            stack: Some(stack),
            coroutine: None,
            stack_top,
            park_sp: 0,
            park_hints: ParkHints::default(),
            yielder: std::ptr::null(),
            completion: Some(completion),
        });
        let token = WakeToken { key, seq };
        match start_at {
            Some(at) => {
                let timer = self
                    .timers
                    .borrow_mut()
                    .insert(at, TimerAction::Start(token));
                self.entries.borrow_mut()[key].park_timer = Some(timer);
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
    #[inline]
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

    /// Makes a parked greenlet ready so it notices a pending kill or
    /// timeout, unless that must wait until it is no longer unwinding.
    fn interrupt(&self, key: usize) {
        let mut entries = self.entries.borrow_mut();
        let e = &mut entries[key];
        if e.state == State::Parked && Self::due(e, e.unwinding).is_some() {
            e.state = State::Ready;
            let seq = e.seq;
            drop(entries);
            self.run_queue.borrow_mut().push(Ready { key, seq });
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
