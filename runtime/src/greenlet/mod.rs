//! Greenlets: stackful green threads scheduled by the hub.
//!
//! [`spawn`] starts one, [`JoinHandle`] joins, kills or links it,
//! [`yield_now`], [`sleep`](crate::sleep) and every blocking call in sprout
//! switch to the next ready greenlet instead of blocking the OS thread.

mod builder;
mod error;
mod handle;
mod id;
pub(crate) mod overflow;
pub(crate) mod stack;
mod wait;

pub use builder::Builder;
pub use error::JoinError;
pub use handle::{Exit, ExitKind, JoinHandle};
pub use id::{Greenlet, GreenletId};
#[doc(hidden)]
pub use wait::Notifier;
pub(crate) use wait::Notifiers;
pub use wait::{Iwait, Waitable, iwait, joinall, killall, wait};

use std::io;
use std::marker::PhantomData;
use std::time::Duration;

use crate::hub::with_hub;

/// Spawns `f` as a new greenlet on this thread's hub and returns its
/// [`JoinHandle`]. The greenlet starts the next time the hub runs: when the
/// caller blocks, yields or joins.
///
/// ```
/// let handle = sprout_runtime::spawn(|| 6 * 7);
/// assert_eq!(handle.join().unwrap(), 42);
/// ```
///
/// # Panics
///
/// Panics if no stack can be allocated; use [`Builder::spawn`] to get the
/// error instead.
#[track_caller]
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    spawned("spawn", Builder::new().spawn(f))
}

/// The handle of a greenlet that the panicking spawn functions (`what`)
/// spawned, or their panic when no stack could be allocated.
pub(crate) fn spawned<T>(what: &str, r: io::Result<JoinHandle<T>>) -> JoinHandle<T> {
    r.unwrap_or_else(|e| panic!("sprout: {what} failed: {e}"))
}

/// Spawns `f` to start after `delay`. Killed before then, it never runs.
///
/// # Panics
///
/// As for [`spawn`].
#[track_caller]
pub fn spawn_later<F, T>(delay: Duration, f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    spawned("spawn_later", Builder::new().spawn_later(delay, f))
}

/// Lets every other ready greenlet run once, then continues (FIFO: two
/// greenlets that alternate `yield_now` interleave `1A 2A 1B 2B`).
#[inline]
pub fn yield_now() {
    with_hub(|hub| hub.yield_now());
}

/// Blocks the current greenlet until the hub has nothing else ready to run
/// (gevent's `idle`).
pub fn idle() {
    with_hub(|hub| hub.idle());
}

/// The greenlet running now (the main greenlet on the thread's own stack).
pub fn current() -> Greenlet {
    let (id, name) = with_hub(|hub| hub.current_info());
    Greenlet {
        id: GreenletId::new(id),
        name,
        _not_send: PhantomData,
    }
}

/// Sets the default stack size, in bytes, of greenlets spawned later on this
/// thread. The initial default is 256 KiB, or the `SPROUT_STACK_SIZE`
/// environment variable.
pub fn set_default_stack_size(bytes: usize) {
    with_hub(|hub| hub.set_default_stack_size(bytes));
}

/// The default stack size, in bytes, of greenlets spawned on this thread.
pub fn default_stack_size() -> usize {
    with_hub(|hub| hub.default_stack_size())
}
