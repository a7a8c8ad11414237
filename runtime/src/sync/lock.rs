//! `Lock`: the seeds' plain lock with `acquire`/`release`.

use std::fmt;
use std::time::{Duration, Instant};

use super::error::ReleaseError;
use super::semaphore::Semaphore;

/// A lock without data: [`acquire`](Lock::acquire) and
/// [`release`](Lock::release) (gevent's and Python's `Lock`), or a scoped
/// [`guard`](Lock::guard). Any greenlet may release it; for a lock that
/// protects data prefer [`Mutex`](super::Mutex), for one its owner may take
/// again, [`RLock`](super::RLock).
///
/// Waiters get the lock in FIFO order (it is handed over on release).
///
/// ```
/// use std::rc::Rc;
/// use sprout_runtime::sync::Lock;
///
/// let lock = Rc::new(Lock::new());
/// lock.acquire();
/// let l = lock.clone();
/// let waiter = sprout_runtime::spawn(move || l.try_acquire());
/// assert_eq!(waiter.join().unwrap(), false);
/// lock.release().unwrap();
/// assert!(lock.release().is_err()); // not locked any more
/// ```
pub struct Lock {
    sem: Semaphore,
}

impl Default for Lock {
    fn default() -> Self {
        Self::new()
    }
}

impl Lock {
    /// An unlocked lock.
    pub const fn new() -> Self {
        Lock {
            sem: Semaphore::new(1),
        }
    }

    /// Whether it is locked now.
    pub fn is_locked(&self) -> bool {
        self.sem.is_locked()
    }

    /// Takes the lock. Blocks the current greenlet until it is free; other
    /// greenlets run meanwhile.
    ///
    /// # Panics
    ///
    /// Panics if nothing could ever release it (a deadlock, for example a
    /// greenlet acquiring a lock it already holds with no other greenlet
    /// alive).
    pub fn acquire(&self) {
        if !self.sem.acquire_until("Lock::acquire", None) {
            unreachable!("an acquire without deadline cannot time out");
        }
    }

    /// Takes the lock if it is free now. Never switches.
    pub fn try_acquire(&self) -> bool {
        self.sem.try_acquire()
    }

    /// Like [`acquire`](Self::acquire), but gives up after `timeout` and
    /// returns `false`. Blocks the current greenlet until the lock is free or
    /// the timeout passes; other greenlets run meanwhile.
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        self.sem
            .acquire_until("Lock::acquire_timeout", Some(Instant::now() + timeout))
    }

    /// Releases the lock, handing it to the longest waiter if there is one.
    /// Never switches.
    ///
    /// # Errors
    ///
    /// [`ReleaseError::NotAcquired`] if it is not locked.
    pub fn release(&self) -> Result<(), ReleaseError> {
        if !self.sem.is_locked() {
            return Err(ReleaseError::NotAcquired);
        }
        self.sem.release();
        Ok(())
    }

    /// Takes the lock and returns a guard that releases it when dropped.
    /// Blocks the current greenlet until the lock is free; other greenlets
    /// run meanwhile.
    ///
    /// # Panics
    ///
    /// As for [`acquire`](Self::acquire).
    pub fn guard(&self) -> LockGuard<'_> {
        self.acquire();
        LockGuard { lock: self }
    }

    /// Like [`guard`](Self::guard), but returns `None` instead of waiting.
    pub fn try_guard(&self) -> Option<LockGuard<'_>> {
        self.try_acquire().then(|| LockGuard { lock: self })
    }

    /// Like [`guard`](Self::guard), but returns `None` after `timeout`.
    pub fn guard_timeout(&self, timeout: Duration) -> Option<LockGuard<'_>> {
        self.acquire_timeout(timeout)
            .then(|| LockGuard { lock: self })
    }
}

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock")
            .field("locked", &self.is_locked())
            .field("waiters", &self.sem.waiters())
            .finish()
    }
}

/// Holds a [`Lock`]; releases it when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard<'a> {
    lock: &'a Lock,
}

impl fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard").finish_non_exhaustive()
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        self.lock.sem.release();
    }
}
