//! Timer queue cost with 0 and 1,000,000 pending timers: insert + cancel
//! (what every timed wait that ends early does) and insert + pop at expiry.
//!
//! Run: `cargo run --release -p sprout-bench --bin timers` (pinned:
//! `taskset -c 1 target/release/timers`).

#![allow(clippy::print_stdout, reason = "a benchmark binary reports on stdout")]

use std::hint::black_box;
use std::time::{Duration, Instant};

// The queue is a dependency-free file of the runtime; the benchmark
// compiles it directly, as the fuzz targets do.
#[path = "../../../runtime/src/time/timer_queue.rs"]
#[allow(dead_code, unreachable_pub, reason = "not every item is used here")]
mod timer_queue;

use timer_queue::TimerQueue;

const OPS: u32 = 1_000_000;

fn bench(pending: u32) -> (f64, f64) {
    let base = Instant::now();
    let mut q: TimerQueue<u32> = TimerQueue::new();
    // Pending timers spread over an hour.
    for i in 0..pending {
        q.insert(base + Duration::from_millis(u64::from(i % 3_600_000)), i);
    }
    let start = Instant::now();
    for i in 0..OPS {
        let k = q.insert(base + Duration::from_millis(u64::from(i % 1000)), i);
        black_box(q.cancel(k));
    }
    let insert_cancel = start.elapsed().as_nanos() as f64 / f64::from(OPS);
    // Insert timers that are already due and pop them.
    let start = Instant::now();
    let now = Instant::now();
    for i in 0..OPS {
        q.insert(base, i);
        black_box(q.pop_expired(now));
    }
    let insert_pop = start.elapsed().as_nanos() as f64 / f64::from(OPS);
    assert_eq!(q.len(), pending as usize, "no timer may leak");
    (insert_cancel, insert_pop)
}

fn main() {
    println!("| pending timers | insert + cancel ns | insert + pop expired ns |");
    println!("|---:|---:|---:|");
    for pending in [0, 1_000_000] {
        let (ic, ip) = bench(pending);
        println!("| {pending} | {ic:.0} | {ip:.0} |");
    }
}
