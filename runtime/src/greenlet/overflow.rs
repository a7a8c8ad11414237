//! Stack-overflow reporting.
//!
//! A `SIGSEGV`/`SIGBUS` handler running on the alternate signal stack checks
//! whether the faulting address lies in the guard page of the greenlet
//! running on this thread. If so it prints which greenlet overflowed and how
//! big its stack was, then aborts; any other fault goes to the handler that
//! was installed before ours (Rust's own, or the default action).

use std::cell::Cell;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::{Once, OnceLock};

use super::stack::{HEADER_NAME_LEN, StackHeader};

thread_local! {
    /// Top address of the stack of the greenlet now running on this thread,
    /// or 0 while the thread runs on its own stack.
    ///
    /// # Invariant
    ///
    /// Non-zero only while the hub has resumed a greenlet whose `GreenStack`
    /// ends at this address; that stack (and its `StackHeader` just below the
    /// address) stays mapped until the greenlet finishes, after which the hub
    /// resets this to 0 before the stack can be unmapped.
    static RUNNING_TOP: Cell<usize> = const { Cell::new(0) };
}

/// Marks the stack ending at `top` as the one now running (0 for none).
#[inline]
pub(crate) fn set_running(top: usize) {
    RUNNING_TOP.with(|c| c.set(top));
}

static INSTALL: Once = Once::new();

/// `sigaction` of SIGSEGV and SIGBUS before ours, indexed 0 and 1; set
/// once, before our handler is installed.
static PREVIOUS: OnceLock<[libc::sigaction; 2]> = OnceLock::new();

/// Installs the handler once per process and makes sure this thread has an
/// alternate signal stack to run it on.
pub(crate) fn install() {
    INSTALL.call_once(|| {
        let signals = [libc::SIGSEGV, libc::SIGBUS];
        let mut previous = [MaybeUninit::<libc::sigaction>::zeroed(); 2];
        for (sig, prev) in signals.iter().zip(previous.iter_mut()) {
            // SAFETY: query only (no new action), valid out pointer.
            unsafe { libc::sigaction(*sig, ptr::null(), prev.as_mut_ptr()) };
        }
        // SAFETY: zeroed is a valid sigaction and the kernel filled them in.
        let previous = previous.map(|p| unsafe { p.assume_init() });
        if PREVIOUS.set(previous).is_err() {
            return;
        }
        for sig in signals {
            let mut action = MaybeUninit::<libc::sigaction>::zeroed();
            // SAFETY: zeroed sigaction is a valid starting value; we fill the
            // fields the kernel reads.
            let a = unsafe { action.assume_init_mut() };
            a.sa_sigaction = handler as *const () as usize;
            a.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            // SAFETY: valid signal number and pointer to an initialised sigaction.
            unsafe { libc::sigaction(sig, action.as_ptr(), ptr::null_mut()) };
        }
    });
    ensure_altstack();
}

thread_local! {
    static ALTSTACK_CHECKED: Cell<bool> = const { Cell::new(false) };
}

/// Size of an alternate signal stack we allocate when the thread has none.
const ALTSTACK_SIZE: usize = 64 * 1024;

fn ensure_altstack() {
    if ALTSTACK_CHECKED.with(|c| c.replace(true)) {
        return;
    }
    let mut current = MaybeUninit::<libc::stack_t>::zeroed();
    // SAFETY: querying only (new stack null), with a valid out pointer.
    let rc = unsafe { libc::sigaltstack(ptr::null(), current.as_mut_ptr()) };
    // SAFETY: sigaltstack filled it in (or it is still zeroed on failure).
    let current = unsafe { current.assume_init() };
    if rc == 0 && current.ss_flags & libc::SS_DISABLE == 0 {
        return; // std (or someone) already gave this thread one.
    }
    // SAFETY: anonymous private mapping; leaked on purpose, it must outlive
    // every signal this thread may take.
    let mem = unsafe {
        libc::mmap(
            ptr::null_mut(),
            ALTSTACK_SIZE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if mem == libc::MAP_FAILED {
        return;
    }
    let stack = libc::stack_t {
        ss_sp: mem,
        ss_flags: 0,
        ss_size: ALTSTACK_SIZE,
    };
    // SAFETY: `stack` describes the live mapping above.
    unsafe { libc::sigaltstack(&stack, ptr::null_mut()) };
}

/// Formats `n` in decimal into `buf`, returning the used tail.
fn fmt_u64(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

fn write_stderr(bytes: &[u8]) {
    // SAFETY: write(2) is async-signal-safe; the buffer is valid for its length.
    unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let siginfo = unsafe { &*info };
    // SAFETY: SIGSEGV and SIGBUS fill in si_addr.
    let addr = unsafe { siginfo.si_addr() } as usize;
    let top = RUNNING_TOP.with(Cell::get);
    if top != 0 {
        let header =
            (top - std::mem::size_of::<StackHeader>().next_multiple_of(64)) as *const StackHeader;
        // SAFETY: by RUNNING_TOP's invariant the running greenlet's stack is
        // mapped and its header was written before it was resumed.
        let h = unsafe { &*header };
        if addr >= h.guard_lo && addr < h.guard_hi {
            let mut num = [0u8; 20];
            write_stderr(b"\nsprout: greenlet '");
            let n = h.name_len.min(HEADER_NAME_LEN);
            if n == 0 {
                write_stderr(b"<unnamed>");
            } else {
                write_stderr(&h.name[..n]);
            }
            write_stderr(b"' (id ");
            write_stderr(fmt_u64(h.id, &mut num));
            write_stderr(b") overflowed its stack of ");
            write_stderr(fmt_u64(h.usable as u64, &mut num));
            write_stderr(
                b" bytes; give it a larger one with Builder::stack_size or the \
                  SPROUT_STACK_SIZE environment variable\n",
            );
            // SAFETY: abort is async-signal-safe and never returns.
            unsafe { libc::abort() };
        }
    }
    let idx = usize::from(sig != libc::SIGSEGV);
    let Some(previous) = PREVIOUS.get() else {
        // SAFETY: abort is async-signal-safe; unreachable in practice since
        // PREVIOUS is set before the handler is installed.
        unsafe { libc::abort() }
    };
    let prev = &previous[idx];
    let action = prev.sa_sigaction;
    if action == libc::SIG_DFL || action == libc::SIG_IGN {
        // Restore the previous disposition and return: the faulting
        // instruction runs again and takes the default action.
        // SAFETY: valid signal number and a valid sigaction.
        unsafe { libc::sigaction(sig, prev, ptr::null_mut()) };
    } else if prev.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: the previous handler was installed with SA_SIGINFO, so it
        // has this signature and expects these arguments.
        let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { std::mem::transmute(action) };
        f(sig, info, ctx);
    } else {
        // SAFETY: a plain handler takes only the signal number.
        let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(action) };
        f(sig);
    }
}
