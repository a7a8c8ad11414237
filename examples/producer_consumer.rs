//! Producers and consumers over a queue (the seeds' pattern): three
//! producers, two consumers, one `None` sentinel per consumer to stop it;
//! then the same work with a `JoinableQueue`, where the producer side waits
//! for `task_done` on every item instead of sending sentinels.
//!
//! Run: `cargo run --example producer_consumer`

use std::rc::Rc;

use sprout::queue::{JoinableQueue, Queue};

const PRODUCERS: usize = 3;
const CONSUMERS: usize = 2;
const ITEMS: usize = 4;

/// Runs both variants, passing every output line to `out`.
pub(crate) fn run(out: &mut dyn FnMut(String)) {
    let lines = Rc::new(std::cell::RefCell::new(Vec::new()));

    // ===== sentinels =====
    let q: Rc<Queue<Option<String>>> = Rc::new(Queue::bounded(2));
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|c| {
            let (q, lines) = (q.clone(), lines.clone());
            sprout::spawn(move || {
                let mut got = 0;
                while let Some(item) = q.get().expect("the queue is never shut down") {
                    lines.borrow_mut().push(format!("consumer {c} got {item}"));
                    got += 1;
                }
                lines
                    .borrow_mut()
                    .push(format!("consumer {c} stopped after {got} items"));
                got
            })
        })
        .collect();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let q = q.clone();
            sprout::spawn(move || {
                for i in 0..ITEMS {
                    // Blocks while two items wait: the consumers run meanwhile.
                    q.put(Some(format!("item {p}.{i}"))).expect("open");
                }
            })
        })
        .collect();
    for p in sprout::joinall(producers) {
        p.expect("producers do not panic");
    }
    for _ in 0..CONSUMERS {
        q.put(None).expect("open"); // one sentinel per consumer
    }
    let consumed: usize = sprout::joinall(consumers)
        .into_iter()
        .map(|r| r.expect("no panic"))
        .sum();
    for line in lines.borrow_mut().drain(..) {
        out(line);
    }
    out(format!("sentinels: {consumed} items consumed"));

    // ===== JoinableQueue =====
    let jq: Rc<JoinableQueue<String>> = Rc::new(JoinableQueue::new());
    let workers: Vec<_> = (0..CONSUMERS)
        .map(|c| {
            let (jq, lines) = (jq.clone(), lines.clone());
            sprout::spawn(move || {
                for item in jq.iter() {
                    sprout::yield_now(); // the "work"
                    lines.borrow_mut().push(format!("worker {c} did {item}"));
                    jq.task_done().expect("one task_done per item");
                }
            })
        })
        .collect();
    for p in 0..PRODUCERS {
        for i in 0..ITEMS {
            jq.put(format!("task {p}.{i}")).expect("open");
        }
    }
    jq.join(); // every task was marked done
    for line in lines.borrow_mut().drain(..) {
        out(line);
    }
    out(format!(
        "joinable: all {} tasks done, {} unfinished",
        PRODUCERS * ITEMS,
        jq.unfinished_tasks()
    ));
    jq.shutdown(); // ends the workers' loops
    for w in sprout::joinall(workers) {
        w.expect("workers do not panic");
    }
}

fn main() {
    run(&mut |line| println!("{line}"));
}
