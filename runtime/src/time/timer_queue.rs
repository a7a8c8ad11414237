//! Pending timers ordered by deadline: a plain data structure, no switching.
//!
//! A `BTreeMap<(Instant, seq), T>` as in async-io: exact, O(log n) insert,
//! cancel and pop, and timers with equal deadlines fire in insertion order.

use std::collections::BTreeMap;
use std::time::Instant;

/// Identifies one inserted timer so it can be cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct TimerKey {
    deadline: Instant,
    seq: u64,
}

impl TimerKey {
    /// When the timer fires.
    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }
}

/// Timers keyed by deadline, ties broken first in, first out.
#[derive(Debug)]
pub(crate) struct TimerQueue<T> {
    timers: BTreeMap<TimerKey, T>,
    next_seq: u64,
}

impl<T> Default for TimerQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> TimerQueue<T> {
    pub(crate) fn new() -> Self {
        Self {
            timers: BTreeMap::new(),
            next_seq: 0,
        }
    }

    /// Adds a timer and returns the key that cancels it.
    pub(crate) fn insert(&mut self, deadline: Instant, value: T) -> TimerKey {
        let key = TimerKey {
            deadline,
            seq: self.next_seq,
        };
        self.next_seq += 1;
        self.timers.insert(key, value);
        key
    }

    /// Removes a timer that has not fired yet; `None` if it already fired
    /// or was cancelled.
    pub(crate) fn cancel(&mut self, key: TimerKey) -> Option<T> {
        self.timers.remove(&key)
    }

    /// The earliest deadline, if any timer is pending.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.timers.first_key_value().map(|(k, _)| k.deadline)
    }

    /// Removes and returns the earliest timer whose deadline is at or before
    /// `now`. A timer never comes out before its deadline.
    pub(crate) fn pop_expired(&mut self, now: Instant) -> Option<(TimerKey, T)> {
        match self.timers.first_key_value() {
            Some((k, _)) if k.deadline <= now => self.timers.pop_first(),
            _ => None,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.timers.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.timers.is_empty()
    }

    /// Removes every timer (used when the hub shuts down).
    pub(crate) fn drain(&mut self) -> Vec<T> {
        std::mem::take(&mut self.timers).into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn pops_in_deadline_order_and_fifo_among_equals() {
        let base = Instant::now();
        let mut q = TimerQueue::new();
        q.insert(base + Duration::from_millis(30), "c");
        q.insert(base + Duration::from_millis(10), "a1");
        q.insert(base + Duration::from_millis(10), "a2");
        q.insert(base + Duration::from_millis(20), "b");
        let far = base + Duration::from_secs(1);
        let order: Vec<_> = std::iter::from_fn(|| q.pop_expired(far))
            .map(|(_, v)| v)
            .collect();
        assert_eq!(order, ["a1", "a2", "b", "c"]);
        assert!(q.is_empty());
    }

    #[test]
    fn never_pops_before_deadline() {
        let base = Instant::now();
        let mut q = TimerQueue::new();
        q.insert(base + Duration::from_millis(10), 1);
        assert!(q.pop_expired(base).is_none());
        assert!(q.pop_expired(base + Duration::from_millis(9)).is_none());
        assert_eq!(
            q.pop_expired(base + Duration::from_millis(10))
                .map(|(_, v)| v),
            Some(1)
        );
    }

    #[test]
    fn cancel_removes_exactly_one() {
        let base = Instant::now();
        let mut q = TimerQueue::new();
        let a = q.insert(base, 'a');
        let b = q.insert(base, 'b');
        assert_eq!(q.cancel(a), Some('a'));
        assert_eq!(q.cancel(a), None);
        assert_eq!(q.len(), 1);
        assert_eq!(q.next_deadline(), Some(base));
        assert_eq!(q.pop_expired(base), Some((b, 'b')));
        assert_eq!(q.cancel(b), None);
    }

    #[test]
    fn many_timers_model() {
        // Compare against a sorted Vec model for a pseudo-random sequence.
        let base = Instant::now();
        let mut q = TimerQueue::new();
        let mut model: Vec<(u64, u64, u32)> = Vec::new();
        let mut keys = Vec::new();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for i in 0..2000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let ms = x % 100;
            let k = q.insert(base + Duration::from_millis(ms), i);
            model.push((ms, u64::from(i), i));
            keys.push(k);
            if x.is_multiple_of(3) {
                let victim = (x as usize / 3) % keys.len();
                let removed = q.cancel(keys[victim]);
                let pos = model.iter().position(|m| m.2 as usize == victim);
                assert_eq!(removed.is_some(), pos.is_some());
                if let Some(p) = pos {
                    model.remove(p);
                }
            }
        }
        model.sort();
        let out: Vec<u32> = std::iter::from_fn(|| q.pop_expired(base + Duration::from_secs(1)))
            .map(|(_, v)| v)
            .collect();
        let expected: Vec<u32> = model.iter().map(|m| m.2).collect();
        assert_eq!(out, expected);
    }
}
