//! `ThreadJoinHandle<T>`: the result of a job running on a pool thread.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::greenlet::JoinError;
use crate::hub::Woke;
use crate::io::{RemoteWake, park_remote};

/// Where a pool thread leaves a job's result and whom it wakes.
pub(crate) struct Slot<T> {
    state: Mutex<SlotState<T>>,
}

enum SlotState<T> {
    /// Not finished; the greenlet waiting for it, if any.
    Pending(Option<RemoteWake>),
    /// Finished, result not yet taken.
    Done(Result<T, JoinError>),
    /// The result was handed out.
    Taken,
}

impl<T> Slot<T> {
    pub(crate) fn new() -> Arc<Slot<T>> {
        Arc::new(Slot {
            state: Mutex::new(SlotState::Pending(None)),
        })
    }

    fn lock(&self) -> MutexGuard<'_, SlotState<T>> {
        // The lock is never held while user code runs, so poisoning cannot
        // leave the state half-written.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Called on the pool thread: stores the result and wakes the waiter.
    /// Never panics, whether or not anybody still waits.
    pub(crate) fn complete(&self, result: Result<T, JoinError>) {
        let waiter = {
            let mut state = self.lock();
            match std::mem::replace(&mut *state, SlotState::Done(result)) {
                SlotState::Pending(waiter) => waiter,
                // Cannot happen (one job completes once); keep the new result.
                SlotState::Done(_) | SlotState::Taken => None,
            }
        };
        if let Some(w) = waiter {
            w.wake();
        }
    }

    fn is_done(&self) -> bool {
        matches!(*self.lock(), SlotState::Done(_))
    }

    /// Parks the current greenlet until the result is there or `deadline`
    /// passes; returns whether it is there.
    fn wait(&self, what: &'static str, deadline: Option<Instant>) -> bool {
        loop {
            if self.is_done() {
                return true;
            }
            let woke = park_remote(what, deadline, |remote| {
                let mut state = self.lock();
                match &mut *state {
                    // A waiter left by an earlier, timed-out wait is replaced;
                    // dropping it tells its hub that wait is over.
                    SlotState::Pending(waiter) => *waiter = Some(remote),
                    SlotState::Done(_) | SlotState::Taken => {
                        drop(state);
                        remote.wake();
                    }
                }
            })
            .unwrap_or_else(|e| panic!("{e}"));
            if self.is_done() {
                return true;
            }
            if woke == Woke::TimedOut {
                return false;
            }
        }
    }

    fn take(&self) -> Result<T, JoinError> {
        match std::mem::replace(&mut *self.lock(), SlotState::Taken) {
            SlotState::Done(result) => result,
            SlotState::Pending(_) | SlotState::Taken => {
                panic!("ThreadJoinHandle: the result was taken already or is not ready")
            }
        }
    }
}

/// An owned permission to wait for a job running on a [`ThreadPool`](super::ThreadPool),
/// returned by [`ThreadPool::spawn`](super::ThreadPool::spawn).
///
/// Dropping the handle detaches the job: it still runs, and its result is
/// dropped on the pool thread.
///
/// Unlike a greenlet's [`JoinHandle`](crate::JoinHandle) it is `Send`: any
/// greenlet of any hub may wait for it.
pub struct ThreadJoinHandle<T> {
    slot: Arc<Slot<T>>,
}

impl<T> fmt::Debug for ThreadJoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadJoinHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}

impl<T> ThreadJoinHandle<T> {
    pub(crate) fn new(slot: Arc<Slot<T>>) -> Self {
        ThreadJoinHandle { slot }
    }

    /// Whether the job has finished (returned or panicked). Never blocks.
    pub fn is_finished(&self) -> bool {
        self.slot.is_done()
    }

    /// Waits for the job to finish and returns its value. Blocks the current
    /// greenlet until then; other greenlets run meanwhile.
    ///
    /// # Errors
    ///
    /// [`JoinError`] (with [`is_panic`](JoinError::is_panic)) if the job
    /// panicked; the pool thread survives.
    pub fn join(self) -> Result<T, JoinError> {
        self.slot.wait("ThreadJoinHandle::join", None);
        self.slot.take()
    }

    /// Like [`join`](Self::join), but gives up after `timeout` and returns
    /// `None`; the job keeps running and the handle can be joined again.
    /// Blocks the current greenlet until then; other greenlets run meanwhile.
    pub fn join_timeout(&mut self, timeout: Duration) -> Option<Result<T, JoinError>> {
        if self.slot.wait(
            "ThreadJoinHandle::join_timeout",
            Some(Instant::now() + timeout),
        ) {
            Some(self.slot.take())
        } else {
            None
        }
    }
}
