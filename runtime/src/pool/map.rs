//! `map`, `imap` and `imap_unordered` over a group or pool.

use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;

use slab::Slab;

use super::members::Members;
use crate::greenlet::{JoinError, JoinHandle};
use crate::queue::Queue;

/// Spawns one job as a member, waiting for a slot if this is a pool.
fn spawn_job<X: 'static, R: 'static>(
    members: &Members,
    f: &Rc<dyn Fn(X) -> R>,
    x: X,
    what: &'static str,
) -> JoinHandle<R> {
    members.take_slot(what, None);
    let f = Rc::clone(f);
    members.spawn_member(move || f(x))
}

/// How many jobs run ahead of the consumer: a pool's size (it could not run
/// more anyway), everything for a group.
fn window(members: &Members) -> usize {
    members.size().unwrap_or(usize::MAX).max(1)
}

/// Results of a pool's or group's `imap`, in the order of the inputs; see
/// [`Pool::imap`](super::Pool::imap).
pub struct Imap<'a, I: Iterator, R> {
    members: &'a Members,
    items: I,
    f: Rc<dyn Fn(I::Item) -> R>,
    pending: VecDeque<JoinHandle<R>>,
}

impl<'a, I, R> Imap<'a, I, R>
where
    I: Iterator,
    I::Item: 'static,
    R: 'static,
{
    pub(crate) fn new(members: &'a Members, items: I, f: Rc<dyn Fn(I::Item) -> R>) -> Self {
        Imap {
            members,
            items,
            f,
            pending: VecDeque::new(),
        }
    }
}

impl<I, R> Iterator for Imap<'_, I, R>
where
    I: Iterator,
    I::Item: 'static,
    R: 'static,
{
    type Item = Result<R, JoinError>;

    /// Blocks the current greenlet until the next result in input order is
    /// ready; other greenlets run meanwhile.
    fn next(&mut self) -> Option<Self::Item> {
        let window = window(self.members);
        while self.pending.len() < window {
            let Some(x) = self.items.next() else { break };
            self.pending
                .push_back(spawn_job(self.members, &self.f, x, "Pool::imap"));
        }
        self.pending.pop_front().map(JoinHandle::join)
    }
}

impl<I: Iterator, R> fmt::Debug for Imap<'_, I, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Imap")
            .field("running", &self.pending.len())
            .finish_non_exhaustive()
    }
}

/// Results of a pool's or group's `imap_unordered`, in the order the jobs
/// finish; see [`Pool::imap_unordered`](super::Pool::imap_unordered).
pub struct ImapUnordered<'a, I: Iterator, R> {
    members: &'a Members,
    items: I,
    f: Rc<dyn Fn(I::Item) -> R>,
    running: Slab<JoinHandle<R>>,
    /// Slab keys of finished jobs, in finishing order.
    finished: Rc<Queue<usize>>,
}

/// Moved into a job: reports it finished when dropped (returned, unwound,
/// or dropped unstarted because it was killed).
struct Finished {
    queue: Rc<Queue<usize>>,
    key: usize,
}

impl Drop for Finished {
    fn drop(&mut self) {
        // An unbounded queue: never blocks, never fails while we hold it.
        let _ = self.queue.try_put(self.key);
    }
}

impl<'a, I, R> ImapUnordered<'a, I, R>
where
    I: Iterator,
    I::Item: 'static,
    R: 'static,
{
    pub(crate) fn new(members: &'a Members, items: I, f: Rc<dyn Fn(I::Item) -> R>) -> Self {
        ImapUnordered {
            members,
            items,
            f,
            running: Slab::new(),
            finished: Rc::new(Queue::new()),
        }
    }
}

impl<I, R> Iterator for ImapUnordered<'_, I, R>
where
    I: Iterator,
    I::Item: 'static,
    R: 'static,
{
    type Item = Result<R, JoinError>;

    /// Blocks the current greenlet until some job finishes; other greenlets
    /// run meanwhile.
    fn next(&mut self) -> Option<Self::Item> {
        let window = window(self.members);
        while self.running.len() < window {
            let Some(x) = self.items.next() else { break };
            let key = self.running.vacant_key();
            let done = Finished {
                queue: Rc::clone(&self.finished),
                key,
            };
            self.members.take_slot("Pool::imap_unordered", None);
            let f = Rc::clone(&self.f);
            let handle = self.members.spawn_member(move || {
                let _done = done;
                f(x)
            });
            self.running.insert(handle);
        }
        if self.running.is_empty() {
            return None;
        }
        let key = self
            .finished
            .get()
            .expect("the completion queue is never shut down");
        Some(self.running.remove(key).join())
    }
}

impl<I: Iterator, R> fmt::Debug for ImapUnordered<'_, I, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapUnordered")
            .field("running", &self.running.len())
            .finish_non_exhaustive()
    }
}
