//! `RLock`: a lock its owner greenlet may take again.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, Instant};

use super::error::ReleaseError;
use super::wait_list::WaitList;
use super::waiter::{WaitGuard, Waiters, deadlock, expired, wake_front};
use crate::hub::with_hub;

/// A reentrant lock: the greenlet that holds it may acquire it again, and
/// must release it as many times. Only the owner may release it.
///
/// Waiters get the lock in FIFO order (it is handed over on the last
/// release).
///
/// ```
/// use std::rc::Rc;
/// use sprout_runtime::sync::{RLock, ReleaseError};
///
/// let lock = Rc::new(RLock::new());
/// lock.acquire();
/// lock.acquire(); // again, same greenlet
/// let l = lock.clone();
/// let other = sprout_runtime::spawn(move || l.release());
/// assert_eq!(other.join().unwrap(), Err(ReleaseError::NotOwner));
/// lock.release().unwrap();
/// lock.release().unwrap();
/// assert!(!lock.is_locked());
/// ```
pub struct RLock {
    /// Owner's greenlet id and how many times it acquired.
    owner: Cell<Option<(u64, usize)>>,
    waiters: Waiters<Slot>,
    _not_send: PhantomData<*const ()>,
}

/// A waiter: its greenlet id, and whether the lock was handed to it.
#[derive(Debug, Clone, Copy)]
struct Slot {
    id: u64,
    granted: bool,
}

fn current_id() -> u64 {
    with_hub(|hub| hub.current_info().0)
}

impl Default for RLock {
    fn default() -> Self {
        Self::new()
    }
}

impl RLock {
    /// An unlocked lock.
    pub const fn new() -> Self {
        RLock {
            owner: Cell::new(None),
            waiters: RefCell::new(WaitList::new()),
            _not_send: PhantomData,
        }
    }

    /// Whether some greenlet holds it.
    pub fn is_locked(&self) -> bool {
        self.owner.get().is_some()
    }

    /// Whether the current greenlet holds it.
    pub fn is_owned(&self) -> bool {
        matches!(self.owner.get(), Some((id, _)) if id == current_id())
    }

    /// Takes the lock (again, if the current greenlet holds it). Blocks the
    /// current greenlet until it is free; other greenlets run meanwhile.
    ///
    /// # Panics
    ///
    /// Panics if nothing could ever release it (a deadlock).
    pub fn acquire(&self) {
        if !self.acquire_until("RLock::acquire", None) {
            unreachable!("an acquire without deadline cannot time out");
        }
    }

    /// Takes the lock if it is free or already held by the current
    /// greenlet. Never switches.
    pub fn try_acquire(&self) -> bool {
        self.try_acquire_as(current_id())
    }

    /// Like [`acquire`](Self::acquire), but gives up after `timeout` and
    /// returns `false`. Blocks the current greenlet until the lock is free or
    /// the timeout passes; other greenlets run meanwhile.
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        self.acquire_until("RLock::acquire_timeout", Some(Instant::now() + timeout))
    }

    /// Releases one acquisition; the last one hands the lock to the longest
    /// waiter. Never switches.
    ///
    /// # Errors
    ///
    /// [`ReleaseError::NotOwner`] if another greenlet holds it,
    /// [`ReleaseError::NotAcquired`] if nobody does.
    pub fn release(&self) -> Result<(), ReleaseError> {
        match self.owner.get() {
            None => Err(ReleaseError::NotAcquired),
            Some((id, _)) if id != current_id() => Err(ReleaseError::NotOwner),
            Some((id, n)) if n > 1 => {
                self.owner.set(Some((id, n - 1)));
                Ok(())
            }
            Some(_) => {
                self.hand_on();
                Ok(())
            }
        }
    }

    /// Takes the lock and returns a guard that releases it when dropped.
    /// Blocks the current greenlet until the lock is free; other greenlets
    /// run meanwhile.
    ///
    /// # Panics
    ///
    /// As for [`acquire`](Self::acquire).
    pub fn guard(&self) -> RLockGuard<'_> {
        self.acquire();
        RLockGuard { lock: self }
    }

    fn try_acquire_as(&self, me: u64) -> bool {
        match self.owner.get() {
            Some((id, n)) if id == me => {
                self.owner.set(Some((id, n + 1)));
                true
            }
            None if self.waiters.borrow().is_empty() => {
                self.owner.set(Some((me, 1)));
                true
            }
            _ => false,
        }
    }

    fn acquire_until(&self, what: &'static str, deadline: Option<Instant>) -> bool {
        let me = current_id();
        if self.try_acquire_as(me) {
            return true;
        }
        if expired(deadline) {
            return false;
        }
        let slot = Slot {
            id: me,
            granted: false,
        };
        let guard = WaitGuard::push(self, |s| &s.waiters, Self::abandon, slot);
        guard
            .block(what, deadline, |s| s.granted.then_some(()))
            .unwrap_or_else(|e| deadlock(e))
            .is_some()
    }

    /// Passes the lock to the next waiter, or unlocks it.
    fn hand_on(&self) {
        let mut next = None;
        wake_front(&self.waiters, |s| {
            s.granted = true;
            next = Some(s.id);
        });
        self.owner.set(next.map(|id| (id, 1)));
    }

    fn abandon(&self, slot: Slot) {
        if slot.granted {
            self.hand_on();
        }
    }
}

impl fmt::Debug for RLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RLock")
            .field("owner", &self.owner.get().map(|(id, _)| id))
            .field("count", &self.owner.get().map_or(0, |(_, n)| n))
            .field("waiters", &self.waiters.borrow().len())
            .finish()
    }
}

/// Holds one acquisition of an [`RLock`]; releases it when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RLockGuard<'a> {
    lock: &'a RLock,
}

impl fmt::Debug for RLockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RLockGuard").finish_non_exhaustive()
    }
}

impl Drop for RLockGuard<'_> {
    fn drop(&mut self) {
        // The guard was made by the owner on its own stack, so this cannot
        // fail unless the guard was moved into another greenlet.
        let _ = self.lock.release();
    }
}
