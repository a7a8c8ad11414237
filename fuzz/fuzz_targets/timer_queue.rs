//! Fuzzes the hub's timer queue against a sorted-vector model: any sequence
//! of inserts, cancels and expiry polls must pop exactly the model's timers,
//! in (deadline, insertion) order, never before their deadline.
//!
//! Run: `cargo fuzz run timer_queue --sanitizer none -- -max_total_time=60`
//! (from the repository root).

#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;

// The data structure is a plain file with no dependencies on the rest of the
// runtime, so the harness compiles it directly.
#[path = "../../runtime/src/time/timer_queue.rs"]
#[allow(dead_code, reason = "not every method is exercised")]
mod timer_queue;

use timer_queue::{TimerKey, TimerQueue};

fuzz_target!(|data: &[u8]| {
    let base = Instant::now();
    let mut q: TimerQueue<u32> = TimerQueue::new();
    // Model: (deadline ms, insertion seq, value); keys kept for cancels.
    let mut model: Vec<(u64, u32)> = Vec::new();
    let mut keys: Vec<(TimerKey, u32, bool)> = Vec::new();
    let mut now_ms: u64 = 0;
    let mut next = 0u32;
    for chunk in data.chunks(2) {
        let (op, arg) = (chunk[0] % 4, u64::from(*chunk.get(1).unwrap_or(&0)));
        match op {
            0 | 1 => {
                let deadline = now_ms + arg % 64;
                let key = q.insert(base + Duration::from_millis(deadline), next);
                model.push((deadline, next));
                keys.push((key, next, true));
                next += 1;
            }
            2 if !keys.is_empty() => {
                let i = arg as usize % keys.len();
                let (key, value, live) = keys[i];
                let removed = q.cancel(key);
                if live {
                    assert_eq!(removed, Some(value));
                    model.retain(|m| m.1 != value);
                    keys[i].2 = false;
                } else {
                    assert_eq!(removed, None, "a timer was cancelled or fired twice");
                }
            }
            _ => {
                now_ms += arg % 32;
                let now = base + Duration::from_millis(now_ms);
                let mut expected: Vec<(u64, u32)> = model.iter().copied().filter(|m| m.0 <= now_ms).collect();
                expected.sort();
                model.retain(|m| m.0 > now_ms);
                let got: Vec<u32> = std::iter::from_fn(|| q.pop_expired(now)).map(|(_, v)| v).collect();
                let want: Vec<u32> = expected.iter().map(|m| m.1).collect();
                assert_eq!(got, want);
                for k in keys.iter_mut() {
                    if want.contains(&k.1) {
                        k.2 = false;
                    }
                }
            }
        }
        assert_eq!(q.len(), model.len());
        let min = model.iter().map(|m| m.0).min();
        assert_eq!(q.next_deadline(), min.map(|ms| base + Duration::from_millis(ms)));
    }
});
