//! `JoinableQueue<T>`: a FIFO queue that counts unfinished tasks.

use std::fmt;
use std::time::{Duration, Instant};

use super::buffer::Fifo;
use super::core::Core;
use super::error::TaskDoneError;

/// A FIFO queue whose consumers mark each item done with
/// [`task_done`](JoinableQueue::task_done), so a producer can
/// [`join`](JoinableQueue::join) until all are (gevent's `JoinableQueue`).
///
/// ```
/// use std::rc::Rc;
/// use sprout_runtime::queue::JoinableQueue;
///
/// let q = Rc::new(JoinableQueue::new());
/// for _ in 0..2 {
///     let q = q.clone();
///     sprout_runtime::spawn(move || {
///         while let Ok(n) = q.get() {
///             let _ = n * 2; // the work
///             q.task_done().unwrap();
///         }
///     });
/// }
/// for n in 0..10 {
///     q.put(n).unwrap();
/// }
/// q.join(); // every item was taken and marked done
/// assert_eq!(q.unfinished_tasks(), 0);
/// q.shutdown(); // lets the workers' loops end
/// ```
pub struct JoinableQueue<T> {
    core: Core<T, Fifo<T>>,
}

impl<T> JoinableQueue<T> {
    /// An unbounded queue: puts never block.
    pub fn new() -> Self {
        JoinableQueue {
            core: Core::new(None),
        }
    }

    /// A queue holding at most `capacity` items; puts block while it is
    /// full.
    pub fn bounded(capacity: usize) -> Self {
        JoinableQueue {
            core: Core::new(Some(capacity)),
        }
    }

    buffered_queue_size_methods!();

    /// Number of items put and not yet marked done.
    pub fn unfinished_tasks(&self) -> usize {
        self.core.unfinished()
    }

    /// Marks one item taken from the queue as done; the last one wakes every
    /// [`join`](Self::join)er. Never switches.
    ///
    /// # Errors
    ///
    /// [`TaskDoneError`] if every item put is already done.
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        self.core.task_done()
    }

    /// Waits until every item put was marked done. Blocks the current
    /// greenlet until then; other greenlets run meanwhile. Returns at once if
    /// nothing is unfinished. [`shutdown_now`](Self::shutdown_now) marks the
    /// items it removes done.
    ///
    /// # Panics
    ///
    /// Panics if nothing could ever finish the tasks (a deadlock: "would
    /// block forever").
    pub fn join(&self) {
        self.core.join_until("JoinableQueue::join", None);
    }

    /// Like [`join`](Self::join), but gives up after `timeout` and returns
    /// `false`.
    pub fn join_timeout(&self, timeout: Duration) -> bool {
        self.core.join_until(
            "JoinableQueue::join_timeout",
            Some(Instant::now() + timeout),
        )
    }

    queue_methods!("JoinableQueue");
}

impl<T> Default for JoinableQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for JoinableQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinableQueue")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("unfinished", &self.unfinished_tasks())
            .field("shutdown", &self.is_shutdown())
            .finish()
    }
}

queue_into_iter!(JoinableQueue);
