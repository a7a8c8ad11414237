//! The FIFO waiter list shared by every primitive: a plain data structure,
//! no switching.
//!
//! A waiter pushes a node holding its state and keeps the returned
//! [`WaiterKey`]. The primitive *unlinks* waiters from the front as it
//! serves them (handing them a permit, an item or a notification through
//! their state) but never frees a node: only the waiter that pushed a node
//! removes it, after it woke up or while it unwinds. So a key stays valid for
//! exactly as long as its waiter holds it, and a slab slot is never reused
//! under a live key.

use slab::Slab;

/// Names one node of a [`WaitList`]; valid until that node is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WaiterKey(usize);

const NIL: usize = usize::MAX;

#[derive(Debug)]
struct Node<T> {
    value: T,
    prev: usize,
    next: usize,
    linked: bool,
}

/// A first-in, first-out list of waiters with O(1) push, unlink-front and
/// removal of any node.
///
/// # Invariants
///
/// - `head`..`tail` through `next` visits exactly the nodes with
///   `linked == true`, in push order; `queued` is their number.
/// - An unlinked node has `prev == next == NIL` and stays in the slab until
///   [`remove`](WaitList::remove).
#[derive(Debug)]
pub(crate) struct WaitList<T> {
    nodes: Slab<Node<T>>,
    head: usize,
    tail: usize,
    queued: usize,
}

impl<T> Default for WaitList<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> WaitList<T> {
    pub(crate) const fn new() -> Self {
        WaitList {
            nodes: Slab::new(),
            head: NIL,
            tail: NIL,
            queued: 0,
        }
    }

    /// Appends a waiter at the back of the queue.
    pub(crate) fn push_back(&mut self, value: T) -> WaiterKey {
        let key = self.nodes.insert(Node {
            value,
            prev: self.tail,
            next: NIL,
            linked: true,
        });
        if self.tail == NIL {
            self.head = key;
        } else {
            self.nodes[self.tail].next = key;
        }
        self.tail = key;
        self.queued += 1;
        WaiterKey(key)
    }

    /// Number of waiters still queued (linked).
    pub(crate) fn len(&self) -> usize {
        self.queued
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// The first queued waiter.
    pub(crate) fn front(&self) -> Option<WaiterKey> {
        (self.head != NIL).then_some(WaiterKey(self.head))
    }

    /// Takes the first waiter out of the queue; its node stays until its
    /// owner removes it.
    pub(crate) fn unlink_front(&mut self) -> Option<WaiterKey> {
        let key = self.front()?;
        self.unlink(key);
        Some(key)
    }

    /// Whether the node is still queued.
    #[cfg(any(test, fuzzing))]
    pub(crate) fn is_linked(&self, key: WaiterKey) -> bool {
        self.nodes[key.0].linked
    }

    pub(crate) fn get(&self, key: WaiterKey) -> &T {
        &self.nodes[key.0].value
    }

    pub(crate) fn get_mut(&mut self, key: WaiterKey) -> &mut T {
        &mut self.nodes[key.0].value
    }

    /// Removes the node (unlinking it if still queued) and returns its value.
    ///
    /// # Panics
    ///
    /// Panics if `key` was already removed.
    pub(crate) fn remove(&mut self, key: WaiterKey) -> T {
        self.unlink(key);
        self.nodes.remove(key.0).value
    }

    /// Keys of the queued waiters, front to back.
    #[cfg(test)]
    pub(crate) fn keys(&self) -> impl Iterator<Item = WaiterKey> + '_ {
        let mut at = self.head;
        std::iter::from_fn(move || {
            if at == NIL {
                return None;
            }
            let key = at;
            at = self.nodes[at].next;
            Some(WaiterKey(key))
        })
    }

    fn unlink(&mut self, key: WaiterKey) {
        let (prev, next) = {
            let n = &mut self.nodes[key.0];
            if !n.linked {
                return;
            }
            n.linked = false;
            let links = (n.prev, n.next);
            n.prev = NIL;
            n.next = NIL;
            links
        };
        if prev == NIL {
            self.head = next;
        } else {
            self.nodes[prev].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.nodes[next].prev = prev;
        }
        self.queued -= 1;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;

    fn queued(list: &WaitList<u32>) -> Vec<u32> {
        list.keys().map(|k| *list.get(k)).collect()
    }

    #[test]
    fn fifo_order() {
        let mut l = WaitList::new();
        let keys: Vec<_> = (0..5).map(|i| l.push_back(i)).collect();
        assert_eq!(l.len(), 5);
        assert_eq!(queued(&l), [0, 1, 2, 3, 4]);
        let first = l.unlink_front().unwrap();
        assert_eq!(first, keys[0]);
        assert!(!l.is_linked(first));
        assert_eq!(*l.get(first), 0);
        assert_eq!(l.len(), 4);
        assert_eq!(l.remove(first), 0);
        assert_eq!(queued(&l), [1, 2, 3, 4]);
    }

    #[test]
    fn remove_from_middle_ends_and_unlinked() {
        let mut l = WaitList::new();
        let k: Vec<_> = (0..5).map(|i| l.push_back(i)).collect();
        assert_eq!(l.remove(k[2]), 2);
        assert_eq!(queued(&l), [0, 1, 3, 4]);
        assert_eq!(l.remove(k[0]), 0);
        assert_eq!(l.remove(k[4]), 4);
        assert_eq!(queued(&l), [1, 3]);
        let front = l.unlink_front().unwrap();
        assert_eq!(front, k[1]);
        assert_eq!(queued(&l), [3]);
        *l.get_mut(front) = 10;
        assert_eq!(l.remove(front), 10);
        assert_eq!(l.len(), 1);
        l.remove(k[3]);
        assert!(l.is_empty());
        assert_eq!(l.front(), None);
        // Slots are reused, links start fresh.
        let a = l.push_back(7);
        let b = l.push_back(8);
        assert_eq!(queued(&l), [7, 8]);
        l.remove(a);
        l.remove(b);
        assert!(l.unlink_front().is_none());
    }

    /// Random operations against a `VecDeque` model (a small deterministic
    /// generator keeps this test dependency-free).
    #[test]
    fn matches_a_model() {
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut rand = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut l = WaitList::new();
        let mut model: VecDeque<(WaiterKey, u32)> = VecDeque::new();
        let mut unlinked: Vec<(WaiterKey, u32)> = Vec::new();
        for step in 0..20_000u32 {
            match rand(4) {
                0 | 1 => model.push_back((l.push_back(step), step)),
                2 => {
                    let got = l.unlink_front();
                    let want = model.pop_front();
                    assert_eq!(got, want.map(|w| w.0));
                    if let Some(w) = want {
                        unlinked.push(w);
                    }
                }
                _ => {
                    if !unlinked.is_empty() && rand(2) == 0 {
                        let i = rand(unlinked.len() as u64) as usize;
                        let (k, v) = unlinked.swap_remove(i);
                        assert_eq!(l.remove(k), v);
                    } else if !model.is_empty() {
                        let i = rand(model.len() as u64) as usize;
                        let (k, v) = model.remove(i).unwrap();
                        assert_eq!(l.remove(k), v);
                    }
                }
            }
            assert_eq!(l.len(), model.len());
        }
        assert_eq!(queued(&l), model.iter().map(|w| w.1).collect::<Vec<_>>());
    }
}
