//! The membership engine shared by [`Group`](super::Group) and
//! [`Pool`](super::Pool): who is in, how many slots are free, and when the
//! last member left.

use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;
use std::time::Instant;

use slab::Slab;

use crate::greenlet::{Builder, JoinHandle};
use crate::hub::with_hub;
use crate::local::ClearOnExit;
use crate::sync::{Event, Semaphore};

/// One greenlet of the group.
#[derive(Debug)]
struct Member {
    /// Distinguishes this membership from a later one in the same slab slot.
    serial: u64,
    /// The greenlet's hub key and id, once spawned (`id == 0` before).
    key: usize,
    id: u64,
    /// Holds one of the pool's slots.
    owns_slot: bool,
}

#[derive(Debug)]
struct Inner {
    members: RefCell<Slab<Member>>,
    next_serial: Cell<u64>,
    /// Set while there is no member.
    empty: Event,
    /// The pool's free slots; `None` for a group.
    slots: Option<Semaphore>,
    size: Option<usize>,
}

/// The engine of a group or pool; see the module docs.
#[derive(Debug)]
pub(crate) struct Members {
    inner: Rc<Inner>,
}

/// Moved into a member's body: it leaves the group when dropped, that is
/// when the body returns, unwinds, or is dropped without running (killed
/// before it started).
struct Ticket {
    inner: Rc<Inner>,
    slot: usize,
    serial: u64,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.inner.leave(self.slot, self.serial);
    }
}

impl Inner {
    /// Registers a new member; returns its slab slot and serial.
    fn enter(&self, owns_slot: bool) -> (usize, u64) {
        let serial = self.next_serial.get();
        self.next_serial.set(serial + 1);
        let member = Member {
            serial,
            key: 0,
            id: 0,
            owns_slot,
        };
        let slot = self.members.borrow_mut().insert(member);
        self.empty.clear();
        (slot, serial)
    }

    fn leave(&self, slot: usize, serial: u64) {
        let removed = {
            let mut members = self.members.borrow_mut();
            if members.get(slot).is_some_and(|m| m.serial == serial) {
                Some(members.remove(slot))
            } else {
                None
            }
        };
        if let Some(m) = removed {
            self.after_removal(m);
        }
    }

    fn after_removal(&self, m: Member) {
        if m.owns_slot
            && let Some(slots) = &self.slots
        {
            slots.release();
        }
        if self.members.borrow().is_empty() {
            self.empty.set();
        }
    }
}

impl Members {
    pub(crate) fn new(size: Option<usize>) -> Self {
        let empty = Event::new();
        empty.set();
        Members {
            inner: Rc::new(Inner {
                members: RefCell::new(Slab::new()),
                next_serial: Cell::new(1),
                empty,
                slots: size.map(Semaphore::new),
                size,
            }),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.inner.members.borrow().len()
    }

    pub(crate) fn size(&self) -> Option<usize> {
        self.inner.size
    }

    pub(crate) fn free_count(&self) -> usize {
        self.inner
            .slots
            .as_ref()
            .map_or(usize::MAX, Semaphore::available_permits)
    }

    /// Takes a slot; `false` if the deadline passed first.
    pub(crate) fn take_slot(&self, what: &'static str, deadline: Option<Instant>) -> bool {
        match &self.inner.slots {
            Some(slots) => slots.acquire_until(what, deadline),
            None => true,
        }
    }

    pub(crate) fn try_take_slot(&self) -> bool {
        self.inner.slots.as_ref().is_none_or(Semaphore::try_acquire)
    }

    pub(crate) fn give_slot(&self) {
        if let Some(slots) = &self.inner.slots {
            slots.release();
        }
    }

    /// Spawns `f` as a member that already holds a slot (if this is a pool).
    #[track_caller]
    pub(crate) fn spawn_member<F, T>(&self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + 'static,
        T: 'static,
    {
        crate::greenlet::spawned("spawn", self.spawn_member_with(Builder::new(), f))
    }

    /// Like [`spawn_member`](Self::spawn_member), with `builder`'s name and
    /// stack size. If the greenlet cannot be spawned, its membership (and
    /// slot) ends with the dropped closure.
    #[track_caller]
    pub(crate) fn spawn_member_with<F, T>(
        &self,
        builder: Builder,
        f: F,
    ) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + 'static,
        T: 'static,
    {
        let owns_slot = self.inner.slots.is_some();
        let (slot, serial) = self.inner.enter(owns_slot);
        let ticket = Ticket {
            inner: Rc::clone(&self.inner),
            slot,
            serial,
        };
        let handle = builder.spawn(move || {
            let _ticket = ticket;
            // Dropped first: the member's locals go before it leaves.
            let _locals = ClearOnExit;
            f()
        })?;
        if let Some(m) = self.inner.members.borrow_mut().get_mut(slot)
            && m.serial == serial
        {
            m.key = handle.key;
            m.id = handle.id().as_u64();
        }
        Ok(handle)
    }

    /// Adds a running greenlet that holds a slot (if this is a pool); it
    /// leaves when it ends.
    pub(crate) fn add_member<T>(&self, handle: &JoinHandle<T>) {
        let owns_slot = self.inner.slots.is_some();
        let (slot, serial) = self.inner.enter(owns_slot);
        {
            let mut members = self.inner.members.borrow_mut();
            let m = &mut members[slot];
            m.key = handle.key;
            m.id = handle.id().as_u64();
        }
        let inner = Rc::clone(&self.inner);
        handle.link(move |_| inner.leave(slot, serial));
    }

    pub(crate) fn contains_id(&self, id: u64) -> bool {
        self.inner.members.borrow().iter().any(|(_, m)| m.id == id)
    }

    /// Removes the member with greenlet id `id`, freeing its slot; returns
    /// whether it was a member.
    pub(crate) fn discard_id(&self, id: u64) -> bool {
        let removed = {
            let mut members = self.inner.members.borrow_mut();
            let slot = members.iter().find(|(_, m)| m.id == id).map(|(k, _)| k);
            slot.map(|k| members.remove(k))
        };
        match removed {
            Some(m) => {
                self.inner.after_removal(m);
                true
            }
            None => false,
        }
    }

    /// Asks every member except the caller to die, without waiting.
    pub(crate) fn request_kill_all(&self) {
        let me = with_hub(|hub| hub.current_key());
        let targets: Vec<(usize, u64)> = self
            .inner
            .members
            .borrow()
            .iter()
            .filter(|(_, m)| m.id != 0 && m.key != me)
            .map(|(_, m)| (m.key, m.id))
            .collect();
        for (key, id) in targets {
            let killed = with_hub(|hub| hub.request_kill(key, id));
            if let Ok(Some(killed)) = killed {
                // Dropped outside the hub's borrows: the body holds a
                // `Ticket`, whose drop leaves the group.
                drop(killed.start);
                if let Some(c) = killed.completion {
                    c.complete_killed();
                }
            }
        }
    }

    /// Whether the caller is one of the members.
    pub(crate) fn caller_is_member(&self) -> bool {
        let me = with_hub(|hub| hub.current_key());
        let id = crate::current().id().as_u64();
        self.inner
            .members
            .borrow()
            .iter()
            .any(|(_, m)| m.key == me && m.id == id)
    }

    /// Waits until there is no member; `false` on timeout.
    pub(crate) fn wait_empty(&self, what: &'static str, deadline: Option<Instant>) -> bool {
        self.inner.empty.wait_until(what, deadline)
    }
}
