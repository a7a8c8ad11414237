//! The io driver's public face: what `sprout::net` builds sockets on.
//!
//! [`Registration`] registers a `mio` source once with the current thread's
//! hub and provides the `read_with`/`write_with` retry loop. [`RemoteWake`]
//! lets another OS thread (the thread pool) wake a waiting greenlet.

pub(crate) mod driver;
mod registration;

pub use driver::RemoteWake;
pub use registration::Registration;

use std::time::Instant;

use crate::hub::{Woke, WouldBlockForever, with_hub};

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
