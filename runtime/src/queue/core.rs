//! The engine shared by every queue: a buffer, a capacity, FIFO lists of
//! blocked getters and putters, and the shutdown state.
//!
//! # Invariants
//!
//! - Getters wait only while the buffer is empty: a put first hands its item
//!   straight to the longest-waiting getter.
//! - Putters wait only while the buffer is full (always, for a capacity of
//!   0): a get that makes room admits the longest-waiting putter's item.
//! - An item handed to a waiter that leaves without taking it (killed, or
//!   timed out at the same moment) goes to the next getter or back to the
//!   front of the buffer.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::time::Instant;

use super::buffer::Buffer;
use super::error::{GetTimeoutError, PutTimeoutError, TaskDoneError, TryGetError, TryPutError};
use crate::hub::Woke;
use crate::sync::wait_list::WaitList;
use crate::sync::waiter::{WaitGuard, Waiters, deadlock, expired, wake_all, wake_front};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shutdown {
    Open,
    /// Puts fail; gets drain what is left, then fail.
    Graceful,
    /// Puts and gets fail; the buffer was emptied.
    Immediate,
}

/// What a blocked getter was handed.
#[derive(Debug)]
enum Get<T> {
    Waiting,
    Item(T),
    ShutDown,
}

/// A blocked putter's item, until it is taken.
#[derive(Debug)]
enum Put<T> {
    Waiting(T),
    Done,
    ShutDown(T),
}

pub(crate) struct Core<T, B> {
    buf: RefCell<B>,
    capacity: Option<usize>,
    shutdown: Cell<Shutdown>,
    getters: Waiters<Get<T>>,
    putters: Waiters<Put<T>>,
    /// Items put and not yet marked done (`JoinableQueue`).
    unfinished: Cell<usize>,
    joiners: Waiters<bool>,
    _not_send: PhantomData<*const ()>,
}

impl<T, B: Buffer<T>> Core<T, B> {
    pub(crate) fn new(capacity: Option<usize>) -> Self {
        Core {
            buf: RefCell::new(B::default()),
            capacity,
            shutdown: Cell::new(Shutdown::Open),
            getters: RefCell::new(WaitList::new()),
            putters: RefCell::new(WaitList::new()),
            unfinished: Cell::new(0),
            joiners: RefCell::new(WaitList::new()),
            _not_send: PhantomData,
        }
    }

    // ===== state =====

    pub(crate) fn len(&self) -> usize {
        self.buf.borrow().len()
    }

    pub(crate) fn capacity(&self) -> Option<usize> {
        self.capacity
    }

    pub(crate) fn is_full(&self) -> bool {
        self.capacity.is_some_and(|c| self.len() >= c)
    }

    pub(crate) fn getters(&self) -> usize {
        self.getters.borrow().len()
    }

    pub(crate) fn putters(&self) -> usize {
        self.putters.borrow().len()
    }

    pub(crate) fn shutdown_state(&self) -> Shutdown {
        self.shutdown.get()
    }

    pub(crate) fn peek(&self) -> Option<T>
    where
        T: Clone,
    {
        if self.shutdown.get() == Shutdown::Immediate {
            return None;
        }
        if let Some(item) = self.buf.borrow().peek() {
            return Some(item.clone());
        }
        let putters = self.putters.borrow();
        let key = putters.front()?;
        match &putters.get(key).state {
            Put::Waiting(item) => Some(item.clone()),
            _ => None,
        }
    }

    /// The item a blocked putter offers, for a [`Channel`](super::Channel).
    fn take_from_putter(&self) -> Option<T> {
        let mut taken = None;
        wake_front(&self.putters, |p| {
            if let Put::Waiting(item) = std::mem::replace(p, Put::Done) {
                taken = Some(item);
            }
        });
        if taken.is_some() {
            self.unfinished.set(self.unfinished.get() + 1);
        }
        taken
    }

    /// Moves blocked putters' items into the buffer while there is room.
    fn admit_putters(&self) {
        while !self.is_full() && !self.putters.borrow().is_empty() {
            wake_front(&self.putters, |p| {
                if let Put::Waiting(item) = std::mem::replace(p, Put::Done) {
                    self.buf.borrow_mut().push(item);
                    self.unfinished.set(self.unfinished.get() + 1);
                }
            });
        }
    }

    // ===== get =====

    pub(crate) fn try_get(&self) -> Result<T, TryGetError> {
        if self.shutdown.get() == Shutdown::Immediate {
            return Err(TryGetError::ShutDown);
        }
        let popped = self.buf.borrow_mut().pop();
        if let Some(item) = popped {
            self.admit_putters();
            return Ok(item);
        }
        if let Some(item) = self.take_from_putter() {
            return Ok(item);
        }
        match self.shutdown.get() {
            Shutdown::Open => Err(TryGetError::Empty),
            _ => Err(TryGetError::ShutDown),
        }
    }

    pub(crate) fn get_until(
        &self,
        what: &'static str,
        deadline: Option<Instant>,
    ) -> Result<T, GetTimeoutError> {
        match self.try_get() {
            Ok(item) => return Ok(item),
            Err(TryGetError::ShutDown) => return Err(GetTimeoutError::ShutDown),
            Err(TryGetError::Empty) => {}
        }
        if expired(deadline) {
            return Err(GetTimeoutError::TimedOut);
        }
        let guard = WaitGuard::push(self, |c| &c.getters, Self::abandon_get, Get::Waiting);
        let got = guard
            .block(what, deadline, |g| {
                match std::mem::replace(g, Get::Waiting) {
                    Get::Item(item) => Some(Ok(item)),
                    Get::ShutDown => Some(Err(GetTimeoutError::ShutDown)),
                    Get::Waiting => None,
                }
            })
            .unwrap_or_else(|e| deadlock(e));
        got.unwrap_or(Err(GetTimeoutError::TimedOut))
    }

    /// A getter left without taking what it was handed.
    fn abandon_get(&self, get: Get<T>) {
        if let Get::Item(item) = get {
            self.redeliver(item);
        }
    }

    fn redeliver(&self, item: T) {
        let mut item = Some(item);
        let handed = wake_front(&self.getters, |g| {
            *g = Get::Item(item.take().expect("handed once"))
        });
        if !handed {
            self.buf
                .borrow_mut()
                .unpop(item.take().expect("not handed"));
        }
    }

    // ===== put =====

    pub(crate) fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        if self.shutdown.get() != Shutdown::Open {
            return Err(TryPutError::ShutDown(item));
        }
        let mut item = Some(item);
        let handed = wake_front(&self.getters, |g| {
            *g = Get::Item(item.take().expect("handed once"))
        });
        if !handed {
            let item = item.take().expect("not handed");
            if self.is_full() || !self.putters.borrow().is_empty() {
                return Err(TryPutError::Full(item));
            }
            self.buf.borrow_mut().push(item);
        }
        self.unfinished.set(self.unfinished.get() + 1);
        Ok(())
    }

    pub(crate) fn put_until(
        &self,
        item: T,
        what: &'static str,
        deadline: Option<Instant>,
    ) -> Result<(), PutTimeoutError<T>> {
        let item = match self.try_put(item) {
            Ok(()) => return Ok(()),
            Err(TryPutError::ShutDown(item)) => return Err(PutTimeoutError::ShutDown(item)),
            Err(TryPutError::Full(item)) => item,
        };
        if expired(deadline) {
            return Err(PutTimeoutError::TimedOut(item));
        }
        let guard = WaitGuard::push(self, |c| &c.putters, |_, _| {}, Put::Waiting(item));
        loop {
            let woke = guard.park(what, deadline).unwrap_or_else(|e| deadlock(e));
            let finished =
                guard.with_state(|p| !matches!(p, Put::Waiting(_))) || woke == Woke::TimedOut;
            if finished {
                return match guard.finish() {
                    // Counted as unfinished when it was taken.
                    Put::Done => Ok(()),
                    Put::ShutDown(item) => Err(PutTimeoutError::ShutDown(item)),
                    Put::Waiting(item) => Err(PutTimeoutError::TimedOut(item)),
                };
            }
        }
    }

    // ===== shutdown =====

    pub(crate) fn shutdown(&self) {
        if self.shutdown.get() == Shutdown::Open {
            self.shutdown.set(Shutdown::Graceful);
        }
        self.fail_waiters();
    }

    pub(crate) fn shutdown_now(&self) -> Vec<T> {
        self.shutdown.set(Shutdown::Immediate);
        let items = self.buf.borrow_mut().drain();
        self.fail_waiters();
        if !items.is_empty() {
            self.finish_tasks(items.len());
        }
        items
    }

    /// Wakes every blocked putter, and every blocked getter if nothing is
    /// left to get, with the shutdown error.
    fn fail_waiters(&self) {
        wake_all(&self.putters, |p| {
            if let Put::Waiting(item) = std::mem::replace(p, Put::Done) {
                *p = Put::ShutDown(item);
            }
        });
        if self.len() == 0 || self.shutdown.get() == Shutdown::Immediate {
            wake_all(&self.getters, |g| *g = Get::ShutDown);
        }
    }

    // ===== tasks (JoinableQueue) =====

    pub(crate) fn unfinished(&self) -> usize {
        self.unfinished.get()
    }

    pub(crate) fn task_done(&self) -> Result<(), TaskDoneError> {
        if self.unfinished.get() == 0 {
            return Err(TaskDoneError);
        }
        self.finish_tasks(1);
        Ok(())
    }

    fn finish_tasks(&self, n: usize) {
        let left = self.unfinished.get().saturating_sub(n);
        self.unfinished.set(left);
        if left == 0 {
            wake_all(&self.joiners, |j| *j = true);
        }
    }

    /// Waits until every item put was marked done; `false` on timeout.
    pub(crate) fn join_until(&self, what: &'static str, deadline: Option<Instant>) -> bool {
        if self.unfinished.get() == 0 {
            return true;
        }
        if expired(deadline) {
            return false;
        }
        let guard = WaitGuard::push(self, |c| &c.joiners, |_, _| {}, false);
        guard
            .block(what, deadline, |done| done.then_some(()))
            .unwrap_or_else(|e| deadlock(e))
            .is_some()
    }
}
