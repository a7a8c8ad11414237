//! Waiting on several greenlets: `joinall`, `killall`, `wait`, `iwait`.

use std::time::{Duration, Instant};

use super::error::JoinError;
use super::handle::JoinHandle;
use crate::hub::{WakeToken, Woke, park};

/// Something a greenlet can wait to become ready: implemented by
/// [`JoinHandle`] (ready once the greenlet ended).
pub trait Waitable {
    /// Whether it is ready now. Never blocks.
    fn is_ready(&self) -> bool;

    /// When it became ready, as an ordering ticket; `None` while not ready.
    #[doc(hidden)]
    fn ready_ticket(&self) -> Option<u64>;

    /// Registers a wake-up for when it becomes ready.
    #[doc(hidden)]
    fn add_waiter(&self, token: WakeToken);
}

impl<T> Waitable for JoinHandle<T> {
    fn is_ready(&self) -> bool {
        self.is_finished()
    }

    fn ready_ticket(&self) -> Option<u64> {
        self.packet.done_ticket()
    }

    fn add_waiter(&self, token: WakeToken) {
        self.packet.add_joiner(token);
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
pub fn iwait<'a>(objects: &'a [&'a dyn Waitable], timeout: Option<Duration>) -> Iwait<'a> {
    Iwait {
        objects,
        yielded: vec![false; objects.len()],
        remaining: objects.len(),
        deadline: timeout.map(|t| Instant::now() + t),
    }
}

/// Iterator returned by [`iwait`].
pub struct Iwait<'a> {
    objects: &'a [&'a dyn Waitable],
    yielded: Vec<bool>,
    remaining: usize,
    deadline: Option<Instant>,
}

impl std::fmt::Debug for Iwait<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iwait")
            .field("len", &self.objects.len())
            .field("remaining", &self.remaining)
            .finish()
    }
}

impl Iwait<'_> {
    fn first_ready(&self) -> Option<usize> {
        self.objects
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.yielded[*i])
            .filter_map(|(i, o)| o.ready_ticket().map(|t| (t, i)))
            .min()
            .map(|(_, i)| i)
    }
}

impl Iterator for Iwait<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.remaining == 0 {
            return None;
        }
        loop {
            if let Some(i) = self.first_ready() {
                self.yielded[i] = true;
                self.remaining -= 1;
                return Some(i);
            }
            let woke = park("iwait", self.deadline, |t| {
                for (i, o) in self.objects.iter().enumerate() {
                    if !self.yielded[i] {
                        o.add_waiter(t);
                    }
                }
            })
            .unwrap_or_else(|e| panic!("{e}"));
            if woke == Woke::TimedOut && self.first_ready().is_none() {
                self.remaining = 0;
                return None;
            }
        }
    }
}
