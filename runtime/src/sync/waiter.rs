//! A greenlet waiting in a [`WaitList`]: registration, parking and the RAII
//! guard that takes it out again.
//!
//! The protocol, event-listener style: the waiter pushes its node *before*
//! parking (so no wake-up can be missed), the primitive unlinks it and
//! writes what it hands over (a permit, an item, a notification) into the
//! node's state, then wakes its token. The waiter reads its state after
//! waking. If the waiter leaves without reading it (a kill or `with_timeout`
//! unwinds it out of `park`, or its deadline passed at the same moment), the
//! guard's `Drop` gives the state back to the primitive, which passes a
//! handed permit or item on to the next waiter: nothing is lost.

use std::cell::RefCell;
use std::time::Instant;

use super::wait_list::{WaitList, WaiterKey};
use crate::hub::{WakeToken, Woke, WouldBlockForever, park};

/// One node of a primitive's wait list.
#[derive(Debug)]
pub(crate) struct Waiter<S> {
    /// Token of the waiter's current park; `None` before its first park.
    pub(crate) token: Option<WakeToken>,
    /// What the primitive handed over (or that it has not yet).
    pub(crate) state: S,
}

/// A primitive's wait list.
pub(crate) type Waiters<S> = RefCell<WaitList<Waiter<S>>>;

/// Unlinks the front waiter, lets `serve` write its state, and wakes it.
/// Returns whether there was one.
pub(crate) fn wake_front<S>(list: &Waiters<S>, serve: impl FnOnce(&mut S)) -> bool {
    let mut list = list.borrow_mut();
    let Some(key) = list.unlink_front() else {
        return false;
    };
    let waiter = list.get_mut(key);
    serve(&mut waiter.state);
    if let Some(t) = waiter.token {
        t.wake();
    }
    true
}

/// Wakes every queued waiter, letting `serve` write each one's state.
pub(crate) fn wake_all<S>(list: &Waiters<S>, mut serve: impl FnMut(&mut S)) -> usize {
    let mut n = 0;
    while wake_front(list, &mut serve) {
        n += 1;
    }
    n
}

/// A queued waiter; removes its node on drop and gives anything handed to it
/// back to its owner (`abandon`).
pub(crate) struct WaitGuard<'a, O, S> {
    owner: &'a O,
    list: fn(&O) -> &Waiters<S>,
    abandon: fn(&O, S),
    key: Option<WaiterKey>,
}

impl<'a, O, S> WaitGuard<'a, O, S> {
    /// Queues a waiter with `state` at the back of `list(owner)`.
    pub(crate) fn push(
        owner: &'a O,
        list: fn(&O) -> &Waiters<S>,
        abandon: fn(&O, S),
        state: S,
    ) -> Self {
        let key = list(owner)
            .borrow_mut()
            .push_back(Waiter { token: None, state });
        WaitGuard {
            owner,
            list,
            abandon,
            key: Some(key),
        }
    }

    fn key(&self) -> WaiterKey {
        self.key.expect("a live WaitGuard has a node")
    }

    /// Parks until woken or `deadline`; other greenlets run meanwhile.
    pub(crate) fn park(
        &self,
        what: &'static str,
        deadline: Option<Instant>,
    ) -> Result<Woke, WouldBlockForever> {
        let key = self.key();
        let list = (self.list)(self.owner);
        park(what, deadline, |t| {
            list.borrow_mut().get_mut(key).token = Some(t)
        })
    }

    /// Runs `f` on this waiter's state.
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut S) -> R) -> R {
        f(&mut (self.list)(self.owner)
            .borrow_mut()
            .get_mut(self.key())
            .state)
    }

    /// Removes the node and returns its state, without giving it back.
    pub(crate) fn finish(mut self) -> S {
        let key = self.key.take().expect("a live WaitGuard has a node");
        (self.list)(self.owner).borrow_mut().remove(key).state
    }

    /// Parks until `done` takes a result out of the state (`Some`), or the
    /// deadline passes with nothing handed over (`None`). A result handed
    /// over at the same moment as the deadline still counts.
    pub(crate) fn block<R>(
        self,
        what: &'static str,
        deadline: Option<Instant>,
        mut done: impl FnMut(&mut S) -> Option<R>,
    ) -> Result<Option<R>, WouldBlockForever> {
        loop {
            let woke = self.park(what, deadline)?;
            if let Some(r) = self.with_state(&mut done) {
                self.finish();
                return Ok(Some(r));
            }
            if woke == Woke::TimedOut {
                // Dropping the guard hands back whatever `done` left.
                return Ok(None);
            }
        }
    }
}

impl<O, S> Drop for WaitGuard<'_, O, S> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let state = (self.list)(self.owner).borrow_mut().remove(key).state;
            (self.abandon)(self.owner, state);
        }
    }
}

/// Whether `deadline` has passed (a zero timeout fails without switching).
pub(crate) fn expired(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| d <= Instant::now())
}

/// Panics with the deadlock report of a blocking call without a timeout.
#[track_caller]
pub(crate) fn deadlock(e: WouldBlockForever) -> ! {
    panic!("{e}")
}
