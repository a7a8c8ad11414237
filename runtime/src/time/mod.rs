//! Time: `sleep`, `sleep_until` and `with_timeout`.
//!
//! Timers live in one `BTreeMap` per hub ordered by `(deadline, sequence)`:
//! exact, O(log n) insert and cancel, FIFO among equal deadlines. A timer
//! never fires before its deadline, and an idle hub has no periodic tick.

mod error;
pub(crate) mod timer_queue;

pub use error::Elapsed;

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::time::{Duration, Instant};

use crate::hub::{TimeoutSignal, park, with_hub};

/// Blocks the current greenlet for at least `duration`; other greenlets run
/// meanwhile. `sleep(Duration::ZERO)` is [`yield_now`](crate::yield_now).
///
/// ```
/// use std::time::{Duration, Instant};
/// let start = Instant::now();
/// let sleepers: Vec<_> = (0..10)
///     .map(|_| sprout_runtime::spawn(|| sprout_runtime::sleep(Duration::from_millis(20))))
///     .collect();
/// sprout_runtime::joinall(sleepers);
/// assert!(start.elapsed() >= Duration::from_millis(20));
/// ```
pub fn sleep(duration: Duration) {
    if duration.is_zero() {
        crate::yield_now();
        return;
    }
    sleep_until(Instant::now() + duration);
}

/// Blocks the current greenlet until `deadline` (at least); other greenlets
/// run meanwhile.
pub fn sleep_until(deadline: Instant) {
    while Instant::now() < deadline {
        // A pending timer always exists, so this can never deadlock.
        let _ = park("sleep", Some(deadline), |_| {});
    }
}

/// Runs `f`, and if it is still blocked when `timeout` has passed, unwinds
/// it from its suspension point and returns `Err(Elapsed)`.
///
/// The expiry is delivered at `f`'s next blocking call or yield (greenlets
/// are cooperative). Timeouts nest: when an enclosing timeout is shorter it
/// wins, and neither is lost. Destructors inside `f` run as it unwinds.
///
/// ```
/// use std::time::Duration;
/// use sprout_runtime::{sleep, with_timeout};
/// let r = with_timeout(Duration::from_millis(10), || sleep(Duration::from_secs(10)));
/// assert!(r.is_err());
/// assert_eq!(with_timeout(Duration::from_secs(10), || 5), Ok(5));
/// ```
///
/// # Notes
///
/// Works by unwinding, so it needs `panic = "unwind"` (the default). A
/// `catch_unwind` inside `f` must re-raise payloads it does not recognise.
pub fn with_timeout<R>(timeout: Duration, f: impl FnOnce() -> R) -> Result<R, Elapsed> {
    with_deadline(Instant::now() + timeout, f)
}

/// Like [`with_timeout`] with an absolute deadline.
pub fn with_deadline<R>(deadline: Instant, f: impl FnOnce() -> R) -> Result<R, Elapsed> {
    let handle = with_hub(|hub| hub.timeout_start(deadline));
    let result = catch_unwind(AssertUnwindSafe(f));
    with_hub(|hub| hub.timeout_end(&handle));
    match result {
        Ok(v) => Ok(v),
        Err(payload) => match payload.downcast_ref::<TimeoutSignal>() {
            Some(sig) if sig.tid == handle.tid => Err(Elapsed::new()),
            _ => resume_unwind(payload),
        },
    }
}
