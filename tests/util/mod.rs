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
    run_in_child_with(test_name, env, &[])
}

/// Like [`run_in_child`], with extra environment variables for the child.
pub(crate) fn run_in_child_with(
    test_name: &str,
    env: &str,
    extra: &[(&str, &str)],
) -> (std::process::ExitStatus, String) {
    let exe = std::env::current_exe().expect("test binary path");
    let out = std::process::Command::new(exe)
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(env, "1")
        .envs(extra.iter().copied())
        .output()
        .expect("spawn child test process");
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

// ===== net helpers =====

/// `127.0.0.1:0`: loopback, a port picked by the OS.
pub(crate) fn any_local_address() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().expect("a valid address")
}

/// Asserts that `res` failed with `io::ErrorKind::TimedOut`.
pub(crate) fn assert_timed_out<T: std::fmt::Debug>(res: std::io::Result<T>) {
    match res {
        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
        other => panic!("expected a TimedOut error, got {other:?}"),
    }
}

/// The uppercase echo handler: replies to every read with the same bytes
/// upper-cased, until end of file or an error.
pub(crate) fn upper_echo(mut conn: sprout::net::TcpStream, _peer: std::net::SocketAddr) {
    use std::io::{Read, Write};
    let mut buf = [0u8; 4096];
    loop {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                buf[..n].make_ascii_uppercase();
                if conn.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
}

/// An uppercase echo `StreamServer` on `127.0.0.1:0`, started.
pub(crate) fn start_upper_echo() -> sprout::net::StreamServer {
    let server =
        sprout::net::StreamServer::bind(any_local_address(), upper_echo).expect("bind 127.0.0.1:0");
    server.start().expect("start the server");
    server
}

impl Log {
    /// Entries logged so far.
    pub(crate) fn len(&self) -> usize {
        self.0.borrow().len()
    }
}
