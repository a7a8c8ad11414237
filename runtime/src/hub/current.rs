//! The thread-local hub pointer: the only thread-local state of the hub, and
//! the only unsafe code it needs.

use std::cell::Cell;
use std::ptr;

use super::Hub;

thread_local! {
    /// The hub of this thread, or null before first use and after shutdown.
    ///
    /// # Invariant
    ///
    /// Non-null only between `init` and the end of `Owner::drop`; while
    /// non-null it points at a `Hub` allocated by `Box::into_raw` in `init`
    /// and freed only by `Owner::drop`, after this cell is reset to null.
    static HUB: Cell<*const Hub> = const { Cell::new(ptr::null()) };

    /// Tears the hub down when the thread exits.
    static OWNER: Owner = const { Owner };
}

struct Owner;

impl Drop for Owner {
    fn drop(&mut self) {
        let p = HUB.with(Cell::get);
        if p.is_null() {
            return;
        }
        // SAFETY: non-null, so by HUB's invariant it points at the live hub;
        // it is freed only below.
        let hub = unsafe { &*p };
        hub.shutdown();
        HUB.with(|c| c.set(ptr::null()));
        // SAFETY: `p` came from `Box::into_raw` in `init` and is freed once,
        // here; HUB no longer hands it out. Greenlets that could not be
        // unwound were forgotten by `shutdown` and are never resumed, so no
        // reference to the hub is used after this point.
        drop(unsafe { Box::from_raw(p.cast_mut()) });
    }
}

#[cold]
fn init() -> *const Hub {
    let hub = Box::new(Hub::new().unwrap_or_else(|e| panic!("sprout: cannot create the hub: {e}")));
    let p: *const Hub = Box::into_raw(hub);
    HUB.with(|c| c.set(p));
    // Registers the destructor that shuts the hub down at thread exit. During
    // thread teardown this can fail; the hub then lives until process exit.
    let _ = OWNER.try_with(|_| ());
    p
}

/// Runs `f` with this thread's hub, creating it on first use.
#[inline]
pub(crate) fn with_hub<R>(f: impl FnOnce(&Hub) -> R) -> R {
    let mut p = HUB.with(Cell::get);
    if p.is_null() {
        p = init();
    }
    // SAFETY: by HUB's invariant a non-null pointer is a live hub, which is
    // only freed by `Owner::drop` after HUB is reset, so it outlives `f`.
    f(unsafe { &*p })
}

/// Runs `f` with this thread's hub if it exists.
pub(crate) fn try_with_hub<R>(f: impl FnOnce(&Hub) -> R) -> Option<R> {
    let p = HUB.try_with(Cell::get).ok()?;
    if p.is_null() {
        return None;
    }
    // SAFETY: as in `with_hub`.
    Some(f(unsafe { &*p }))
}
