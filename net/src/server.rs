//! `StreamServer`: a TCP server that runs a handler greenlet per connection
//! (gevent's `StreamServer`), and [`Workers`]: one such server per OS thread.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use sprout_runtime::io::{RemoteWake, park_remote};
use sprout_runtime::pool::Pool;
use sprout_runtime::{Builder, JoinHandle};

use crate::addr::{ToSocketAddrs, each_addr};
use crate::notify::Notify;
use crate::tcp::{TcpListener, TcpStream};

/// Connections accepted in a row before the accept loop lets the handlers
/// run (gevent's `max_accept`).
const MAX_ACCEPT: usize = 100;
/// First and longest pause after an accept error such as `EMFILE`.
const MIN_BACKOFF: Duration = Duration::from_millis(5);
const MAX_BACKOFF: Duration = Duration::from_millis(500);

type Handler = dyn Fn(TcpStream, SocketAddr);

/// A TCP server that spawns a handler greenlet for every connection.
///
/// [`start`](Self::start) runs the accept loop in its own greenlet and
/// returns at once; [`serve_forever`](Self::serve_forever) also waits until
/// the server is stopped; [`stop`](Self::stop) closes the listener, lets
/// running handlers finish within a grace period, then kills the rest.
///
/// ```
/// use std::io::{Read, Write};
/// use std::time::Duration;
/// use sprout_net::{StreamServer, TcpStream};
///
/// # fn main() -> std::io::Result<()> {
/// let server = StreamServer::bind("127.0.0.1:0", |mut conn: TcpStream, _peer| {
///     let mut buf = [0; 64];
///     while let Ok(n @ 1..) = conn.read(&mut buf) {
///         if conn.write_all(&buf[..n].to_ascii_uppercase()).is_err() {
///             break;
///         }
///     }
/// })?;
/// server.start()?;
///
/// let mut client = TcpStream::connect(server.local_addr()?)?;
/// client.write_all(b"hello")?;
/// let mut reply = [0; 5];
/// client.read_exact(&mut reply)?;
/// assert_eq!(&reply, b"HELLO");
///
/// drop(client);
/// server.stop(Duration::from_secs(1));
/// # Ok(())
/// # }
/// ```
///
/// # Behaviour
///
/// - The accept loop takes every queued connection on each wake-up (up to
///   100 in a row, then it lets the handlers run).
/// - With [`set_max_connections`](Self::set_max_connections), or with the
///   handlers spawned into a full [`Pool`] ([`set_pool`](Self::set_pool)),
///   accepting pauses; new connections wait in the kernel's queue.
/// - Accept errors never stop the server. Running out of descriptors
///   (`EMFILE`, `ENFILE`) or memory is logged (`log::warn!`) and the loop
///   sleeps, 5 ms at first and doubling up to 500 ms, while the existing
///   connections keep being served; errors about one aborted connection are
///   skipped.
/// - A handler that panics is logged by the runtime and ends only its own
///   connection.
/// - A handler that cannot be spawned (no stack could be allocated, as
///   when `vm.max_map_count` runs out) is logged (`log::error!`) and its
///   connection closed; the server goes on, with or without a pool.
///
/// Dropping the server closes its listener and ends the accept loop
/// without waiting; handlers already running carry on (like connections
/// accepted from a dropped `std` listener). Call [`stop`](Self::stop) to
/// wait for them or kill them.
///
/// A server belongs to the hub of its thread and is not `Send`. To use
/// several cores, see [`StreamServer::workers`].
pub struct StreamServer {
    inner: Rc<Inner>,
}

/// Lifecycle of a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Ready,
    Serving,
    Stopping,
    Stopped,
}

struct Inner {
    listener: RefCell<Option<Rc<TcpListener>>>,
    addr: SocketAddr,
    handler: Rc<Handler>,
    max_connections: Cell<Option<usize>>,
    /// Stack size of handler greenlets; `None`: the hub's default.
    stack_size: Cell<Option<usize>>,
    pool: RefCell<Option<Rc<Pool>>>,
    state: Cell<State>,
    accept_loop: RefCell<Option<JoinHandle<()>>>,
    /// Running handler greenlets by connection number.
    handlers: RefCell<HashMap<u64, JoinHandle<()>>>,
    active: Cell<usize>,
    next_conn: Cell<u64>,
    /// A handler finished: wakes the paused accept loop and `stop`.
    handler_done: Notify,
    /// The server reached `Stopped`.
    stopped: Notify,
}

impl StreamServer {
    /// Creates a server on `listener`; nothing is accepted until
    /// [`start`](Self::start) or [`serve_forever`](Self::serve_forever).
    ///
    /// # Errors
    ///
    /// If the listener's address cannot be read.
    pub fn new<F>(listener: TcpListener, handler: F) -> io::Result<StreamServer>
    where
        F: Fn(TcpStream, SocketAddr) + 'static,
    {
        let addr = listener.local_addr()?;
        Ok(StreamServer {
            inner: Rc::new(Inner {
                listener: RefCell::new(Some(Rc::new(listener))),
                addr,
                handler: Rc::new(handler),
                max_connections: Cell::new(None),
                stack_size: Cell::new(None),
                pool: RefCell::new(None),
                state: Cell::new(State::Ready),
                accept_loop: RefCell::new(None),
                handlers: RefCell::new(HashMap::new()),
                active: Cell::new(0),
                next_conn: Cell::new(0),
                handler_done: Notify::default(),
                stopped: Notify::default(),
            }),
        })
    }

    /// Binds a listener to `addr` (see [`TcpListener::bind`]) and creates a
    /// server on it.
    ///
    /// # Errors
    ///
    /// As [`TcpListener::bind`].
    pub fn bind<A, F>(addr: A, handler: F) -> io::Result<StreamServer>
    where
        A: ToSocketAddrs,
        F: Fn(TcpStream, SocketAddr) + 'static,
    {
        StreamServer::new(TcpListener::bind(addr)?, handler)
    }

    /// The address the server listens on.
    ///
    /// # Errors
    ///
    /// Never at present; `io::Result` to match the socket types.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.inner.addr)
    }

    /// Limits how many handlers run at once (`None`: no limit, the
    /// default). While the limit is reached the server accepts nothing;
    /// connections wait in the kernel's queue.
    ///
    /// # Panics
    ///
    /// Panics on `Some(0)`: such a server could never serve.
    pub fn set_max_connections(&self, limit: Option<usize>) {
        assert_ne!(
            limit,
            Some(0),
            "StreamServer::set_max_connections: the limit must be at least 1"
        );
        self.inner.max_connections.set(limit);
        self.inner.handler_done.notify_all();
    }

    /// Sets the stack size, in bytes, of the handler greenlets spawned
    /// from now on (`None`, the default: the hub's default stack size, 256
    /// KiB unless changed; see [`Builder::stack_size`]).
    ///
    /// A handler that reads and writes its socket through a buffer of a few
    /// KiB needs little more than that buffer; small stacks spread the
    /// pages the handlers touch less over the address space (at 10,000
    /// echo connections, 0-4% less server CPU per request on our VM, see
    /// BENCHMARKS.md, "Net"), and large ones let deep handlers run.
    /// A handler that overflows its stack still aborts the process with its
    /// name and stack size, never corrupting memory, so size it for its
    /// deepest call (TLS handshakes and debug builds need more). If a
    /// handler cannot be spawned (a size too large to map, for one), that
    /// connection is closed and logged, and the server goes on.
    ///
    /// ```
    /// use sprout_net::StreamServer;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let server = StreamServer::bind("127.0.0.1:0", |_conn, _peer| {})?;
    /// server.set_stack_size(Some(32 * 1024));
    /// assert_eq!(server.stack_size(), Some(32 * 1024));
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_stack_size(&self, bytes: Option<usize>) {
        self.inner.stack_size.set(bytes);
    }

    /// The stack size of new handler greenlets set with
    /// [`set_stack_size`](Self::set_stack_size) (`None`: the hub's default).
    pub fn stack_size(&self) -> Option<usize> {
        self.inner.stack_size.get()
    }

    /// Spawns the handlers into `pool` (gevent's `StreamServer(...,
    /// spawn=pool)`): accepting pauses while the pool is full, and the
    /// pool's `len`, `free_count`, `join` and `kill` see the handlers. Set it
    /// before [`start`](Self::start).
    ///
    /// ```
    /// use std::rc::Rc;
    /// use sprout_net::StreamServer;
    /// use sprout_runtime::pool::Pool;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let pool = Rc::new(Pool::new(100));
    /// let server = StreamServer::bind("127.0.0.1:0", |_conn, _peer| {})?;
    /// server.set_pool(Rc::clone(&pool));
    /// server.start()?;
    /// assert_eq!(pool.free_count(), 100);
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_pool(&self, pool: Rc<Pool>) {
        *self.inner.pool.borrow_mut() = Some(pool);
    }

    /// The connection limit.
    pub fn max_connections(&self) -> Option<usize> {
        self.inner.max_connections.get()
    }

    /// Handlers running now.
    pub fn connection_count(&self) -> usize {
        self.inner.active.get()
    }

    /// Whether the accept loop runs (started and not yet stopped).
    pub fn is_serving(&self) -> bool {
        self.inner.state.get() == State::Serving
    }

    /// Starts the accept loop in a new greenlet and returns at once. The
    /// loop runs whenever the caller blocks, yields or joins.
    ///
    /// # Errors
    ///
    /// `InvalidInput` if the server was started before (a stopped server
    /// cannot be restarted: its listener is closed); the error of spawning
    /// the greenlet.
    pub fn start(&self) -> io::Result<()> {
        if self.inner.state.get() != State::Ready {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "StreamServer::start: the server was already started",
            ));
        }
        let inner = Rc::clone(&self.inner);
        let handle = Builder::new()
            .name(format!("StreamServer accept {}", self.inner.addr))
            .spawn(move || accept_loop(&inner))?;
        *self.inner.accept_loop.borrow_mut() = Some(handle);
        self.inner.state.set(State::Serving);
        Ok(())
    }

    /// Starts the server (unless it runs already) and blocks the current
    /// greenlet until it has been stopped by [`stop`](Self::stop) (from
    /// another greenlet, a handler, or a signal watcher); other greenlets run
    /// meanwhile.
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start).
    pub fn serve_forever(&self) -> io::Result<()> {
        if self.inner.state.get() == State::Ready {
            self.start()?;
        }
        let inner = &self.inner;
        inner
            .stopped
            .wait_until(None, || inner.state.get() == State::Stopped);
        Ok(())
    }

    /// Stops the server: closes the listener (no new connections), waits up
    /// to `timeout` for the running handlers to finish, then kills those
    /// still running and waits for them to unwind. Blocks the current
    /// greenlet until then; other greenlets run meanwhile.
    ///
    /// Called from a handler, it waits for (and kills) the other handlers
    /// only; the calling handler carries on. Stopping a stopped server does
    /// nothing; stopping one that never started closes its listener.
    pub fn stop(&self, timeout: Duration) {
        let inner = &self.inner;
        match inner.state.get() {
            State::Stopped | State::Stopping => return,
            State::Ready | State::Serving => inner.state.set(State::Stopping),
        }
        let deadline = Instant::now() + timeout;
        let accept_loop = inner.accept_loop.borrow_mut().take();
        if let Some(h) = accept_loop {
            h.kill();
        }
        // The last reference: closes the socket.
        drop(inner.listener.borrow_mut().take());

        let me = sprout_runtime::current().id();
        let others_running = || {
            inner
                .handlers
                .borrow()
                .values()
                .any(|h| h.id() != me && !h.is_finished())
        };
        inner
            .handler_done
            .wait_until(Some(deadline), || !others_running());
        let victims: Vec<JoinHandle<()>> = {
            let mut handlers = inner.handlers.borrow_mut();
            let keys: Vec<u64> = handlers
                .iter()
                .filter(|(_, h)| h.id() != me)
                .map(|(k, _)| *k)
                .collect();
            keys.into_iter()
                .filter_map(|k| handlers.remove(&k))
                .collect()
        };
        if !victims.is_empty() {
            log::debug!(
                "sprout: StreamServer {}: killing {} handler(s) still running after {timeout:?}",
                inner.addr,
                victims.len()
            );
        }
        sprout_runtime::killall(&victims);
        inner.state.set(State::Stopped);
        inner.stopped.notify_all();
    }

    /// Serves `addr` from `threads` OS threads, each with its own hub and
    /// its own listener on the same address (`SO_REUSEPORT`, so the kernel
    /// spreads new connections over the threads). Every thread calls
    /// `handler` for its own connections. Returns once every listener is
    /// bound; the threads serve until [`Workers::stop`].
    ///
    /// This is how one machine's cores are used: one hub per core, as
    /// gevent users run one process per core. The servers have no
    /// connection limit; stop them with [`Workers::stop`] (or through a
    /// [`Workers::stopper`] from a signal watcher).
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::time::Duration;
    /// use sprout_net::{StreamServer, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let workers = StreamServer::workers("127.0.0.1:0", 2, |mut conn: TcpStream, _| {
    ///     let _ = conn.write_all(b"hi");
    /// })?;
    /// let mut reply = String::new();
    /// TcpStream::connect(workers.local_addr())?.read_to_string(&mut reply)?;
    /// assert_eq!(reply, "hi");
    /// workers.stop(Duration::from_secs(1))?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// The error of binding (port 0 picks one free port for all threads)
    /// or of starting a thread.
    ///
    /// # Panics
    ///
    /// Panics if `threads` is zero.
    pub fn workers<A, F>(addr: A, threads: usize, handler: F) -> io::Result<Workers>
    where
        A: ToSocketAddrs,
        F: Fn(TcpStream, SocketAddr) + Send + Sync + 'static,
    {
        assert!(
            threads > 0,
            "StreamServer::workers: at least one thread is needed"
        );
        let first = each_addr(addr, |a| crate::tcp::listener::bind_std(a, true))?;
        let addr = first.local_addr()?;
        let mut listeners = vec![first];
        for _ in 1..threads {
            listeners.push(crate::tcp::listener::bind_std(&addr, true)?);
        }
        let handler: Arc<dyn Fn(TcpStream, SocketAddr) + Send + Sync> = Arc::new(handler);
        let mut workers = Workers {
            addr,
            threads: Vec::new(),
            controls: Vec::new(),
        };
        for (i, listener) in listeners.into_iter().enumerate() {
            let control = Arc::new(Control::default());
            let thread_control = Arc::clone(&control);
            let handler = Arc::clone(&handler);
            let thread = thread::Builder::new()
                .name(format!("sprout-worker-{i}"))
                .spawn(move || worker_main(listener, &handler, &thread_control))?;
            workers.threads.push(thread);
            workers.controls.push(control);
        }
        Ok(workers)
    }
}

impl Drop for StreamServer {
    fn drop(&mut self) {
        let inner = &self.inner;
        if matches!(inner.state.get(), State::Ready | State::Serving) {
            inner.state.set(State::Stopped);
            if let Some(h) = inner.accept_loop.borrow_mut().take() {
                h.request_kill();
            }
            drop(inner.listener.borrow_mut().take());
            inner.stopped.notify_all();
        }
    }
}

impl fmt::Debug for StreamServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamServer")
            .field("addr", &self.inner.addr)
            .field("state", &self.inner.state.get())
            .field("connections", &self.inner.active.get())
            .field("max_connections", &self.inner.max_connections.get())
            .field("stack_size", &self.inner.stack_size.get())
            .finish()
    }
}

// ===== the accept loop =====

fn accept_loop(inner: &Rc<Inner>) {
    let Some(listener) = inner.listener.borrow().clone() else {
        return;
    };
    let mut backoff = MIN_BACKOFF;
    let mut in_a_row = 0;
    loop {
        if let Some(max) = inner.max_connections.get()
            && inner.active.get() >= max
        {
            inner.handler_done.wait_until(None, || {
                inner
                    .max_connections
                    .get()
                    .is_none_or(|m| inner.active.get() < m)
            });
        }
        match listener.accept() {
            Ok((stream, peer)) => {
                backoff = MIN_BACKOFF;
                spawn_handler(inner, stream, peer);
                in_a_row += 1;
                if in_a_row >= MAX_ACCEPT {
                    in_a_row = 0;
                    sprout_runtime::yield_now();
                }
            }
            Err(e) if is_connection_error(&e) => {}
            Err(e) => {
                in_a_row = 0;
                if is_resource_error(&e) {
                    log::warn!(
                        "sprout: StreamServer {}: accept failed ({e}); pausing accepts for {backoff:?}",
                        inner.addr
                    );
                } else {
                    log::error!(
                        "sprout: StreamServer {}: accept failed ({e}); retrying in {backoff:?}",
                        inner.addr
                    );
                }
                sprout_runtime::sleep(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Errors about one connection that died in the queue: skip it.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    ) || e.raw_os_error() == Some(libc::EPROTO)
}

/// Out of descriptors or memory: wait for some to be freed.
fn is_resource_error(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

fn spawn_handler(inner: &Rc<Inner>, stream: TcpStream, peer: SocketAddr) {
    let key = inner.next_conn.get();
    inner.next_conn.set(key + 1);
    inner.active.set(inner.active.get() + 1);
    let guard = HandlerGuard {
        inner: Rc::clone(inner),
        key,
    };
    let handler = Rc::clone(&inner.handler);
    let body = move || {
        let _guard = guard;
        handler(stream, peer);
    };
    let mut builder = Builder::new().name(format!("StreamServer handler {peer}"));
    if let Some(bytes) = inner.stack_size.get() {
        builder = builder.stack_size(bytes);
    }
    let pool = inner.pool.borrow().clone();
    let spawned = match pool {
        // Blocks while the pool is full: accepting pauses.
        Some(pool) => pool.spawn_with(builder, body),
        None => builder.spawn(body),
    };
    match spawned {
        Ok(handle) => {
            if !handle.is_finished() {
                inner.handlers.borrow_mut().insert(key, handle);
            }
        }
        // The closure (stream and guard) was dropped: the connection is
        // closed and the count restored.
        Err(e) => log::error!(
            "sprout: StreamServer {}: cannot spawn a handler for {peer}: {e}",
            inner.addr
        ),
    }
}

/// Lives inside a handler greenlet; its drop (return, panic or kill) ends
/// the connection's bookkeeping.
struct HandlerGuard {
    inner: Rc<Inner>,
    key: u64,
}

impl Drop for HandlerGuard {
    fn drop(&mut self) {
        let inner = &self.inner;
        inner.active.set(inner.active.get() - 1);
        // `stop` may hold the map while it kills; it removes the entry then.
        let removed = inner
            .handlers
            .try_borrow_mut()
            .ok()
            .and_then(|mut h| h.remove(&self.key));
        drop(removed);
        if inner.handler_done.has_waiters() {
            inner.handler_done.notify_all();
        }
    }
}

// ===== workers =====

/// Servers on several OS threads sharing one address, from
/// [`StreamServer::workers`].
///
/// Dropping it without [`stop`](Self::stop) asks every thread to stop with
/// no grace period and does not wait for them.
#[must_use = "dropping `Workers` stops the servers"]
pub struct Workers {
    addr: SocketAddr,
    threads: Vec<thread::JoinHandle<io::Result<()>>>,
    controls: Vec<Arc<Control>>,
}

/// Tells one worker thread to stop.
#[derive(Default)]
struct Control {
    state: Mutex<ControlState>,
}

#[derive(Default)]
struct ControlState {
    /// `Some(grace)` once a stop was requested.
    stop: Option<Duration>,
    /// The worker's watcher greenlet, parked until a stop is requested.
    waiter: Option<RemoteWake>,
}

impl Control {
    fn request_stop(&self, grace: Duration) {
        let waiter = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.stop.get_or_insert(grace);
            state.waiter.take()
        };
        if let Some(w) = waiter {
            w.wake();
        }
    }

    /// On the worker's hub: parks until a stop is requested; returns the
    /// grace period.
    fn wait_for_stop(&self) -> Duration {
        loop {
            if let Some(grace) = self.state.lock().unwrap_or_else(|e| e.into_inner()).stop {
                return grace;
            }
            let parked = park_remote("StreamServer worker: waiting for stop", None, |remote| {
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                if state.stop.is_some() {
                    drop(state);
                    remote.wake();
                } else {
                    state.waiter = Some(remote);
                }
            });
            if let Err(e) = parked {
                panic!("{e}");
            }
        }
    }
}

fn worker_main(
    listener: std::net::TcpListener,
    handler: &Arc<dyn Fn(TcpStream, SocketAddr) + Send + Sync>,
    control: &Arc<Control>,
) -> io::Result<()> {
    let handler = Arc::clone(handler);
    let server = Rc::new(StreamServer::new(
        TcpListener::from_std(listener)?,
        move |s, p| handler(s, p),
    )?);
    server.start()?;
    let watcher_server = Rc::clone(&server);
    let watcher_control = Arc::clone(control);
    let _watcher = sprout_runtime::spawn(move || {
        let grace = watcher_control.wait_for_stop();
        watcher_server.stop(grace);
    });
    server.serve_forever()
}

impl Workers {
    /// The address every worker listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Number of worker threads.
    pub fn threads(&self) -> usize {
        self.threads.len()
    }

    /// Stops every worker ([`StreamServer::stop`] with `timeout` on each
    /// thread) and waits for the threads to exit. Blocks the current
    /// greenlet until then (the OS threads are joined from the thread
    /// pool); other greenlets run meanwhile.
    ///
    /// # Errors
    ///
    /// The first error a worker thread ended with; `Other` if one panicked.
    pub fn stop(mut self, timeout: Duration) -> io::Result<()> {
        for c in &self.controls {
            c.request_stop(timeout);
        }
        self.join_threads()
    }

    /// Blocks the current greenlet until every worker thread has exited
    /// (after a [`stop`](Self::stop) from elsewhere, for example a signal
    /// watcher holding a [`WorkersStopper`]); other greenlets run meanwhile.
    ///
    /// # Errors
    ///
    /// As [`stop`](Self::stop).
    pub fn join(mut self) -> io::Result<()> {
        self.join_threads()
    }

    /// A `Send` handle that can stop these workers from any thread or
    /// greenlet.
    pub fn stopper(&self) -> WorkersStopper {
        WorkersStopper {
            controls: self.controls.clone(),
        }
    }

    fn join_threads(&mut self) -> io::Result<()> {
        let threads = std::mem::take(&mut self.threads);
        let results = sprout_runtime::spawn_blocking(move || {
            threads.into_iter().map(|t| t.join()).collect::<Vec<_>>()
        })
        .map_err(|e| io::Error::other(format!("joining worker threads failed: {e}")))?;
        let mut first_err = None;
        for r in results {
            let err = match r {
                Ok(Ok(())) => continue,
                Ok(Err(e)) => e,
                Err(_) => io::Error::other("a StreamServer worker thread panicked"),
            };
            first_err.get_or_insert(err);
        }
        first_err.map_or(Ok(()), Err)
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        if !self.threads.is_empty() {
            for c in &self.controls {
                c.request_stop(Duration::ZERO);
            }
        }
    }
}

impl fmt::Debug for Workers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workers")
            .field("addr", &self.addr)
            .field("threads", &self.threads.len())
            .finish()
    }
}

/// Stops the servers of a [`Workers`] from anywhere (it is `Send`), from
/// [`Workers::stopper`].
#[derive(Clone)]
pub struct WorkersStopper {
    controls: Vec<Arc<Control>>,
}

impl WorkersStopper {
    /// Asks every worker to stop with a grace period of `timeout`; returns
    /// at once. Never blocks.
    pub fn stop(&self, timeout: Duration) {
        for c in &self.controls {
            c.request_stop(timeout);
        }
    }
}

impl fmt::Debug for WorkersStopper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkersStopper")
            .field("threads", &self.controls.len())
            .finish()
    }
}
