//! `LifoQueue<T>`: last in, first out.

use std::fmt;

use super::buffer::Lifo;
use super::core::Core;

/// A last-in, first-out queue (gevent's `LifoQueue`): a get takes the item
/// put most recently. Otherwise like [`Queue`](super::Queue).
///
/// ```
/// use sprout_runtime::queue::LifoQueue;
/// let q = LifoQueue::new();
/// for i in 1..=3 {
///     q.put(i).unwrap();
/// }
/// assert_eq!(q.try_iter().collect::<Vec<_>>(), [3, 2, 1]);
/// ```
pub struct LifoQueue<T> {
    core: Core<T, Lifo<T>>,
}

impl<T> LifoQueue<T> {
    /// An unbounded queue: puts never block.
    pub fn new() -> Self {
        LifoQueue {
            core: Core::new(None),
        }
    }

    /// A queue holding at most `capacity` items; puts block while it is
    /// full.
    pub fn bounded(capacity: usize) -> Self {
        LifoQueue {
            core: Core::new(Some(capacity)),
        }
    }

    buffered_queue_size_methods!();

    queue_methods!("LifoQueue");
}

impl<T> Default for LifoQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for LifoQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LifoQueue")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("shutdown", &self.is_shutdown())
            .finish()
    }
}

queue_into_iter!(LifoQueue);
