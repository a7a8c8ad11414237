//! Waiting on several greenlets: `joinall`, `killall`, `wait`, `iwait`.

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::error::JoinError;
use super::handle::JoinHandle;
use crate::hub::{WakeToken, Woke, park};

/// Something a greenlet can wait to become ready: implemented by
/// [`JoinHandle`] (ready once the greenlet ended), [`Event`] and
/// [`AsyncResult`].
///
/// [`Event`]: crate::sync::Event
/// [`AsyncResult`]: crate::sync::AsyncResult
pub trait Waitable {
    /// Whether it is ready now. Never blocks.
    fn is_ready(&self) -> bool;

    /// When it became ready, as an ordering ticket; `None` while not ready.
    #[doc(hidden)]
    fn ready_ticket(&self) -> Option<u64>;

    /// Registers `notifier`, called while the object is not ready: the
    /// object calls [`Notifier::notify`] the next time it becomes ready.
    #[doc(hidden)]
    fn add_notifier(&self, notifier: Notifier);
}

impl<T> Waitable for JoinHandle<T> {
    fn is_ready(&self) -> bool {
        self.is_finished()
    }

    fn ready_ticket(&self) -> Option<u64> {
        self.packet.done_ticket()
    }

    fn add_notifier(&self, notifier: Notifier) {
        self.packet.add_notifier(notifier);
    }
}

/// Tells one [`Iwait`] that one of its objects became ready.
///
/// An object keeps the notifiers registered with it and calls
/// [`notify`](Self::notify) on each when it becomes ready, then drops them.
#[doc(hidden)]
#[derive(Clone)]
pub struct Notifier {
    set: Rc<ReadySet>,
    index: usize,
}

/// What the objects of one [`Iwait`] report to it.
struct ReadySet {
    /// Indices notified since the iterator last looked.
    notified: RefCell<Vec<usize>>,
    /// The iterator's current park; the first notification wakes it.
    token: Cell<Option<WakeToken>>,
    /// The iterator is gone: notifications are dropped.
    closed: Cell<bool>,
}

impl Notifier {
    /// Reports the object as ready and wakes the iterator if it waits.
    /// Never switches.
    pub fn notify(&self) {
        if self.set.closed.get() {
            return;
        }
        self.set.notified.borrow_mut().push(self.index);
        if let Some(t) = self.set.token.take() {
            t.wake();
        }
    }

    /// Whether the iterator still listens (a holder may drop it otherwise).
    pub fn is_live(&self) -> bool {
        !self.set.closed.get()
    }
}

impl fmt::Debug for Notifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notifier")
            .field("index", &self.index)
            .field("live", &self.is_live())
            .finish()
    }
}

/// Registrations kept by one object until it becomes ready (wake tokens of
/// joins, notifiers of `iwait`s). Entries whose wait has ended are pruned as
/// the list grows, at lengths that double with the live count, so adding
/// stays amortised O(1) however many waits come and go (repeated calls
/// with timeouts, say).
#[derive(Debug)]
pub(crate) struct Registrations<T> {
    list: RefCell<Vec<T>>,
    /// Length at which ended entries are pruned next.
    prune_at: Cell<usize>,
}

impl<T> Default for Registrations<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Registrations<T> {
    pub(crate) const fn new() -> Self {
        Registrations {
            list: RefCell::new(Vec::new()),
            prune_at: Cell::new(0),
        }
    }

    /// Adds `item`; `is_live` tells which older entries still wait.
    pub(crate) fn add(&self, item: T, is_live: impl FnMut(&T) -> bool) {
        let mut list = self.list.borrow_mut();
        if list.len() >= self.prune_at.get().max(32) {
            list.retain(is_live);
            self.prune_at.set(list.len() * 2);
        }
        list.push(item);
    }

    /// Removes and returns every entry.
    pub(crate) fn take_all(&self) -> Vec<T> {
        self.prune_at.set(0);
        std::mem::take(&mut *self.list.borrow_mut())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.list.borrow().len()
    }
}

/// The notifiers registered with one object, notified once when it becomes
/// ready.
pub(crate) type Notifiers = Registrations<Notifier>;

impl Registrations<Notifier> {
    /// Registers an `iwait`'s notifier.
    pub(crate) fn add_notifier(&self, notifier: Notifier) {
        self.add(notifier, Notifier::is_live);
    }

    /// Notifies and drops every registered notifier.
    pub(crate) fn notify_all(&self) {
        for n in self.take_all() {
            n.notify();
        }
    }
}

/// Joins every handle in order and returns their results in that order.
/// Blocks the current greenlet until all have ended; other greenlets run
/// meanwhile.
pub fn joinall<T>(handles: impl IntoIterator<Item = JoinHandle<T>>) -> Vec<Result<T, JoinError>> {
    handles.into_iter().map(JoinHandle::join).collect()
}

/// Kills every greenlet (those not started never run), then waits until all
/// have ended.
pub fn killall<T>(handles: &[JoinHandle<T>]) {
    for h in handles {
        h.request_kill();
    }
    for h in handles {
        h.kill();
    }
}

/// Waits until `count` of `objects` are ready (all of them when `None`) or
/// `timeout` passes, and returns the indices of the ready ones in the order
/// they became ready. Blocks the current greenlet; other greenlets run
/// meanwhile.
///
/// ```
/// use std::time::Duration;
/// let slow = sprout_runtime::spawn(|| sprout_runtime::sleep(Duration::from_millis(30)));
/// let fast = sprout_runtime::spawn(|| ());
/// let done = sprout_runtime::wait(&[&slow, &fast], Some(1), None);
/// assert_eq!(done, [1]);
/// ```
///
/// # Panics
///
/// Panics if nothing could ever make enough of them ready (a deadlock).
pub fn wait(
    objects: &[&dyn Waitable],
    count: Option<usize>,
    timeout: Option<Duration>,
) -> Vec<usize> {
    let want = count.unwrap_or(objects.len()).min(objects.len());
    let mut it = iwait(objects, timeout);
    let mut done = Vec::with_capacity(want);
    while done.len() < want {
        match it.next() {
            Some(i) => done.push(i),
            None => break,
        }
    }
    done
}

/// Iterates over the indices of `objects` in the order they become ready
/// (gevent's `iwait`, the `as_completed` pattern); ends when all were
/// yielded or `timeout` passes. Each `next` blocks the current greenlet
/// until one more is ready.
///
/// Objects ready already come first, in the order they became ready. Each
/// object is registered once, so iterating over `n` objects costs
/// O(n log n) in all, however they complete.
pub fn iwait<'a>(objects: &'a [&'a dyn Waitable], timeout: Option<Duration>) -> Iwait<'a> {
    let mut it = Iwait {
        objects,
        set: Rc::new(ReadySet {
            notified: RefCell::new(Vec::new()),
            token: Cell::new(None),
            closed: Cell::new(false),
        }),
        ready: BinaryHeap::new(),
        remaining: objects.len(),
        deadline: timeout.map(|t| Instant::now() + t),
    };
    for index in 0..objects.len() {
        it.enlist(index);
    }
    it
}

/// Iterator returned by [`iwait`].
pub struct Iwait<'a> {
    objects: &'a [&'a dyn Waitable],
    set: Rc<ReadySet>,
    /// Objects seen ready and not yielded yet, earliest ticket first.
    ready: BinaryHeap<Reverse<(u64, usize)>>,
    remaining: usize,
    deadline: Option<Instant>,
}

impl fmt::Debug for Iwait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iwait")
            .field("len", &self.objects.len())
            .field("remaining", &self.remaining)
            .finish()
    }
}

impl Iwait<'_> {
    /// Puts object `index` in the heap by its ticket if it is ready, or
    /// registers a notifier with it if not.
    fn enlist(&mut self, index: usize) {
        let object = self.objects[index];
        match object.ready_ticket() {
            Some(t) => self.ready.push(Reverse((t, index))),
            None => object.add_notifier(Notifier {
                set: Rc::clone(&self.set),
                index,
            }),
        }
    }

    /// Enlists the notified objects, and returns the earliest ready one. An
    /// object that is no longer ready (an `Event` cleared again) is
    /// registered anew; one made ready again since is ordered by its latest
    /// ticket.
    fn take_ready(&mut self) -> Option<usize> {
        let notified = std::mem::take(&mut *self.set.notified.borrow_mut());
        for index in notified {
            self.enlist(index);
        }
        while let Some(Reverse((t, index))) = self.ready.pop() {
            if self.objects[index].ready_ticket() == Some(t) {
                return Some(index);
            }
            self.enlist(index);
        }
        None
    }
}

impl Iterator for Iwait<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.remaining == 0 {
            return None;
        }
        let mut timed_out = false;
        loop {
            if let Some(i) = self.take_ready() {
                self.remaining -= 1;
                return Some(i);
            }
            if timed_out {
                self.remaining = 0;
                return None;
            }
            let set = Rc::clone(&self.set);
            let woke = park("iwait", self.deadline, |t| set.token.set(Some(t)))
                .unwrap_or_else(|e| panic!("{e}"));
            self.set.token.set(None);
            timed_out = woke == Woke::TimedOut;
        }
    }
}

impl Drop for Iwait<'_> {
    fn drop(&mut self) {
        // The objects drop our notifiers when they fire or prune.
        self.set.closed.set(true);
        self.set.notified.borrow_mut().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::Registrations;

    #[test]
    fn ended_entries_are_pruned_as_the_list_grows() {
        let r = Registrations::new();
        // Only multiples of 10 stay live.
        for i in 0..10_000u32 {
            r.add(i, |x| x % 10 == 0);
        }
        // Bounded by twice the live count plus the growth since the last
        // prune, far below the 10,000 added.
        assert!(r.len() < 2_100, "{}", r.len());
        // No live entry was dropped, and the order is kept.
        let all = r.take_all();
        let live: Vec<u32> = all.into_iter().filter(|x| x % 10 == 0).collect();
        assert_eq!(live, (0..10_000).step_by(10).collect::<Vec<_>>());
        assert_eq!(r.len(), 0);
    }

    #[test]
    fn live_entries_are_kept_in_order() {
        let r = Registrations::new();
        for i in 0..1_000u32 {
            r.add(i, |_| true);
        }
        assert_eq!(r.take_all(), (0..1_000).collect::<Vec<_>>());
    }
}
