//! FIFO of ready greenlets: a plain data structure, no switching.

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
///
/// A ring buffer whose capacity is a power of two, so that `push` and `pop`
/// are a mask and a few moves each (every switch does one of each; a
/// `VecDeque` costs several times more there). It grows by doubling and
/// never shrinks.
#[derive(Debug)]
pub(crate) struct RunQueue {
    /// Ring storage; `slots.len()` is a power of two.
    slots: Box<[Ready]>,
    /// Index of the oldest item.
    head: usize,
    /// Number of items.
    len: usize,
}

const EMPTY: Ready = Ready { key: 0, seq: 0 };

impl Default for RunQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl RunQueue {
    pub(crate) fn new() -> Self {
        Self::with_capacity(256)
    }

    fn with_capacity(capacity: usize) -> Self {
        Self {
            slots: vec![EMPTY; capacity.next_power_of_two().max(1)].into_boxed_slice(),
            head: 0,
            len: 0,
        }
    }

    #[inline]
    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    #[inline]
    pub(crate) fn push(&mut self, item: Ready) {
        if self.len == self.slots.len() {
            self.grow();
        }
        let i = (self.head + self.len) & self.mask();
        self.slots[i] = item;
        self.len += 1;
    }

    #[inline]
    pub(crate) fn pop(&mut self) -> Option<Ready> {
        if self.len == 0 {
            return None;
        }
        let item = self.slots[self.head];
        self.head = (self.head + 1) & self.mask();
        self.len -= 1;
        Some(item)
    }

    /// Doubles the capacity, keeping the order.
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        let mut slots = vec![EMPTY; self.slots.len() * 2].into_boxed_slice();
        for (n, slot) in slots.iter_mut().take(self.len).enumerate() {
            *slot = self.slots[(self.head + n) & self.mask()];
        }
        self.slots = slots;
        self.head = 0;
    }

    /// The oldest item, without taking it.
    pub(crate) fn peek(&self) -> Option<Ready> {
        self.peek_nth(0)
    }

    /// The item `n` places behind the oldest (0: the oldest), without
    /// taking it.
    pub(crate) fn peek_nth(&self, n: usize) -> Option<Ready> {
        (n < self.len).then(|| self.slots[(self.head + n) & self.mask()])
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
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

    #[test]
    fn grows_across_the_wrap_point_keeping_fifo() {
        let mut q = RunQueue::with_capacity(4);
        // Move the head off zero so the items wrap around the end.
        for key in 0..3 {
            q.push(Ready { key, seq: 0 });
        }
        for key in 0..3 {
            assert_eq!(q.pop().map(|r| r.key), Some(key));
        }
        for key in 10..30 {
            q.push(Ready {
                key,
                seq: key as u64,
            });
        }
        assert_eq!(q.len(), 20);
        let order: Vec<Ready> = std::iter::from_fn(|| q.pop()).collect();
        let expected: Vec<Ready> = (10..30)
            .map(|key| Ready {
                key,
                seq: key as u64,
            })
            .collect();
        assert_eq!(order, expected);
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn matches_a_vecdeque_model() {
        use std::collections::VecDeque;
        let mut q = RunQueue::with_capacity(1);
        let mut model = VecDeque::new();
        // A fixed pseudo-random walk of pushes and pops.
        let mut x: u32 = 12345;
        for step in 0..10_000usize {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            if x.is_multiple_of(3) {
                assert_eq!(q.pop(), model.pop_front());
            } else {
                let r = Ready {
                    key: step,
                    seq: u64::from(x),
                };
                q.push(r);
                model.push_back(r);
            }
            assert_eq!(q.len(), model.len());
            for n in 0..3 {
                assert_eq!(
                    q.peek_nth(n),
                    model.get(n).copied(),
                    "step {step}, item {n}"
                );
            }
            assert_eq!(q.peek(), model.front().copied());
        }
        while let Some(r) = model.pop_front() {
            assert_eq!(q.pop(), Some(r));
        }
        assert!(q.is_empty());
    }
}
