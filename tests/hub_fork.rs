//! A forked child must not run its parent's hub (they would share one epoll
//! set): it gets a clear panic instead. A fresh thread in the child gets a
//! fresh hub and works.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

fn fork_and_wait(child: impl FnOnce() -> i32) -> i32 {
    // SAFETY: the child only runs `child` and then `_exit`s; the tests of
    // this binary hold SERIAL, so no other test thread is mid-way through
    // anything the child could inherit half-done.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = child();
        // SAFETY: leave the child without running the parent's atexit
        // handlers or destructors.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waiting for our own child with a valid out pointer.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(
        libc::WIFEXITED(status),
        "child did not exit normally: {status}"
    );
    libc::WEXITSTATUS(status)
}

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn the_parents_hub_refuses_to_run_in_the_child() {
    let _one_at_a_time = SERIAL.lock().unwrap();
    sprout::spawn(|| ()).join().unwrap(); // this thread now has a hub
    let code = fork_and_wait(|| {
        let r = catch_unwind(AssertUnwindSafe(|| sprout::sleep(Duration::from_millis(1))));
        match r {
            Err(p) => {
                let msg = p.downcast_ref::<String>().cloned().unwrap_or_default();
                if msg.contains("used after fork()") {
                    0
                } else {
                    2
                }
            }
            Ok(()) => 1,
        }
    });
    assert_eq!(
        code, 0,
        "1: the child ran the parent's hub; 2: wrong panic message"
    );
    // The parent's hub is unaffected.
    sprout::sleep(Duration::from_millis(1));
}

#[test]
fn a_new_thread_in_the_child_gets_its_own_hub() {
    let _one_at_a_time = SERIAL.lock().unwrap();
    sprout::spawn(|| ()).join().unwrap();
    let code = fork_and_wait(|| {
        let t = std::thread::spawn(|| {
            sprout::spawn(|| sprout::sleep(Duration::from_millis(1)))
                .join()
                .is_ok()
        });
        if t.join().unwrap_or(false) { 0 } else { 1 }
    });
    assert_eq!(code, 0);
}

#[test]
fn a_socket_wait_cut_short_by_the_panic_leaves_no_trace() {
    use std::io::Read;

    use sprout::debug::GreenletState;

    let _one_at_a_time = SERIAL.lock().unwrap();
    // Made before the fork: in the child, registering a new socket would
    // touch the epoll set it shares with the parent.
    let (a, b) = sprout::net::UnixStream::pair().unwrap();
    a.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let code = fork_and_wait(move || {
        // The read parks the main greenlet, whose hub loop then panics in
        // its first turn: the wait is unwound, not returned from.
        let r = catch_unwind(AssertUnwindSafe(|| (&a).read(&mut [0u8; 8])));
        let panicked = match r {
            Err(p) => p
                .downcast_ref::<String>()
                .is_some_and(|m| m.contains("used after fork()")),
            Ok(_) => false,
        };
        let info = sprout::debug::run_info();
        let main = info
            .greenlets()
            .iter()
            .find(|g| g.name() == Some("main"))
            .cloned()
            .unwrap();
        let clean = main.state() == GreenletState::Running
            && main.waiting_on().is_empty()
            && main.deadline().is_none()
            && info.pending_timers() == 0;
        // Dropping them would deregister them from the shared epoll set.
        std::mem::forget((a, b));
        match (panicked, clean) {
            (true, true) => 0,
            (false, _) => 1,
            (true, false) => 2,
        }
    });
    assert_eq!(
        code, 0,
        "1: no fork panic; 2: the main greenlet still looks parked, or its timer is pending"
    );
}
