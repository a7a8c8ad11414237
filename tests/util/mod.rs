//! Shared helpers for the integration tests.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// An append-only log shared by greenlets of one test, to assert exact
/// interleavings.
#[derive(Clone, Default)]
pub(crate) struct Log(Rc<RefCell<Vec<String>>>);

impl Log {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn push(&self, s: impl Into<String>) {
        self.0.borrow_mut().push(s.into());
    }

    pub(crate) fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

/// Asserts `start.elapsed()` is at least `lo` and below `hi` (a loose bound).
pub(crate) fn assert_elapsed_between(start: Instant, lo: Duration, hi: Duration) {
    let e = start.elapsed();
    assert!(e >= lo, "elapsed {e:?} is shorter than {lo:?}");
    assert!(e < hi, "elapsed {e:?} is not below {hi:?}");
}

/// Runs `f` in a child process (this test binary re-executed with only
/// `test_name`), returning its exit status and stderr.
pub(crate) fn run_in_child(test_name: &str, env: &str) -> (std::process::ExitStatus, String) {
    let exe = std::env::current_exe().expect("test binary path");
    let out = std::process::Command::new(exe)
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(env, "1")
        .output()
        .expect("spawn child test process");
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
