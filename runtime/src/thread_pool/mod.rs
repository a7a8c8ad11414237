//! The thread pool: OS threads for blocking or CPU-heavy work
//! (gevent's `threadpool`, Python's `ThreadPoolExecutor`).
//!
//! A greenlet must never block its OS thread: that stops every greenlet of
//! the hub. Work that has to block (a C library call, `getaddrinfo`, a file
//! read, a long computation) goes to a pool thread instead, and only the
//! calling greenlet waits for it; the hub keeps running the others.
//!
//! ```
//! use std::time::Duration;
//!
//! let ticker = sprout_runtime::spawn(|| {
//!     for _ in 0..3 {
//!         sprout_runtime::sleep(Duration::from_millis(5));
//!     }
//! });
//! // Blocks a pool thread for 30 ms; the ticker keeps running meanwhile.
//! let answer = sprout_runtime::spawn_blocking(|| {
//!     std::thread::sleep(Duration::from_millis(30));
//!     42
//! });
//! assert_eq!(answer.unwrap(), 42);
//! assert!(ticker.is_finished());
//! ```
//!
//! Results travel back through the hub's cross-thread waker
//! ([`park_remote`](crate::io::park_remote)): the calling greenlet parks,
//! the pool thread stores the result and wakes it. While a job is awaited
//! the hub counts it as pending work, so the wait is never reported as a
//! deadlock.

mod handle;
mod pool;

pub use handle::ThreadJoinHandle;
pub use pool::{ThreadPool, default_pool, spawn_blocking};
