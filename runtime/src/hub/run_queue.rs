//! FIFO of ready greenlets: a plain data structure, no switching.

use std::collections::VecDeque;

/// One scheduled resumption: the greenlet's slab key and the wait sequence
/// number it was made ready with.
///
/// The hub ignores an item whose `seq` no longer matches the greenlet (it
/// parked again, finished, or its slot was reused), so a stale item can
/// never resume the wrong greenlet or resume one twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ready {
    pub(crate) key: usize,
    pub(crate) seq: u64,
}

/// First in, first out queue of [`Ready`] items.
#[derive(Debug, Default)]
pub(crate) struct RunQueue {
    items: VecDeque<Ready>,
}

impl RunQueue {
    pub(crate) fn new() -> Self {
        Self {
            items: VecDeque::with_capacity(256),
        }
    }

    pub(crate) fn push(&mut self, item: Ready) {
        self.items.push_back(item);
    }

    pub(crate) fn pop(&mut self) -> Option<Ready> {
        self.items.pop_front()
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_order() {
        let mut q = RunQueue::new();
        for key in 0..5 {
            q.push(Ready { key, seq: 1 });
        }
        assert_eq!(q.len(), 5);
        let order: Vec<usize> = std::iter::from_fn(|| q.pop()).map(|r| r.key).collect();
        assert_eq!(order, [0, 1, 2, 3, 4]);
        assert!(q.is_empty());
    }

    #[test]
    fn interleaved_push_pop_keeps_fifo() {
        let mut q = RunQueue::new();
        q.push(Ready { key: 1, seq: 1 });
        q.push(Ready { key: 2, seq: 1 });
        assert_eq!(q.pop().map(|r| r.key), Some(1));
        q.push(Ready { key: 1, seq: 2 });
        assert_eq!(q.pop(), Some(Ready { key: 2, seq: 1 }));
        assert_eq!(q.pop(), Some(Ready { key: 1, seq: 2 }));
        assert_eq!(q.pop(), None);
    }
}
