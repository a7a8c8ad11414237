//! Group and Pool: limits never exceeded, blocking and failing spawns, map
//! order, imap laziness, completion order, errors at their position, join,
//! kill, add/discard.

mod util;

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use sprout::pool::{Group, Pool};
use sprout::{spawn, yield_now};
use util::Log;

/// Counts greenlets running at once and remembers the most.
#[derive(Clone, Default)]
struct Gauge {
    now: Rc<Cell<usize>>,
    max: Rc<Cell<usize>>,
}

impl Gauge {
    fn enter(&self) {
        self.now.set(self.now.get() + 1);
        self.max.set(self.max.get().max(self.now.get()));
    }
    fn leave(&self) {
        self.now.set(self.now.get() - 1);
    }
}

#[test]
fn pool_never_runs_more_than_its_size() {
    let pool = Pool::new(4);
    let gauge = Gauge::default();
    let handles: Vec<_> = (0..50u64)
        .map(|i| {
            let g = gauge.clone();
            pool.spawn(move || {
                g.enter();
                sprout::sleep(Duration::from_micros(100 * (i % 7)));
                yield_now();
                g.leave();
                i
            })
        })
        .collect();
    assert!(pool.len() <= 4);
    let total: u64 = sprout::joinall(handles)
        .into_iter()
        .map(Result::unwrap)
        .sum();
    assert_eq!(total, (0..50).sum());
    assert_eq!(gauge.max.get(), 4);
    assert_eq!(pool.free_count(), 4);
    pool.join();
    assert!(pool.is_empty());
}

#[test]
fn map_in_a_pool_respects_the_limit_and_the_order() {
    let pool = Pool::new(3);
    let gauge = Gauge::default();
    let g = gauge.clone();
    let results = pool.map(
        move |i: u64| {
            g.enter();
            // Later items finish sooner, so completion order differs.
            sprout::sleep(Duration::from_millis(10 - i));
            g.leave();
            i * 2
        },
        0..10,
    );
    let results: Vec<u64> = results.into_iter().map(Result::unwrap).collect();
    assert_eq!(results, (0..10).map(|i| i * 2).collect::<Vec<_>>());
    assert_eq!(gauge.max.get(), 3);
}

#[test]
fn spawn_blocks_while_full_and_waiting_spawners_are_fifo() {
    let pool = Rc::new(Pool::new(1));
    let log = Log::new();
    let start = Instant::now();
    let first = pool.spawn(|| sprout::sleep(Duration::from_millis(20)));
    let spawners: Vec<_> = (0..3)
        .map(|i| {
            let (pool, log) = (pool.clone(), log.clone());
            spawn(move || {
                let l = log.clone();
                let h = pool.spawn(move || l.push(format!("job{i}")));
                log.push(format!("spawned{i}"));
                h.join().unwrap();
            })
        })
        .collect();
    let h = pool.spawn(|| ());
    // Main waited behind the first job and the three queued spawners.
    assert!(start.elapsed() >= Duration::from_millis(20));
    h.join().unwrap();
    sprout::joinall(spawners);
    first.join().unwrap();
    let log = log.take();
    let spawned: Vec<_> = log
        .iter()
        .filter(|s| s.starts_with("spawned"))
        .cloned()
        .collect();
    assert_eq!(spawned, ["spawned0", "spawned1", "spawned2"]);
}

#[test]
fn try_spawn_fails_when_full_and_hands_the_function_back() {
    let pool = Pool::new(2);
    let a = pool.try_spawn(|| 1).unwrap();
    let b = pool.try_spawn(|| 2).unwrap();
    assert!(pool.is_full());
    let err = pool.try_spawn(|| 3).unwrap_err();
    assert_eq!(err.to_string(), "pool is full");
    assert_eq!(format!("{err:?}"), "PoolFull(..)");
    assert_eq!((err.into_inner())(), 3);
    assert_eq!(a.join().unwrap() + b.join().unwrap(), 3);
    assert_eq!(pool.free_count(), 2);
    assert!(pool.try_spawn(|| ()).is_ok());
}

#[test]
fn errors_surface_at_their_position_and_map_goes_on() {
    let group = Group::new();
    let results = group.map(
        |i: u32| {
            if i == 2 {
                panic!("item {i} failed");
            }
            i
        },
        0..5,
    );
    assert_eq!(results.len(), 5);
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Ok(v) => assert_eq!(v as usize, i),
            Err(e) => {
                assert_eq!(i, 2);
                assert_eq!(e.panic_message(), Some("item 2 failed"));
            }
        }
    }
}

#[test]
fn imap_is_lazy_and_ordered() {
    let pool = Pool::new(2);
    let taken = Rc::new(Cell::new(0));
    let t = taken.clone();
    let items = (0..100u32).inspect(move |_| t.set(t.get() + 1));
    let mut it = pool.imap(
        |i| {
            sprout::sleep(Duration::from_millis(u64::from(3 - i % 3)));
            i
        },
        items,
    );
    assert_eq!(taken.get(), 0, "nothing taken before the first next");
    assert_eq!(it.next().unwrap().unwrap(), 0);
    assert!(
        taken.get() <= 3,
        "took {} items for one result",
        taken.get()
    );
    let rest: Vec<u32> = it.take(9).map(Result::unwrap).collect();
    assert_eq!(rest, (1..10).collect::<Vec<_>>());
    assert!(taken.get() <= 12);
}

#[test]
fn imap_unordered_yields_in_completion_order() {
    // The seeds' as_completed: jobs of 30, 20 and 60 ms.
    let group = Group::new();
    let start = Instant::now();
    let first_two: Vec<u64> = group
        .imap_unordered(
            |ms: u64| {
                sprout::sleep(Duration::from_millis(ms));
                ms
            },
            [30, 20, 60],
        )
        .take(2)
        .map(Result::unwrap)
        .collect();
    assert_eq!(first_two, [20, 30]);
    assert!(start.elapsed() >= Duration::from_millis(30));
    assert_eq!(
        group.len(),
        1,
        "the 60 ms job is still running: nobody waited for it"
    );
    group.kill();
    assert!(group.is_empty());
}

#[test]
fn imap_unordered_in_a_pool_respects_the_limit() {
    let pool = Pool::new(3);
    let gauge = Gauge::default();
    let g = gauge.clone();
    let mut got: Vec<u64> = pool
        .imap_unordered(
            move |i: u64| {
                g.enter();
                sprout::sleep(Duration::from_micros(200 * (i % 5)));
                g.leave();
                i
            },
            0..30,
        )
        .map(Result::unwrap)
        .collect();
    got.sort_unstable();
    assert_eq!(got, (0..30).collect::<Vec<_>>());
    assert_eq!(gauge.max.get(), 3);
}

#[test]
fn apply_and_apply_async_with_callback() {
    let pool = Pool::new(2);
    assert_eq!(pool.apply(|| 6 * 7).unwrap(), 42);
    assert!(
        pool.apply(|| -> u8 { panic!("no") })
            .unwrap_err()
            .is_panic()
    );
    let log = Log::new();
    let l = log.clone();
    let h = pool.apply_async(|| 5, move |r: &i32| l.push(format!("callback {r}")));
    assert_eq!(h.join().unwrap(), 5);
    assert_eq!(log.take(), ["callback 5"]);
}

#[test]
fn join_timeout_and_kill() {
    let group = Group::new();
    let log = Log::new();
    for i in 0..3 {
        let l = log.clone();
        group.spawn(move || {
            sprout::sleep(Duration::from_secs(10));
            l.push(format!("never {i}"));
        });
    }
    assert!(!group.join_timeout(Duration::from_millis(5)));
    // One more that never starts.
    let l = log.clone();
    let unstarted = group.spawn(move || l.push("never started"));
    assert_eq!(group.len(), 4);
    group.kill();
    assert!(group.is_empty());
    assert!(unstarted.join().unwrap_err().is_killed());
    assert!(log.take().is_empty());
    assert!(group.join_timeout(Duration::ZERO));
}

#[test]
fn kill_frees_pool_slots_and_kill_timeout_reports() {
    let pool = Pool::new(2);
    for _ in 0..2 {
        pool.spawn(|| sprout::sleep(Duration::from_secs(10)));
    }
    assert_eq!(pool.free_count(), 0);
    assert!(pool.kill_timeout(Duration::from_secs(1)));
    assert_eq!(pool.free_count(), 2);
}

#[test]
fn add_and_discard() {
    let pool = Pool::new(1);
    let outside = spawn(|| sprout::sleep(Duration::from_millis(10)));
    pool.add(&outside);
    assert!(pool.contains(&outside));
    assert_eq!(pool.free_count(), 0);
    assert!(pool.discard(&outside));
    assert!(!pool.contains(&outside));
    assert_eq!(pool.free_count(), 1, "discard frees the slot");
    assert!(!pool.discard(&outside));

    let group = Group::new();
    let h = spawn(|| sprout::sleep(Duration::from_millis(5)));
    group.add(&h);
    assert_eq!(group.len(), 1);
    group.join();
    assert!(h.is_finished());
    assert!(group.is_empty());
    outside.join().unwrap();
    assert_eq!(
        pool.free_count(),
        1,
        "the discarded greenlet's end frees nothing twice"
    );
}

#[test]
fn wait_available() {
    let pool = Pool::new(1);
    let start = Instant::now();
    pool.spawn(|| sprout::sleep(Duration::from_millis(10)));
    assert_eq!(pool.wait_available_timeout(Duration::from_millis(1)), None);
    assert_eq!(pool.wait_available(), 1);
    assert!(start.elapsed() >= Duration::from_millis(10));
}

#[test]
fn kill_from_a_member_panics() {
    let group = Rc::new(Group::new());
    let g = group.clone();
    let h = group.spawn(move || g.kill());
    let err = h.join().unwrap_err();
    assert!(
        err.panic_message()
            .unwrap()
            .contains("would wait for itself")
    );
}

#[test]
fn spawn_with_applies_the_builder_and_a_failed_spawn_frees_its_slot() {
    let pool = Pool::new(1);
    let h = pool
        .spawn_with(
            sprout::Builder::new()
                .name("member".into())
                .stack_size(2 << 20),
            || {
                // Fits only in the larger stack (the default is 256 KiB).
                let big = [1u8; 1 << 20];
                let sum: usize = std::hint::black_box(&big)
                    .iter()
                    .map(|&b| usize::from(b))
                    .sum();
                (sprout::current().name().map(String::from), sum)
            },
        )
        .unwrap();
    assert_eq!(h.join().unwrap(), (Some("member".into()), 1 << 20));

    // A stack that cannot be mapped: an error, the closure dropped unrun,
    // and the slot free again.
    let captured = Rc::new(());
    let held = Rc::clone(&captured);
    let err = pool
        .spawn_with(sprout::Builder::new().stack_size(usize::MAX), move || {
            drop(held);
            unreachable!("never spawned")
        })
        .unwrap_err();
    assert!(err.to_string().contains("greenlet stack"), "{err}");
    assert_eq!(Rc::strong_count(&captured), 1);
    assert_eq!((pool.len(), pool.free_count()), (0, 1));
    assert_eq!(pool.spawn(|| 5).join().unwrap(), 5);

    let group = Group::new();
    let h = group
        .spawn_with(sprout::Builder::new().name("in group".into()), || {
            sprout::current().name().map(String::from)
        })
        .unwrap();
    assert!(group.contains(&h));
    assert_eq!(h.join().unwrap().as_deref(), Some("in group"));
    assert!(group.is_empty());
}
