//! Hooks run before `main` (here from an ELF constructor) and forward
//! without a hub: no allocation, no runtime, no crash.

mod util;

use std::sync::atomic::{AtomicBool, Ordering};

static RAN: AtomicBool = AtomicBool::new(false);

extern "C" fn before_main() {
    let ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 1000,
    };
    // SAFETY: an empty write of a valid buffer, a close of an invalid fd
    // (EBADF), and a 1 us sleep: no memory is touched beyond `ts`.
    let ok = unsafe { libc::write(2, c"".as_ptr().cast(), 0) } == 0;
    // SAFETY: as above.
    let closed = unsafe { libc::close(-1) } == -1;
    // SAFETY: as above.
    let slept = unsafe { libc::nanosleep(&ts, std::ptr::null_mut()) } == 0;
    RAN.store(ok && closed && slept, Ordering::SeqCst);
}

#[used]
#[unsafe(link_section = ".init_array")]
static BEFORE_MAIN: extern "C" fn() = before_main;

#[test]
fn hooks_ran_before_main() {
    assert!(RAN.load(Ordering::SeqCst));
    sprout_monkey::verify().unwrap();
}
