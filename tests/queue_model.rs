//! Every queue type against a model, for any sequence of operations:
//! non-blocking puts and gets, greenlets that block in `put`/`get`,
//! `peek`, `len`, `task_done`, and both kinds of shutdown.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

use proptest::prelude::*;
use sprout::queue::{
    Channel, GetError, JoinableQueue, LifoQueue, PriorityQueue, PutError, Queue, TryGetError,
    TryPutError,
};

/// Ordered by `pri` only, so a priority queue sees ties; `id` tells items
/// apart.
#[derive(Debug, Clone, Copy)]
struct Item {
    pri: u8,
    id: u32,
}

impl PartialEq for Item {
    fn eq(&self, o: &Self) -> bool {
        self.pri == o.pri
    }
}
impl Eq for Item {}
impl PartialOrd for Item {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Item {
    fn cmp(&self, o: &Self) -> Ordering {
        self.pri.cmp(&o.pri)
    }
}

#[derive(Debug, Clone)]
enum Op {
    TryPut(u8),
    TryGet,
    Peek,
    BlockingPut(u8),
    BlockingGet,
    TaskDone,
    Shutdown,
    ShutdownNow,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..3).prop_map(Op::TryPut),
        3 => Just(Op::TryGet),
        1 => Just(Op::Peek),
        3 => (0u8..3).prop_map(Op::BlockingPut),
        3 => Just(Op::BlockingGet),
        1 => Just(Op::TaskDone),
        1 => Just(Op::Shutdown),
        1 => Just(Op::ShutdownNow),
    ]
}

/// What a blocked greenlet ended with: `Some(id)` of the item it got, or
/// `None` for a successful put; `Err(())` for the shutdown error.
type Outcome = Result<Option<u32>, ()>;

/// The queue operations under test, over every queue type.
trait AnyQueue: 'static {
    fn try_put(&self, x: Item) -> Result<(), TryPutError<Item>>;
    fn try_get(&self) -> Result<Item, TryGetError>;
    fn put(&self, x: Item) -> Result<(), PutError<Item>>;
    fn get(&self) -> Result<Item, GetError>;
    fn peek(&self) -> Option<Item>;
    fn len(&self) -> usize;
    fn shutdown(&self);
    fn shutdown_now(&self) -> Vec<Item>;
    fn task_done(&self) -> Option<bool> {
        None
    }
    fn unfinished(&self) -> Option<usize> {
        None
    }
}

macro_rules! any_queue {
    ($ty:ty) => {
        impl AnyQueue for $ty {
            fn try_put(&self, x: Item) -> Result<(), TryPutError<Item>> {
                <$ty>::try_put(self, x)
            }
            fn try_get(&self) -> Result<Item, TryGetError> {
                <$ty>::try_get(self)
            }
            fn put(&self, x: Item) -> Result<(), PutError<Item>> {
                <$ty>::put(self, x)
            }
            fn get(&self) -> Result<Item, GetError> {
                <$ty>::get(self)
            }
            fn peek(&self) -> Option<Item> {
                <$ty>::peek(self)
            }
            fn len(&self) -> usize {
                <$ty>::len(self)
            }
            fn shutdown(&self) {
                <$ty>::shutdown(self)
            }
            fn shutdown_now(&self) -> Vec<Item> {
                <$ty>::shutdown_now(self)
            }
            any_queue!(@extra $ty);
        }
    };
    (@extra JoinableQueue<Item>) => {
        fn task_done(&self) -> Option<bool> {
            Some(JoinableQueue::task_done(self).is_ok())
        }
        fn unfinished(&self) -> Option<usize> {
            Some(self.unfinished_tasks())
        }
    };
    (@extra $ty:ty) => {};
}

any_queue!(Queue<Item>);
any_queue!(LifoQueue<Item>);
any_queue!(PriorityQueue<Item>);
any_queue!(Channel<Item>);
any_queue!(JoinableQueue<Item>);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Order {
    Fifo,
    Lifo,
    Priority,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Open,
    Graceful,
    Immediate,
}

/// The reference: plain collections, no greenlets.
struct Model {
    order: Order,
    /// `None` unbounded; `Some(0)` a channel.
    cap: Option<usize>,
    channel: bool,
    /// (item, put sequence)
    buf: Vec<(Item, u64)>,
    seq: u64,
    getters: VecDeque<u32>,
    putters: VecDeque<(u32, Item)>,
    mode: Mode,
    outcomes: BTreeMap<u32, Outcome>,
    unfinished: usize,
}

impl Model {
    fn pop_index(&self) -> Option<usize> {
        let it = self.buf.iter().enumerate();
        match self.order {
            Order::Fifo => it.min_by_key(|(_, (_, s))| *s),
            Order::Lifo => it.max_by_key(|(_, (_, s))| *s),
            Order::Priority => it.min_by_key(|(_, (x, s))| (x.pri, *s)),
        }
        .map(|(i, _)| i)
    }

    fn peek(&self) -> Option<Item> {
        if self.mode == Mode::Immediate {
            return None;
        }
        match self.pop_index() {
            Some(i) => Some(self.buf[i].0),
            None => self.putters.front().map(|p| p.1),
        }
    }

    fn full(&self) -> bool {
        self.cap.is_some_and(|c| self.buf.len() >= c)
    }

    fn push(&mut self, x: Item) {
        self.buf.push((x, self.seq));
        self.seq += 1;
    }

    fn try_put(&mut self, x: Item) -> Result<(), bool /* full */> {
        if self.mode != Mode::Open {
            return Err(false);
        }
        if let Some(g) = self.getters.pop_front() {
            self.outcomes.insert(g, Ok(Some(x.id)));
        } else if self.full() || !self.putters.is_empty() {
            return Err(true);
        } else {
            self.push(x);
        }
        self.unfinished += 1;
        Ok(())
    }

    fn try_get(&mut self) -> Result<Item, bool /* empty */> {
        if self.mode == Mode::Immediate {
            return Err(false);
        }
        if let Some(i) = self.pop_index() {
            let (x, _) = self.buf.remove(i);
            while !self.full() {
                let Some((p, y)) = self.putters.pop_front() else {
                    break;
                };
                self.push(y);
                self.unfinished += 1;
                self.outcomes.insert(p, Ok(None));
            }
            return Ok(x);
        }
        if let Some((p, y)) = self.putters.pop_front() {
            self.unfinished += 1;
            self.outcomes.insert(p, Ok(None));
            return Ok(y);
        }
        Err(self.mode == Mode::Open)
    }

    fn fail_waiters(&mut self) {
        for (p, _) in std::mem::take(&mut self.putters) {
            self.outcomes.insert(p, Err(()));
        }
        if self.buf.is_empty() || self.mode == Mode::Immediate {
            for g in std::mem::take(&mut self.getters) {
                self.outcomes.insert(g, Err(()));
            }
        }
    }

    fn len(&self) -> usize {
        if self.channel {
            self.putters.len()
        } else {
            self.buf.len()
        }
    }
}

fn run(q: Rc<dyn AnyQueue>, order: Order, cap: Option<usize>, channel: bool, ops: Vec<Op>) {
    let mut m = Model {
        order,
        cap,
        channel,
        buf: Vec::new(),
        seq: 0,
        getters: VecDeque::new(),
        putters: VecDeque::new(),
        mode: Mode::Open,
        outcomes: BTreeMap::new(),
        unfinished: 0,
    };
    let outcomes: Rc<RefCell<BTreeMap<u32, Outcome>>> = Rc::default();
    let mut handles = Vec::new();
    for (step, op) in ops.into_iter().enumerate() {
        let id = step as u32;
        match op {
            Op::TryPut(pri) => {
                let x = Item { pri, id };
                let got = q.try_put(x).map_err(|e| e.is_full());
                assert_eq!(got, m.try_put(x), "step {step}: try_put");
            }
            Op::TryGet => {
                let got = q
                    .try_get()
                    .map(|x| x.id)
                    .map_err(|e| e == TryGetError::Empty);
                assert_eq!(got, m.try_get().map(|x| x.id), "step {step}: try_get");
            }
            Op::Peek => assert_eq!(
                q.peek().map(|x| x.id),
                m.peek().map(|x| x.id),
                "step {step}: peek"
            ),
            Op::BlockingPut(pri) => {
                let x = Item { pri, id };
                match m.try_put(x) {
                    Ok(()) => {
                        m.outcomes.insert(id, Ok(None));
                    }
                    Err(true) => m.putters.push_back((id, x)),
                    Err(false) => {
                        m.outcomes.insert(id, Err(()));
                    }
                }
                let (q, out) = (q.clone(), outcomes.clone());
                handles.push(sprout::spawn(move || {
                    let r = q.put(x).map(|()| None).map_err(|_| ());
                    out.borrow_mut().insert(id, r);
                }));
            }
            Op::BlockingGet => {
                match m.try_get() {
                    Ok(x) => {
                        m.outcomes.insert(id, Ok(Some(x.id)));
                    }
                    Err(true) => m.getters.push_back(id),
                    Err(false) => {
                        m.outcomes.insert(id, Err(()));
                    }
                }
                let (q, out) = (q.clone(), outcomes.clone());
                handles.push(sprout::spawn(move || {
                    let r = q.get().map(|x| Some(x.id)).map_err(|_| ());
                    out.borrow_mut().insert(id, r);
                }));
            }
            Op::TaskDone => {
                if let Some(ok) = q.task_done() {
                    let want = m.unfinished > 0;
                    m.unfinished = m.unfinished.saturating_sub(1);
                    assert_eq!(ok, want, "step {step}: task_done");
                }
            }
            Op::Shutdown => {
                q.shutdown();
                if m.mode == Mode::Open {
                    m.mode = Mode::Graceful;
                }
                m.fail_waiters();
            }
            Op::ShutdownNow => {
                let got: Vec<u32> = q.shutdown_now().iter().map(|x| x.id).collect();
                m.mode = Mode::Immediate;
                let mut want = Vec::new();
                while let Some(i) = m.pop_index() {
                    want.push(m.buf.remove(i).0.id);
                }
                m.unfinished = m.unfinished.saturating_sub(want.len());
                m.fail_waiters();
                assert_eq!(got, want, "step {step}: shutdown_now");
            }
        }
        // Let every greenlet that can make progress do so.
        sprout::idle();
        assert_eq!(
            *outcomes.borrow(),
            m.outcomes,
            "step {step}: outcomes of blocked callers"
        );
        assert_eq!(q.len(), m.len(), "step {step}: len");
        if let Some(n) = q.unfinished() {
            assert_eq!(n, m.unfinished, "step {step}: unfinished tasks");
        }
    }
    // Release whoever is still blocked, and check they all wake.
    q.shutdown_now();
    m.mode = Mode::Immediate;
    m.fail_waiters();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(*outcomes.borrow(), m.outcomes, "after the final shutdown");
}

fn cap() -> impl Strategy<Value = Option<usize>> {
    prop_oneof![Just(None), (1usize..4).prop_map(Some)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn queue_matches_model(cap in cap(), ops in proptest::collection::vec(op(), 1..40)) {
        let q = match cap { Some(c) => Queue::bounded(c), None => Queue::new() };
        run(Rc::new(q), Order::Fifo, cap, false, ops);
    }

    #[test]
    fn lifo_queue_matches_model(cap in cap(), ops in proptest::collection::vec(op(), 1..40)) {
        let q = match cap { Some(c) => LifoQueue::bounded(c), None => LifoQueue::new() };
        run(Rc::new(q), Order::Lifo, cap, false, ops);
    }

    #[test]
    fn priority_queue_matches_model(cap in cap(), ops in proptest::collection::vec(op(), 1..40)) {
        let q = match cap { Some(c) => PriorityQueue::bounded(c), None => PriorityQueue::new() };
        run(Rc::new(q), Order::Priority, cap, false, ops);
    }

    #[test]
    fn joinable_queue_matches_model(cap in cap(), ops in proptest::collection::vec(op(), 1..40)) {
        let q = match cap { Some(c) => JoinableQueue::bounded(c), None => JoinableQueue::new() };
        run(Rc::new(q), Order::Fifo, cap, false, ops);
    }

    #[test]
    fn channel_matches_model(ops in proptest::collection::vec(op(), 1..40)) {
        run(Rc::new(Channel::new()), Order::Fifo, Some(0), true, ops);
    }

    #[test]
    fn bounded_zero_queue_is_a_rendezvous(ops in proptest::collection::vec(op(), 1..40)) {
        run(Rc::new(Queue::bounded(0)), Order::Fifo, Some(0), false, ops);
    }
}
