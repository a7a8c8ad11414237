//! `Condition`: wait for a change to data behind a [`Mutex`].

use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, Instant};

use super::mutex::MutexGuard;
use super::wait_list::WaitList;
use super::waiter::{WaitGuard, Waiters, deadlock, expired, wake_all, wake_front};

/// A condition variable (gevent's and Python's `Condition`, shaped like
/// `std::sync::Condvar`): [`wait`](Condition::wait) unlocks a [`Mutex`]
/// guard, sleeps until notified, and locks it again.
///
/// Notifications wake waiters in FIFO order. A notification given to a
/// waiter that is killed before it runs is passed on to the next waiter.
///
/// [`Mutex`]: super::Mutex
///
/// ```
/// use std::rc::Rc;
/// use sprout_runtime::sync::{Condition, Mutex};
///
/// let state = Rc::new((Mutex::new(false), Condition::new()));
/// let s = state.clone();
/// sprout_runtime::spawn(move || {
///     *s.0.lock() = true;
///     s.1.notify_all();
/// });
/// let (lock, cond) = &*state;
/// let mut ready = lock.lock();
/// while !*ready {
///     ready = cond.wait(ready);
/// }
/// ```
pub struct Condition {
    waiters: Waiters<bool>,
    _not_send: PhantomData<*const ()>,
}

impl Default for Condition {
    fn default() -> Self {
        Self::new()
    }
}

impl Condition {
    /// A condition with no waiters.
    pub const fn new() -> Self {
        Condition {
            waiters: RefCell::new(WaitList::new()),
            _not_send: PhantomData,
        }
    }

    /// Unlocks `guard`'s mutex, waits for a notification, then locks it
    /// again. Blocks the current greenlet until notified and the lock is
    /// retaken; other greenlets run meanwhile. Like `Condvar`, re-check the
    /// condition in a loop.
    ///
    /// # Panics
    ///
    /// Panics if nothing could ever notify it (a deadlock: "would block
    /// forever").
    pub fn wait<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        self.wait_until("Condition::wait", guard, None).0
    }

    /// Like [`wait`](Self::wait), but stops waiting for a notification after
    /// `timeout`; the second value is `false` if it timed out. The lock is
    /// always retaken (which may take longer). A zero timeout returns at
    /// once, without unlocking.
    pub fn wait_timeout<'a, T: ?Sized>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> (MutexGuard<'a, T>, bool) {
        self.wait_until(
            "Condition::wait_timeout",
            guard,
            Some(Instant::now() + timeout),
        )
    }

    /// Waits, as [`wait`](Self::wait), until `condition` returns `false`.
    pub fn wait_while<'a, T: ?Sized>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: impl FnMut(&mut T) -> bool,
    ) -> MutexGuard<'a, T> {
        while condition(&mut guard) {
            guard = self.wait(guard);
        }
        guard
    }

    fn wait_until<'a, T: ?Sized>(
        &self,
        what: &'static str,
        guard: MutexGuard<'a, T>,
        deadline: Option<Instant>,
    ) -> (MutexGuard<'a, T>, bool) {
        if expired(deadline) {
            return (guard, false);
        }
        let mutex = guard.mutex();
        // Queue first, then unlock: a notification sent as soon as the lock
        // is free cannot be missed.
        let waiter = WaitGuard::push(self, |s| &s.waiters, Self::abandon, false);
        drop(guard);
        let notified = waiter
            .block(what, deadline, |n| n.then_some(()))
            .unwrap_or_else(|e| deadlock(e))
            .is_some();
        (mutex.lock(), notified)
    }

    fn abandon(&self, notified: bool) {
        if notified {
            self.notify_one();
        }
    }

    /// Wakes the longest waiter; returns whether there was one. Never
    /// switches.
    pub fn notify_one(&self) -> bool {
        wake_front(&self.waiters, |n| *n = true)
    }

    /// Wakes up to `n` waiters, longest first; returns how many. Never
    /// switches.
    pub fn notify(&self, n: usize) -> usize {
        (0..n).take_while(|_| self.notify_one()).count()
    }

    /// Wakes every waiter; returns how many. Never switches.
    pub fn notify_all(&self) -> usize {
        wake_all(&self.waiters, |n| *n = true)
    }

    /// Number of greenlets waiting.
    pub fn waiters(&self) -> usize {
        self.waiters.borrow().len()
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("waiters", &self.waiters())
            .finish()
    }
}
