//! `Mutex<T>` and its guard.

use std::cell::{RefCell, RefMut};
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use super::semaphore::Semaphore;

/// Data behind a lock that greenlets take in turn, like
/// `std::sync::Mutex` but waiting by switching to the hub.
///
/// The lock is handed over in FIFO order on unlock. Holding a guard across a
/// blocking call is fine: other greenlets run and queue up behind it.
///
/// ```
/// use std::rc::Rc;
/// use std::time::Duration;
/// use sprout_runtime::sync::Mutex;
///
/// let balance = Rc::new(Mutex::new(0));
/// let handles: Vec<_> = (0..10)
///     .map(|_| {
///         let balance = balance.clone();
///         sprout_runtime::spawn(move || {
///             let mut b = balance.lock();
///             let seen = *b;
///             sprout_runtime::sleep(Duration::from_millis(1)); // switch while holding it
///             *b = seen + 1;
///         })
///     })
///     .collect();
/// sprout_runtime::joinall(handles);
/// assert_eq!(*balance.lock(), 10);
/// ```
pub struct Mutex<T: ?Sized> {
    sem: Semaphore,
    value: RefCell<T>,
}

impl<T> Mutex<T> {
    /// An unlocked mutex holding `value`.
    pub const fn new(value: T) -> Self {
        Mutex {
            sem: Semaphore::new(1),
            value: RefCell::new(value),
        }
    }

    /// Consumes the mutex and returns its value.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks it. Blocks the current greenlet until the lock is free; other
    /// greenlets run meanwhile.
    ///
    /// # Panics
    ///
    /// Panics if nothing could ever unlock it (a deadlock, for example
    /// locking it twice in one greenlet with no other greenlet alive).
    pub fn lock(&self) -> MutexGuard<'_, T> {
        if !self.sem.acquire_until("Mutex::lock", None) {
            unreachable!("a lock without deadline cannot time out");
        }
        self.guard()
    }

    /// Locks it if it is free now. Never switches.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.sem.try_acquire().then(|| self.guard())
    }

    /// Like [`lock`](Self::lock), but gives up after `timeout` and returns
    /// `None`. Blocks the current greenlet until the lock is free or the
    /// timeout passes; other greenlets run meanwhile.
    pub fn lock_timeout(&self, timeout: Duration) -> Option<MutexGuard<'_, T>> {
        self.sem
            .acquire_until("Mutex::lock_timeout", Some(Instant::now() + timeout))
            .then(|| self.guard())
    }

    /// Whether it is locked now.
    pub fn is_locked(&self) -> bool {
        self.sem.is_locked()
    }

    /// The value, through exclusive access (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    fn guard(&self) -> MutexGuard<'_, T> {
        MutexGuard {
            mutex: self,
            value: Some(
                self.value
                    .try_borrow_mut()
                    .expect("sprout Mutex: the value is borrowed only by the lock holder"),
            ),
        }
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.value.try_borrow() {
            Ok(v) if !self.is_locked() => d.field("data", &&*v),
            _ => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// Access to a [`Mutex`]'s value; unlocks it when dropped.
#[must_use = "the mutex is unlocked as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    /// `Some` until dropped; released before the lock is handed on.
    value: Option<RefMut<'a, T>>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The mutex this guard locks.
    pub(crate) fn mutex(&self) -> &'a Mutex<T> {
        self.mutex
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value.as_deref().expect("a live guard holds the value")
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value
            .as_deref_mut()
            .expect("a live guard holds the value")
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.value = None;
        self.mutex.sem.release();
    }
}
