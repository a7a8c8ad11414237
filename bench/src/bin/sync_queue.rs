//! Queue and pool benchmark: a put/get round trip between two greenlets,
//! and a pool map of 100,000 trivial jobs, side by side with may's channel
//! and coroutines (one worker) and tokio's mpsc and tasks on a
//! current-thread runtime, in one run.
//!
//! Run (pinned to one core):
//!
//! ```text
//! cargo build --release -p sprout-bench --bin sync_queue && taskset -c 1 target/release/sync_queue
//! ```
//!
//! Prints Markdown tables of medians over several runs and the ratios
//! against sprout.

#![allow(clippy::print_stdout, reason = "a benchmark binary reports on stdout")]

use std::collections::VecDeque;
use std::hint::black_box;
use std::rc::Rc;
use std::time::Instant;

use sprout::pool::{Group, Pool};
use sprout::queue::{Channel, Queue};
use sprout_bench::{median, per_op};

const RUNS: usize = 7;

// ===== round trip: A puts to B, B puts back to A =====

const TRIPS: u64 = 200_000;

/// Round trips through two sprout queues of one kind, made by `make`, with
/// `put`/`get` its blocking calls.
fn sprout_round_trip<Q, P, G>(make: fn() -> Q, put: P, get: G) -> f64
where
    Q: 'static,
    P: Fn(&Q, u64) + Copy + 'static,
    G: Fn(&Q) -> u64 + Copy + 'static,
{
    let ping = Rc::new(make());
    let pong = Rc::new(make());
    let (ping2, pong2) = (ping.clone(), pong.clone());
    let echo = sprout::spawn(move || {
        for _ in 0..TRIPS {
            put(&pong2, get(&ping2));
        }
    });
    let start = Instant::now();
    let driver = sprout::spawn(move || {
        for i in 0..TRIPS {
            put(&ping, i);
            black_box(get(&pong));
        }
    });
    driver.join().unwrap();
    let ns = per_op(start, TRIPS);
    echo.join().unwrap();
    ns
}

fn sprout_queue_round_trip() -> f64 {
    sprout_round_trip(Queue::new, |q, x| q.put(x).unwrap(), |q| q.get().unwrap())
}

fn sprout_channel_round_trip() -> f64 {
    sprout_round_trip(Channel::new, |q, x| q.put(x).unwrap(), |q| q.get().unwrap())
}

fn may_round_trip() -> f64 {
    let (ping_tx, ping_rx) = may::sync::mpsc::channel::<u64>();
    let (pong_tx, pong_rx) = may::sync::mpsc::channel::<u64>();
    // SAFETY: the closures own their data and use no thread-local state,
    // which is what may's unsafe spawn asks of callers.
    let echo = unsafe {
        may::coroutine::spawn(move || {
            for _ in 0..TRIPS {
                let x = ping_rx.recv().unwrap();
                pong_tx.send(x).unwrap();
            }
        })
    };
    let start = Instant::now();
    // SAFETY: as above.
    let driver = unsafe {
        may::coroutine::spawn(move || {
            for i in 0..TRIPS {
                ping_tx.send(i).unwrap();
                black_box(pong_rx.recv().unwrap());
            }
        })
    };
    driver.join().unwrap();
    let ns = per_op(start, TRIPS);
    echo.join().unwrap();
    ns
}

fn tokio_round_trip(rt: &tokio::runtime::Runtime, bounded: bool) -> f64 {
    rt.block_on(async move {
        let start = Instant::now();
        if bounded {
            let (ping_tx, mut ping_rx) = tokio::sync::mpsc::channel::<u64>(1);
            let (pong_tx, mut pong_rx) = tokio::sync::mpsc::channel::<u64>(1);
            let echo = tokio::task::spawn(async move {
                for _ in 0..TRIPS {
                    let x = ping_rx.recv().await.unwrap();
                    pong_tx.send(x).await.unwrap();
                }
            });
            for i in 0..TRIPS {
                ping_tx.send(i).await.unwrap();
                black_box(pong_rx.recv().await.unwrap());
            }
            echo.await.unwrap();
        } else {
            let (ping_tx, mut ping_rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
            let (pong_tx, mut pong_rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
            let echo = tokio::task::spawn(async move {
                for _ in 0..TRIPS {
                    let x = ping_rx.recv().await.unwrap();
                    pong_tx.send(x).unwrap();
                }
            });
            for i in 0..TRIPS {
                ping_tx.send(i).unwrap();
                black_box(pong_rx.recv().await.unwrap());
            }
            echo.await.unwrap();
        }
        per_op(start, TRIPS)
    })
}

// ===== map of trivial jobs, at most POOL at once, results in order =====

const JOBS: u64 = 100_000;
const POOL: usize = 100;

fn sprout_pool_map() -> f64 {
    let pool = Pool::new(POOL);
    let start = Instant::now();
    let results = pool.map(|i: u64| black_box(i * 2), 0..JOBS);
    let ns = per_op(start, JOBS);
    assert_eq!(results.len() as u64, JOBS);
    ns
}

fn sprout_group_map() -> f64 {
    let group = Group::new();
    let start = Instant::now();
    let results = group.map(|i: u64| black_box(i * 2), 0..JOBS);
    let ns = per_op(start, JOBS);
    assert_eq!(results.len() as u64, JOBS);
    ns
}

/// may has no pool: keep `POOL` coroutines in flight, join in order.
fn may_windowed_map() -> f64 {
    let start = Instant::now();
    let mut running = VecDeque::with_capacity(POOL);
    let mut results = Vec::with_capacity(JOBS as usize);
    for i in 0..JOBS {
        if running.len() == POOL {
            let h: may::coroutine::JoinHandle<u64> = running.pop_front().unwrap();
            results.push(h.join().unwrap());
        }
        // SAFETY: as in `may_round_trip`.
        running.push_back(unsafe { may::coroutine::spawn(move || black_box(i * 2)) });
    }
    results.extend(running.into_iter().map(|h| h.join().unwrap()));
    let ns = per_op(start, JOBS);
    assert_eq!(results.len() as u64, JOBS);
    ns
}

/// tokio has no pool: keep `POOL` tasks in flight, await in order.
fn tokio_windowed_map(rt: &tokio::runtime::Runtime) -> f64 {
    rt.block_on(async {
        let start = Instant::now();
        let mut running = VecDeque::with_capacity(POOL);
        let mut results = Vec::with_capacity(JOBS as usize);
        for i in 0..JOBS {
            if running.len() == POOL {
                let h: tokio::task::JoinHandle<u64> = running.pop_front().unwrap();
                results.push(h.await.unwrap());
            }
            running.push_back(tokio::task::spawn(async move { black_box(i * 2) }));
        }
        for h in running {
            results.push(h.await.unwrap());
        }
        let ns = per_op(start, JOBS);
        assert_eq!(results.len() as u64, JOBS);
        ns
    })
}

fn row(name: &str, ns: f64, base: f64) -> String {
    format!("| {name} | {ns:.1} | {:.2} | {:.2}x |", 1e3 / ns, ns / base)
}

fn main() {
    // `sync_queue sprout-queue` runs one case alone, for a profiler.
    if std::env::args().nth(1).as_deref() == Some("sprout-queue") {
        println!("{:.1} ns/trip", median(RUNS, sprout_queue_round_trip));
        return;
    }
    may::config().set_workers(1);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");

    let sq = median(RUNS, sprout_queue_round_trip);
    let sc = median(RUNS, sprout_channel_round_trip);
    let mq = median(RUNS, may_round_trip);
    let tu = median(RUNS, || tokio_round_trip(&rt, false));
    let tb = median(RUNS, || tokio_round_trip(&rt, true));

    let sp = median(RUNS, sprout_pool_map);
    let sg = median(RUNS, sprout_group_map);
    let mw = median(RUNS, may_windowed_map);
    let tw = median(RUNS, || tokio_windowed_map(&rt));

    println!(
        "Medians of {RUNS} runs; ratio = time relative to sprout's first row (lower is faster).\n"
    );
    println!("### Queue round trip between two green threads ({TRIPS} trips)\n");
    println!(
        "One trip: A puts to B, B gets and puts back, A gets: two handoffs, each waking a parked green thread.\n"
    );
    println!("| implementation | ns/trip | Mtrips/s | time vs sprout |");
    println!("|---|---:|---:|---:|");
    println!("{}", row("sprout `Queue` (unbounded)", sq, sq));
    println!("{}", row("sprout `Channel` (rendezvous)", sc, sq));
    println!("{}", row("may `sync::mpsc::channel` (1 worker)", mq, sq));
    println!(
        "{}",
        row("tokio `mpsc::unbounded_channel` (current-thread)", tu, sq)
    );
    println!(
        "{}",
        row("tokio `mpsc::channel(1)` (current-thread)", tb, sq)
    );
    println!("\n### Map of {JOBS} trivial jobs, results in input order\n");
    println!(
        "At most {POOL} at once. may and tokio have no pool: they keep {POOL} spawned and join in order.\n"
    );
    println!("| implementation | ns/job | Mjobs/s | time vs sprout |");
    println!("|---|---:|---:|---:|");
    println!(
        "{}",
        row(&format!("sprout `Pool::new({POOL}).map`"), sp, sp)
    );
    println!(
        "{}",
        row(
            "sprout `Group::map` (no limit: all spawned at once)",
            sg,
            sp
        )
    );
    println!(
        "{}",
        row(
            &format!("may: {POOL} coroutines in flight (1 worker)"),
            mw,
            sp
        )
    );
    println!(
        "{}",
        row(
            &format!("tokio: {POOL} tasks in flight (current-thread)"),
            tw,
            sp
        )
    );
    println!(
        "\nround trip: may / sprout = {:.2}, tokio unbounded / sprout = {:.2}; map: may / sprout = {:.2}, tokio / sprout = {:.2}",
        mq / sq,
        tu / sq,
        mw / sp,
        tw / sp
    );
}
