//! Diagnostics: what every greenlet is doing, who blocks the hub, and
//! panics nobody looked at.
//!
//! - [`run_info`] takes a snapshot of every greenlet of this thread's hub
//!   (id, name, spawn location, state, what it waits on) and the hub's
//!   counters; it implements `Display`.
//! - [`set_max_blocking`] (or the `SPROUT_MAX_BLOCKING_MS` environment
//!   variable) starts a watchdog thread that reports, through the `log`
//!   facade and [`blocking_reports`], any greenlet that holds the hub longer
//!   than the threshold without yielding, once per incident.
//! - [`stack_capacity`] tells how many greenlet stacks the kernel's
//!   memory-mapping limit leaves room for; each hub checks it when it makes
//!   its first stacks (its first spawn) and logs a warning with the numbers and the `sysctl` to raise it when
//!   the room is small.
//! - [`set_strict_panics`] (or `SPROUT_STRICT_PANICS=1`) makes a panic in a
//!   greenlet that nobody joins fail the program: the main greenlet's next
//!   blocking call panics with it (in a test, the test fails).
//!
//! ```
//! let h = sprout_runtime::Builder::new()
//!     .name("napper".into())
//!     .spawn(|| sprout_runtime::sleep(std::time::Duration::from_millis(5)))?;
//! sprout_runtime::yield_now();
//! let info = sprout_runtime::debug::run_info();
//! let napper = info.greenlets().iter().find(|g| g.name() == Some("napper")).unwrap();
//! assert_eq!(napper.state(), sprout_runtime::debug::GreenletState::Sleeping);
//! println!("{info}");
//! h.join().unwrap();
//! # Ok::<(), std::io::Error>(())
//! ```

mod capacity;
mod monitor;
mod run_info;
mod strict;

pub(crate) use capacity::check_first_stacks;
pub use capacity::{StackCapacity, stack_capacity};

pub(crate) use monitor::Monitor;
pub use monitor::{BlockingReport, blocking_reports, set_max_blocking};
pub use run_info::{GreenletInfo, GreenletState, RunInfo, run_info};
pub(crate) use strict::Strict;
pub use strict::{check_panics, set_strict_panics};
