//! `sprout` with the `monkey` feature: enabling it is all a user does; the
//! hooks are in effect without naming `sprout_monkey` anywhere.
//!
//! Run with `cargo test --features monkey --test monkey_facade`.

#![cfg(feature = "monkey")]

use std::time::{Duration, Instant};

#[test]
fn std_sleeps_overlap_with_only_the_feature_enabled() {
    // Nothing here mentions the hook crate: plain std inside greenlets.
    let start = Instant::now();
    let sleepers: Vec<_> = (0..50)
        .map(|_| sprout::spawn(|| std::thread::sleep(Duration::from_millis(50))))
        .collect();
    for s in sleepers {
        s.join().unwrap();
    }
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(50));
    assert!(took < Duration::from_millis(1000), "{took:?}");
}
