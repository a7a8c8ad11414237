//! The orders a queue can keep its items in: FIFO, LIFO and priority.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

/// Item storage of a queue; decides which item a get takes next.
pub(crate) trait Buffer<T>: Default {
    fn push(&mut self, item: T);
    fn pop(&mut self) -> Option<T>;
    /// Puts back an item that was just taken, so that it is taken next.
    fn unpop(&mut self, item: T);
    fn peek(&self) -> Option<&T>;
    fn len(&self) -> usize;
    /// Takes every item, in the order gets would.
    fn drain(&mut self) -> Vec<T> {
        std::iter::from_fn(|| self.pop()).collect()
    }
}

/// First in, first out.
#[derive(Debug)]
pub(crate) struct Fifo<T>(VecDeque<T>);

impl<T> Default for Fifo<T> {
    fn default() -> Self {
        Fifo(VecDeque::new())
    }
}

impl<T> Buffer<T> for Fifo<T> {
    fn push(&mut self, item: T) {
        self.0.push_back(item);
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop_front()
    }
    fn unpop(&mut self, item: T) {
        self.0.push_front(item);
    }
    fn peek(&self) -> Option<&T> {
        self.0.front()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// Last in, first out.
#[derive(Debug)]
pub(crate) struct Lifo<T>(Vec<T>);

impl<T> Default for Lifo<T> {
    fn default() -> Self {
        Lifo(Vec::new())
    }
}

impl<T> Buffer<T> for Lifo<T> {
    fn push(&mut self, item: T) {
        self.0.push(item);
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop()
    }
    fn unpop(&mut self, item: T) {
        self.0.push(item);
    }
    fn peek(&self) -> Option<&T> {
        self.0.last()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// Smallest first; FIFO among equal items.
#[derive(Debug)]
pub(crate) struct Priority<T> {
    heap: BinaryHeap<Prioritized<T>>,
    /// Sequence of the next push; counts up from the middle of the range.
    next: u64,
    /// Sequence of the next unpop; counts down, so unpopped items go first
    /// among equals.
    next_unpop: u64,
}

impl<T: Ord> Default for Priority<T> {
    fn default() -> Self {
        Priority {
            heap: BinaryHeap::new(),
            next: 1 << 63,
            next_unpop: (1 << 63) - 1,
        }
    }
}

#[derive(Debug)]
struct Prioritized<T> {
    item: T,
    seq: u64,
}

impl<T: Ord> PartialEq for Prioritized<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<T: Ord> Eq for Prioritized<T> {}

impl<T: Ord> PartialOrd for Prioritized<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: Ord> Ord for Prioritized<T> {
    /// Reversed: `BinaryHeap` pops the greatest, we want the smallest item,
    /// then the earliest sequence.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .item
            .cmp(&self.item)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

impl<T: Ord> Buffer<T> for Priority<T> {
    fn push(&mut self, item: T) {
        let seq = self.next;
        self.next += 1;
        self.heap.push(Prioritized { item, seq });
    }
    fn pop(&mut self) -> Option<T> {
        self.heap.pop().map(|p| p.item)
    }
    fn unpop(&mut self, item: T) {
        let seq = self.next_unpop;
        self.next_unpop -= 1;
        self.heap.push(Prioritized { item, seq });
    }
    fn peek(&self) -> Option<&T> {
        self.heap.peek().map(|p| &p.item)
    }
    fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders() {
        let mut f = Fifo::default();
        let mut l = Lifo::default();
        let mut p = Priority::default();
        for x in [3, 1, 2] {
            f.push(x);
            l.push(x);
            p.push(x);
        }
        assert_eq!(f.drain(), [3, 1, 2]);
        assert_eq!(l.drain(), [2, 1, 3]);
        assert_eq!(p.drain(), [1, 2, 3]);
    }

    #[test]
    fn priority_is_fifo_among_equals_and_unpop_goes_first() {
        let mut p = Priority::default();
        for (k, v) in [(1, 'a'), (0, 'b'), (1, 'c'), (0, 'd')] {
            p.push(Key(k, v));
        }
        let first = p.pop().unwrap();
        assert_eq!(first, Key(0, 'b'));
        p.unpop(first);
        let order: Vec<char> = p.drain().into_iter().map(|k| k.1).collect();
        assert_eq!(order, ['b', 'd', 'a', 'c']);
    }

    /// Ordered by the first field only.
    #[derive(Debug)]
    struct Key(u8, char);
    impl PartialEq for Key {
        fn eq(&self, o: &Self) -> bool {
            self.0 == o.0
        }
    }
    impl Eq for Key {}
    impl PartialOrd for Key {
        fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Key {
        fn cmp(&self, o: &Self) -> Ordering {
            self.0.cmp(&o.0)
        }
    }
}
