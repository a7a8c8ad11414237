//! `Event`: a flag greenlets wait for.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, Instant};

use super::wait_list::WaitList;
use super::waiter::{WaitGuard, Waiters, deadlock, expired, wake_all};
use crate::greenlet::{Notifier, Notifiers, Waitable};
use crate::hub::with_hub;

/// A flag that greenlets wait for (gevent's `Event`): [`set`](Event::set)
/// wakes every waiter, [`clear`](Event::clear) lowers it again.
///
/// A wait returns `true` if the flag was set at any point during it, even if
/// it was cleared again before the waiter ran. `Event` implements
/// [`Waitable`], so [`wait`](crate::wait) and [`iwait`](crate::iwait) accept
/// it.
///
/// ```
/// use std::rc::Rc;
/// use sprout_runtime::sync::Event;
///
/// let ready = Rc::new(Event::new());
/// let r = ready.clone();
/// let waiter = sprout_runtime::spawn(move || r.wait());
/// sprout_runtime::yield_now(); // the waiter blocks
/// ready.set();
/// assert!(waiter.join().unwrap());
/// ```
pub struct Event {
    flag: Cell<bool>,
    /// Hub ticket of the last `set`, for `iwait`'s completion order.
    ticket: Cell<Option<u64>>,
    waiters: Waiters<bool>,
    /// `wait`/`iwait` calls over several objects.
    others: Notifiers,
    _not_send: PhantomData<*const ()>,
}

impl Default for Event {
    fn default() -> Self {
        Self::new()
    }
}

impl Event {
    /// A cleared event.
    pub const fn new() -> Self {
        Event {
            flag: Cell::new(false),
            ticket: Cell::new(None),
            waiters: RefCell::new(WaitList::new()),
            others: Notifiers::new(),
            _not_send: PhantomData,
        }
    }

    /// Whether the flag is set.
    pub fn is_set(&self) -> bool {
        self.flag.get()
    }

    /// Sets the flag and wakes every waiter (in the order they started
    /// waiting). Never switches.
    pub fn set(&self) {
        if !self.flag.replace(true) {
            self.ticket.set(Some(with_hub(|hub| hub.ticket())));
        }
        wake_all(&self.waiters, |s| *s = true);
        self.others.notify_all();
    }

    /// Lowers the flag; later waits block until the next [`set`](Self::set).
    pub fn clear(&self) {
        self.flag.set(false);
        self.ticket.set(None);
    }

    /// Waits until the flag is set and returns `true` (gevent returns the
    /// flag). Blocks the current greenlet until the flag is set; other
    /// greenlets run meanwhile. Returns at once if it is set already.
    ///
    /// # Panics
    ///
    /// Panics if nothing could ever set it (a deadlock: "would block
    /// forever").
    pub fn wait(&self) -> bool {
        self.wait_until("Event::wait", None)
    }

    /// Like [`wait`](Self::wait), but gives up after `timeout` and returns
    /// `false`. Blocks the current greenlet until the flag is set or the
    /// timeout passes; other greenlets run meanwhile.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.wait_until("Event::wait_timeout", Some(Instant::now() + timeout))
    }

    /// Number of greenlets waiting in [`wait`](Self::wait).
    pub fn waiters(&self) -> usize {
        self.waiters.borrow().len()
    }

    pub(crate) fn wait_until(&self, what: &'static str, deadline: Option<Instant>) -> bool {
        if self.flag.get() {
            return true;
        }
        if expired(deadline) {
            return false;
        }
        let guard = WaitGuard::push(self, |s| &s.waiters, |_, _| {}, false);
        guard
            .block(what, deadline, |set| set.then_some(()))
            .unwrap_or_else(|e| deadlock(e))
            .is_some()
    }
}

impl Waitable for Event {
    fn is_ready(&self) -> bool {
        self.is_set()
    }

    fn ready_ticket(&self) -> Option<u64> {
        self.ticket.get()
    }

    fn add_notifier(&self, notifier: Notifier) {
        self.others.add_notifier(notifier);
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("set", &self.is_set())
            .field("waiters", &self.waiters())
            .finish()
    }
}
