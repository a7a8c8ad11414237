//! The io driver's public face: what `sprout::net` builds sockets on.
//!
//! [`Registration`] registers a `mio` source once with the current thread's
//! hub and provides the `read_with`/`write_with` retry loop. [`RemoteWake`]
//! lets another OS thread (the thread pool) wake a waiting greenlet.
//!
//! # Busy polling
//!
//! A hub with nothing to run polls for I/O without sleeping for a short
//! while (20 µs by default) before it blocks in the kernel, but only right
//! after a wait that was itself that short. So a loaded server keeps its
//! CPU awake between requests, while an idle or quiet hub sleeps at once
//! (it wastes at most one such spin per lull). A thread asleep on an idle
//! CPU costs whoever wakes it (a client writing to the socket, often on
//! another core) an inter-processor interrupt, which virtual machines make
//! expensive: on the two-core VM of `BENCHMARKS.md`, connect-per-request
//! churn served about 15% more requests per second this way, for about 25%
//! more server CPU per request. Waits for nothing but a timer are never
//! spun. [`set_busy_poll`] or the `SPROUT_BUSY_POLL_US` environment
//! variable (read when a hub is created; `0` turns it off) changes the
//! limit.

pub(crate) mod driver;
mod registration;

pub use driver::RemoteWake;
pub use registration::Registration;

use std::time::{Duration, Instant};

use crate::hub::{Woke, WouldBlockForever, with_hub};

/// Sets how long this thread's hub may poll for I/O without sleeping
/// before it blocks (see [Busy polling](self#busy-polling));
/// `Duration::ZERO` turns busy polling off. Other threads' hubs keep
/// theirs.
///
/// ```
/// use std::time::Duration;
///
/// sprout_runtime::io::set_busy_poll(Duration::ZERO); // always sleep at once
/// assert_eq!(sprout_runtime::io::busy_poll(), Duration::ZERO);
/// ```
pub fn set_busy_poll(limit: Duration) {
    with_hub(|hub| hub.driver.set_busy_poll(limit));
}

/// How long this thread's hub may poll for I/O without sleeping (see
/// [Busy polling](self#busy-polling)); `Duration::ZERO` when off.
///
/// ```
/// use std::time::Duration;
///
/// sprout_runtime::io::set_busy_poll(Duration::from_micros(50));
/// assert_eq!(sprout_runtime::io::busy_poll(), Duration::from_micros(50));
/// ```
pub fn busy_poll() -> Duration {
    with_hub(|hub| hub.driver.busy_poll_limit())
}

/// Parks the current greenlet until the [`RemoteWake`] handed to `submit`
/// is woken (from any thread) or `deadline` passes. Blocks the current
/// greenlet; other greenlets run meanwhile.
///
/// While the `RemoteWake` exists the hub counts it as outstanding work, so
/// the wait is never reported as a deadlock.
///
/// # Errors
///
/// [`WouldBlockForever`] if the `RemoteWake` was dropped unused and nothing
/// else can wake the caller.
pub fn park_remote(
    what: &'static str,
    deadline: Option<Instant>,
    submit: impl FnOnce(RemoteWake),
) -> Result<Woke, WouldBlockForever> {
    with_hub(|hub| {
        hub.park(what, deadline, |token| {
            submit(hub.driver.remote_wake(token))
        })
    })
}
