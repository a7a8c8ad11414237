//! Synchronisation between greenlets of one hub (gevent.event, gevent.lock).
//!
//! [`Event`] and [`AsyncResult`] signal; [`Mutex`], [`Lock`] and [`RLock`]
//! exclude; [`Semaphore`] and [`BoundedSemaphore`] count; [`Condition`]
//! waits for changes to data behind a [`Mutex`].
//!
//! Every primitive keeps its waiters in one FIFO list: whoever waited
//! longest is served first, and a released permit or lock is *handed* to
//! it, so a later arrival cannot overtake it. A call that can succeed at
//! once never switches. Each blocking call has a `_timeout` form: wait-style
//! calls return `false`/`None` on timeout, get-style calls an error. A permit
//! handed over at the moment a wait times out or is killed is passed on to
//! the next waiter, never lost. Blocking calls without a timeout panic with
//! a "would block forever" report if nothing could ever wake them.
//!
//! The primitives belong to the hub of their thread: they are not `Send`.
//! Share them between greenlets with `Rc`.

mod async_result;
mod condition;
mod error;
mod event;
mod lock;
mod mutex;
mod rlock;
mod semaphore;
pub(crate) mod wait_list;
pub(crate) mod waiter;

pub use async_result::AsyncResult;
pub use condition::Condition;
pub use error::{GetTimeoutError, ReleaseError};
pub use event::Event;
pub use lock::{Lock, LockGuard};
pub use mutex::{Mutex, MutexGuard};
pub use rlock::{RLock, RLockGuard};
pub use semaphore::{BoundedSemaphore, Semaphore, SemaphorePermit};
