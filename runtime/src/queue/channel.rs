//! `Channel<T>`: a rendezvous between a putter and a getter.

use std::fmt;

use super::buffer::Fifo;
use super::core::Core;

/// A queue that holds no items (gevent's `Channel`): a put waits until a
/// getter takes its item, a get waits until a putter offers one.
///
/// [`len`](Channel::len) counts items offered by blocked putters;
/// [`try_put`](Channel::try_put) succeeds only while a getter is waiting.
///
/// ```
/// use std::rc::Rc;
/// use sprout_runtime::queue::Channel;
///
/// let ch = Rc::new(Channel::new());
/// let c = ch.clone();
/// let putter = sprout_runtime::spawn(move || c.put("hello"));
/// sprout_runtime::yield_now(); // the putter blocks: nobody is getting
/// assert_eq!(ch.len(), 1);
/// assert_eq!(ch.get(), Ok("hello"));
/// putter.join().unwrap().unwrap();
/// ```
pub struct Channel<T> {
    core: Core<T, Fifo<T>>,
}

impl<T> Channel<T> {
    /// A channel with nobody waiting.
    pub fn new() -> Self {
        Channel {
            core: Core::new(Some(0)),
        }
    }

    /// Number of items offered by blocked putters.
    pub fn len(&self) -> usize {
        self.core.putters()
    }

    /// Whether no putter is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a put would block: no getter is waiting.
    pub fn is_full(&self) -> bool {
        self.core.getters() == 0
    }

    queue_methods!("Channel");
}

impl<T> Default for Channel<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for Channel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channel")
            .field("getters", &self.getters())
            .field("putters", &self.putters())
            .field("shutdown", &self.is_shutdown())
            .finish()
    }
}

queue_into_iter!(Channel);
