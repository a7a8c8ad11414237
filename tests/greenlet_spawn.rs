//! Spawning, joining, FIFO order and panic isolation.

mod util;

use std::time::Duration;

use sprout::{Builder, current, spawn, yield_now};
use util::Log;

#[test]
fn fifo_interleaving_1a_2a_1b_2b() {
    let log = Log::new();
    let handles: Vec<_> = (1..=2)
        .map(|n| {
            let log = log.clone();
            spawn(move || {
                log.push(format!("{n}A"));
                yield_now();
                log.push(format!("{n}B"));
            })
        })
        .collect();
    sprout::joinall(handles);
    assert_eq!(log.take(), ["1A", "2A", "1B", "2B"]);
}

#[test]
fn sleep_zero_is_a_fifo_yield() {
    let log = Log::new();
    let handles: Vec<_> = (1..=3)
        .map(|n| {
            let log = log.clone();
            spawn(move || {
                for step in ["a", "b", "c"] {
                    log.push(format!("{n}{step}"));
                    sprout::sleep(Duration::ZERO);
                }
            })
        })
        .collect();
    sprout::joinall(handles);
    assert_eq!(
        log.take(),
        ["1a", "2a", "3a", "1b", "2b", "3b", "1c", "2c", "3c"]
    );
}

#[test]
fn join_returns_the_value() {
    let h = spawn(|| String::from("value"));
    assert_eq!(h.join().unwrap(), "value");
}

#[test]
fn greenlets_do_not_start_until_the_spawner_blocks() {
    let log = Log::new();
    let l = log.clone();
    let h = spawn(move || l.push("child"));
    log.push("parent");
    h.join().unwrap();
    assert_eq!(log.take(), ["parent", "child"]);
}

#[test]
fn main_yield_runs_ready_greenlets_in_order() {
    let log = Log::new();
    for n in 0..3 {
        let l = log.clone();
        spawn(move || l.push(format!("g{n}")));
    }
    log.push("before");
    yield_now();
    log.push("after");
    assert_eq!(log.take(), ["before", "g0", "g1", "g2", "after"]);
}

#[test]
fn panic_is_isolated_in_its_greenlet() {
    let log = Log::new();
    let l = log.clone();
    let bad = spawn(|| -> u32 { panic!("boom") });
    let good = spawn(move || {
        yield_now();
        l.push("good finished");
        7
    });
    let err = bad.join().unwrap_err();
    assert!(err.is_panic());
    assert!(!err.is_killed());
    assert_eq!(err.panic_message(), Some("boom"));
    assert_eq!(good.join().unwrap(), 7);
    assert_eq!(log.take(), ["good finished"]);
    // The hub still works.
    assert_eq!(spawn(|| 1).join().unwrap(), 1);
}

#[test]
fn names_ids_and_current() {
    let main = current();
    assert!(main.is_main());
    assert_eq!(main.name(), Some("main"));
    let h = Builder::new()
        .name("worker-1".into())
        .spawn(|| {
            let me = current();
            (me.id(), me.name().map(String::from))
        })
        .unwrap();
    let id = h.id();
    assert_eq!(h.name(), Some("worker-1"));
    let (seen_id, seen_name) = h.join().unwrap();
    assert_eq!(seen_id, id);
    assert_eq!(seen_name.as_deref(), Some("worker-1"));
}

#[test]
fn spawn_inside_greenlets_and_nested_join() {
    let h = spawn(|| {
        let inner: Vec<_> = (0..10).map(|i| spawn(move || i * i)).collect();
        inner.into_iter().map(|h| h.join().unwrap()).sum::<i32>()
    });
    assert_eq!(h.join().unwrap(), 285);
}

#[test]
fn hundred_thousand_greenlets_spawned_and_joined() {
    const N: usize = 100_000;
    let handles: Vec<_> = (0..N).map(|i| spawn(move || i)).collect();
    let mut sum = 0usize;
    for (i, h) in handles.into_iter().enumerate() {
        let v = h.join().unwrap();
        assert_eq!(v, i);
        sum += v;
    }
    assert_eq!(sum, N * (N - 1) / 2);
    let stats = sprout::hub::stats();
    assert!(stats.spawned() >= N as u64);
}

#[test]
fn hundred_thousand_greenlets_alive_at_once() {
    // Every greenlet blocks once, so all 100,000 stacks exist together.
    const N: usize = 100_000;
    let handles: Vec<_> = (0..N)
        .map(|i| {
            spawn(move || {
                yield_now();
                i
            })
        })
        .collect();
    let results = sprout::joinall(handles);
    assert_eq!(results.len(), N);
    assert!(
        results
            .into_iter()
            .enumerate()
            .all(|(i, r)| r.unwrap() == i)
    );
}

#[test]
fn link_callbacks_run_after_the_end() {
    let log = Log::new();
    let h = Builder::new().name("linked".into()).spawn(|| 3).unwrap();
    let l = log.clone();
    h.link(move |exit| l.push(format!("link {:?} {:?}", exit.name(), exit.kind())));
    let l = log.clone();
    h.link_exception(move |_| l.push("never"));
    assert_eq!(h.join().unwrap(), 3);
    sprout::idle();
    assert_eq!(log.take(), ["link Some(\"linked\") Returned"]);

    let bad = spawn(|| panic!("linked panic"));
    let l = log.clone();
    bad.link_exception(move |exit| l.push(format!("exception {:?}", exit.kind())));
    let _ = bad.join();
    sprout::idle();
    assert_eq!(log.take(), ["exception Panicked"]);
}

#[test]
fn spawn_later_waits_its_delay() {
    let start = std::time::Instant::now();
    let h = sprout::spawn_later(Duration::from_millis(30), move || start.elapsed());
    let started_after = h.join().unwrap();
    assert!(
        started_after >= Duration::from_millis(30),
        "{started_after:?}"
    );
}
