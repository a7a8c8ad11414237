//! `ThreadPool`: a bounded set of lazily started OS threads.

use std::collections::VecDeque;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::Duration;

use super::handle::{Slot, ThreadJoinHandle};
use crate::greenlet::JoinError;

/// How long an idle pool thread waits for work before it exits.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Threads of the default pool used by [`spawn_blocking`], unless the
/// `SPROUT_THREAD_POOL_SIZE` environment variable says otherwise.
const DEFAULT_POOL_SIZE: usize = 32;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// A pool of at most `n` OS threads that run blocking or CPU-heavy closures
/// while only the greenlets waiting for them are suspended (gevent's
/// `ThreadPool`).
///
/// Threads start lazily, when a job arrives and no thread is idle, up to the
/// bound; a thread idle for ten seconds exits. Jobs beyond the bound wait in
/// a FIFO queue. A job that panics is reported to whoever waits for it as a
/// [`JoinError`]; the pool thread carries on.
///
/// The pool is `Send + Sync`: greenlets of every hub (thread) may share one,
/// for example in an `Arc` or a `static`.
///
/// Dropping the pool stops it from taking new jobs (there can be none: every
/// method borrows it), lets its threads finish the jobs already queued, and
/// joins the threads that are idle. It never blocks the hub waiting for a
/// busy thread: a thread still running a job finishes it and then exits.
///
/// ```
/// use sprout_runtime::ThreadPool;
///
/// let pool = ThreadPool::new(4);
/// let squares: Vec<u64> = pool
///     .map(|x: u64| x * x, 1..=5)
///     .into_iter()
///     .map(Result::unwrap)
///     .collect();
/// assert_eq!(squares, [1, 4, 9, 16, 25]);
/// assert_eq!(pool.apply(|| 6 * 7).unwrap(), 42);
/// ```
pub struct ThreadPool {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    work: Condvar,
    max_threads: usize,
}

struct State {
    queue: VecDeque<Job>,
    /// Threads alive (running a job or idle).
    threads: usize,
    /// Threads waiting for work.
    idle: usize,
    /// `notify_one` calls not yet consumed by an idle thread.
    notified: usize,
    shutdown: bool,
    handles: Vec<thread::JoinHandle<()>>,
    /// Monotonic thread counter, for thread names.
    started: usize,
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("ThreadPool")
            .field("max_threads", &self.shared.max_threads)
            .field("threads", &state.threads)
            .field("idle", &state.idle)
            .field("queued", &state.queue.len())
            .finish()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // User code never runs under this lock.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ThreadPool {
    /// Creates a pool of at most `max_threads` OS threads. No thread starts
    /// until the first job arrives.
    ///
    /// # Panics
    ///
    /// Panics if `max_threads` is zero.
    pub fn new(max_threads: usize) -> ThreadPool {
        assert!(
            max_threads > 0,
            "ThreadPool::new: a pool needs at least one thread"
        );
        ThreadPool {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    threads: 0,
                    idle: 0,
                    notified: 0,
                    shutdown: false,
                    handles: Vec::new(),
                    started: 0,
                }),
                work: Condvar::new(),
                max_threads,
            }),
        }
    }

    /// The most threads this pool runs at once.
    pub fn max_threads(&self) -> usize {
        self.shared.max_threads
    }

    /// Threads currently alive (busy or idle).
    pub fn threads(&self) -> usize {
        self.shared.lock().threads
    }

    /// Starts `f` on a pool thread and returns at once with a handle to wait
    /// for its result (`ThreadPoolExecutor.submit`, gevent's
    /// `ThreadPool.spawn`). Never blocks.
    ///
    /// ```
    /// let pool = sprout_runtime::ThreadPool::new(2);
    /// let a = pool.spawn(|| 1 + 1);
    /// let b = pool.spawn(|| 2 + 2);
    /// assert_eq!(a.join().unwrap() + b.join().unwrap(), 6);
    /// ```
    ///
    /// # Panics
    ///
    /// Panics if the OS refuses to start the pool's first thread.
    pub fn spawn<F, T>(&self, f: F) -> ThreadJoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let slot = Slot::new();
        let job_slot = Arc::clone(&slot);
        self.submit_job(Box::new(move || {
            let result = catch_unwind(AssertUnwindSafe(f)).map_err(JoinError::panicked);
            job_slot.complete(result);
        }));
        ThreadJoinHandle::new(slot)
    }

    /// Runs `f` on a pool thread and returns its result. Blocks the current
    /// greenlet until `f` has run; other greenlets run meanwhile. Works from
    /// plain `fn main` too.
    ///
    /// # Errors
    ///
    /// [`JoinError`] (with [`is_panic`](JoinError::is_panic)) if `f`
    /// panicked.
    pub fn apply<F, T>(&self, f: F) -> Result<T, JoinError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.spawn(f).join()
    }

    /// Runs `f` on every item, spread over the pool's threads, and returns
    /// the results in the order of `items`. Blocks the current greenlet until
    /// every item is done; other greenlets run meanwhile.
    ///
    /// Each result is `Err` if `f` panicked on that item. The argument order
    /// is gevent's `map(func, iterable)`, as for [`Pool::map`](crate::pool::Pool::map).
    pub fn map<F, I, T>(&self, f: F, items: I) -> Vec<Result<T, JoinError>>
    where
        I: IntoIterator,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> T + Send + Sync + 'static,
        T: Send + 'static,
    {
        let f = Arc::new(f);
        let handles: Vec<_> = items
            .into_iter()
            .map(|item| {
                let f = Arc::clone(&f);
                self.spawn(move || f(item))
            })
            .collect();
        handles.into_iter().map(ThreadJoinHandle::join).collect()
    }

    fn submit_job(&self, job: Job) {
        let mut state = self.shared.lock();
        state.queue.push_back(job);
        if state.idle > state.notified {
            state.notified += 1;
            self.shared.work.notify_one();
        } else if state.threads < self.shared.max_threads {
            state.handles.retain(|h| !h.is_finished());
            state.started += 1;
            let name = format!("sprout-pool-{}", state.started);
            let shared = Arc::clone(&self.shared);
            match thread::Builder::new()
                .name(name)
                .spawn(move || worker(&shared))
            {
                Ok(handle) => {
                    state.threads += 1;
                    state.handles.push(handle);
                }
                // Existing threads will get to the job; with none, nothing can.
                Err(e) if state.threads > 0 => {
                    log::warn!("sprout: thread pool could not start another thread: {e}");
                }
                Err(e) => panic!("sprout: thread pool cannot start a thread: {e}"),
            }
        }
        // Else every thread is busy; the first to finish takes the job.
    }
}

/// The loop of one pool thread.
fn worker(shared: &Shared) {
    let mut state = shared.lock();
    loop {
        if let Some(job) = state.queue.pop_front() {
            drop(state);
            // The job catches its own panics (see `spawn`).
            job();
            state = shared.lock();
            continue;
        }
        if state.shutdown {
            break;
        }
        state.idle += 1;
        let (guard, wait) = shared
            .work
            .wait_timeout(state, IDLE_TIMEOUT)
            .unwrap_or_else(|e| e.into_inner());
        state = guard;
        state.idle -= 1;
        state.notified = state.notified.saturating_sub(1);
        if wait.timed_out() && state.queue.is_empty() {
            break;
        }
    }
    state.threads -= 1;
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        let handles = {
            let mut state = self.shared.lock();
            state.shutdown = true;
            self.shared.work.notify_all();
            let busy = state.threads - state.idle;
            if busy > 0 || !state.queue.is_empty() {
                // Do not block the hub: busy threads finish and exit alone.
                return;
            }
            std::mem::take(&mut state.handles)
        };
        for h in handles {
            let _ = h.join();
        }
    }
}

/// The process-wide pool behind [`spawn_blocking`] and name resolution in
/// `sprout::net`. Its size is the `SPROUT_THREAD_POOL_SIZE` environment
/// variable, read once, or 32.
pub fn default_pool() -> &'static ThreadPool {
    static POOL: OnceLock<ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        let size = std::env::var("SPROUT_THREAD_POOL_SIZE")
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .filter(|n| *n > 0)
            .unwrap_or(DEFAULT_POOL_SIZE);
        ThreadPool::new(size)
    })
}

/// Runs `f` on the [default thread pool](default_pool) and returns its
/// result. Blocks the current greenlet until `f` has run; other greenlets
/// run meanwhile. Works from plain `fn main` too.
///
/// Use it for anything that would block the OS thread: a blocking C call,
/// file I/O, a long computation.
///
/// ```
/// let n = sprout_runtime::spawn_blocking(|| (1..=10u64).product::<u64>()).unwrap();
/// assert_eq!(n, 3_628_800);
///
/// let err = sprout_runtime::spawn_blocking(|| -> u8 { panic!("boom") }).unwrap_err();
/// assert!(err.is_panic());
/// ```
///
/// # Errors
///
/// [`JoinError`] (with [`is_panic`](JoinError::is_panic)) if `f` panicked.
///
/// # Notes
///
/// A greenlet killed (or timed out) while it waits is unwound as usual; the
/// job still runs to completion on its pool thread and its result is
/// dropped there.
///
/// A job that itself waits for other jobs of the same pool (nested
/// `spawn_blocking`) can deadlock once every thread of the pool waits:
/// give such work its own [`ThreadPool`].
pub fn spawn_blocking<F, T>(f: F) -> Result<T, JoinError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    default_pool().apply(f)
}
