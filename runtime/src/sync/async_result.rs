//! `AsyncResult<T, E>`: a one-shot value or error that greenlets wait for.

use std::cell::OnceCell;
use std::error::Error;
use std::fmt;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::error::GetTimeoutError;
use super::event::Event;
use crate::greenlet::{Exit, Notifier, Waitable};

/// A result that is set once, to a value or an error, and that any number of
/// greenlets wait for (gevent's `AsyncResult`, a one-shot future).
///
/// Readers get references: the result never changes once set. It implements
/// [`Waitable`], so [`wait`](crate::wait) and [`iwait`](crate::iwait) accept
/// it, and [`link_target`](AsyncResult::link_target) makes one the target of
/// a [`JoinHandle::link`](crate::JoinHandle::link).
///
/// ```
/// use std::rc::Rc;
/// use sprout_runtime::sync::AsyncResult;
///
/// let result: Rc<AsyncResult<u32, String>> = Rc::new(AsyncResult::new());
/// let r = result.clone();
/// sprout_runtime::spawn(move || r.set(42));
/// assert_eq!(result.get(), Ok(&42)); // blocks until set
/// assert!(result.is_ready() && result.is_successful());
/// ```
pub struct AsyncResult<T, E = Box<dyn Error>> {
    result: OnceCell<Result<T, E>>,
    ready: Event,
}

impl<T, E> Default for AsyncResult<T, E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, E> AsyncResult<T, E> {
    /// An empty result.
    pub const fn new() -> Self {
        AsyncResult {
            result: OnceCell::new(),
            ready: Event::new(),
        }
    }

    /// Sets the value and wakes every waiter. Never switches.
    ///
    /// # Panics
    ///
    /// Panics if the result was already set; use [`try_set`](Self::try_set)
    /// when several greenlets race to set it.
    #[track_caller]
    pub fn set(&self, value: T) {
        if self.try_set(value).is_err() {
            panic!(
                "AsyncResult::set: the result was already set (it is one-shot; use try_set to race)"
            );
        }
    }

    /// Sets the error and wakes every waiter. Never switches.
    ///
    /// # Panics
    ///
    /// Panics if the result was already set; see
    /// [`try_set_error`](Self::try_set_error).
    #[track_caller]
    pub fn set_error(&self, error: E) {
        if self.try_set_error(error).is_err() {
            panic!("AsyncResult::set_error: the result was already set (it is one-shot)");
        }
    }

    /// Sets the value unless the result is already set, in which case the
    /// value is handed back.
    pub fn try_set(&self, value: T) -> Result<(), T> {
        self.complete(Ok(value)).map_err(|r| match r {
            Ok(v) => v,
            Err(_) => unreachable!("complete hands back what it was given"),
        })
    }

    /// Sets the error unless the result is already set, in which case the
    /// error is handed back.
    pub fn try_set_error(&self, error: E) -> Result<(), E> {
        self.complete(Err(error)).map_err(|r| match r {
            Err(e) => e,
            Ok(_) => unreachable!("complete hands back what it was given"),
        })
    }

    fn complete(&self, result: Result<T, E>) -> Result<(), Result<T, E>> {
        self.result.set(result)?;
        self.ready.set();
        Ok(())
    }

    /// Whether the result is set (gevent's `ready`).
    pub fn is_ready(&self) -> bool {
        self.result.get().is_some()
    }

    /// Whether the result is set to a value.
    pub fn is_successful(&self) -> bool {
        matches!(self.result.get(), Some(Ok(_)))
    }

    /// The result if it is set. Never blocks.
    pub fn result(&self) -> Option<Result<&T, &E>> {
        self.result.get().map(Result::as_ref)
    }

    /// The value, if the result is set to one. Never blocks.
    pub fn value(&self) -> Option<&T> {
        self.result.get().and_then(|r| r.as_ref().ok())
    }

    /// The error, if the result is set to one. Never blocks.
    pub fn error(&self) -> Option<&E> {
        self.result.get().and_then(|r| r.as_ref().err())
    }

    /// Waits for the result. Blocks the current greenlet until it is set;
    /// other greenlets run meanwhile.
    ///
    /// # Errors
    ///
    /// The error it was set to.
    ///
    /// # Panics
    ///
    /// Panics if nothing could ever set it (a deadlock: "would block
    /// forever").
    pub fn get(&self) -> Result<&T, &E> {
        self.ready.wait_until("AsyncResult::get", None);
        self.result()
            .expect("the ready event is set only with the result")
    }

    /// Like [`get`](Self::get), but gives up after `timeout`. Blocks the
    /// current greenlet until the result is set or the timeout passes; other
    /// greenlets run meanwhile.
    ///
    /// # Errors
    ///
    /// [`GetTimeoutError::TimedOut`] if the timeout passed first,
    /// [`GetTimeoutError::Failed`] with the error it was set to.
    pub fn get_timeout(&self, timeout: Duration) -> Result<&T, GetTimeoutError<&E>> {
        if !self
            .ready
            .wait_until("AsyncResult::get_timeout", Some(Instant::now() + timeout))
        {
            return Err(GetTimeoutError::TimedOut);
        }
        self.get().map_err(GetTimeoutError::Failed)
    }

    /// Waits until the result is set, without looking at it; returns `true`.
    /// Blocks the current greenlet until then; other greenlets run meanwhile.
    ///
    /// # Panics
    ///
    /// As for [`get`](Self::get).
    pub fn wait(&self) -> bool {
        self.ready.wait_until("AsyncResult::wait", None)
    }

    /// Like [`wait`](Self::wait), but gives up after `timeout` and returns
    /// `false`.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.ready
            .wait_until("AsyncResult::wait_timeout", Some(Instant::now() + timeout))
    }

    /// Takes the result out, leaving it unset. Needs exclusive access, so no
    /// greenlet can be waiting.
    pub fn take(&mut self) -> Option<Result<T, E>> {
        self.ready.clear();
        self.result.take()
    }

    /// The result, if set.
    pub fn into_inner(self) -> Option<Result<T, E>> {
        self.result.into_inner()
    }
}

impl<E: 'static> AsyncResult<Exit, E> {
    /// A [`JoinHandle::link`](crate::JoinHandle::link) callback that sets
    /// this result to how the greenlet ended (gevent's `g.link(result)`).
    ///
    /// ```
    /// use std::rc::Rc;
    /// use sprout_runtime::{ExitKind, sync::AsyncResult};
    ///
    /// let ended: Rc<AsyncResult<sprout_runtime::Exit>> = Rc::new(AsyncResult::new());
    /// let h = sprout_runtime::spawn(|| 1);
    /// h.link(AsyncResult::link_target(&ended));
    /// assert_eq!(ended.get().unwrap().kind(), ExitKind::Returned);
    /// ```
    pub fn link_target(this: &Rc<Self>) -> impl FnOnce(&Exit) + 'static {
        let this = Rc::clone(this);
        move |exit| {
            let _ = this.try_set(exit.clone());
        }
    }
}

impl<T, E> Waitable for AsyncResult<T, E> {
    fn is_ready(&self) -> bool {
        AsyncResult::is_ready(self)
    }

    fn ready_ticket(&self) -> Option<u64> {
        self.ready.ready_ticket()
    }

    fn add_notifier(&self, notifier: Notifier) {
        self.ready.add_notifier(notifier);
    }
}

impl<T: fmt::Debug, E: fmt::Debug> fmt::Debug for AsyncResult<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncResult")
            .field("result", &self.result.get())
            .finish()
    }
}
