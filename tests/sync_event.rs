//! Event and AsyncResult: wake-ups, the wait/get timeout contract, iwait.

mod util;

use std::rc::Rc;
use std::time::{Duration, Instant};

use sprout::sync::{AsyncResult, Event, GetTimeoutError};
use sprout::{ExitKind, spawn, yield_now};
use util::{Log, assert_elapsed_between};

#[test]
fn set_wakes_every_waiter_in_fifo_order() {
    let ev = Rc::new(Event::new());
    let log = Log::new();
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let (ev, log) = (ev.clone(), log.clone());
            spawn(move || {
                assert!(ev.wait());
                log.push(format!("w{i}"));
            })
        })
        .collect();
    yield_now();
    assert_eq!(ev.waiters(), 4);
    ev.set();
    sprout::joinall(handles);
    assert_eq!(log.take(), ["w0", "w1", "w2", "w3"]);
}

#[test]
fn wait_is_true_if_set_at_any_point_even_if_cleared_before_it_ran() {
    let ev = Rc::new(Event::new());
    let e = ev.clone();
    let h = spawn(move || e.wait_timeout(Duration::from_secs(5)));
    yield_now();
    ev.set();
    ev.clear();
    assert!(h.join().unwrap());
    assert!(!ev.is_set());
}

#[test]
fn set_event_never_switches() {
    let ev = Event::new();
    ev.set();
    let log = Log::new();
    let l = log.clone();
    let h = spawn(move || l.push("other"));
    assert!(ev.wait());
    assert!(ev.wait_timeout(Duration::ZERO));
    log.push("main");
    h.join().unwrap();
    assert_eq!(log.take(), ["main", "other"]);
}

#[test]
fn wait_timeout_returns_false_after_the_timeout() {
    let ev = Event::new();
    let start = Instant::now();
    assert!(!ev.wait_timeout(Duration::from_millis(20)));
    assert_elapsed_between(start, Duration::from_millis(20), Duration::from_millis(500));
    assert!(!ev.wait_timeout(Duration::ZERO));
}

#[test]
fn set_at_the_moment_of_the_timeout_counts() {
    // The setter's timer and the waiter's deadline are equal: whichever the
    // hub fires first, the wait must not report a timeout once set.
    for _ in 0..20 {
        let ev = Rc::new(Event::new());
        let deadline = Instant::now() + Duration::from_millis(2);
        let e = ev.clone();
        let setter = spawn(move || {
            sprout::sleep_until(deadline);
            e.set();
        });
        let ok = ev.wait_timeout(deadline - Instant::now());
        setter.join().unwrap();
        // Either outcome is allowed only if consistent with the flag at the
        // time the waiter resumed; a `false` means the deadline fired first.
        if !ok {
            assert!(ev.is_set());
        }
    }
}

#[test]
fn wait_deadlock_panics_with_would_block_forever() {
    let ev = Event::new();
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ev.wait())).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.contains("`Event::wait` would block forever"), "{msg}");
    assert_eq!(ev.waiters(), 0);
}

#[test]
fn kill_while_waiting_removes_the_waiter() {
    let ev = Rc::new(Event::new());
    let e = ev.clone();
    let h = spawn(move || e.wait());
    yield_now();
    assert_eq!(ev.waiters(), 1);
    h.kill();
    assert_eq!(ev.waiters(), 0);
    ev.set();
}

#[test]
fn events_work_with_wait_and_iwait() {
    let a = Rc::new(Event::new());
    let b = Rc::new(Event::new());
    let (a2, b2) = (a.clone(), b.clone());
    spawn(move || {
        sprout::sleep(Duration::from_millis(10));
        b2.set();
        sprout::sleep(Duration::from_millis(10));
        a2.set();
    });
    let order: Vec<usize> = sprout::iwait(&[&*a, &*b], None).collect();
    assert_eq!(order, [1, 0]);
    let c = Event::new();
    assert_eq!(
        sprout::wait(&[&c, &*a], Some(1), Some(Duration::from_millis(10))),
        [1]
    );
    assert!(sprout::wait(&[&c], None, Some(Duration::from_millis(5))).is_empty());
}

#[test]
fn async_result_value_error_and_timeouts() {
    let r: Rc<AsyncResult<u32, String>> = Rc::new(AsyncResult::new());
    assert!(!r.is_ready());
    assert!(matches!(
        r.get_timeout(Duration::from_millis(5)),
        Err(GetTimeoutError::TimedOut)
    ));
    assert!(!r.wait_timeout(Duration::ZERO));
    let r2 = r.clone();
    let getters: Vec<_> = (0..3)
        .map(|_| {
            let r = r2.clone();
            spawn(move || *r.get().unwrap())
        })
        .collect();
    yield_now();
    r.set(7);
    assert_eq!(r.try_set(8), Err(8));
    for g in getters {
        assert_eq!(g.join().unwrap(), 7);
    }
    assert_eq!(r.value(), Some(&7));
    assert!(r.is_successful());

    let e: AsyncResult<u32, String> = AsyncResult::new();
    e.set_error("boom".into());
    assert_eq!(e.get(), Err(&"boom".to_string()));
    assert!(
        matches!(e.get_timeout(Duration::ZERO), Err(GetTimeoutError::Failed(m)) if m == "boom")
    );
    assert!(e.wait());
    assert!(!e.is_successful());
}

#[test]
fn async_result_double_set_panics() {
    let r: AsyncResult<u8> = AsyncResult::new();
    r.set(1);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| r.set(2)));
    assert!(caught.is_err());
}

#[test]
fn async_result_as_link_target() {
    let ended: Rc<AsyncResult<sprout::Exit>> = Rc::new(AsyncResult::new());
    let h = spawn(|| -> u8 { panic!("linked") });
    h.link(AsyncResult::link_target(&ended));
    assert_eq!(ended.get().unwrap().kind(), ExitKind::Panicked);
}
