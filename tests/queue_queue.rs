//! Queues: the timeout contract, shutdown both ways with blocked putters
//! and getters, handing items over without loss, iteration, JoinableQueue
//! and Channel specifics.

mod util;

use std::rc::Rc;
use std::time::{Duration, Instant};

use sprout::queue::{
    Channel, GetError, GetTimeoutError, JoinableQueue, LifoQueue, PriorityQueue, PutError,
    PutTimeoutError, Queue, TaskDoneError, TryGetError, TryPutError,
};
use sprout::{spawn, yield_now};
use util::{Log, assert_elapsed_between};

#[test]
fn get_timeout_and_put_timeout_contract() {
    let q: Queue<u8> = Queue::bounded(1);
    let start = Instant::now();
    assert_eq!(
        q.get_timeout(Duration::from_millis(20)),
        Err(GetTimeoutError::TimedOut)
    );
    assert_elapsed_between(start, Duration::from_millis(20), Duration::from_millis(500));
    assert_eq!(
        q.get_timeout(Duration::ZERO),
        Err(GetTimeoutError::TimedOut)
    );
    q.put(1).unwrap();
    let start = Instant::now();
    let err = q.put_timeout(2, Duration::from_millis(20)).unwrap_err();
    assert_elapsed_between(start, Duration::from_millis(20), Duration::from_millis(500));
    assert!(err.is_timeout());
    assert_eq!(err.into_inner(), 2, "the item comes back");
    assert!(matches!(
        q.put_timeout(3, Duration::ZERO),
        Err(PutTimeoutError::TimedOut(3))
    ));
    assert_eq!(
        (q.getters(), q.putters()),
        (0, 0),
        "timed-out waiters leave"
    );
    assert_eq!(q.try_get(), Ok(1));
    assert_eq!(q.try_get(), Err(TryGetError::Empty));
    let ch: Channel<u8> = Channel::new();
    assert!(matches!(
        ch.put_timeout(1, Duration::from_millis(5)),
        Err(PutTimeoutError::TimedOut(1))
    ));
    assert_eq!(
        ch.get_timeout(Duration::from_millis(5)),
        Err(GetTimeoutError::TimedOut)
    );
}

#[test]
fn fast_paths_never_switch() {
    let log = Log::new();
    let l = log.clone();
    let h = spawn(move || l.push("other"));
    let q = Queue::bounded(2);
    q.put(1).unwrap();
    q.put_timeout(2, Duration::ZERO).unwrap();
    assert_eq!(q.get(), Ok(1));
    assert_eq!(q.get_timeout(Duration::from_secs(1)), Ok(2));
    assert!(q.try_get().is_err());
    log.push("main");
    h.join().unwrap();
    assert_eq!(log.take(), ["main", "other"]);
}

#[test]
fn item_put_at_the_moment_of_the_timeout_is_not_lost() {
    for _ in 0..20 {
        let q = Rc::new(Queue::new());
        let deadline = Instant::now() + Duration::from_millis(2);
        let q2 = q.clone();
        let putter = spawn(move || {
            sprout::sleep_until(deadline);
            q2.put(7).unwrap();
        });
        let got = q.get_timeout(deadline - Instant::now());
        putter.join().unwrap();
        match got {
            Ok(7) => assert!(q.is_empty()),
            Err(GetTimeoutError::TimedOut) => assert_eq!(q.try_get(), Ok(7)),
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn item_handed_to_a_killed_getter_goes_to_the_next_getter() {
    let q = Rc::new(Queue::new());
    let log = Log::new();
    let mk = |name: &'static str| {
        let (q, log) = (q.clone(), log.clone());
        spawn(move || {
            let x: u32 = q.get().unwrap();
            log.push(format!("{name} got {x}"));
        })
    };
    let a = mk("a");
    let b = mk("b");
    yield_now();
    q.put(1).unwrap(); // handed to `a`, which has not run yet
    a.kill();
    b.join().unwrap();
    assert_eq!(log.take(), ["b got 1"]);
    assert!(q.is_empty());
}

#[test]
fn item_handed_to_a_killed_getter_returns_to_the_front() {
    let q = Rc::new(Queue::new());
    let q2 = q.clone();
    let a = spawn(move || q2.get());
    yield_now();
    q.put(1).unwrap(); // handed to `a`
    q.put(2).unwrap();
    a.kill();
    assert_eq!(q.try_iter().collect::<Vec<_>>(), [1, 2]);
}

#[test]
fn blocked_putters_are_admitted_in_fifo_order() {
    let q = Rc::new(Queue::bounded(1));
    q.put(0).unwrap();
    let handles: Vec<_> = (1..=3)
        .map(|i| {
            let q = q.clone();
            spawn(move || q.put(i).unwrap())
        })
        .collect();
    yield_now();
    assert_eq!(q.putters(), 3);
    let got: Vec<i32> = (0..4).map(|_| q.get().unwrap()).collect();
    assert_eq!(got, [0, 1, 2, 3]);
    sprout::joinall(handles);
}

#[test]
fn graceful_shutdown_wakes_blocked_putters_and_drains() {
    let q = Rc::new(Queue::bounded(1));
    q.put(1).unwrap();
    let putters: Vec<_> = (2..4)
        .map(|i| {
            let q = q.clone();
            spawn(move || q.put(i))
        })
        .collect();
    yield_now();
    q.shutdown();
    assert!(q.is_shutdown());
    for (p, want) in putters.into_iter().zip([2, 3]) {
        assert_eq!(p.join().unwrap().unwrap_err().into_inner(), want);
    }
    assert!(matches!(q.try_put(9), Err(TryPutError::ShutDown(9))));
    assert_eq!(q.put(9), Err(PutError(9)));
    assert_eq!(q.get(), Ok(1), "gets drain what is left");
    assert_eq!(q.get(), Err(GetError));
    assert_eq!(q.try_get(), Err(TryGetError::ShutDown));
    assert_eq!(
        q.get_timeout(Duration::from_secs(1)),
        Err(GetTimeoutError::ShutDown)
    );
}

#[test]
fn graceful_shutdown_wakes_blocked_getters() {
    let q: Rc<LifoQueue<u8>> = Rc::new(LifoQueue::new());
    let getters: Vec<_> = (0..3)
        .map(|i| {
            let q = q.clone();
            spawn(move || {
                if i == 0 {
                    q.get_timeout(Duration::from_secs(10))
                        .map_err(|e| e.to_string())
                } else {
                    q.get().map_err(|e| e.to_string())
                }
            })
        })
        .collect();
    yield_now();
    assert_eq!(q.getters(), 3);
    let start = Instant::now();
    q.shutdown();
    for g in getters {
        assert_eq!(g.join().unwrap(), Err("queue is shut down".to_string()));
    }
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn immediate_shutdown_fails_everyone_and_returns_the_items() {
    let q = Rc::new(PriorityQueue::bounded(2));
    q.put(5).unwrap();
    q.put(3).unwrap();
    let putter = {
        let q = q.clone();
        spawn(move || q.put_timeout(1, Duration::from_secs(10)))
    };
    yield_now();
    assert_eq!(q.shutdown_now(), [3, 5]);
    assert!(matches!(
        putter.join().unwrap(),
        Err(PutTimeoutError::ShutDown(1))
    ));
    assert_eq!(q.get(), Err(GetError));
    assert_eq!(q.peek(), None);

    let q: Rc<Queue<u8>> = Rc::new(Queue::new());
    let getter = {
        let q = q.clone();
        spawn(move || q.get())
    };
    yield_now();
    assert!(q.shutdown_now().is_empty());
    assert_eq!(getter.join().unwrap(), Err(GetError));
}

#[test]
fn iteration_ends_at_shutdown() {
    let q = Rc::new(Queue::new());
    let q2 = q.clone();
    let producer = spawn(move || {
        for i in 0..5 {
            q2.put(i).unwrap();
            yield_now();
        }
        q2.shutdown();
    });
    let mut got = Vec::new();
    for x in &*q {
        got.push(x);
    }
    assert_eq!(got, [0, 1, 2, 3, 4]);
    producer.join().unwrap();
}

#[test]
fn peek_does_not_take() {
    let q = Queue::new();
    assert_eq!(q.peek(), None);
    q.put("a").unwrap();
    q.put("b").unwrap();
    assert_eq!(q.peek(), Some("a"));
    assert_eq!(q.len(), 2);
    let p = PriorityQueue::new();
    p.put(3).unwrap();
    p.put(1).unwrap();
    assert_eq!(p.peek(), Some(1));
}

#[test]
fn channel_is_a_rendezvous() {
    let ch = Rc::new(Channel::new());
    let log = Log::new();
    let putter = {
        let (ch, log) = (ch.clone(), log.clone());
        spawn(move || {
            log.push("put start");
            ch.put(1).unwrap();
            log.push("put done");
        })
    };
    yield_now();
    assert_eq!(log.take(), ["put start"]);
    assert_eq!((ch.len(), ch.peek()), (1, Some(1)));
    assert!(ch.is_full());
    assert_eq!(ch.get(), Ok(1));
    putter.join().unwrap();
    assert_eq!(log.take(), ["put done"]);
    // try_put succeeds only with a waiting getter.
    assert!(matches!(ch.try_put(2), Err(TryPutError::Full(2))));
    let getter = {
        let ch = ch.clone();
        spawn(move || ch.get())
    };
    yield_now();
    assert!(!ch.is_full());
    ch.try_put(3).unwrap();
    assert_eq!(getter.join().unwrap(), Ok(3));
}

#[test]
fn joinable_queue_join_and_extra_task_done() {
    let q = Rc::new(JoinableQueue::new());
    assert_eq!(q.task_done(), Err(TaskDoneError));
    q.join(); // nothing unfinished: returns at once
    for i in 0..3 {
        q.put(i).unwrap();
    }
    assert_eq!(q.unfinished_tasks(), 3);
    assert!(!q.join_timeout(Duration::from_millis(5)));
    let log = Log::new();
    let worker = {
        let (q, log) = (q.clone(), log.clone());
        spawn(move || {
            for x in q.iter() {
                sprout::sleep(Duration::from_millis(1));
                log.push(format!("done {x}"));
                q.task_done().unwrap();
            }
        })
    };
    q.join();
    assert_eq!(log.take(), ["done 0", "done 1", "done 2"]);
    assert_eq!(q.task_done(), Err(TaskDoneError));
    q.shutdown();
    worker.join().unwrap();
}

#[test]
fn joinable_shutdown_now_finishes_the_removed_tasks() {
    let q = Rc::new(JoinableQueue::new());
    q.put(1).unwrap();
    q.put(2).unwrap();
    let q2 = q.clone();
    let joiner = spawn(move || q2.join());
    yield_now();
    assert_eq!(q.shutdown_now(), [1, 2]);
    joiner.join().unwrap();
    assert_eq!(q.unfinished_tasks(), 0);
}

#[test]
fn get_deadlock_panics_with_would_block_forever() {
    let q: Queue<u8> = Queue::new();
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| q.get())).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.contains("`Queue::get` would block forever"), "{msg}");
    assert_eq!(q.getters(), 0);
}

#[test]
fn a_spinning_try_get_lets_the_producer_run() {
    let q = Rc::new(Queue::new());
    let q2 = q.clone();
    spawn(move || q2.put(42).unwrap());
    let x = loop {
        match q.try_get() {
            Ok(x) => break x,
            Err(_) => yield_now(),
        }
    };
    assert_eq!(x, 42);
}
