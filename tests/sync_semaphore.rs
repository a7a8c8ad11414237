//! Semaphore, BoundedSemaphore, Lock, RLock, Mutex, Condition: FIFO
//! fairness, the timeout contract, nothing lost on kill.

mod util;

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use sprout::sync::{BoundedSemaphore, Condition, Lock, Mutex, RLock, ReleaseError, Semaphore};
use sprout::{spawn, yield_now};
use util::{Log, assert_elapsed_between};

#[test]
fn semaphore_waiters_are_served_fifo() {
    let sem = Rc::new(Semaphore::new(0));
    let log = Log::new();
    let handles: Vec<_> = (0..5)
        .map(|i| {
            let (sem, log) = (sem.clone(), log.clone());
            spawn(move || {
                sem.acquire();
                log.push(format!("got{i}"));
            })
        })
        .collect();
    yield_now();
    assert_eq!(sem.waiters(), 5);
    for _ in 0..5 {
        sem.release();
    }
    // A late arrival cannot overtake: every permit was handed to a waiter.
    assert!(!sem.try_acquire());
    sprout::joinall(handles);
    assert_eq!(log.take(), ["got0", "got1", "got2", "got3", "got4"]);
}

#[test]
fn lock_waiters_are_served_fifo_even_against_a_spinning_try() {
    let lock = Rc::new(Lock::new());
    let log = Log::new();
    lock.acquire();
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let (lock, log) = (lock.clone(), log.clone());
            spawn(move || {
                lock.acquire();
                log.push(format!("L{i}"));
                yield_now();
                lock.release().unwrap();
            })
        })
        .collect();
    let spinner = {
        let (lock, log) = (lock.clone(), log.clone());
        spawn(move || {
            // A try_ loop that yields lets the others run, and never
            // overtakes a queued waiter.
            while !lock.try_acquire() {
                yield_now();
            }
            log.push("spinner");
            lock.release().unwrap();
        })
    };
    yield_now();
    lock.release().unwrap();
    sprout::joinall(handles);
    spinner.join().unwrap();
    assert_eq!(log.take(), ["L0", "L1", "L2", "L3", "spinner"]);
}

#[test]
fn uncontended_acquire_never_switches() {
    let log = Log::new();
    let l = log.clone();
    let h = spawn(move || l.push("other"));
    let sem = Semaphore::new(1);
    sem.acquire();
    let lock = Lock::new();
    assert!(lock.acquire_timeout(Duration::ZERO));
    let m = Mutex::new(1);
    drop(m.lock());
    let r = RLock::new();
    r.acquire();
    r.acquire();
    log.push("main");
    h.join().unwrap();
    assert_eq!(log.take(), ["main", "other"]);
}

#[test]
fn acquire_timeout_contract() {
    let sem = Semaphore::new(0);
    let start = Instant::now();
    assert!(!sem.acquire_timeout(Duration::from_millis(20)));
    assert_elapsed_between(start, Duration::from_millis(20), Duration::from_millis(500));
    assert!(!sem.acquire_timeout(Duration::ZERO));
    assert_eq!(sem.waiters(), 0);
    let lock = Lock::new();
    lock.acquire();
    assert!(!lock.acquire_timeout(Duration::from_millis(5)));
    assert!(lock.guard_timeout(Duration::from_millis(1)).is_none());
    let m = Mutex::new(0);
    let g = m.lock();
    assert!(m.lock_timeout(Duration::from_millis(5)).is_none());
    assert!(m.try_lock().is_none());
    drop(g);
    assert!(m.lock_timeout(Duration::from_millis(5)).is_some());
}

#[test]
fn permit_released_at_the_timeout_is_not_lost() {
    // Release lands exactly when the waiter's deadline expires.
    for _ in 0..20 {
        let sem = Rc::new(Semaphore::new(0));
        let deadline = Instant::now() + Duration::from_millis(2);
        let s = sem.clone();
        let releaser = spawn(move || {
            sprout::sleep_until(deadline);
            s.release();
        });
        let got = sem.acquire_timeout(deadline - Instant::now());
        releaser.join().unwrap();
        // Either we got the permit, or it is still there: never lost.
        assert_eq!(usize::from(got) + sem.available_permits(), 1);
    }
}

#[test]
fn permit_handed_to_a_killed_waiter_goes_to_the_next() {
    let sem = Rc::new(Semaphore::new(0));
    let log = Log::new();
    let first = {
        let (s, l) = (sem.clone(), log.clone());
        spawn(move || {
            s.acquire();
            l.push("first");
        })
    };
    let second = {
        let (s, l) = (sem.clone(), log.clone());
        spawn(move || {
            s.acquire();
            l.push("second");
        })
    };
    yield_now();
    sem.release(); // handed to `first`, which has not run yet
    first.kill(); // unwinds out of acquire with the permit in hand
    second.join().unwrap();
    assert_eq!(log.take(), ["second"]);
    assert!(first.join().unwrap_err().is_killed());
    assert_eq!(sem.available_permits(), 0);
}

#[test]
fn with_timeout_around_acquire_removes_the_waiter() {
    let sem = Semaphore::new(0);
    let r = sprout::with_timeout(Duration::from_millis(5), || sem.acquire());
    assert!(r.is_err());
    assert_eq!(sem.waiters(), 0);
    sem.release();
    assert_eq!(sem.available_permits(), 1);
}

#[test]
fn bounded_semaphore_refuses_over_release() {
    let sem = BoundedSemaphore::new(2);
    assert_eq!(sem.release(), Err(ReleaseError::NotAcquired));
    sem.acquire();
    assert!(sem.acquire_timeout(Duration::ZERO));
    assert!(!sem.try_acquire());
    sem.release().unwrap();
    sem.release().unwrap();
    assert_eq!(sem.release(), Err(ReleaseError::NotAcquired));
    assert_eq!(sem.available_permits(), 2);
    {
        let _p = sem.permit();
        assert_eq!(sem.available_permits(), 1);
    }
    assert_eq!(sem.available_permits(), 2);
}

#[test]
fn rlock_is_reentrant_and_owned() {
    let lock = Rc::new(RLock::new());
    lock.acquire();
    assert!(lock.try_acquire());
    assert!(lock.is_owned());
    let l = lock.clone();
    let other = spawn(move || {
        let denied = l.release();
        let timed_out = !l.acquire_timeout(Duration::from_millis(5));
        l.acquire();
        let owned = l.is_owned();
        l.release().unwrap();
        (denied, timed_out, owned)
    });
    yield_now();
    lock.release().unwrap();
    sprout::sleep(Duration::from_millis(10));
    assert!(lock.is_locked(), "still held once");
    lock.release().unwrap();
    let (denied, timed_out, owned) = other.join().unwrap();
    assert_eq!(denied, Err(ReleaseError::NotOwner));
    assert!(timed_out && owned);
    assert!(!lock.is_locked());
    assert_eq!(lock.release(), Err(ReleaseError::NotAcquired));
    let _g = lock.guard();
    assert!(lock.is_owned());
}

#[test]
fn rlock_waiters_fifo() {
    let lock = Rc::new(RLock::new());
    let log = Log::new();
    let _g = lock.guard();
    let handles: Vec<_> = (0..3)
        .map(|i| {
            let (lock, log) = (lock.clone(), log.clone());
            spawn(move || {
                let _g = lock.guard();
                let _again = lock.guard();
                log.push(format!("r{i}"));
                yield_now();
            })
        })
        .collect();
    yield_now();
    drop(_g);
    sprout::joinall(handles);
    assert_eq!(log.take(), ["r0", "r1", "r2"]);
}

#[test]
fn mutex_serialises_across_switches() {
    let m = Rc::new(Mutex::new(Vec::new()));
    let running = Rc::new(Cell::new(0));
    let handles: Vec<_> = (0..5)
        .map(|i| {
            let (m, running) = (m.clone(), running.clone());
            spawn(move || {
                let mut v = m.lock();
                running.set(running.get() + 1);
                assert_eq!(running.get(), 1);
                sprout::sleep(Duration::from_millis(1));
                v.push(i);
                running.set(running.get() - 1);
            })
        })
        .collect();
    sprout::joinall(handles);
    assert_eq!(*m.lock(), [0, 1, 2, 3, 4]);
    let m = Rc::try_unwrap(m).unwrap();
    assert_eq!(m.into_inner().len(), 5);
}

#[test]
fn lock_release_when_unlocked_is_an_error() {
    let lock = Lock::new();
    assert_eq!(lock.release(), Err(ReleaseError::NotAcquired));
    {
        let _g = lock.guard();
        assert!(lock.is_locked());
        assert!(lock.try_guard().is_none());
    }
    assert!(!lock.is_locked());
}

#[test]
fn condition_notify_n_and_all_in_fifo_order() {
    let state = Rc::new((Mutex::new(0u32), Condition::new()));
    let log = Log::new();
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let (state, log) = (state.clone(), log.clone());
            spawn(move || {
                let (m, c) = &*state;
                let g = c.wait(m.lock());
                log.push(format!("c{i}:{}", *g));
            })
        })
        .collect();
    yield_now();
    let (m, c) = &*state;
    assert_eq!(c.waiters(), 4);
    *m.lock() = 1;
    assert_eq!(c.notify(2), 2);
    sprout::sleep(Duration::from_millis(1));
    assert_eq!(log.take(), ["c0:1", "c1:1"]);
    *m.lock() = 2;
    assert_eq!(c.notify_all(), 2);
    sprout::joinall(handles);
    assert_eq!(log.take(), ["c2:2", "c3:2"]);
    assert!(!c.notify_one());
}

#[test]
fn condition_wait_timeout_and_wait_while() {
    let state = Rc::new((Mutex::new(0u32), Condition::new()));
    let (m, c) = &*state;
    let start = Instant::now();
    let (g, notified) = c.wait_timeout(m.lock(), Duration::from_millis(10));
    assert!(!notified);
    assert_elapsed_between(start, Duration::from_millis(10), Duration::from_millis(500));
    drop(g);
    let s = state.clone();
    spawn(move || {
        for _ in 0..3 {
            *s.0.lock() += 1;
            s.1.notify_all();
            yield_now();
        }
    });
    let g = c.wait_while(m.lock(), |n| *n < 3);
    assert_eq!(*g, 3);
}

#[test]
fn condition_notification_to_a_killed_waiter_passes_on() {
    let state = Rc::new((Mutex::new(()), Condition::new()));
    let log = Log::new();
    let mk = |name: &'static str| {
        let (state, log) = (state.clone(), log.clone());
        spawn(move || {
            let (m, c) = &*state;
            drop(c.wait(m.lock()));
            log.push(name);
        })
    };
    let a = mk("a");
    let b = mk("b");
    yield_now();
    state.1.notify_one(); // to `a`
    a.kill();
    b.join().unwrap();
    assert_eq!(log.take(), ["b"]);
}

#[test]
fn failed_try_and_timed_out_guards_release_nothing() {
    let lock = Lock::new();
    let _held = lock.guard();
    assert!(lock.try_guard().is_none());
    assert!(lock.guard_timeout(Duration::ZERO).is_none());
    assert!(lock.guard_timeout(Duration::from_millis(1)).is_none());
    assert!(
        lock.is_locked(),
        "a guard that was never acquired must not unlock"
    );
    let sem = Semaphore::new(1);
    let _p = sem.permit();
    assert!(sem.try_permit().is_none());
    assert_eq!(sem.available_permits(), 0);
}

#[test]
fn mutex_and_bounded_semaphore_waiters_are_served_fifo() {
    let m = Rc::new(Mutex::new(Vec::new()));
    let guard = m.lock();
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let m = m.clone();
            spawn(move || m.lock().push(i))
        })
        .collect();
    yield_now();
    drop(guard);
    // A later arrival queues behind the four waiters.
    let late = {
        let m = m.clone();
        spawn(move || m.lock().push(99))
    };
    sprout::joinall(handles);
    late.join().unwrap();
    assert_eq!(*m.lock(), [0, 1, 2, 3, 99]);

    let sem = Rc::new(BoundedSemaphore::new(1));
    sem.acquire();
    let log = Log::new();
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let (sem, log) = (sem.clone(), log.clone());
            spawn(move || {
                let _p = sem.permit();
                log.push(format!("b{i}"));
                yield_now();
            })
        })
        .collect();
    yield_now();
    sem.release().unwrap();
    sprout::joinall(handles);
    assert_eq!(log.take(), ["b0", "b1", "b2", "b3"]);
    assert_eq!(sem.available_permits(), 1);
}
