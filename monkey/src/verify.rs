//! [`verify`]: proof that the hooks are in effect in this program.

#![forbid(unsafe_code)]

use std::fmt;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;

use crate::{hooks, stats, sys};

/// Why [`verify`] failed.
#[derive(Debug)]
pub enum VerifyError {
    /// A libc function name resolves to libc's own function, not the hook:
    /// the program is not an executable (a `cdylib`, say), or another
    /// library interposes the same symbol first.
    NotInterposed(&'static str),
    /// The hooks are linked but a blocking read inside a greenlet did not
    /// park it.
    NotCooperative(String),
    /// The check itself could not run (creating a socket pair failed).
    Io(std::io::Error),
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::NotInterposed(name) => write!(
                f,
                "sprout monkey patching is not in effect: libc's `{name}` is not replaced by \
                 sprout's hook (hooks work only in an executable that links sprout-monkey, \
                 through the `monkey` feature of `sprout`)"
            ),
            VerifyError::NotCooperative(why) => {
                write!(f, "sprout monkey patching is not in effect: {why}")
            }
            VerifyError::Io(e) => write!(f, "sprout monkey patching could not be checked: {e}"),
        }
    }
}

impl std::error::Error for VerifyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            VerifyError::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// Checks that the hooks are in effect: that every hooked libc name
/// resolves to sprout's hook, and that a plain blocking `read` on a
/// `std::os::unix::net::UnixStream` inside a greenlet parks that greenlet
/// (while another greenlet writes) instead of blocking the thread.
///
/// Call it once at start-up (tests and `main` of programs relying on the
/// `monkey` feature) to fail loudly rather than block a hub silently.
/// Blocks the current greenlet for the check; other greenlets run
/// meanwhile.
///
/// ```
/// sprout_monkey::verify().expect("hooks in effect");
/// ```
///
/// # Errors
///
/// [`VerifyError`] saying what is missing.
pub fn verify() -> Result<(), VerifyError> {
    for (name, hook, resolved) in hooks::table() {
        if hook != resolved {
            return Err(VerifyError::NotInterposed(name));
        }
    }
    sprout_runtime::spawn(check_cooperative)
        .join()
        .unwrap_or_else(|e| {
            Err(VerifyError::NotCooperative(format!(
                "the check panicked: {e}"
            )))
        })
}

/// Inside a greenlet: a socket pair made here is non-blocking in the kernel
/// (the `socketpair` hook ran), and a read on it parks until a second
/// greenlet writes.
fn check_cooperative() -> Result<(), VerifyError> {
    let (a, b) = UnixStream::pair().map_err(VerifyError::Io)?;
    let kernel_flags = sys::fcntl_int(a.as_raw_fd(), libc::F_GETFL, 0);
    if kernel_flags < 0 || kernel_flags & libc::O_NONBLOCK as sys::Ret == 0 {
        return Err(VerifyError::NotCooperative(
            "a socket made inside a greenlet was not made non-blocking by the socketpair hook"
                .to_owned(),
        ));
    }
    let waits = stats().waits;
    let reader = sprout_runtime::spawn(move || {
        let mut byte = [0u8];
        (&a).read_exact(&mut byte).map(|()| byte[0])
    });
    let writer = sprout_runtime::spawn(move || (&b).write_all(&[42]));
    let read = reader.join();
    let written = writer.join();
    match (read, written) {
        (Ok(Ok(42)), Ok(Ok(()))) if stats().waits > waits => Ok(()),
        (Ok(Ok(42)), Ok(Ok(()))) => Err(VerifyError::NotCooperative(
            "a blocking read inside a greenlet did not park it".to_owned(),
        )),
        other => Err(VerifyError::NotCooperative(format!(
            "a blocking read inside a greenlet failed: {other:?}"
        ))),
    }
}
