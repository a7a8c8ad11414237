//! `PriorityQueue<T>`: smallest first.

use std::fmt;

use super::buffer::Priority;
use super::core::Core;

/// A priority queue (gevent's `PriorityQueue`): a get takes the smallest
/// item, and among equal items the one put first. Otherwise like
/// [`Queue`](super::Queue). Use `(priority, value)` tuples or
/// [`std::cmp::Reverse`] to choose the order.
///
/// ```
/// use sprout_runtime::queue::PriorityQueue;
/// let q = PriorityQueue::new();
/// for job in [(2, "low"), (0, "urgent"), (1, "normal"), (0, "urgent too")] {
///     q.put(job).unwrap();
/// }
/// let order: Vec<_> = q.try_iter().map(|(_, name)| name).collect();
/// assert_eq!(order, ["urgent", "urgent too", "normal", "low"]);
/// ```
pub struct PriorityQueue<T: Ord> {
    core: Core<T, Priority<T>>,
}

impl<T: Ord> PriorityQueue<T> {
    /// An unbounded queue: puts never block.
    pub fn new() -> Self {
        PriorityQueue {
            core: Core::new(None),
        }
    }

    /// A queue holding at most `capacity` items; puts block while it is
    /// full.
    pub fn bounded(capacity: usize) -> Self {
        PriorityQueue {
            core: Core::new(Some(capacity)),
        }
    }

    buffered_queue_size_methods!();

    queue_methods!("PriorityQueue");
}

impl<T: Ord> Default for PriorityQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Ord> fmt::Debug for PriorityQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PriorityQueue")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("shutdown", &self.is_shutdown())
            .finish()
    }
}

queue_into_iter!(PriorityQueue, Ord);
