//! Monkey patching for sprout: unmodified blocking code, std's and C
//! libraries', becomes cooperative inside greenlets.
//!
//! gevent's `monkey.patch_all()` for Rust, done the way libco does it in
//! C++: this crate defines C functions named like libc's (`recv`,
//! `connect`, `accept4`, `poll`, `clock_nanosleep`, `getaddrinfo`, ...).
//! In an executable that links it, those definitions replace libc's for
//! `std` and for every C library in the process. Inside a greenlet, a call
//! that would block parks the greenlet and lets the hub run the others;
//! outside greenlets every hook forwards straight to the kernel, so such
//! code behaves exactly as without this crate.
//!
//! Enable it with the `monkey` feature of `sprout` (which names this crate
//! so the linker keeps it), then check once that it is in effect:
//!
//! ```
//! use std::io::{Read, Write};
//! use std::net::{TcpListener, TcpStream};
//!
//! sprout_monkey::verify().expect("monkey patching in effect");
//!
//! // Plain std::net, blocking style; server and client share one thread.
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let addr = listener.local_addr()?;
//! let server = sprout_runtime::spawn(move || -> std::io::Result<()> {
//!     let (mut conn, _) = listener.accept()?;
//!     let mut buf = [0; 5];
//!     conn.read_exact(&mut buf)?;
//!     conn.write_all(&buf.to_ascii_uppercase())
//! });
//! let client = sprout_runtime::spawn(move || -> std::io::Result<[u8; 5]> {
//!     let mut conn = TcpStream::connect(addr)?;
//!     conn.write_all(b"hello")?;
//!     let mut buf = [0; 5];
//!     conn.read_exact(&mut buf)?;
//!     Ok(buf)
//! });
//! assert_eq!(&client.join().unwrap()?, b"HELLO");
//! server.join().unwrap()?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # What is patched
//!
//! - Sockets: `socket`, `socketpair`, `accept`, `accept4`, `connect`,
//!   `read`, `write`, `readv`, `writev`, `recv`, `send`, `recvfrom`,
//!   `sendto`, `recvmsg`, `sendmsg`; `close`, `dup`, `dup2`, `dup3`,
//!   `fcntl`, `ioctl(FIONBIO)` and `setsockopt` keep the fd table right.
//! - Waiting: `poll` and `ppoll` with any number and kind of fds
//!   (`TcpStream::connect_timeout`, `Command::output`).
//! - Sleeping: `nanosleep`, `clock_nanosleep` (relative and absolute;
//!   `std::thread::sleep`), `usleep`, `sleep`.
//! - Name lookup: `getaddrinfo` runs on sprout's thread pool.
//!
//! A socket created inside a greenlet, or first used there (a listener
//! bound in `main`), is made non-blocking in the kernel and *managed*: the
//! hooks keep the mode the user set (`set_nonblocking`, `fcntl`) apart from
//! the kernel's and show it through `fcntl(F_GETFL)`. On a managed socket:
//!
//! - in a greenlet, a call the kernel answers with `EAGAIN` parks until the
//!   hub sees the fd ready, then tries again;
//! - outside greenlets (the thread's own stack, other OS threads) the hook
//!   waits in a real `poll`, so the socket still blocks there;
//! - a socket the user made non-blocking returns `EAGAIN` at once, and a
//!   call with `MSG_DONTWAIT` never waits;
//! - `SO_RCVTIMEO`/`SO_SNDTIMEO` (`set_read_timeout`) are honoured as wait
//!   deadlines and fail with `EAGAIN` (`WouldBlock`), as the kernel does;
//! - `errno` is left as it was when a call succeeds after waiting.
//!
//! A greenlet killed, or whose `with_timeout` expires, while parked in a
//! hook is not unwound there (unwinding through C frames is undefined
//! behaviour and would leak whatever they hold): the call fails with
//! `ECANCELED` (killed) or `ETIMEDOUT` (timed out), the caller sees an
//! `io::Error`, and the greenlet unwinds at its next sprout blocking call,
//! in Rust code. Code that retries every error in a loop without ever
//! making a sprout call is not interrupted.
//!
//! # What is not patched, and why
//!
//! - **glibc's internals.** glibc calls itself through hidden aliases no
//!   hook sees: the resolver's own sockets, `system`, `popen`, stdio
//!   buffers. That is why `getaddrinfo` as a whole moves to the thread
//!   pool.
//! - **Raw system calls.** Crates that enter the kernel without libc
//!   (`rustix`'s default backend, anything using `libc::syscall`) block as
//!   before, and an fd they close behind the hooks' back can leave a stale
//!   table entry for its number.
//! - **Regular files, stdin, pipes and terminals** are never made
//!   non-blocking: files are always "ready" to epoll, and the other three
//!   are usually shared with other processes, which would see the mode
//!   change. Their reads and writes block the thread (use
//!   [`spawn_blocking`](sprout_runtime::spawn_blocking)); `poll` on them is
//!   cooperative.
//! - **`waitpid` and friends, futexes (`std::sync::Mutex`, `Condvar`,
//!   channels, `JoinHandle::join` of OS threads), `syscall`,
//!   `select`/`epoll_wait` of other event loops** still block the OS
//!   thread. So do `splice` and `sendfile`, except that on a socket sprout
//!   manages (non-blocking in the kernel) they return `EAGAIN` where a
//!   blocking socket would wait (`std::io::copy` does not use them there).
//! - **`cdylib`s and statically linked glibc programs.** Interposition
//!   needs the executable to define the symbols; [`verify`] says when it
//!   does not. `getaddrinfo` forwards through `dlsym(RTLD_NEXT)`, which a
//!   static glibc lacks (lookups then fail with `EAI_SYSTEM`).
//!
//! # Notes
//!
//! - `fcntl` and `ioctl` are variadic in C; the hooks rely on the x86-64
//!   and AArch64 Linux calling conventions passing the optional argument
//!   like a fixed one.
//! - A greenlet on another OS thread using a managed fd registers it with
//!   its own hub; closing the fd removes the registration of the closing
//!   thread and makes the others stale.
//! - fds numbered 2^20 and above are not managed (they block as before).
//! - A write may return a short count on a managed socket, as on any
//!   non-blocking one; std's `write_all` and C libraries loop over that.
//! - Hooks run before `main`, at exit and in signal handlers: outside a
//!   greenlet, and whenever re-entered, they forward at once, allocate
//!   nothing and lock nothing. The fd hooks still keep the fd table right
//!   there (atomic loads and stores), and `close` of a socket that this
//!   thread's greenlets waited on removes it from the thread's hub.

#![warn(missing_docs, clippy::print_stdout, clippy::print_stderr)]
// Unsafe code lives in `hooks` (the C symbols) and `sys` (raw system calls)
// only; every other module forbids it.
#![doc(test(attr(deny(warnings))))]

#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
compile_error!("sprout-monkey supports Linux on x86-64 and AArch64 only");

mod blocking;
mod context;
mod fd_table;
mod hooks;
mod lookup;
mod registry;
mod sys;
mod verify;

pub use verify::{VerifyError, verify};

/// Counters of the hooks' cooperative work, process-wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Hooked calls that parked their greenlet (waited for I/O or slept).
    pub waits: u64,
    /// `getaddrinfo` calls that ran on the thread pool.
    pub lookups: u64,
}

/// The counters so far. Never blocks.
pub fn stats() -> Stats {
    use std::sync::atomic::Ordering::Relaxed;
    Stats {
        waits: context::WAITS.load(Relaxed),
        lookups: context::LOOKUPS.load(Relaxed),
    }
}
