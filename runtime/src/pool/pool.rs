//! `Pool`: a group that runs at most `size` greenlets at once.

use std::fmt;
use std::time::{Duration, Instant};

use super::error::PoolFull;
use super::members::Members;
use crate::JoinHandle;

/// A [`Group`](super::Group) that runs at most `size` member greenlets at
/// once (gevent's `Pool`): [`spawn`](Pool::spawn) blocks while it is full,
/// [`try_spawn`](Pool::try_spawn) fails instead. Blocked spawners get the
/// freed slots in FIFO order.
///
/// ```
/// use sprout_runtime::pool::Pool;
/// use std::time::Duration;
///
/// let pool = Pool::new(3);
/// let results = pool.map(
///     |n: u32| {
///         sprout_runtime::sleep(Duration::from_millis(1));
///         n * 10
///     },
///     0..10,
/// );
/// let results: Vec<u32> = results.into_iter().map(Result::unwrap).collect();
/// assert_eq!(results, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
/// assert_eq!(pool.free_count(), 3);
/// ```
pub struct Pool {
    members: Members,
}

impl Pool {
    /// A pool of `size` slots.
    ///
    /// # Panics
    ///
    /// Panics if `size` is 0 (nothing could ever run).
    pub fn new(size: usize) -> Self {
        assert!(size > 0, "Pool::new(0): a pool needs at least one slot");
        Pool {
            members: Members::new(Some(size)),
        }
    }

    /// The most members it runs at once.
    pub fn size(&self) -> usize {
        self.members.size().expect("a pool has a size")
    }

    /// Number of free slots now.
    pub fn free_count(&self) -> usize {
        self.members.free_count()
    }

    /// Whether every slot is taken.
    pub fn is_full(&self) -> bool {
        self.free_count() == 0
    }

    /// Spawns `f` if a slot is free now. Never switches.
    ///
    /// # Errors
    ///
    /// [`PoolFull`] with `f` if every slot is taken.
    #[track_caller]
    pub fn try_spawn<F, T>(&self, f: F) -> Result<JoinHandle<T>, PoolFull<F>>
    where
        F: FnOnce() -> T + 'static,
        T: 'static,
    {
        if !self.members.try_take_slot() {
            return Err(PoolFull(f));
        }
        Ok(self.members.spawn_member(f))
    }

    /// Waits until a slot is free and returns the number of free slots
    /// (which another greenlet may take before this one spawns). Blocks the
    /// current greenlet until then; other greenlets run meanwhile.
    ///
    /// # Panics
    ///
    /// Panics if no slot could ever be freed (a deadlock).
    pub fn wait_available(&self) -> usize {
        self.members.take_slot("Pool::wait_available", None);
        self.members.give_slot();
        self.free_count()
    }

    /// Like [`wait_available`](Self::wait_available), but gives up after
    /// `timeout` and returns `None`.
    pub fn wait_available_timeout(&self, timeout: Duration) -> Option<usize> {
        if !self.members.take_slot(
            "Pool::wait_available_timeout",
            Some(Instant::now() + timeout),
        ) {
            return None;
        }
        self.members.give_slot();
        Some(self.free_count())
    }

    group_methods!("Pool");
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("size", &self.size())
            .field("len", &self.len())
            .field("free", &self.free_count())
            .finish()
    }
}
