//! Sleeping: timers never fire early; sleepers overlap; order by deadline.

mod util;

use std::time::{Duration, Instant};

use sprout::{sleep, sleep_until, spawn};
use util::{Log, assert_elapsed_between};

#[test]
fn timers_never_fire_early() {
    let handles: Vec<_> = (0..200u64)
        .map(|i| {
            spawn(move || {
                let d = Duration::from_micros((i * 7919) % 20_000);
                let start = Instant::now();
                sleep(d);
                let e = start.elapsed();
                assert!(e >= d, "slept {e:?}, asked for {d:?}");
            })
        })
        .collect();
    for r in sprout::joinall(handles) {
        r.unwrap();
    }
}

#[test]
fn ten_sleepers_overlap() {
    let start = Instant::now();
    let handles: Vec<_> = (0..10)
        .map(|_| spawn(|| sleep(Duration::from_millis(50))))
        .collect();
    sprout::joinall(handles);
    // Together, not one after another (10 x 50 ms = 500 ms).
    assert_elapsed_between(start, Duration::from_millis(50), Duration::from_millis(450));
}

#[test]
fn wake_order_follows_deadlines() {
    let log = Log::new();
    let base = Instant::now();
    let handles: Vec<_> = [30u64, 10, 20, 10]
        .into_iter()
        .enumerate()
        .map(|(i, ms)| {
            let log = log.clone();
            spawn(move || {
                sleep_until(base + Duration::from_millis(ms));
                log.push(format!("{i}:{ms}"));
            })
        })
        .collect();
    sprout::joinall(handles);
    assert_eq!(log.take(), ["1:10", "3:10", "2:20", "0:30"]);
}

#[test]
fn sleep_from_main_runs_the_hub() {
    let log = Log::new();
    let l = log.clone();
    let _h = spawn(move || l.push("greenlet ran"));
    let start = Instant::now();
    sleep(Duration::from_millis(10));
    assert!(start.elapsed() >= Duration::from_millis(10));
    assert_eq!(log.take(), ["greenlet ran"]);
}

#[test]
fn sleep_until_in_the_past_returns_at_once() {
    let start = Instant::now();
    sleep_until(start - Duration::from_millis(5));
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn cancelled_timers_do_not_linger() {
    let base = sprout::debug::run_info().pending_timers();
    // Waits with far deadlines that end early, timeouts that do not fire,
    // and delayed starts that are killed: none may leave a timer behind.
    let workers: Vec<_> = (0..1000)
        .map(|i| spawn(move || sprout::with_timeout(Duration::from_secs(3600), move || i).unwrap()))
        .collect();
    let watcher = spawn(move || {
        for w in &workers {
            assert!(w.wait_timeout(Duration::from_secs(3600)));
        }
        workers.into_iter().map(|w| w.join().unwrap()).sum::<i32>()
    });
    let delayed: Vec<_> = (0..1000)
        .map(|_| sprout::spawn_later(Duration::from_secs(3600), || ()))
        .collect();
    assert_eq!(watcher.join().unwrap(), 999 * 1000 / 2);
    sprout::killall(&delayed);
    assert_eq!(sprout::debug::run_info().pending_timers(), base);
}
