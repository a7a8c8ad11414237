//! The methods every queue type shares, generated over its `core` field so
//! that each type documents them itself.

/// Expands to the put/get/shutdown/iteration methods of a queue type whose
/// `core` field is a `Core`; `$name` is the type's name, for diagnostics.
macro_rules! queue_methods {
    ($name:literal) => {
        /// Puts `item` in the queue. Blocks the current greenlet until there
        /// is room (for a [`Channel`](crate::queue::Channel): until a getter
        /// takes it); other greenlets run meanwhile. Never switches when it
        /// can put at once.
        ///
        /// # Errors
        ///
        /// [`PutError`](crate::queue::PutError) with the item if the queue
        /// is shut down, or is shut down while this call waits.
        ///
        /// # Panics
        ///
        /// Panics if nothing could ever make room (a deadlock: "would block
        /// forever").
        pub fn put(&self, item: T) -> Result<(), $crate::queue::PutError<T>> {
            self.core
                .put_until(item, concat!($name, "::put"), None)
                .map_err(|e| $crate::queue::PutError(e.into_inner()))
        }

        /// Puts `item` in the queue if that can be done now. Never switches.
        ///
        /// # Errors
        ///
        /// [`TryPutError::Full`](crate::queue::TryPutError::Full) or
        /// [`TryPutError::ShutDown`](crate::queue::TryPutError::ShutDown),
        /// with the item.
        pub fn try_put(&self, item: T) -> Result<(), $crate::queue::TryPutError<T>> {
            self.core.try_put(item)
        }

        /// Like [`put`](Self::put), but gives up after `timeout`. Blocks the
        /// current greenlet until there is room or the timeout passes; other
        /// greenlets run meanwhile. An item taken at the same moment as the
        /// timeout counts as put.
        ///
        /// # Errors
        ///
        /// [`PutTimeoutError::TimedOut`](crate::queue::PutTimeoutError::TimedOut)
        /// or [`PutTimeoutError::ShutDown`](crate::queue::PutTimeoutError::ShutDown),
        /// with the item.
        pub fn put_timeout(
            &self,
            item: T,
            timeout: std::time::Duration,
        ) -> Result<(), $crate::queue::PutTimeoutError<T>> {
            self.core.put_until(
                item,
                concat!($name, "::put_timeout"),
                Some(std::time::Instant::now() + timeout),
            )
        }

        /// Takes the next item. Blocks the current greenlet until there is
        /// one; other greenlets run meanwhile. Never switches when an item
        /// is there.
        ///
        /// # Errors
        ///
        /// [`GetError`](crate::queue::GetError) once the queue is shut down
        /// and (after a graceful [`shutdown`](Self::shutdown)) drained.
        ///
        /// # Panics
        ///
        /// Panics if nothing could ever put an item (a deadlock: "would
        /// block forever").
        pub fn get(&self) -> Result<T, $crate::queue::GetError> {
            self.core
                .get_until(concat!($name, "::get"), None)
                .map_err(|_| $crate::queue::GetError)
        }

        /// Takes the next item if there is one now. Never switches.
        ///
        /// # Errors
        ///
        /// [`TryGetError::Empty`](crate::queue::TryGetError::Empty) or
        /// [`TryGetError::ShutDown`](crate::queue::TryGetError::ShutDown).
        pub fn try_get(&self) -> Result<T, $crate::queue::TryGetError> {
            self.core.try_get()
        }

        /// Like [`get`](Self::get), but gives up after `timeout`. Blocks the
        /// current greenlet until there is an item or the timeout passes;
        /// other greenlets run meanwhile. An item handed over at the same
        /// moment as the timeout is returned, never lost.
        ///
        /// # Errors
        ///
        /// [`GetTimeoutError::TimedOut`](crate::queue::GetTimeoutError::TimedOut)
        /// or [`GetTimeoutError::ShutDown`](crate::queue::GetTimeoutError::ShutDown).
        pub fn get_timeout(
            &self,
            timeout: std::time::Duration,
        ) -> Result<T, $crate::queue::GetTimeoutError> {
            self.core.get_until(
                concat!($name, "::get_timeout"),
                Some(std::time::Instant::now() + timeout),
            )
        }

        /// A copy of the item the next [`get`](Self::get) would take, if
        /// there is one now. Never blocks.
        pub fn peek(&self) -> Option<T>
        where
            T: Clone,
        {
            self.core.peek()
        }

        /// Shuts the queue down gracefully: later puts fail, gets take what
        /// is left and then fail. Every blocked putter wakes with its item in
        /// a [`PutError`](crate::queue::PutError); blocked getters (the
        /// queue is empty then) wake with
        /// [`GetError`](crate::queue::GetError). Never switches.
        pub fn shutdown(&self) {
            self.core.shutdown();
        }

        /// Shuts the queue down immediately: puts and gets fail from now on,
        /// every blocked caller wakes with the error, and the items that were
        /// left are returned (in the order gets would have taken them).
        /// Never switches.
        pub fn shutdown_now(&self) -> Vec<T> {
            self.core.shutdown_now()
        }

        /// Whether [`shutdown`](Self::shutdown) or
        /// [`shutdown_now`](Self::shutdown_now) was called.
        pub fn is_shutdown(&self) -> bool {
            self.core.shutdown_state() != $crate::queue::core::Shutdown::Open
        }

        /// Number of greenlets blocked in a get.
        pub fn getters(&self) -> usize {
            self.core.getters()
        }

        /// Number of greenlets blocked in a put.
        pub fn putters(&self) -> usize {
            self.core.putters()
        }

        /// An iterator that [`get`](Self::get)s items until the queue is
        /// shut down and drained. Each `next` blocks the current greenlet
        /// until there is an item; other greenlets run meanwhile.
        pub fn iter(&self) -> $crate::queue::Iter<'_, T> {
            $crate::queue::Iter::new(&self.core, true)
        }

        /// An iterator over the items there now (each `next` is a
        /// [`try_get`](Self::try_get)). Never blocks.
        pub fn try_iter(&self) -> $crate::queue::Iter<'_, T> {
            $crate::queue::Iter::new(&self.core, false)
        }
    };
}

/// Expands to the size queries of a buffered queue type (every one but the
/// rendezvous `Channel`, whose "full" means something else) whose `core`
/// field is a `Core`.
macro_rules! buffered_queue_size_methods {
    () => {
        /// Number of items in the queue.
        pub fn len(&self) -> usize {
            self.core.len()
        }

        /// Whether the queue holds no item.
        pub fn is_empty(&self) -> bool {
            self.core.len() == 0
        }

        /// Whether a put would block (never, for an unbounded queue).
        pub fn is_full(&self) -> bool {
            self.core.is_full()
        }

        /// The most items it holds, `None` if unbounded.
        pub fn capacity(&self) -> Option<usize> {
            self.core.capacity()
        }
    };
}

/// `IntoIterator for &$ty`: blocking iteration, as `iter()`.
macro_rules! queue_into_iter {
    ($ty:ident $(, $bound:path)?) => {
        impl<'a, T $(: $bound)?> IntoIterator for &'a $ty<T> {
            type Item = T;
            type IntoIter = $crate::queue::Iter<'a, T>;

            fn into_iter(self) -> Self::IntoIter {
                self.iter()
            }
        }
    };
}

/// Iterates over a queue's items; see `iter` and `try_iter` on each queue.
pub struct Iter<'a, T> {
    core: &'a dyn Source<T>,
    block: bool,
}

impl<'a, T> Iter<'a, T> {
    pub(crate) fn new(core: &'a dyn Source<T>, block: bool) -> Self {
        Iter { core, block }
    }
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.block {
            self.core.get_blocking()
        } else {
            self.core.get_now()
        }
    }
}

impl<T> std::fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iter")
            .field("blocking", &self.block)
            .finish_non_exhaustive()
    }
}

/// Type-erased gets, for [`Iter`].
pub(crate) trait Source<T> {
    fn get_blocking(&self) -> Option<T>;
    fn get_now(&self) -> Option<T>;
}

impl<T, B: super::buffer::Buffer<T>> Source<T> for super::core::Core<T, B> {
    fn get_blocking(&self) -> Option<T> {
        self.get_until("queue iterator", None).ok()
    }

    fn get_now(&self) -> Option<T> {
        self.try_get().ok()
    }
}
