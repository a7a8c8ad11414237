//! The io driver: a `mio::Poll`, the readiness state of every registered
//! source, and the cross-thread wake-up queue.

use std::cell::{Cell, RefCell};
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mio::{Events, Interest, Poll, Token};
use slab::Slab;

use crate::hub::{WakeToken, WouldBlockForever};

/// Token of the cross-thread waker.
const WAKER_TOKEN: Token = Token(usize::MAX);

/// Readiness and waiters of one registered source.
#[derive(Debug, Default)]
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
    pub(crate) read_waiters: Vec<WakeToken>,
    pub(crate) write_waiters: Vec<WakeToken>,
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
    sources: RefCell<Slab<SourceState>>,
    next_generation: Cell<u32>,
    remote: Arc<Remote>,
    /// Outstanding cross-thread work (RemoteWake handles not yet delivered).
    remote_pending: Cell<usize>,
    /// Greenlets parked waiting for readiness.
    io_waiters: Cell<usize>,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("sources", &self.sources.borrow().len())
            .field("remote_pending", &self.remote_pending.get())
            .field("io_waiters", &self.io_waiters.get())
            .finish_non_exhaustive()
    }
}

fn encode(key: usize, generation: u32) -> Token {
    Token(((generation as usize) << 32) | key)
}

impl Driver {
    pub(crate) fn new() -> io::Result<Driver> {
        let poll = Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), WAKER_TOKEN)?;
        Ok(Driver {
            poll: RefCell::new(poll),
            events: RefCell::new(Events::with_capacity(1024)),
            sources: RefCell::new(Slab::new()),
            next_generation: Cell::new(0),
            remote: Arc::new(Remote {
                queue: Mutex::new(Vec::new()),
                waker,
            }),
            remote_pending: Cell::new(0),
            io_waiters: Cell::new(0),
        })
    }

    /// Whether anything outside the run queue and timers could still wake a
    /// greenlet.
    pub(crate) fn can_wake(&self) -> bool {
        self.io_waiters.get() > 0 || self.remote_pending.get() > 0
    }

    pub(crate) fn registered(&self) -> usize {
        self.sources.borrow().len()
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
        if let Some(s) = state {
            s.read_waiters
                .into_iter()
                .chain(s.write_waiters)
                .for_each(wake);
        }
    }

    /// Runs `f` on the state of `key` if it is still registered.
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

    /// Polls for events (at most `timeout`) and wakes the waiters of every
    /// source that became ready.
    pub(crate) fn poll(
        &self,
        timeout: Option<Duration>,
        wake: impl Fn(WakeToken),
    ) -> Result<(), WouldBlockForever> {
        let mut events = self.events.borrow_mut();
        match self.poll.borrow_mut().poll(&mut events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => panic!("sprout: polling for I/O failed: {e}"),
        }
        let mut to_wake: Vec<WakeToken> = Vec::new();
        for event in events.iter() {
            if event.token() == WAKER_TOKEN {
                let msgs = std::mem::take(
                    &mut *self.remote.queue.lock().unwrap_or_else(|e| e.into_inner()),
                );
                self.remote_pending
                    .set(self.remote_pending.get().saturating_sub(msgs.len()));
                to_wake.extend(msgs.into_iter().flatten());
                continue;
            }
            let key = event.token().0 & 0xffff_ffff;
            let generation = (event.token().0 >> 32) as u32;
            let mut sources = self.sources.borrow_mut();
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
                to_wake.append(&mut s.read_waiters);
            }
            if event.is_writable() || s.write_closed {
                s.writable = true;
                to_wake.append(&mut s.write_waiters);
            }
        }
        drop(events);
        to_wake.into_iter().for_each(wake);
        Ok(())
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
