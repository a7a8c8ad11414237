//! Fuzzes the FIFO wait list shared by every sync primitive against a
//! `VecDeque` model: pushes, unlinks from the front and removals of any
//! node keep FIFO order, lengths and linked flags exactly as the model says.
//!
//! Run: `cargo fuzz run wait_list --sanitizer none -- -max_total_time=60`
//! (from the repository root).

#![no_main]

use std::collections::VecDeque;

use libfuzzer_sys::fuzz_target;

// A plain data structure depending only on `slab`: compiled directly.
#[path = "../../runtime/src/sync/wait_list.rs"]
#[allow(dead_code, reason = "not every method is exercised")]
mod wait_list;

use wait_list::{WaitList, WaiterKey};

fuzz_target!(|data: &[u8]| {
    let mut list: WaitList<u32> = WaitList::new();
    // Model: linked keys in FIFO order, and every key still held by a waiter.
    let mut queue: VecDeque<(WaiterKey, u32)> = VecDeque::new();
    let mut held: Vec<(WaiterKey, u32)> = Vec::new();
    let mut next = 0u32;
    for chunk in data.chunks(2) {
        let (op, arg) = (chunk[0] % 3, usize::from(*chunk.get(1).unwrap_or(&0)));
        match op {
            0 => {
                let key = list.push_back(next);
                queue.push_back((key, next));
                held.push((key, next));
                next += 1;
            }
            1 => {
                let got = list.unlink_front();
                let want = queue.pop_front();
                assert_eq!(got, want.map(|w| w.0));
                if let Some((key, value)) = want {
                    assert!(!list.is_linked(key));
                    assert_eq!(*list.get(key), value);
                }
            }
            _ if !held.is_empty() => {
                let (key, value) = held.swap_remove(arg % held.len());
                assert_eq!(list.remove(key), value);
                queue.retain(|q| q.0 != key);
            }
            _ => {}
        }
        assert_eq!(list.len(), queue.len());
        assert_eq!(list.is_empty(), queue.is_empty());
        assert_eq!(list.front(), queue.front().map(|q| q.0));
        for (key, _) in &queue {
            assert!(list.is_linked(*key));
        }
    }
});
