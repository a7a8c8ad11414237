//! `getaddrinfo` on the thread pool.
//!
//! glibc's resolver reads files and talks to DNS servers through its own
//! internal calls, which no hook sees, so a lookup would block the hub.
//! Inside a greenlet the hook copies the query, runs libc's own
//! `getaddrinfo` on sprout's thread pool and parks the greenlet on an
//! eventfd the pool thread signals. A greenlet interrupted meanwhile gets
//! `EAI_SYSTEM` with `errno` `ECANCELED` (or `ETIMEDOUT`); the lookup
//! finishes on its pool thread and its result is freed there.

#![forbid(unsafe_code)]

use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{Arc, Mutex};

use libc::{addrinfo, c_int};
use mio::unix::SourceFd;
use sprout_runtime::io::Registration;

use crate::context::{self, Ctx};
use crate::sys::{self, AddrInfoList};

/// The part of `hints` that `getaddrinfo` reads (its pointers must be null).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hints {
    pub(crate) flags: c_int,
    pub(crate) family: c_int,
    pub(crate) socktype: c_int,
    pub(crate) protocol: c_int,
}

impl Hints {
    fn to_addrinfo(self) -> addrinfo {
        addrinfo {
            ai_flags: self.flags,
            ai_family: self.family,
            ai_socktype: self.socktype,
            ai_protocol: self.protocol,
            ai_addrlen: 0,
            ai_addr: std::ptr::null_mut(),
            ai_canonname: std::ptr::null_mut(),
            ai_next: std::ptr::null_mut(),
        }
    }
}

/// One `getaddrinfo` query, owned (it may outlive the hooked call).
#[derive(Debug)]
pub(crate) struct Query {
    pub(crate) node: Option<CString>,
    pub(crate) service: Option<CString>,
    pub(crate) hints: Option<Hints>,
}

impl Query {
    /// Runs libc's own `getaddrinfo` (blocking): code, list, `errno`.
    fn run(&self) -> (c_int, AddrInfoList, c_int) {
        let h = self.hints.map(Hints::to_addrinfo);
        sys::resolve(self.node.as_deref(), self.service.as_deref(), h.as_ref())
    }

    /// Runs it right here and sets `errno` as `getaddrinfo` would.
    fn run_inline(&self, ctx: &Ctx) -> (c_int, AddrInfoList) {
        let (rc, list, err) = self.run();
        finish(ctx, rc, err);
        (rc, list)
    }
}

/// A lookup in flight, shared with its pool thread.
struct Job {
    done: OwnedFd,
    result: Mutex<Option<(c_int, AddrInfoList, c_int)>>,
}

/// Resolves `node`/`service` off the hub. Returns `getaddrinfo`'s code and
/// list; sets `errno` for `EAI_SYSTEM`.
pub(crate) fn resolve(ctx: &Ctx, query: Query) -> (c_int, AddrInfoList) {
    let numeric = query
        .hints
        .is_some_and(|h| h.flags & libc::AI_NUMERICHOST != 0);
    let efd = if numeric { -1 } else { sys::eventfd() };
    if efd < 0 {
        // No resolver involved, or no eventfd: resolve right here.
        return query.run_inline(ctx);
    }
    let done = sys::owned_fd(efd as c_int);
    let Ok(reg) = Registration::new(&mut SourceFd(&done.as_raw_fd())) else {
        return query.run_inline(ctx);
    };
    let job = Arc::new(Job {
        done,
        result: Mutex::new(None),
    });
    let remote = Arc::clone(&job);
    context::count(&context::LOOKUPS);
    drop(sprout_runtime::thread_pool::default_pool().spawn(move || {
        let out = query.run();
        *remote.result.lock().unwrap_or_else(|e| e.into_inner()) = Some(out);
        sys::eventfd_signal(remote.done.as_raw_fd());
    }));
    let outcome = loop {
        if let Some(out) = job.result.lock().unwrap_or_else(|e| e.into_inner()).take() {
            break Ok(out);
        }
        reg.clear_readable();
        if let Err(e) = ctx.parked(|| reg.wait_readable_interruptible(None)) {
            break Err(crate::blocking::wait_errno(&e));
        }
    };
    reg.deregister(&mut SourceFd(&job.done.as_raw_fd()));
    match outcome {
        Ok((rc, list, err)) => {
            finish(ctx, rc, err);
            (rc, list)
        }
        Err(errno) => {
            sys::set_errno(errno);
            (libc::EAI_SYSTEM, AddrInfoList::empty())
        }
    }
}

/// Leaves `errno` as the lookup left it for `EAI_SYSTEM`, else as on entry.
fn finish(ctx: &Ctx, rc: c_int, err: c_int) {
    if rc == libc::EAI_SYSTEM {
        sys::set_errno(err);
    } else {
        ctx.restore_errno();
    }
}
