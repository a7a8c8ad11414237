//! Sleeping calls park only the calling greenlet.

mod util;

use std::time::{Duration, Instant};

use util::{errno, set_errno};

#[test]
fn a_thousand_std_sleeps_overlap() {
    sprout_monkey::verify().expect("hooks in effect");
    let start = Instant::now();
    let sleepers: Vec<_> = (0..1000)
        .map(|_| sprout_runtime::spawn(|| std::thread::sleep(Duration::from_millis(100))))
        .collect();
    for s in sleepers {
        s.join().unwrap();
    }
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(100), "{took:?}");
    assert!(
        took < Duration::from_millis(900),
        "1000 x 100 ms took {took:?}"
    );
}

#[test]
fn libc_sleeps_are_cooperative() {
    let start = Instant::now();
    let sleepers = vec![
        sprout_runtime::spawn(|| {
            // SAFETY: usleep has no memory preconditions.
            assert_eq!(unsafe { libc::usleep(200_000) }, 0);
        }),
        sprout_runtime::spawn(|| {
            let ts = libc::timespec {
                tv_sec: 0,
                tv_nsec: 200_000_000,
            };
            // SAFETY: `ts` is a valid timespec; no remainder asked for.
            assert_eq!(unsafe { libc::nanosleep(&ts, std::ptr::null_mut()) }, 0);
        }),
        sprout_runtime::spawn(|| {
            // An absolute deadline 200 ms ahead on the monotonic clock.
            let mut now = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: `now` is writable.
            unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
            let mut until = now;
            until.tv_nsec += 200_000_000;
            if until.tv_nsec >= 1_000_000_000 {
                until.tv_nsec -= 1_000_000_000;
                until.tv_sec += 1;
            }
            // SAFETY: `until` is a valid timespec.
            let r = unsafe {
                libc::clock_nanosleep(
                    libc::CLOCK_MONOTONIC,
                    libc::TIMER_ABSTIME,
                    &until,
                    std::ptr::null_mut(),
                )
            };
            assert_eq!(r, 0);
            let mut after = now;
            // SAFETY: `after` is writable.
            unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut after) };
            assert!((after.tv_sec, after.tv_nsec) >= (until.tv_sec, until.tv_nsec));
        }),
    ];
    let waits = sprout_monkey::stats().waits;
    for s in sleepers {
        s.join().unwrap();
    }
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(200), "{took:?}");
    // Serially they take 600 ms.
    assert!(
        took < Duration::from_millis(500),
        "three 200 ms sleeps took {took:?}"
    );
    assert!(sprout_monkey::stats().waits >= waits + 3);
}

#[test]
fn errno_survives_a_sleep() {
    sprout_runtime::spawn(|| {
        set_errno(libc::ENOTTY);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(errno(), libc::ENOTTY);
    })
    .join()
    .unwrap();
}

/// std's `thread::sleep` insists that a failed `clock_nanosleep` means
/// `EINTR`; the hook's `ECANCELED` therefore ends a killed greenlet's std
/// sleep with a panic in std's frame (Rust code, never the hook's), so it
/// still dies promptly and never blocks the hub.
#[test]
fn kill_ends_a_std_sleep() {
    let start = Instant::now();
    let sleeper = sprout_runtime::spawn(|| std::thread::sleep(Duration::from_secs(5)));
    sprout_runtime::sleep(Duration::from_millis(10));
    sleeper.kill();
    assert!(sleeper.join().is_err());
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}
