//! `JoinHandle<T>`: owned permission to join, kill and link a greenlet.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::error::JoinError;
use super::id::GreenletId;
use super::wait::{Notifier, Notifiers, Registrations};
use crate::hub::{Completion, WakeToken, Woke, with_hub};

/// How a greenlet ended, as passed to [`JoinHandle::link`] callbacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// Its function returned.
    Returned,
    /// It panicked.
    Panicked,
    /// It was killed.
    Killed,
}

/// What a link callback learns about the greenlet that ended.
#[derive(Debug, Clone)]
pub struct Exit {
    id: GreenletId,
    name: Option<Rc<str>>,
    kind: ExitKind,
}

impl Exit {
    /// Id of the greenlet that ended.
    pub fn id(&self) -> GreenletId {
        self.id
    }

    /// Its name, if it had one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// How it ended.
    pub fn kind(&self) -> ExitKind {
        self.kind
    }

    /// It returned normally.
    pub fn is_ok(&self) -> bool {
        self.kind == ExitKind::Returned
    }
}

type Link = Box<dyn FnOnce(&Exit)>;

/// Shared between a greenlet's body and its `JoinHandle`.
pub(crate) struct Packet<T> {
    pub(crate) id: GreenletId,
    pub(crate) name: Option<Rc<str>>,
    result: RefCell<Option<Result<T, JoinError>>>,
    /// Completion order ticket, set when the greenlet ends.
    done: Cell<Option<u64>>,
    kind: Cell<ExitKind>,
    /// Parks of `join`/`join_timeout`/`wait_timeout` calls.
    joiners: Registrations<WakeToken>,
    /// `iwait` iterators to tell when the greenlet ends.
    notifiers: Notifiers,
    links: RefCell<Vec<Link>>,
}

impl<T> Packet<T> {
    pub(crate) fn new(id: GreenletId, name: Option<Rc<str>>) -> Self {
        Packet {
            id,
            name,
            result: RefCell::new(None),
            done: Cell::new(None),
            kind: Cell::new(ExitKind::Returned),
            joiners: Registrations::new(),
            notifiers: Notifiers::new(),
            links: RefCell::new(Vec::new()),
        }
    }

    pub(crate) fn is_done(&self) -> bool {
        self.done.get().is_some()
    }

    pub(crate) fn done_ticket(&self) -> Option<u64> {
        self.done.get()
    }

    pub(crate) fn add_joiner(&self, token: WakeToken) {
        // Tokens of waits that already ended (join_timeout loops) are
        // pruned as the list grows.
        with_hub(|hub| self.joiners.add(token, |t| hub.token_is_waiting(*t)));
    }

    pub(crate) fn add_notifier(&self, notifier: Notifier) {
        self.notifiers.add_notifier(notifier);
    }

    fn describe(&self, e: &JoinError) -> String {
        format!(
            "greenlet {} ({}): {}",
            self.id,
            self.name.as_deref().unwrap_or("unnamed"),
            e
        )
    }

    fn exit(&self) -> Exit {
        Exit {
            id: self.id,
            name: self.name.clone(),
            kind: self.kind.get(),
        }
    }

    /// Stores the outcome, wakes joiners and runs links (each in a new
    /// greenlet).
    pub(crate) fn complete(self: &Rc<Self>, outcome: Result<T, JoinError>) {
        let kind = match &outcome {
            Ok(_) => ExitKind::Returned,
            Err(e) if e.is_killed() => ExitKind::Killed,
            Err(_) => ExitKind::Panicked,
        };
        if let Err(e) = &outcome
            && e.is_panic()
        {
            if Rc::strong_count(self) == 1 {
                // The handle is gone: nobody can ever join this panic.
                with_hub(|hub| hub.strict.orphan(self.describe(e)));
            }
            log::warn!(
                "sprout: greenlet {} ({}) panicked: {}",
                self.id,
                self.name.as_deref().unwrap_or("unnamed"),
                e.panic_message().unwrap_or("<non-string payload>")
            );
        }
        self.kind.set(kind);
        *self.result.borrow_mut() = Some(outcome);
        with_hub(|hub| {
            self.done.set(Some(hub.ticket()));
            for t in self.joiners.take_all() {
                hub.wake(t);
            }
        });
        self.notifiers.notify_all();
        let links = std::mem::take(&mut *self.links.borrow_mut());
        if !links.is_empty() {
            let exit = self.exit();
            for link in links {
                let exit = exit.clone();
                super::spawn(move || link(&exit));
            }
        }
    }
}

impl<T> Completion for Packet<T> {
    fn complete_killed(self: Rc<Self>) {
        self.complete(Err(JoinError::killed()));
    }
}

/// An owned permission to join, kill and link a greenlet, returned by
/// [`spawn`](crate::spawn).
///
/// Dropping the handle detaches the greenlet: it keeps running.
///
/// A handle belongs to the hub of the thread that spawned the greenlet, so it
/// is not `Send`:
///
/// ```compile_fail
/// let handle = sprout_runtime::spawn(|| 1);
/// std::thread::spawn(move || handle.join());
/// ```
pub struct JoinHandle<T> {
    pub(crate) key: usize,
    pub(crate) packet: Rc<Packet<T>>,
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.packet.id)
            .field("name", &self.packet.name)
            .field("finished", &self.is_finished())
            .finish()
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if let Some(Err(e)) = self.packet.result.borrow().as_ref()
            && e.is_panic()
        {
            let what = self.packet.describe(e);
            crate::hub::try_with_hub(|hub| hub.strict.orphan(what));
        }
    }
}

impl<T> JoinHandle<T> {
    /// The greenlet's id.
    pub fn id(&self) -> GreenletId {
        self.packet.id
    }

    /// The greenlet's name, if it has one.
    pub fn name(&self) -> Option<&str> {
        self.packet.name.as_deref()
    }

    /// Whether the greenlet has ended (returned, panicked or was killed).
    /// Never blocks.
    pub fn is_finished(&self) -> bool {
        self.packet.is_done()
    }

    /// Waits for the greenlet to end and returns its value. Blocks the
    /// current greenlet until then; other greenlets run meanwhile. Called
    /// from plain `fn main` it runs the hub until the greenlet ends.
    ///
    /// # Errors
    ///
    /// [`JoinError`] if the greenlet panicked or was killed.
    ///
    /// # Panics
    ///
    /// Panics if the greenlet joins itself, if the value was already taken
    /// by [`join_timeout`](Self::join_timeout), or if nothing could ever end
    /// the greenlet (a deadlock: "would block forever").
    pub fn join(self) -> Result<T, JoinError> {
        self.wait_done("JoinHandle::join", None);
        self.take_result()
    }

    /// Like [`join`](Self::join), but gives up after `timeout` and returns
    /// `None`; the greenlet keeps running and can be joined again.
    ///
    /// # Panics
    ///
    /// As for [`join`](Self::join); also if called again after it returned
    /// `Some`.
    pub fn join_timeout(&mut self, timeout: Duration) -> Option<Result<T, JoinError>> {
        if self.wait_done("JoinHandle::join_timeout", Some(Instant::now() + timeout)) {
            Some(self.take_result())
        } else {
            None
        }
    }

    /// Waits up to `timeout` for the greenlet to end, without taking its
    /// value. Returns whether it ended.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.wait_done("JoinHandle::wait_timeout", Some(Instant::now() + timeout))
    }

    fn take_result(&self) -> Result<T, JoinError> {
        self.packet
            .result
            .borrow_mut()
            .take()
            .expect("JoinHandle: the greenlet's result was already taken by join_timeout")
    }

    /// Parks until done or `deadline`; returns whether done.
    fn wait_done(&self, what: &'static str, deadline: Option<Instant>) -> bool {
        if self.packet.is_done() {
            return true;
        }
        if with_hub(|hub| hub.current_info().0) == self.packet.id.as_u64() {
            panic!("sprout: {what}: a greenlet cannot wait for itself to finish");
        }
        loop {
            let woke = crate::hub::park(what, deadline, |t| self.packet.add_joiner(t))
                .unwrap_or_else(|e| panic!("{e}"));
            if self.packet.is_done() {
                return true;
            }
            if woke == Woke::TimedOut {
                return false;
            }
        }
    }

    /// Kills the greenlet and waits until it has ended. Blocks the current
    /// greenlet until then; other greenlets run meanwhile.
    ///
    /// A greenlet that has not started yet never runs. A started one is
    /// unwound from its suspension point with a private panic payload, so
    /// its destructors run; [`join`](Self::join) then reports
    /// [`JoinError::is_killed`]. Killing a finished greenlet does nothing.
    /// A greenlet that kills itself unwinds at once.
    ///
    /// A greenlet that is unwinding already (from an earlier kill, a
    /// timeout or a panic) and blocks in a destructor is not unwound again
    /// from there: unwinding out of a destructor during cleanup would abort
    /// the process. Its destructors finish undisturbed (a `with_timeout`
    /// they start themselves still fires), and the kill waits. While such a
    /// greenlet is parked, `std::thread::panicking()`, which is per OS
    /// thread, reads true for the hub's other greenlets too, and their kills
    /// wait for their next suspension point after it resumes.
    pub fn kill(&self) {
        self.request_kill();
        self.wait_done("JoinHandle::kill", None);
    }

    /// Like [`kill`](Self::kill), but waits at most `timeout` for the
    /// greenlet to end; returns whether it did.
    pub fn kill_timeout(&self, timeout: Duration) -> bool {
        self.request_kill();
        self.wait_done("JoinHandle::kill_timeout", Some(Instant::now() + timeout))
    }

    /// Asks the greenlet to die without waiting for it (gevent's
    /// `kill(block=False)`). It is unwound the next time it runs.
    pub fn request_kill(&self) {
        if self.packet.is_done() {
            return;
        }
        let killed = with_hub(|hub| hub.request_kill(self.key, self.packet.id.as_u64()));
        if let Ok(Some(killed)) = killed {
            // Dropped here, outside the hub's borrows: its captures may
            // themselves use the hub.
            drop(killed.start);
            if let Some(c) = killed.completion {
                c.complete_killed();
            }
        }
    }

    /// Runs `callback` in a new greenlet when this one ends (at once if it
    /// already has), with how it ended.
    pub fn link(&self, callback: impl FnOnce(&Exit) + 'static) {
        if self.packet.is_done() {
            let exit = self.packet.exit();
            super::spawn(move || callback(&exit));
        } else {
            self.packet.links.borrow_mut().push(Box::new(callback));
        }
    }

    /// Like [`link`](Self::link), but only if the greenlet returns normally.
    pub fn link_value(&self, callback: impl FnOnce(&Exit) + 'static) {
        self.link(move |e| {
            if e.is_ok() {
                callback(e);
            }
        });
    }

    /// Like [`link`](Self::link), but only if the greenlet panics or is
    /// killed.
    pub fn link_exception(&self, callback: impl FnOnce(&Exit) + 'static) {
        self.link(move |e| {
            if !e.is_ok() {
                callback(e);
            }
        });
    }
}
