//! `park_interruptible` and the interruptible registration waits never
//! unwind: a kill or timeout comes back as an error and stays pending until
//! the next ordinary blocking call.

mod util;

use std::io;
use std::time::Duration;

use sprout::hub::{self, Interruption, ParkError};
use sprout::io::Registration;
use sprout::{spawn, with_timeout, yield_now};
use util::Log;

#[test]
fn kill_returns_interrupted_then_unwinds_at_the_next_blocking_call() {
    let log = Log::new();
    let l = log.clone();
    let h = spawn(move || {
        assert!(hub::in_greenlet());
        let r = hub::park_interruptible("test wait", None, |_token| {});
        l.push(format!("{r:?}"));
        l.push(format!("pending {:?}", hub::pending_interrupt()));
        yield_now(); // the kill unwinds here
        l.push("after yield (must not happen)");
    });
    yield_now();
    h.kill();
    assert!(h.join().unwrap_err().is_killed());
    assert_eq!(
        log.take(),
        ["Err(Interrupted(Killed))", "pending Some(Killed)"]
    );
    assert!(!hub::in_greenlet());
}

#[test]
fn timeout_returns_interrupted_inside_with_timeout() {
    let r = with_timeout(Duration::from_millis(10), || {
        let (mut a, _b) = mio::net::UnixStream::pair().unwrap();
        let reg = Registration::new(&mut a).unwrap();
        reg.clear_readable();
        let err = reg.wait_readable_interruptible(None).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Interrupted);
        let inner = err
            .get_ref()
            .and_then(|e| e.downcast_ref::<ParkError>())
            .copied();
        assert_eq!(inner, Some(ParkError::Interrupted(Interruption::TimedOut)));
        "returned normally"
    });
    // The block returned before the pending expiry was delivered, so it
    // keeps its value; the expiry is dropped with the block.
    assert_eq!(r, Ok("returned normally"));
}
