//! A thread's hub at exit: a greenlet stuck for good in a destructor it
//! entered while unwinding is leaked, never unwound again (which would
//! abort the process) and never holds the thread.
//!
//! Its own binary: the leak is on purpose, and CI runs `greenlet_kill`
//! under valgrind with definite leaks as errors.

use std::time::Duration;

use sprout::{spawn, yield_now};

#[test]
fn a_destructor_blocked_forever_at_thread_exit_is_leaked_not_aborted() {
    // The thread's hub kills its greenlets in rounds; one parked for good
    // in a destructor (unwinding from the first round) must neither be
    // unwound again (an abort) nor hold the thread: it is leaked.
    let (tx, rx) = std::sync::mpsc::channel::<&'static str>();
    std::thread::spawn(move || {
        struct Stuck(std::sync::mpsc::Sender<&'static str>);
        impl Drop for Stuck {
            fn drop(&mut self) {
                let _ = self.0.send("destructor entered");
                let never = sprout::sync::Event::new();
                never.wait();
                let _ = self.0.send("destructor returned");
            }
        }
        let stuck = Stuck(tx);
        let _h = spawn(move || {
            let _s = stuck;
            sprout::sleep(Duration::from_secs(3600));
        });
        yield_now();
    })
    .join()
    .expect("the thread ends normally");
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)),
        Ok("destructor entered")
    );
    assert!(rx.try_recv().is_err());
}
