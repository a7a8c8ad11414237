//! Ten greenlets each sleep one second; together they finish in about one
//! second, because `sprout::sleep` switches to the hub instead of blocking.
//!
//! Run: `cargo run --example ten_sleepers`

use std::time::{Duration, Instant};

fn main() {
    let start = Instant::now();
    let handles: Vec<_> = (1..=10)
        .map(|n| {
            sprout::spawn(move || {
                sprout::sleep(Duration::from_secs(1));
                println!(
                    "greenlet {n:>2} woke after {:.3} s",
                    start.elapsed().as_secs_f64()
                );
                n
            })
        })
        .collect();
    let total: i32 = sprout::joinall(handles)
        .into_iter()
        .map(|r| r.expect("no greenlet panics"))
        .sum();
    let elapsed = start.elapsed();
    println!(
        "10 greenlets x 1 s of sleep finished in {:.3} s (sum of ids {total})",
        elapsed.as_secs_f64()
    );
    assert!(elapsed < Duration::from_secs(3), "sleeps must overlap");
}
