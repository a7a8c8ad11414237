//! Core runtime benchmark: switch cost and spawn+join throughput of sprout,
//! side by side with raw corosensei, may (one worker) and tokio's
//! current-thread runtime, in one run.
//!
//! Run (pinned to one core, as `scripts/bench.sh` does):
//!
//! ```text
//! cargo build --release -p sprout-bench && taskset -c 1 target/release/core
//! ```
//!
//! Prints a Markdown table of medians over several runs and the ratios
//! against sprout.

#![allow(clippy::print_stdout, reason = "a benchmark binary reports on stdout")]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::hint::black_box;
use std::rc::Rc;
use std::time::Instant;

use corosensei::{Coroutine, CoroutineResult};
use sprout_bench::{median, per_op};

const RUNS: usize = 7;

// ===== switch round trip =====

const SWITCHES: u64 = 2_000_000;

/// Raw corosensei: one resume + one suspend.
fn raw_corosensei() -> f64 {
    let mut co = Coroutine::new(|y: &corosensei::Yielder<(), ()>, ()| {
        loop {
            y.suspend(());
        }
    });
    let start = Instant::now();
    for _ in 0..SWITCHES {
        if let CoroutineResult::Return(()) = co.resume(()) {
            unreachable!()
        }
    }
    let ns = per_op(start, SWITCHES);
    // The coroutine never returns: drop unwinds it.
    drop(co);
    ns
}

/// Raw corosensei with two coroutines resumed in turn from one call site:
/// the switches any scheduler of two green threads makes, with nothing else
/// (the indirect jump into alternating coroutines is harder to predict than
/// one coroutine's).
fn raw_corosensei_pair() -> f64 {
    let make = || {
        Coroutine::new(|y: &corosensei::Yielder<(), ()>, ()| {
            loop {
                y.suspend(());
            }
        })
    };
    let mut cos = [make(), make()];
    let start = Instant::now();
    for i in 0..SWITCHES as usize {
        if let CoroutineResult::Return(()) = black_box(&mut cos[i & 1]).resume(()) {
            unreachable!()
        }
    }
    let ns = per_op(start, SWITCHES);
    drop(cos);
    ns
}

/// The floor of any scheduler over corosensei's switch: a FIFO of
/// coroutine indices and a loop that resumes whatever comes next, with no
/// timers, I/O, kill, stale-wake checks, budget or bookkeeping. One
/// operation is one `yield`, as for sprout.
fn minimal_scheduler() -> f64 {
    let n = SWITCHES / 2;
    let queue = Rc::new(RefCell::new(VecDeque::with_capacity(4)));
    let make = |me: usize| {
        let queue = Rc::clone(&queue);
        Coroutine::new(move |y: &corosensei::Yielder<(), ()>, ()| {
            for _ in 0..n {
                queue.borrow_mut().push_back(me);
                y.suspend(());
            }
        })
    };
    let mut cos = [make(0), make(1)];
    queue.borrow_mut().extend([0, 1]);
    let start = Instant::now();
    loop {
        let next = queue.borrow_mut().pop_front();
        let Some(k) = next else { break };
        black_box(cos[k].resume(()));
    }
    per_op(start, SWITCHES)
}

/// sprout: two greenlets alternating `yield_now` through the hub; one
/// operation is one yield (a suspend to the hub and a resume of the other
/// greenlet), the same two switches as a raw resume + suspend. Every
/// implementation runs one body twice, as a server runs one handler per
/// connection.
fn sprout_yield() -> f64 {
    let n = SWITCHES / 2;
    let body = move || {
        for _ in 0..n {
            sprout::yield_now();
        }
    };
    let start = Instant::now();
    let a = sprout::spawn(body);
    let b = sprout::spawn(body);
    a.join().unwrap();
    b.join().unwrap();
    per_op(start, SWITCHES)
}

/// sprout as above, but the two greenlets run two different bodies (two
/// closures): the hub's resume then jumps to two alternating suspension
/// points, which the CPU's branch predictor cannot tell apart.
fn sprout_yield_two_bodies() -> f64 {
    let n = SWITCHES / 2;
    let start = Instant::now();
    let a = sprout::spawn(move || {
        for _ in 0..n {
            sprout::yield_now();
        }
    });
    let b = sprout::spawn(move || {
        for _ in 0..n {
            black_box(());
            sprout::yield_now();
        }
    });
    a.join().unwrap();
    b.join().unwrap();
    per_op(start, SWITCHES)
}

/// may with one worker: two coroutines alternating `yield_now`.
fn may_yield() -> f64 {
    let n = SWITCHES / 2;
    let start = Instant::now();
    let spawn = || {
        // SAFETY: the closure owns its data and uses no thread-local state,
        // which is what may's unsafe spawn asks of callers.
        unsafe {
            may::coroutine::spawn(move || {
                for _ in 0..n {
                    may::coroutine::yield_now();
                }
            })
        }
    };
    let a = spawn();
    let b = spawn();
    a.join().unwrap();
    b.join().unwrap();
    per_op(start, SWITCHES)
}

/// tokio current-thread: two tasks alternating `yield_now`.
fn tokio_yield(rt: &tokio::runtime::Runtime) -> f64 {
    async fn body(n: u64) {
        for _ in 0..n {
            tokio::task::yield_now().await;
        }
    }
    let n = SWITCHES / 2;
    rt.block_on(async move {
        let start = Instant::now();
        let a = tokio::task::spawn(body(n));
        let b = tokio::task::spawn(body(n));
        a.await.unwrap();
        b.await.unwrap();
        per_op(start, SWITCHES)
    })
}

// ===== spawn + join =====

const SPAWNS: u64 = 200_000;

fn sprout_spawn_join() -> f64 {
    let start = Instant::now();
    for i in 0..SPAWNS {
        let h = sprout::spawn(move || black_box(i));
        black_box(h.join().unwrap());
    }
    per_op(start, SPAWNS)
}

fn sprout_spawn_batch() -> f64 {
    let start = Instant::now();
    let handles: Vec<_> = (0..SPAWNS)
        .map(|i| sprout::spawn(move || black_box(i)))
        .collect();
    for h in handles {
        black_box(h.join().unwrap());
    }
    per_op(start, SPAWNS)
}

fn may_spawn_join() -> f64 {
    let start = Instant::now();
    for i in 0..SPAWNS {
        // SAFETY: as in `may_yield`.
        let h = unsafe { may::coroutine::spawn(move || black_box(i)) };
        black_box(h.join().unwrap());
    }
    per_op(start, SPAWNS)
}

fn may_spawn_batch() -> f64 {
    let start = Instant::now();
    let handles: Vec<_> = (0..SPAWNS)
        // SAFETY: as in `may_yield`.
        .map(|i| unsafe { may::coroutine::spawn(move || black_box(i)) })
        .collect();
    for h in handles {
        black_box(h.join().unwrap());
    }
    per_op(start, SPAWNS)
}

fn tokio_spawn_join(rt: &tokio::runtime::Runtime) -> f64 {
    rt.block_on(async {
        let start = Instant::now();
        for i in 0..SPAWNS {
            let h = tokio::task::spawn(async move { black_box(i) });
            black_box(h.await.unwrap());
        }
        per_op(start, SPAWNS)
    })
}

fn tokio_spawn_batch(rt: &tokio::runtime::Runtime) -> f64 {
    rt.block_on(async {
        let start = Instant::now();
        let handles: Vec<_> = (0..SPAWNS)
            .map(|i| tokio::task::spawn(async move { black_box(i) }))
            .collect();
        for h in handles {
            black_box(h.await.unwrap());
        }
        per_op(start, SPAWNS)
    })
}

fn row(name: &str, ns: f64, base: f64) -> String {
    format!("| {name} | {ns:.1} | {:.2} | {:.2}x |", 1e3 / ns, ns / base)
}

fn main() {
    // `core sprout-yield` / `core sprout-spawn` run one case alone, for a profiler.
    match std::env::args().nth(1).as_deref() {
        Some("sprout-yield") => {
            println!("{:.1} ns/yield", median(RUNS, sprout_yield));
            return;
        }
        Some("sprout-spawn") => {
            println!(
                "{:.1} ns/spawn+join (batch)",
                median(RUNS, sprout_spawn_batch)
            );
            return;
        }
        _ => {}
    }
    may::config().set_workers(1);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");

    let raw = median(RUNS, raw_corosensei);
    let raw_pair = median(RUNS, raw_corosensei_pair);
    let minimal = median(RUNS, minimal_scheduler);
    let sprout_y = median(RUNS, sprout_yield);
    let sprout_y2 = median(RUNS, sprout_yield_two_bodies);
    let may_y = median(RUNS, may_yield);
    let tokio_y = median(RUNS, || tokio_yield(&rt));

    let sprout_sj = median(RUNS, sprout_spawn_join);
    let may_sj = median(RUNS, may_spawn_join);
    let tokio_sj = median(RUNS, || tokio_spawn_join(&rt));
    let sprout_sb = median(RUNS, sprout_spawn_batch);
    let may_sb = median(RUNS, may_spawn_batch);
    let tokio_sb = median(RUNS, || tokio_spawn_batch(&rt));

    println!("Medians of {RUNS} runs; ratio = time relative to sprout (lower is faster).\n");
    println!("### Switch: one yield between two green threads through the scheduler\n");
    println!("| implementation | ns/op | Mops/s | time vs sprout |");
    println!("|---|---:|---:|---:|");
    println!(
        "{}",
        row(
            "sprout `yield_now` (2 greenlets, via hub)",
            sprout_y,
            sprout_y
        )
    );
    println!(
        "{}",
        row(
            "sprout `yield_now`, the two greenlets running different code",
            sprout_y2,
            sprout_y
        )
    );
    println!(
        "{}",
        row(
            "raw corosensei resume+suspend (no scheduler)",
            raw,
            sprout_y
        )
    );
    println!(
        "{}",
        row(
            "raw corosensei, two coroutines resumed in turn (no scheduler)",
            raw_pair,
            sprout_y
        )
    );
    println!(
        "{}",
        row(
            "minimal FIFO scheduler over corosensei (no timers, I/O, kill)",
            minimal,
            sprout_y
        )
    );
    println!("{}", row("may `yield_now` (1 worker)", may_y, sprout_y));
    println!(
        "{}",
        row("tokio `yield_now` (current-thread)", tokio_y, sprout_y)
    );
    println!(
        "\nsprout yield / raw corosensei switch = {:.2} (target: within 2x); \
         / two coroutines in turn = {:.2}; / minimal scheduler = {:.2}\n",
        sprout_y / raw,
        sprout_y / raw_pair,
        sprout_y / minimal
    );
    println!(
        "Reading the table: a yield through any scheduler on corosensei is two \
         switches (greenlet to scheduler, scheduler to the next greenlet) plus the \
         choice of what runs next, so the raw round trip of one coroutine is a floor \
         no scheduler reaches; the minimal FIFO scheduler shows what the bare choice \
         costs. sprout's yield also checks for pending kills and timeouts, ignores \
         stale wake-ups by sequence number, keeps the stack-overflow handler and the \
         blocking monitor informed, counts switches, and polls for I/O and timers \
         every 61 greenlets.\n"
    );
    println!("### Spawn + join, {SPAWNS} tasks\n");
    println!("| implementation | ns/op | Mops/s | time vs sprout |");
    println!("|---|---:|---:|---:|");
    println!("{}", row("sprout spawn, join each", sprout_sj, sprout_sj));
    println!(
        "{}",
        row("may spawn, join each (1 worker)", may_sj, sprout_sj)
    );
    println!(
        "{}",
        row(
            "tokio spawn, await each (current-thread)",
            tokio_sj,
            sprout_sj
        )
    );
    println!(
        "{}",
        row("sprout spawn all, then join all", sprout_sb, sprout_sb)
    );
    println!(
        "{}",
        row("may spawn all, then join all (1 worker)", may_sb, sprout_sb)
    );
    println!(
        "{}",
        row(
            "tokio spawn all, then await all (current-thread)",
            tokio_sb,
            sprout_sb
        )
    );
    println!(
        "\nspawn+join: sprout is {:.1}x faster than may (join each), {:.1}x (batch)",
        may_sj / sprout_sj,
        may_sb / sprout_sb
    );
}
