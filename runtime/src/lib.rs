//! The runtime of [sprout](https://example.invalid/sprout): gevent for Rust.
//!
//! Stackful green threads ("greenlets") run on one single-threaded event
//! loop per OS thread, the *hub*. Code is written in plain blocking style
//! and every blocking call switches to the hub instead of blocking the OS
//! thread, so thousands of greenlets share one core.
//!
//! ```
//! use std::time::{Duration, Instant};
//!
//! let start = Instant::now();
//! let handles: Vec<_> = (0..10)
//!     .map(|i| {
//!         sprout_runtime::spawn(move || {
//!             sprout_runtime::sleep(Duration::from_millis(50));
//!             i * 2
//!         })
//!     })
//!     .collect();
//! let results: Vec<i32> = sprout_runtime::joinall(handles).into_iter().map(Result::unwrap).collect();
//! assert_eq!(results, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
//! // Ten greenlets slept 50 ms each, together, not one after the other.
//! assert!(start.elapsed() < Duration::from_millis(500));
//! ```
//!
//! # Blocking calls switch to the hub; never block the OS thread
//!
//! `sleep`, `join`, `kill`, the `sprout::net` sockets and every other
//! blocking call of sprout suspend only the calling greenlet. A call that
//! blocks the OS thread itself (`std::thread::sleep`, `std::net`, a long
//! computation) stops every greenlet of the hub until it returns: run such
//! work on the thread pool instead.
//!
//! The thread's own stack is the *main greenlet*: a blocking call made there
//! runs the hub loop inline until it can return, so no `run()` wrapper is
//! needed. Greenlets never move between threads: handles are `!Send`.
//!
//! # Panics, kill and timeouts
//!
//! A panic in a greenlet is caught and stored in its [`JoinError`]; it never
//! reaches the hub or another greenlet. [`JoinHandle::kill`] and
//! [`with_timeout`] unwind the target from its suspension point, so they need
//! `panic = "unwind"` (the default).
//!
//! # What is here
//!
//! | module | gevent | contents |
//! |---|---|---|
//! | [`greenlet`] (re-exported at the root) | `gevent.Greenlet` | `spawn`, `Builder`, `JoinHandle`, `joinall`, `killall`, `wait`, `iwait`, `yield_now`, `idle` |
//! | [`time`] (re-exported at the root) | `gevent.sleep`, `gevent.Timeout` | `sleep`, `sleep_until`, `with_timeout`, `with_deadline` |
//! | [`sync`] | `gevent.event`, `gevent.lock` | `Event`, `AsyncResult`, `Mutex`, `Lock`, `RLock`, `Semaphore`, `BoundedSemaphore`, `Condition` |
//! | [`queue`] | `gevent.queue` | `Queue`, `LifoQueue`, `PriorityQueue`, `JoinableQueue`, `Channel` |
//! | [`pool`] | `gevent.pool` | `Group`, `Pool` with `map`, `imap`, `imap_unordered`, `apply` |
//! | [`thread_pool`] | `gevent.threadpool` | `spawn_blocking`, `ThreadPool` |
//! | [`local`] | `gevent.local` | `GreenletLocal` |
//! | [`debug`] | `gevent.util` | `run_info`, the blocking monitor, strict panics |
//! | [`io`], [`hub`] | `gevent.hub` | the registration and parking layer `sprout::net` is built on |
//!
//! # Implementation notes
//!
//! Stacks come from corosensei on our own guard-paged mappings, pooled per
//! hub. The hub loop runs up to 61 ready greenlets in FIFO order, then polls
//! mio (zero timeout if more are ready, and not at all if, besides, no
//! greenlet waits on I/O; else until the next timer) and fires expired
//! timers. A blocking call that nothing can ever wake panics (or
//! returns an error) saying it "would block forever".

#![warn(missing_docs, clippy::print_stdout, clippy::print_stderr)]
#![doc(test(attr(deny(warnings))))]

pub mod debug;
pub mod greenlet;
pub mod hub;
pub mod io;
pub mod local;
pub mod pool;
pub mod queue;
pub mod sync;
pub mod thread_pool;
pub mod time;

pub use greenlet::{
    Builder, Exit, ExitKind, Greenlet, GreenletId, Iwait, JoinError, JoinHandle, Waitable, current,
    default_stack_size, idle, iwait, joinall, killall, set_default_stack_size, spawn, spawn_later,
    wait, yield_now,
};
pub use thread_pool::{ThreadPool, spawn_blocking};
pub use time::{Elapsed, sleep, sleep_until, with_deadline, with_timeout};
