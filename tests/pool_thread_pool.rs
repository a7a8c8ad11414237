//! The thread pool: `spawn_blocking`, `ThreadPool::{spawn, apply, map}`,
//! panics as errors, bounded lazily started threads, killed waiters.

mod util;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use sprout::{ThreadPool, spawn, spawn_blocking};

#[test]
fn spawn_blocking_returns_the_value_from_main() {
    assert_eq!(spawn_blocking(|| 6 * 7).unwrap(), 42);
}

#[test]
fn other_greenlets_run_while_a_job_blocks_its_thread() {
    // The job blocks its OS thread until the ticker greenlet has ticked
    // three times: that can only happen if the hub keeps running.
    let (tx, rx) = mpsc::channel::<()>();
    let ticks = Rc::new(Cell::new(0));
    let t = Rc::clone(&ticks);
    let ticker = spawn(move || {
        for _ in 0..3 {
            sprout::sleep(Duration::from_millis(1));
            t.set(t.get() + 1);
        }
        tx.send(()).unwrap();
    });
    let got = spawn_blocking(move || rx.recv_timeout(Duration::from_secs(10)).is_ok()).unwrap();
    assert!(got, "the ticker never ran while the job blocked");
    assert_eq!(ticks.get(), 3);
    ticker.join().unwrap();
}

#[test]
fn a_panicking_job_comes_back_as_an_error_and_the_pool_survives() {
    let pool = ThreadPool::new(1);
    let err = pool.apply(|| -> u8 { panic!("job exploded") }).unwrap_err();
    assert!(err.is_panic());
    assert_eq!(err.panic_message(), Some("job exploded"));
    assert_eq!(pool.apply(|| 5).unwrap(), 5);
    assert_eq!(pool.threads(), 1);
    let err = spawn_blocking(|| -> u8 { panic!("default pool too") }).unwrap_err();
    assert!(err.is_panic());
}

#[test]
fn threads_start_lazily_and_stay_bounded() {
    let pool = ThreadPool::new(2);
    assert_eq!(pool.threads(), 0);
    assert_eq!(pool.max_threads(), 2);
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let results = pool.map(
        {
            let running = Arc::clone(&running);
            let peak = Arc::clone(&peak);
            move |i: u32| {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(5));
                running.fetch_sub(1, Ordering::SeqCst);
                i * 10
            }
        },
        0..8,
    );
    let values: Vec<u32> = results.into_iter().map(Result::unwrap).collect();
    assert_eq!(values, [0, 10, 20, 30, 40, 50, 60, 70]);
    assert!(
        peak.load(Ordering::SeqCst) <= 2,
        "more than 2 jobs ran at once"
    );
    assert!(pool.threads() <= 2);
}

#[test]
fn map_reports_each_panic_in_place() {
    let pool = ThreadPool::new(3);
    let results = pool.map(
        |x: i32| {
            assert!(x != 0, "zero");
            10 / x
        },
        [1, 0, 2],
    );
    assert_eq!(*results[0].as_ref().unwrap(), 10);
    assert!(results[1].as_ref().unwrap_err().is_panic());
    assert_eq!(*results[2].as_ref().unwrap(), 5);
}

#[test]
fn spawn_returns_a_handle_that_can_be_joined_later() {
    let pool = ThreadPool::new(2);
    let (tx, rx) = mpsc::channel::<u32>();
    let mut handle = pool.spawn(move || rx.recv().unwrap() + 1);
    assert!(!handle.is_finished());
    assert!(handle.join_timeout(Duration::from_millis(10)).is_none());
    tx.send(41).unwrap();
    assert_eq!(
        handle
            .join_timeout(Duration::from_secs(10))
            .unwrap()
            .unwrap(),
        42
    );
}

#[test]
fn a_greenlet_killed_while_waiting_does_not_crash_the_worker() {
    #[derive(Debug)]
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let pool = Rc::new(ThreadPool::new(1));
    let dropped = Arc::new(AtomicUsize::new(0));
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let p = Rc::clone(&pool);
    let d = Arc::clone(&dropped);
    let waiter = spawn(move || {
        p.apply(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            Counted(d)
        })
    });
    // Let the waiter submit its job and park, then kill it.
    let started =
        spawn_blocking(move || started_rx.recv_timeout(Duration::from_secs(10)).is_ok()).unwrap();
    assert!(started);
    waiter.kill();
    assert!(waiter.join().unwrap_err().is_killed());
    // The job finishes after its waiter is gone; its result is dropped on
    // the pool thread, and the pool keeps working.
    release_tx.send(()).unwrap();
    assert_eq!(pool.apply(|| 7).unwrap(), 7);
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
}

#[test]
fn many_greenlets_wait_on_the_pool_together() {
    let start = Instant::now();
    let handles: Vec<_> = (0..20u64)
        .map(|i| {
            spawn(move || {
                spawn_blocking(move || {
                    std::thread::sleep(Duration::from_millis(50));
                    i
                })
                .unwrap()
            })
        })
        .collect();
    let sum: u64 = sprout::joinall(handles)
        .into_iter()
        .map(Result::unwrap)
        .sum();
    assert_eq!(sum, (0..20).sum());
    // 20 jobs of 50 ms in parallel (the default pool has 32 threads), not
    // one after the other (1 s); a loose bound.
    util::assert_elapsed_between(start, Duration::from_millis(50), Duration::from_millis(900));
}

#[test]
fn a_pool_can_be_shared_between_hubs() {
    let pool = Arc::new(ThreadPool::new(2));
    let threads: Vec<_> = (0..2)
        .map(|i| {
            let pool = Arc::clone(&pool);
            std::thread::spawn(move || {
                spawn(move || pool.apply(move || i * 2).unwrap())
                    .join()
                    .unwrap()
            })
        })
        .collect();
    let got: Vec<i32> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(got, [0, 2]);
}

#[test]
fn dropping_an_idle_pool_joins_its_threads() {
    let pool = ThreadPool::new(2);
    pool.map(|x: i32| x, 0..4);
    let start = Instant::now();
    drop(pool);
    // Idle threads wake and exit at once, not after their idle timeout.
    assert!(start.elapsed() < Duration::from_secs(5));
}
