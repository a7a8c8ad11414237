//! `with_timeout`: expiry, nesting (the shorter one wins and neither is
//! lost), and the timeout contract of `join_timeout`/`wait_timeout`.

mod util;

use std::time::{Duration, Instant};

use sprout::{Elapsed, sleep, spawn, with_timeout, yield_now};
use util::{Log, assert_elapsed_between};

const MS: Duration = Duration::from_millis(1);

#[test]
fn expires_and_unwinds_the_block() {
    let log = Log::new();
    let start = Instant::now();
    let r = with_timeout(20 * MS, || {
        struct G(Log);
        impl Drop for G {
            fn drop(&mut self) {
                self.0.push("dropped");
            }
        }
        let _g = G(log.clone());
        sleep(Duration::from_secs(60));
        log.push("slept (must not happen)");
    });
    assert_eq!(r, Err(Elapsed::default()));
    assert_elapsed_between(start, 20 * MS, Duration::from_secs(10));
    assert_eq!(log.take(), ["dropped"]);
    assert_eq!(Elapsed::default().to_string(), "deadline has elapsed");
    let io: std::io::Error = Elapsed::default().into();
    assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
}

#[test]
fn value_returned_in_time() {
    assert_eq!(with_timeout(Duration::from_secs(10), || 5), Ok(5));
    // The cancelled timer does not fire later.
    sleep(30 * MS);
}

#[test]
fn nested_inner_shorter_wins_and_outer_goes_on() {
    let log = Log::new();
    let outer = with_timeout(Duration::from_secs(10), || {
        let inner = with_timeout(20 * MS, || sleep(Duration::from_secs(60)));
        log.push(format!("inner {:?}", inner.is_err()));
        sleep(5 * MS);
        log.push("outer body done");
        1
    });
    assert_eq!(outer, Ok(1));
    assert_eq!(log.take(), ["inner true", "outer body done"]);
}

#[test]
fn nested_outer_shorter_wins_and_is_not_lost() {
    let log = Log::new();
    let start = Instant::now();
    let outer = with_timeout(20 * MS, || {
        let inner = with_timeout(Duration::from_secs(10), || sleep(Duration::from_secs(60)));
        log.push(format!("after inner {inner:?} (must not happen)"));
    });
    assert!(outer.is_err());
    assert_elapsed_between(start, 20 * MS, Duration::from_secs(5));
    assert!(log.take().is_empty());
}

#[test]
fn equal_deadlines_deliver_the_outer_one() {
    let log = Log::new();
    let deadline = Instant::now() + 20 * MS;
    let outer = sprout::with_deadline(deadline, || {
        let inner = sprout::with_deadline(deadline, || sleep(Duration::from_secs(60)));
        log.push(format!("after inner {inner:?} (must not happen)"));
    });
    assert!(outer.is_err());
    assert!(log.take().is_empty());
}

#[test]
fn expiry_during_a_non_blocking_block_returns_the_value() {
    // The block never yields, so the timeout cannot interrupt it; its value
    // is returned and the stale expiry never surfaces later.
    let r = with_timeout(MS, || {
        let spin = Instant::now();
        while spin.elapsed() < 5 * MS {
            std::hint::spin_loop();
        }
        42
    });
    assert_eq!(r, Ok(42));
    yield_now();
    sleep(5 * MS);
}

#[test]
fn timeouts_inside_greenlets_are_independent() {
    let a = spawn(|| with_timeout(10 * MS, || sleep(Duration::from_secs(60))).is_err());
    let b = spawn(|| with_timeout(Duration::from_secs(10), || sleep(30 * MS)).is_ok());
    assert!(a.join().unwrap());
    assert!(b.join().unwrap());
}

#[test]
fn join_timeout_is_wait_style() {
    let mut h = spawn(|| {
        sleep(40 * MS);
        "done"
    });
    let start = Instant::now();
    assert!(h.join_timeout(10 * MS).is_none());
    assert!(start.elapsed() >= 10 * MS);
    assert!(!h.wait_timeout(MS));
    assert_eq!(
        h.join_timeout(Duration::from_secs(10)).unwrap().unwrap(),
        "done"
    );
}

#[test]
fn kill_wins_over_a_pending_timeout() {
    let h = spawn(|| with_timeout(MS, || sleep(Duration::from_secs(60))));
    yield_now();
    std::thread::sleep(5 * MS); // both the expiry and the kill are now due
    h.kill();
    assert!(h.join().unwrap_err().is_killed());
}
