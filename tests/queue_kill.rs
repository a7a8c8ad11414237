//! Conservation under kills and timeouts: whatever greenlets blocked in
//! `put`/`get` are killed or time out, and whenever that happens relative
//! to the hand-over, every item whose put succeeded is got exactly once or
//! is still in the queue at the end, no item whose put failed appears, and
//! nothing is duplicated. (A putter killed after its item was taken did put
//! it, though it never saw `Ok`: that item may appear.) Likewise no
//! semaphore permit is lost.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use proptest::prelude::*;
use sprout::queue::{Channel, LifoQueue, PriorityQueue, Queue};
use sprout::sync::Semaphore;
use sprout::{JoinHandle, spawn};

#[derive(Debug, Clone)]
enum Op {
    /// A greenlet that gets once (with a timeout of this many ms, if any).
    Get(Option<u8>),
    /// A greenlet that puts an item (with a timeout, if any); the item is
    /// the op's index, so every item is unique.
    Put(Option<u8>),
    /// Kill the n-th greenlet spawned so far (if alive), at once.
    Kill(usize),
    /// Run until nothing is ready.
    Idle,
    /// Let timers fire.
    Sleep(u8),
}

fn op() -> impl Strategy<Value = Op> {
    let timeout = prop_oneof![Just(None), (0u8..3).prop_map(Some)];
    prop_oneof![
        3 => timeout.clone().prop_map(Op::Get),
        3 => timeout.prop_map(Op::Put),
        3 => (0usize..64).prop_map(Op::Kill),
        2 => Just(Op::Idle),
        1 => (0u8..3).prop_map(Op::Sleep),
    ]
}

trait Q: 'static {
    fn get(&self, t: Option<Duration>) -> Option<u32>;
    fn put(&self, x: u32, t: Option<Duration>) -> bool;
    fn rest(&self) -> Vec<u32>;
}

macro_rules! q {
    ($ty:ty) => {
        impl Q for $ty {
            fn get(&self, t: Option<Duration>) -> Option<u32> {
                match t {
                    Some(t) => self.get_timeout(t).ok(),
                    None => <$ty>::get(self).ok(),
                }
            }
            fn put(&self, x: u32, t: Option<Duration>) -> bool {
                match t {
                    Some(t) => self.put_timeout(x, t).is_ok(),
                    None => <$ty>::put(self, x).is_ok(),
                }
            }
            fn rest(&self) -> Vec<u32> {
                self.shutdown_now()
            }
        }
    };
}

q!(Queue<u32>);
q!(LifoQueue<u32>);
q!(PriorityQueue<u32>);
q!(Channel<u32>);

fn run(q: Rc<dyn Q>, ops: Vec<Op>) {
    let put: Rc<RefCell<Vec<u32>>> = Rc::default();
    let failed: Rc<RefCell<Vec<u32>>> = Rc::default();
    let got: Rc<RefCell<Vec<u32>>> = Rc::default();
    let mut offered = Vec::new();
    let mut handles: Vec<JoinHandle<()>> = Vec::new();
    let ms = |t: Option<u8>| t.map(|t| Duration::from_millis(u64::from(t)));
    for (step, op) in ops.into_iter().enumerate() {
        match op {
            Op::Get(t) => {
                let (q, got) = (q.clone(), got.clone());
                handles.push(spawn(move || {
                    if let Some(x) = q.get(ms(t)) {
                        got.borrow_mut().push(x);
                    }
                }));
            }
            Op::Put(t) => {
                let x = step as u32;
                offered.push(x);
                let (q, put, failed) = (q.clone(), put.clone(), failed.clone());
                handles.push(spawn(move || {
                    if q.put(x, ms(t)) {
                        put.borrow_mut().push(x);
                    } else {
                        failed.borrow_mut().push(x);
                    }
                }));
            }
            Op::Kill(n) => {
                if !handles.is_empty() {
                    handles[n % handles.len()].request_kill();
                }
            }
            Op::Idle => sprout::idle(),
            Op::Sleep(t) => sprout::sleep(Duration::from_millis(u64::from(t))),
        }
    }
    sprout::idle();
    let rest = q.rest();
    for h in handles {
        let _ = h.join();
    }
    let mut out = got.take();
    out.extend(rest);
    out.sort_unstable();
    let n = out.len();
    out.dedup();
    assert_eq!(out.len(), n, "an item was delivered twice: {out:?}");
    for x in put.take() {
        assert!(
            out.binary_search(&x).is_ok(),
            "item {x} was put but is lost"
        );
    }
    for x in failed.take() {
        assert!(
            out.binary_search(&x).is_err(),
            "item {x} failed to put but appeared"
        );
    }
    for x in &out {
        assert!(offered.contains(x), "item {x} was never offered");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn queue_loses_nothing(cap in prop_oneof![Just(None), (1usize..3).prop_map(Some)],
                           ops in proptest::collection::vec(op(), 1..40)) {
        let q = match cap { Some(c) => Queue::bounded(c), None => Queue::new() };
        run(Rc::new(q), ops);
    }

    #[test]
    fn lifo_and_priority_lose_nothing(ops in proptest::collection::vec(op(), 1..40)) {
        run(Rc::new(LifoQueue::bounded(2)), ops.clone());
        run(Rc::new(PriorityQueue::bounded(2)), ops);
    }

    #[test]
    fn channel_loses_nothing(ops in proptest::collection::vec(op(), 1..40)) {
        run(Rc::new(Channel::new()), ops);
    }

    #[test]
    fn semaphore_loses_no_permit(ops in proptest::collection::vec(op(), 1..40)) {
        // Get = acquire (and keep), Put = release; kills and timeouts in
        // between must leave permits = releases - successful acquires.
        let sem = Rc::new(Semaphore::new(0));
        let acquired = Rc::new(RefCell::new(0usize));
        let released = Rc::new(RefCell::new(0usize));
        let mut handles: Vec<JoinHandle<()>> = Vec::new();
        for op in ops {
            match op {
                Op::Get(t) => {
                    let (sem, acquired) = (sem.clone(), acquired.clone());
                    handles.push(spawn(move || {
                        let ok = match t {
                            Some(t) => sem.acquire_timeout(Duration::from_millis(u64::from(t))),
                            None => {
                                sem.acquire();
                                true
                            }
                        };
                        if ok {
                            *acquired.borrow_mut() += 1;
                        }
                    }));
                }
                Op::Put(_) => {
                    sem.release();
                    *released.borrow_mut() += 1;
                }
                Op::Kill(n) => {
                    if !handles.is_empty() {
                        handles[n % handles.len()].request_kill();
                    }
                }
                Op::Idle => sprout::idle(),
                Op::Sleep(t) => sprout::sleep(Duration::from_millis(u64::from(t))),
            }
        }
        sprout::idle();
        sprout::killall(&handles);
        prop_assert_eq!(sem.available_permits() + *acquired.borrow(), *released.borrow());
    }
}
