//! `Queue<T>`: first in, first out, bounded or unbounded.

use std::fmt;

use super::buffer::Fifo;
use super::core::Core;

/// A first-in, first-out queue between greenlets (gevent's `Queue`),
/// unbounded ([`new`](Queue::new)) or holding at most a number of items
/// ([`bounded`](Queue::bounded)).
///
/// Blocked getters and putters are served in FIFO order; an item put while
/// getters wait goes straight to the one that waited longest.
///
/// ```
/// use std::rc::Rc;
/// use sprout_runtime::queue::Queue;
///
/// let q = Rc::new(Queue::bounded(2));
/// let producer = {
///     let q = q.clone();
///     sprout_runtime::spawn(move || {
///         for i in 0..5 {
///             q.put(i).unwrap(); // blocks while 2 items wait
///         }
///         q.shutdown(); // gets drain what is left, then end
///     })
/// };
/// let got: Vec<i32> = q.iter().collect();
/// assert_eq!(got, [0, 1, 2, 3, 4]);
/// producer.join().unwrap();
/// ```
///
/// A queue belongs to the hub of its thread, so it is not `Send`:
///
/// ```compile_fail,E0277
/// let q = sprout_runtime::queue::Queue::<u8>::new();
/// std::thread::spawn(move || q.try_get());
/// ```
pub struct Queue<T> {
    core: Core<T, Fifo<T>>,
}

impl<T> Queue<T> {
    /// An unbounded queue: puts never block.
    pub fn new() -> Self {
        Queue {
            core: Core::new(None),
        }
    }

    /// A queue holding at most `capacity` items; puts block while it is
    /// full. A capacity of 0 makes a rendezvous queue like [`Channel`](super::Channel).
    pub fn bounded(capacity: usize) -> Self {
        Queue {
            core: Core::new(Some(capacity)),
        }
    }

    buffered_queue_size_methods!();

    queue_methods!("Queue");
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("getters", &self.getters())
            .field("putters", &self.putters())
            .field("shutdown", &self.is_shutdown())
            .finish()
    }
}

queue_into_iter!(Queue);
