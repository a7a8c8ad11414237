//! The io driver: a `mio::Poll`, the readiness state of every registered
//! source, and the cross-thread wake-up queue.

use std::cell::{Cell, RefCell};
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token};
use slab::Slab;

use crate::hub::prefetch;
use crate::hub::{WakeToken, WouldBlockForever};

/// Token of the cross-thread waker.
const WAKER_TOKEN: Token = Token(usize::MAX);

/// The slot of `sources` that no source has.
const PLACEHOLDER: usize = 0;

/// How long a hub polls for I/O without sleeping before it blocks, unless
/// `SPROUT_BUSY_POLL_US` or [`set_busy_poll`](crate::io::set_busy_poll)
/// says otherwise.
pub(crate) const DEFAULT_BUSY_POLL: Duration = Duration::from_micros(20);

/// When a hub with nothing to run polls a little before it sleeps.
///
/// A thread asleep in `epoll_wait` on an idle CPU costs whoever wakes it
/// (the peer writing to our socket, often on another core) an
/// inter-processor interrupt, which is dear in a virtual machine; a thread
/// still polling needs none. So after a wait that ended within `limit`, the
/// next wait first polls without a timeout for up to `limit`. A wait that
/// takes longer turns this off until a short one is seen again, so an idle
/// hub sleeps at once and a quiet one wastes at most one `limit` per lull.
/// Only waits for I/O or cross-thread wake-ups spin: a hub waiting for
/// nothing but a timer due within `limit` leaves the wait to the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BusyPoll {
    /// Longest spin; zero turns busy polling off.
    pub(crate) limit: Duration,
    /// The last wait ended within `limit`.
    hot: bool,
}

impl BusyPoll {
    pub(crate) fn new(limit: Duration) -> BusyPoll {
        BusyPoll { limit, hot: false }
    }

    /// From `SPROUT_BUSY_POLL_US` (microseconds, `0` for off), else the
    /// default.
    fn from_env() -> BusyPoll {
        let limit = std::env::var("SPROUT_BUSY_POLL_US")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .map_or(DEFAULT_BUSY_POLL, Duration::from_micros);
        BusyPoll::new(limit)
    }

    /// Whether a wait of at most `timeout` should spin first; `io_can_wake`
    /// tells whether any I/O or cross-thread wake-up is awaited at all.
    pub(crate) fn should_spin(&self, timeout: Option<Duration>, io_can_wake: bool) -> bool {
        self.hot && io_can_wake && !self.limit.is_zero() && timeout.is_none_or(|t| t > self.limit)
    }

    /// Records how a wait ended: with events after `waited` (spin
    /// included), or without any (the timeout passed).
    pub(crate) fn record(&mut self, got_events: bool, waited: Duration) {
        self.hot = got_events && waited <= self.limit;
    }
}

/// One direction of a source: reading or writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

/// Readiness and waiters of one registered source.
///
/// Exactly one cache line (aligned to 64 bytes, and so is its slot in the
/// driver's slab): the poll that reports the source ready and the wait of
/// the greenlet that uses it touch this line and no other of the source's.
/// So the first waiter of each direction lives here; only while more than
/// one greenlet waits for the same direction of one source (rare: a socket
/// usually has one reader and one writer) do the others go to a separate
/// allocation, `more`, in arrival order behind the inline one.
#[derive(Debug, Default)]
#[repr(align(64))]
pub(crate) struct SourceState {
    /// Generation, part of the mio token, so events for a reused slot are
    /// recognised as stale.
    pub(crate) generation: u32,
    pub(crate) readable: bool,
    pub(crate) writable: bool,
    /// The peer closed its write side (or the socket failed): reads will
    /// never block again, so read readiness stays set once this is seen.
    pub(crate) read_closed: bool,
    /// The socket can no longer be written (or failed): write readiness
    /// stays set.
    pub(crate) write_closed: bool,
    /// The oldest greenlet waiting to read; `None` means none waits (`more`
    /// holds no readers then).
    read_first: Option<WakeToken>,
    /// Likewise for writing.
    write_first: Option<WakeToken>,
    /// The waiters behind the first of each direction, oldest first.
    more: Option<Box<MoreWaiters>>,
}

/// The second and later waiters of a source's directions.
#[derive(Debug, Default)]
struct MoreWaiters {
    read: Vec<WakeToken>,
    write: Vec<WakeToken>,
}

impl MoreWaiters {
    fn of(&mut self, dir: Direction) -> &mut Vec<WakeToken> {
        match dir {
            Direction::Read => &mut self.read,
            Direction::Write => &mut self.write,
        }
    }
}

impl SourceState {
    /// Whether `dir` is ready as far as the hub knows (no `WouldBlock`
    /// since its last edge).
    pub(crate) fn is_ready(&self, dir: Direction) -> bool {
        match dir {
            Direction::Read => self.readable,
            Direction::Write => self.writable,
        }
    }

    /// Forgets `dir`'s readiness. Readiness after end of file or an error
    /// is sticky: the next operation returns at once, so it must not wait
    /// for an edge that will never come.
    pub(crate) fn clear(&mut self, dir: Direction) {
        match dir {
            Direction::Read => self.readable = self.read_closed,
            Direction::Write => self.writable = self.write_closed,
        }
    }

    fn first(&mut self, dir: Direction) -> &mut Option<WakeToken> {
        match dir {
            Direction::Read => &mut self.read_first,
            Direction::Write => &mut self.write_first,
        }
    }

    /// Queues `token` behind the greenlets already waiting for `dir`.
    pub(crate) fn add_waiter(&mut self, dir: Direction, token: WakeToken) {
        let first = self.first(dir);
        if first.is_none() {
            *first = Some(token);
        } else {
            self.more.get_or_insert_default().of(dir).push(token);
        }
    }

    /// Takes `token` out of `dir`'s waiters, if it is there; the next one
    /// in line moves up.
    pub(crate) fn remove_waiter(&mut self, dir: Direction, token: WakeToken) {
        if *self.first(dir) == Some(token) {
            let next = self.more.as_deref_mut().and_then(|m| {
                let rest = m.of(dir);
                (!rest.is_empty()).then(|| rest.remove(0))
            });
            *self.first(dir) = next;
        } else if let Some(m) = self.more.as_deref_mut() {
            m.of(dir).retain(|t| *t != token);
        }
    }

    /// Moves all of `dir`'s waiters, oldest first, to the end of `to`.
    pub(crate) fn take_waiters(&mut self, dir: Direction, to: &mut Vec<WakeToken>) {
        if let Some(t) = self.first(dir).take() {
            to.push(t);
            if let Some(m) = self.more.as_deref_mut() {
                to.append(m.of(dir));
            }
        }
    }

    /// How many greenlets wait for `dir`.
    #[cfg(test)]
    pub(crate) fn waiter_count(&self, dir: Direction) -> usize {
        let (first, more) = match dir {
            Direction::Read => (self.read_first, self.more.as_ref().map(|m| m.read.len())),
            Direction::Write => (self.write_first, self.more.as_ref().map(|m| m.write.len())),
        };
        usize::from(first.is_some()) + more.unwrap_or(0)
    }
}

/// Messages from other threads: a token to wake, or `None` when a
/// `RemoteWake` was dropped unused. Each message ends one outstanding piece
/// of cross-thread work.
#[derive(Debug)]
pub(crate) struct Remote {
    queue: Mutex<Vec<Option<WakeToken>>>,
    waker: mio::Waker,
}

impl Remote {
    fn send(&self, msg: Option<WakeToken>) {
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(msg);
        // A failed wake leaves the message queued; the next poll delivers it.
        let _ = self.waker.wake();
    }
}

/// The io half of the hub.
pub(crate) struct Driver {
    poll: RefCell<Poll>,
    events: RefCell<Events>,
    /// The state of every registered source, by the key in its token; slot
    /// [`PLACEHOLDER`] is nobody's.
    sources: RefCell<Slab<SourceState>>,
    next_generation: Cell<u32>,
    remote: Arc<Remote>,
    /// Outstanding cross-thread work (RemoteWake handles not yet delivered).
    remote_pending: Cell<usize>,
    /// Greenlets parked waiting for readiness.
    io_waiters: Cell<usize>,
    busy_poll: Cell<BusyPoll>,
    /// The tokens a poll wakes, kept between polls for its allocation.
    to_wake: Cell<Vec<WakeToken>>,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("sources", &self.registered())
            .field("remote_pending", &self.remote_pending.get())
            .field("io_waiters", &self.io_waiters.get())
            .finish_non_exhaustive()
    }
}

fn encode(key: usize, generation: u32) -> Token {
    Token(((generation as usize) << 32) | key)
}

/// The slab key and generation of a source's token.
fn decode(token: Token) -> (usize, u32) {
    (token.0 & 0xffff_ffff, (token.0 >> 32) as u32)
}

impl Driver {
    pub(crate) fn new() -> io::Result<Driver> {
        let poll = Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), WAKER_TOKEN)?;
        // Slot 0 is never a source's: it stays occupied so that every
        // other slot can be found from it without being read (see
        // `prefetch::slab_slot`). No token names it.
        let mut sources = Slab::new();
        let placeholder = sources.insert(SourceState::default());
        debug_assert_eq!(placeholder, PLACEHOLDER);
        Ok(Driver {
            poll: RefCell::new(poll),
            events: RefCell::new(Events::with_capacity(1024)),
            sources: RefCell::new(sources),
            next_generation: Cell::new(0),
            remote: Arc::new(Remote {
                queue: Mutex::new(Vec::new()),
                waker,
            }),
            remote_pending: Cell::new(0),
            io_waiters: Cell::new(0),
            busy_poll: Cell::new(BusyPoll::from_env()),
            to_wake: Cell::new(Vec::new()),
        })
    }

    /// Whether anything outside the run queue and timers could still wake a
    /// greenlet.
    pub(crate) fn can_wake(&self) -> bool {
        self.io_waiters.get() > 0 || self.remote_pending.get() > 0
    }

    /// Sets the longest busy poll before a blocking wait (zero: never).
    pub(crate) fn set_busy_poll(&self, limit: Duration) {
        self.busy_poll.set(BusyPoll::new(limit));
    }

    pub(crate) fn busy_poll_limit(&self) -> Duration {
        self.busy_poll.get().limit
    }

    pub(crate) fn registered(&self) -> usize {
        self.sources.borrow().len() - 1
    }

    /// Registers `source` for both directions, edge-triggered.
    pub(crate) fn register<S: mio::event::Source + ?Sized>(
        &self,
        source: &mut S,
    ) -> io::Result<(usize, u32)> {
        let generation = self.next_generation.get().wrapping_add(1);
        self.next_generation.set(generation);
        let key = self.sources.borrow_mut().insert(SourceState {
            generation,
            readable: true,
            writable: true,
            ..SourceState::default()
        });
        if key >= u32::MAX as usize {
            self.sources.borrow_mut().remove(key);
            return Err(io::Error::other("sprout: too many registered sources"));
        }
        let res = self.poll.borrow().registry().register(
            source,
            encode(key, generation),
            Interest::READABLE | Interest::WRITABLE,
        );
        if let Err(e) = res {
            self.sources.borrow_mut().remove(key);
            return Err(e);
        }
        Ok((key, generation))
    }

    /// Removes `source` from the poller (errors ignored: the fd may be gone).
    pub(crate) fn deregister<S: mio::event::Source + ?Sized>(&self, source: &mut S) {
        let _ = self.poll.borrow().registry().deregister(source);
    }

    /// Forgets the state of `key` and wakes its waiters (they see the
    /// source gone).
    pub(crate) fn remove(&self, key: usize, generation: u32, wake: impl Fn(WakeToken)) {
        let state = {
            let mut sources = self.sources.borrow_mut();
            match sources.get(key) {
                Some(s) if s.generation == generation => Some(sources.remove(key)),
                _ => None,
            }
        };
        if let Some(mut s) = state {
            let mut waiters = Vec::new();
            s.take_waiters(Direction::Read, &mut waiters);
            s.take_waiters(Direction::Write, &mut waiters);
            waiters.into_iter().for_each(wake);
        }
    }

    /// Runs `f` on the state of `key` if it is still registered. Inlined:
    /// every socket call goes through here, with a closure of a few
    /// instructions.
    #[inline(always)]
    pub(crate) fn with_source<R>(
        &self,
        key: usize,
        generation: u32,
        f: impl FnOnce(&mut SourceState) -> R,
    ) -> Option<R> {
        let mut sources = self.sources.borrow_mut();
        match sources.get_mut(key) {
            Some(s) if s.generation == generation => Some(f(s)),
            _ => None,
        }
    }

    pub(crate) fn add_io_waiter(&self, delta: isize) {
        let n = self.io_waiters.get() as isize + delta;
        self.io_waiters.set(n.max(0) as usize);
    }

    /// A handle another thread can use to wake `token`.
    pub(crate) fn remote_wake(&self, token: WakeToken) -> RemoteWake {
        self.remote_pending.set(self.remote_pending.get() + 1);
        RemoteWake {
            token,
            remote: Arc::clone(&self.remote),
            sent: false,
        }
    }

    /// Polls for events (at most `timeout`, after a busy poll when the last
    /// wait was short: see [`BusyPoll`]) and hands `wake` the waiters of
    /// every source that became ready, in order.
    pub(crate) fn poll(
        &self,
        timeout: Option<Duration>,
        wake: impl FnOnce(&[WakeToken]),
    ) -> Result<(), WouldBlockForever> {
        let mut events = self.events.borrow_mut();
        let polled = if timeout == Some(Duration::ZERO) || self.busy_poll.get().limit.is_zero() {
            self.poll.borrow_mut().poll(&mut events, timeout)
        } else {
            self.wait(&mut events, timeout)
        };
        match polled {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => panic!("sprout: polling for I/O failed: {e}"),
        }
        let mut to_wake = self.to_wake.take();
        {
            let mut sources = self.sources.borrow_mut();
            // The sources of a poll's events are scattered over the slab,
            // and with thousands of them not cached: each one's state is
            // asked for `AHEAD` events before it is handled.
            let mut ahead = events.iter().skip(prefetch::AHEAD);
            for event in events.iter() {
                if let Some(later) = ahead.next() {
                    let (key, _) = decode(later.token());
                    prefetch::line_of(prefetch::slab_slot(&sources, key));
                }
                if event.token() == WAKER_TOKEN {
                    let msgs = std::mem::take(
                        &mut *self.remote.queue.lock().unwrap_or_else(|e| e.into_inner()),
                    );
                    self.remote_pending
                        .set(self.remote_pending.get().saturating_sub(msgs.len()));
                    to_wake.extend(msgs.into_iter().flatten());
                    continue;
                }
                let (key, generation) = decode(event.token());
                let Some(s) = sources.get_mut(key) else {
                    continue;
                };
                if s.generation != generation {
                    continue;
                }
                if event.is_read_closed() || event.is_error() {
                    s.read_closed = true;
                }
                if event.is_write_closed() || event.is_error() {
                    s.write_closed = true;
                }
                if event.is_readable() || s.read_closed {
                    s.readable = true;
                    s.take_waiters(Direction::Read, &mut to_wake);
                }
                if event.is_writable() || s.write_closed {
                    s.writable = true;
                    s.take_waiters(Direction::Write, &mut to_wake);
                }
            }
        }
        drop(events);
        wake(&to_wake);
        to_wake.clear();
        self.to_wake.set(to_wake);
        Ok(())
    }

    /// A wait that may block: spins first if [`BusyPoll`] says so, then
    /// blocks for what is left of `timeout`.
    fn wait(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        let mut busy = self.busy_poll.get();
        let start = Instant::now();
        let mut poll = self.poll.borrow_mut();
        if busy.should_spin(timeout, self.can_wake()) {
            loop {
                poll.poll(events, Some(Duration::ZERO))?;
                if !events.is_empty() {
                    // Still hot.
                    return Ok(());
                }
                if start.elapsed() >= busy.limit {
                    break;
                }
            }
        }
        let rest = timeout.map(|t| t.saturating_sub(start.elapsed()));
        let polled = poll.poll(events, rest);
        busy.record(!events.is_empty(), start.elapsed());
        self.busy_poll.set(busy);
        polled
    }
}

/// Wakes one waiting greenlet from any thread.
///
/// Created on the hub's thread by [`park_remote`](crate::io::park_remote);
/// while it exists the hub counts it as outstanding work, so a greenlet
/// waiting for it is not reported as deadlocked. Dropping it without calling
/// [`wake`](RemoteWake::wake) still tells the hub the work is over.
#[derive(Debug)]
pub struct RemoteWake {
    token: WakeToken,
    remote: Arc<Remote>,
    sent: bool,
}

impl RemoteWake {
    /// Wakes the greenlet (on its own hub's thread).
    pub fn wake(mut self) {
        self.sent = true;
        self.remote.send(Some(self.token));
    }
}

impl Drop for RemoteWake {
    fn drop(&mut self) {
        if !self.sent {
            self.remote.send(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};

    use mio::net::UnixStream;

    use super::{
        BusyPoll, Direction, Driver, PLACEHOLDER, SourceState, WAKER_TOKEN, decode, encode,
    };
    use crate::hub::WakeToken;

    const LIMIT: Duration = Duration::from_micros(20);

    fn token(key: usize) -> WakeToken {
        WakeToken { key, seq: 1 }
    }

    /// A source with `keys` waiting for `dir`, in that order.
    fn queued(dir: Direction, keys: &[usize]) -> SourceState {
        let mut s = SourceState::default();
        for &k in keys {
            s.add_waiter(dir, token(k));
        }
        s
    }

    fn taken(s: &mut SourceState, dir: Direction) -> Vec<usize> {
        let mut to = Vec::new();
        s.take_waiters(dir, &mut to);
        to.iter().map(|t| t.key).collect()
    }

    #[test]
    fn tokens_carry_key_and_generation() {
        for (key, generation) in [(1, 0), (7, 1), (u32::MAX as usize - 1, u32::MAX)] {
            assert_eq!(decode(encode(key, generation)), (key, generation));
        }
        assert_ne!(decode(WAKER_TOKEN).0, PLACEHOLDER);
    }

    #[test]
    fn a_source_state_is_one_cache_line_in_the_slab() {
        assert_eq!(std::mem::size_of::<SourceState>(), 64);
        let mut slab = slab::Slab::new();
        let a = slab.insert(SourceState::default());
        let b = slab.insert(SourceState::default());
        let (pa, pb) = (
            std::ptr::from_ref(&slab[a]).addr(),
            std::ptr::from_ref(&slab[b]).addr(),
        );
        assert_eq!(pa % 64, 0, "slot at {pa:#x} is not line-aligned");
        assert_eq!(pb - pa, 64, "slots are not one line apart");
    }

    #[test]
    fn waiters_are_served_oldest_first_per_direction() {
        let mut s = queued(Direction::Read, &[1, 2, 3, 4]);
        s.add_waiter(Direction::Write, token(9));
        assert_eq!(s.waiter_count(Direction::Read), 4);
        assert_eq!(s.waiter_count(Direction::Write), 1);
        assert_eq!(taken(&mut s, Direction::Read), [1, 2, 3, 4]);
        assert_eq!(s.waiter_count(Direction::Read), 0);
        assert_eq!(taken(&mut s, Direction::Read), [] as [usize; 0]);
        assert_eq!(taken(&mut s, Direction::Write), [9]);
        // Queues again from empty, with the overflow already allocated.
        s.add_waiter(Direction::Read, token(5));
        s.add_waiter(Direction::Read, token(6));
        assert_eq!(taken(&mut s, Direction::Read), [5, 6]);
    }

    #[test]
    fn removing_a_waiter_keeps_the_others_in_order() {
        let mut s = queued(Direction::Write, &[1, 2, 3, 4]);
        // The first leaves (its wait timed out): the second moves up.
        s.remove_waiter(Direction::Write, token(1));
        // One from the middle, then one that is not there (or in the other
        // direction): nothing else changes.
        s.remove_waiter(Direction::Write, token(3));
        s.remove_waiter(Direction::Write, token(7));
        s.remove_waiter(Direction::Read, token(2));
        assert_eq!(s.waiter_count(Direction::Write), 2);
        s.add_waiter(Direction::Write, token(5));
        assert_eq!(taken(&mut s, Direction::Write), [2, 4, 5]);
        // The only waiter leaves.
        s.add_waiter(Direction::Read, token(8));
        s.remove_waiter(Direction::Read, token(8));
        assert_eq!(s.waiter_count(Direction::Read), 0);
        // A token is matched by sequence number too.
        s.add_waiter(Direction::Read, token(8));
        s.remove_waiter(Direction::Read, WakeToken { key: 8, seq: 2 });
        assert_eq!(taken(&mut s, Direction::Read), [8]);
    }

    #[test]
    fn busy_poll_starts_cold() {
        assert!(!BusyPoll::new(LIMIT).should_spin(None, true));
    }

    #[test]
    fn a_short_wait_turns_spinning_on_and_a_long_one_off() {
        let mut b = BusyPoll::new(LIMIT);
        b.record(true, LIMIT);
        assert!(b.should_spin(None, true));
        assert!(b.should_spin(Some(LIMIT * 2), true));
        b.record(true, LIMIT + Duration::from_nanos(1));
        assert!(!b.should_spin(None, true));
        b.record(true, Duration::ZERO);
        assert!(b.should_spin(None, true));
        // A wait that ran into its timeout says nothing about the next
        // event: off.
        b.record(false, Duration::ZERO);
        assert!(!b.should_spin(None, true));
    }

    #[test]
    fn no_spin_without_awaited_io_or_before_a_near_timer() {
        let mut b = BusyPoll::new(LIMIT);
        b.record(true, Duration::ZERO);
        assert!(!b.should_spin(None, false), "only a timer can wake anyone");
        assert!(!b.should_spin(Some(LIMIT), true), "the timer is due first");
        assert!(!b.should_spin(Some(Duration::ZERO), true));
    }

    #[test]
    fn a_zero_limit_never_spins() {
        let mut b = BusyPoll::new(Duration::ZERO);
        b.record(true, Duration::ZERO);
        assert!(!b.should_spin(None, true));
    }

    /// A driver with one registered socket pair and one I/O waiter, hot.
    fn hot_driver() -> (Driver, UnixStream, UnixStream, usize, u32) {
        let driver = Driver::new().unwrap();
        // Long enough that the first wait below, which returns at once,
        // surely counts as short.
        driver.set_busy_poll(Duration::from_millis(200));
        let (mut a, b) = UnixStream::pair().unwrap();
        let (key, generation) = driver.register(&mut a).unwrap();
        driver.add_io_waiter(1);
        // The registration's first events (writable) end a short wait.
        driver.poll(None, |_| {}).unwrap();
        assert!(driver.busy_poll.get().should_spin(None, true));
        (driver, a, b, key, generation)
    }

    #[test]
    fn a_spinning_wait_returns_the_event_that_ends_it() {
        let (driver, mut a, mut b, key, generation) = hot_driver();
        driver.with_source(key, generation, |s| s.readable = false);
        b.write_all(b"x").unwrap();
        driver.poll(None, |_| {}).unwrap();
        assert_eq!(
            driver.with_source(key, generation, |s| s.readable),
            Some(true)
        );
        let mut buf = [0; 1];
        assert_eq!(a.read(&mut buf).unwrap(), 1);
    }

    #[test]
    fn a_spinning_wait_still_lasts_its_whole_timeout() {
        let (driver, _a, _b, _, _) = hot_driver();
        let timeout = Duration::from_millis(250);
        let start = Instant::now();
        driver.poll(Some(timeout), |_| {}).unwrap();
        assert!(start.elapsed() >= timeout, "{:?}", start.elapsed());
        // It ran into its timeout: no spinning next time.
        assert!(!driver.busy_poll.get().should_spin(None, true));
    }
}
