//! Helpers shared by the monkey tests (each test file is its own binary, so
//! each hook-level test runs with the hooks of that binary only).

#![allow(dead_code, reason = "each test binary uses a different subset")]

// Names the hook crate so the linker keeps it: an integration test that
// never calls into it would otherwise run without the hooks.
use sprout_monkey as _;

use std::io;
use std::net::{TcpListener, TcpStream};

/// This thread's errno.
pub(crate) fn errno() -> i32 {
    io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Sets this thread's errno.
pub(crate) fn set_errno(v: i32) {
    // SAFETY: `__errno_location` has no preconditions.
    let p = unsafe { libc::__errno_location() };
    // SAFETY: it points at this thread's errno.
    unsafe { *p = v };
}

/// Runs `f` in a greenlet and returns its result.
pub(crate) fn in_greenlet<T: 'static>(f: impl FnOnce() -> T + 'static) -> T {
    sprout_runtime::spawn(f).join().expect("greenlet finished")
}

/// A connected TCP pair (client, server) on 127.0.0.1.
pub(crate) fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    (client, server)
}

/// Open fds of this process.
pub(crate) fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}
