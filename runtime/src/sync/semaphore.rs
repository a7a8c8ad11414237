//! `Semaphore` and `BoundedSemaphore` (gevent.lock).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, Instant};

use super::error::ReleaseError;
use super::wait_list::WaitList;
use super::waiter::{WaitGuard, Waiters, deadlock, expired, wake_front};

/// Counts free permits; [`acquire`](Semaphore::acquire) takes one, waiting
/// while there are none, and [`release`](Semaphore::release) gives one back.
///
/// Waiters are served in FIFO order: a release hands its permit straight to
/// the greenlet that has waited longest, so a greenlet that arrives later can
/// never overtake it. An uncontended acquire never switches.
///
/// ```
/// use std::rc::Rc;
/// use sprout_runtime::sync::Semaphore;
///
/// let sem = Rc::new(Semaphore::new(2));
/// let running = Rc::new(std::cell::Cell::new(0));
/// let handles: Vec<_> = (0..6)
///     .map(|_| {
///         let (sem, running) = (sem.clone(), running.clone());
///         sprout_runtime::spawn(move || {
///             let _permit = sem.permit();
///             running.set(running.get() + 1);
///             assert!(running.get() <= 2);
///             sprout_runtime::yield_now();
///             running.set(running.get() - 1);
///         })
///     })
///     .collect();
/// sprout_runtime::joinall(handles);
/// assert_eq!(sem.available_permits(), 2);
/// ```
///
/// Like every sprout primitive it belongs to the hub of its thread, so it is
/// not `Send`:
///
/// ```compile_fail,E0277
/// let sem = sprout_runtime::sync::Semaphore::new(1);
/// std::thread::spawn(move || sem.release());
/// ```
pub struct Semaphore {
    permits: Cell<usize>,
    /// `Some(n)` for a bounded semaphore created with `n` permits.
    bound: Option<usize>,
    waiters: Waiters<Grant>,
    _not_send: PhantomData<*const ()>,
}

/// What a semaphore waiter was handed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grant {
    Waiting,
    Granted,
}

impl Semaphore {
    /// A semaphore with `permits` free permits.
    pub const fn new(permits: usize) -> Self {
        Self::with_bound(permits, None)
    }

    const fn with_bound(permits: usize, bound: Option<usize>) -> Self {
        Semaphore {
            permits: Cell::new(permits),
            bound,
            waiters: RefCell::new(WaitList::new()),
            _not_send: PhantomData,
        }
    }

    /// Number of free permits now.
    pub fn available_permits(&self) -> usize {
        self.permits.get()
    }

    /// Whether an [`acquire`](Self::acquire) would have to wait (gevent's
    /// `locked`).
    pub fn is_locked(&self) -> bool {
        self.permits.get() == 0
    }

    /// Number of greenlets waiting for a permit.
    pub fn waiters(&self) -> usize {
        self.waiters.borrow().len()
    }

    /// Takes a permit. Blocks the current greenlet until one is free; other
    /// greenlets run meanwhile.
    ///
    /// # Panics
    ///
    /// Panics if nothing could ever release a permit (a deadlock: "would
    /// block forever").
    pub fn acquire(&self) {
        if !self.acquire_until("Semaphore::acquire", None) {
            unreachable!("an acquire without deadline cannot time out");
        }
    }

    /// Takes a permit if one is free now. Never switches.
    pub fn try_acquire(&self) -> bool {
        if self.permits.get() > 0 && self.waiters.borrow().is_empty() {
            self.permits.set(self.permits.get() - 1);
            true
        } else {
            false
        }
    }

    /// Like [`acquire`](Self::acquire), but gives up after `timeout` and
    /// returns `false`. Blocks the current greenlet until a permit is free or
    /// the timeout passes; other greenlets run meanwhile. A permit released
    /// at the same moment as the timeout is taken, never lost.
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        self.acquire_until("Semaphore::acquire_timeout", Some(Instant::now() + timeout))
    }

    /// Takes a permit and returns a guard that releases it when dropped.
    /// Blocks the current greenlet until a permit is free; other greenlets
    /// run meanwhile.
    ///
    /// # Panics
    ///
    /// As for [`acquire`](Self::acquire).
    pub fn permit(&self) -> SemaphorePermit<'_> {
        self.acquire();
        SemaphorePermit { sem: self }
    }

    /// Like [`permit`](Self::permit), but returns `None` instead of waiting.
    pub fn try_permit(&self) -> Option<SemaphorePermit<'_>> {
        self.try_acquire().then(|| SemaphorePermit { sem: self })
    }

    /// Gives a permit back, handing it to the longest waiter if there is one.
    /// Never switches.
    pub fn release(&self) {
        self.release_permit();
    }

    pub(crate) fn acquire_until(&self, what: &'static str, deadline: Option<Instant>) -> bool {
        if self.try_acquire() {
            return true;
        }
        if expired(deadline) {
            return false;
        }
        let guard = WaitGuard::push(self, |s| &s.waiters, Self::abandon, Grant::Waiting);
        guard
            .block(what, deadline, |g| (*g == Grant::Granted).then_some(()))
            .unwrap_or_else(|e| deadlock(e))
            .is_some()
    }

    fn abandon(&self, grant: Grant) {
        if grant == Grant::Granted {
            self.release_permit();
        }
    }

    fn release_permit(&self) {
        if !wake_front(&self.waiters, |g| *g = Grant::Granted) {
            self.permits.set(self.permits.get() + 1);
        }
    }

    fn try_release_bounded(&self) -> Result<(), ReleaseError> {
        if let Some(bound) = self.bound
            && self.permits.get() >= bound
        {
            return Err(ReleaseError::NotAcquired);
        }
        self.release_permit();
        Ok(())
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.permits.get())
            .field("bound", &self.bound)
            .field("waiters", &self.waiters())
            .finish()
    }
}

/// A permit of a [`Semaphore`] (or [`BoundedSemaphore`]), released when
/// dropped.
#[must_use = "the permit is released as soon as it is dropped"]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit").finish_non_exhaustive()
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.sem.release_permit();
    }
}

/// A [`Semaphore`] that refuses to be released more often than it was
/// acquired: the count never exceeds its initial value.
///
/// ```
/// use sprout_runtime::sync::BoundedSemaphore;
/// let sem = BoundedSemaphore::new(1);
/// assert!(sem.release().is_err());
/// sem.acquire();
/// assert!(sem.release().is_ok());
/// ```
pub struct BoundedSemaphore {
    sem: Semaphore,
}

impl BoundedSemaphore {
    /// A bounded semaphore with `permits` free permits, which is also its
    /// maximum.
    pub const fn new(permits: usize) -> Self {
        BoundedSemaphore {
            sem: Semaphore::with_bound(permits, Some(permits)),
        }
    }

    /// Number of free permits now.
    pub fn available_permits(&self) -> usize {
        self.sem.available_permits()
    }

    /// Whether an [`acquire`](Self::acquire) would have to wait.
    pub fn is_locked(&self) -> bool {
        self.sem.is_locked()
    }

    /// Number of greenlets waiting for a permit.
    pub fn waiters(&self) -> usize {
        self.sem.waiters()
    }

    /// Takes a permit. Blocks the current greenlet until one is free; other
    /// greenlets run meanwhile.
    ///
    /// # Panics
    ///
    /// Panics if nothing could ever release a permit (a deadlock).
    pub fn acquire(&self) {
        if !self.sem.acquire_until("BoundedSemaphore::acquire", None) {
            unreachable!("an acquire without deadline cannot time out");
        }
    }

    /// Takes a permit if one is free now. Never switches.
    pub fn try_acquire(&self) -> bool {
        self.sem.try_acquire()
    }

    /// Like [`acquire`](Self::acquire), but gives up after `timeout` and
    /// returns `false`. Blocks the current greenlet until a permit is free or
    /// the timeout passes; other greenlets run meanwhile.
    pub fn acquire_timeout(&self, timeout: Duration) -> bool {
        self.sem.acquire_until(
            "BoundedSemaphore::acquire_timeout",
            Some(Instant::now() + timeout),
        )
    }

    /// Takes a permit and returns a guard that releases it when dropped.
    /// Blocks the current greenlet until a permit is free; other greenlets
    /// run meanwhile.
    ///
    /// # Panics
    ///
    /// As for [`acquire`](Self::acquire).
    pub fn permit(&self) -> SemaphorePermit<'_> {
        self.acquire();
        SemaphorePermit { sem: &self.sem }
    }

    /// Gives a permit back, handing it to the longest waiter if there is one.
    /// Never switches.
    ///
    /// # Errors
    ///
    /// [`ReleaseError::NotAcquired`] if every permit is already free.
    pub fn release(&self) -> Result<(), ReleaseError> {
        self.sem.try_release_bounded()
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedSemaphore")
            .field("permits", &self.sem.permits.get())
            .field("bound", &self.sem.bound)
            .field("waiters", &self.sem.waiters())
            .finish()
    }
}
