//! Queues between greenlets of one hub (gevent.queue).
//!
//! [`Queue`] (FIFO, bounded or unbounded), [`LifoQueue`], [`PriorityQueue`]
//! (smallest first, FIFO among equals), [`JoinableQueue`] (`task_done` and
//! `join`) and [`Channel`] (a rendezvous: no buffer). All share one engine
//! and one set of methods: `put`/`get` block, `try_put`/`try_get` never do,
//! `put_timeout`/`get_timeout` give up with a timed-out error, `peek`,
//! `len`, iteration, and `shutdown` (graceful: puts fail, gets drain then
//! fail) or `shutdown_now` (immediate: everything fails, the items are
//! returned). Every blocked caller wakes on shutdown with the error.
//!
//! Blocked getters and putters are served in FIFO order. An item is handed
//! straight to a waiting getter; an item handed to a getter that is killed
//! or times out at that very moment goes to the next getter or back to the
//! front of the queue, so nothing is lost. Errors are named after
//! `std::sync::mpsc`'s and hand a failed put's item back.
//!
//! Queues belong to the hub of their thread: they are not `Send`. Share
//! them between greenlets with `Rc`.

#[macro_use]
mod methods;
mod buffer;
mod channel;
pub(crate) mod core;
mod error;
mod joinable;
mod lifo;
mod priority;
#[allow(
    clippy::module_inception,
    reason = "queue::Queue lives in queue/queue.rs, one type per file"
)]
mod queue;

pub use channel::Channel;
pub use error::{
    GetError, GetTimeoutError, PutError, PutTimeoutError, TaskDoneError, TryGetError, TryPutError,
};
pub use joinable::JoinableQueue;
pub use lifo::LifoQueue;
pub use methods::Iter;
pub use priority::PriorityQueue;
pub use queue::Queue;
