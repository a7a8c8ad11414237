//! Groups and pools of greenlets (gevent.pool).
//!
//! A [`Group`] tracks greenlets to [`join`](Group::join),
//! [`kill`](Group::kill) or map over together; a [`Pool`] is a group that
//! runs at most `size` at once: [`spawn`](Pool::spawn) blocks while it is
//! full (waiting spawners are served in FIFO order) and
//! [`try_spawn`](Pool::try_spawn) fails instead.
//!
//! `map` returns results in input order, `imap` yields them lazily in input
//! order, `imap_unordered` in completion order; a job that panics or is
//! killed gives an `Err` at its position and the others go on. `apply` runs
//! one function and waits, `apply_async` runs it with a callback.
//!
//! Groups and pools belong to the hub of their thread: they are not `Send`.

#[macro_use]
mod methods;
mod error;
mod group;
mod map;
mod members;
#[allow(
    clippy::module_inception,
    reason = "pool::Pool lives in pool/pool.rs, one type per file"
)]
mod pool;

pub use error::PoolFull;
pub use group::Group;
pub use map::{Imap, ImapUnordered};
pub use pool::Pool;
