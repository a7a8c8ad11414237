//! The timeout contract of every `_timeout` form: wait-style calls return
//! `false`/`None`, get-style calls a timed-out error, never before the
//! timeout; a zero timeout never switches; a timed-out caller leaves no
//! waiter behind; and a value handed over in the same hub turn as the
//! timeout fires is never lost (both orders, made deterministic by holding
//! the hub past both deadlines).

mod util;

use std::rc::Rc;
use std::time::{Duration, Instant};

use sprout::pool::{Group, Pool};
use sprout::queue::{
    Channel, GetTimeoutError, JoinableQueue, LifoQueue, PriorityQueue, PutTimeoutError, Queue,
};
use sprout::sync::{
    AsyncResult, BoundedSemaphore, Condition, Event, GetTimeoutError as ResultTimeout, Lock, Mutex,
    RLock, Semaphore,
};
use sprout::{spawn, yield_now};
use util::{Log, assert_elapsed_between};

const T: Duration = Duration::from_millis(15);

/// Runs `f` (which must time out) with timeout `T`, checks the bounds,
/// then with a zero timeout, checking that it did not switch.
fn check<R: std::fmt::Debug>(
    what: &str,
    f: impl Fn(Duration) -> R,
    timed_out: impl Fn(&R) -> bool,
) {
    let start = Instant::now();
    let r = f(T);
    assert!(timed_out(&r), "{what}: expected a timeout, got {r:?}");
    assert_elapsed_between(start, T, T + Duration::from_millis(500));
    let log = Log::new();
    let l = log.clone();
    let other = spawn(move || l.push("other"));
    let r = f(Duration::ZERO);
    log.push("zero");
    assert!(
        timed_out(&r),
        "{what}: zero timeout: expected a timeout, got {r:?}"
    );
    other.join().unwrap();
    assert_eq!(
        log.take(),
        ["zero", "other"],
        "{what}: a zero timeout must not switch"
    );
}

#[test]
fn every_timeout_form_times_out_correctly() {
    let ev = Event::new();
    check("Event::wait_timeout", |d| ev.wait_timeout(d), |r| !r);
    assert_eq!(ev.waiters(), 0);

    let ar: AsyncResult<u8> = AsyncResult::new();
    check("AsyncResult::wait_timeout", |d| ar.wait_timeout(d), |r| !r);
    check(
        "AsyncResult::get_timeout",
        |d| ar.get_timeout(d).copied(),
        |r| matches!(r, Err(ResultTimeout::TimedOut)),
    );

    let sem = Semaphore::new(0);
    check(
        "Semaphore::acquire_timeout",
        |d| sem.acquire_timeout(d),
        |r| !r,
    );
    assert_eq!(sem.waiters(), 0);
    let bsem = BoundedSemaphore::new(1);
    bsem.acquire();
    check(
        "BoundedSemaphore::acquire_timeout",
        |d| bsem.acquire_timeout(d),
        |r| !r,
    );
    assert_eq!(bsem.waiters(), 0);

    let lock = Lock::new();
    lock.acquire();
    check("Lock::acquire_timeout", |d| lock.acquire_timeout(d), |r| !r);
    check(
        "Lock::guard_timeout",
        |d| lock.guard_timeout(d).is_some(),
        |r| !r,
    );

    let rlock = Rc::new(RLock::new());
    let r2 = rlock.clone();
    let holder = spawn(move || {
        r2.acquire();
        sprout::sleep(Duration::from_secs(10));
    });
    yield_now();
    check(
        "RLock::acquire_timeout",
        |d| rlock.acquire_timeout(d),
        |r| !r,
    );
    holder.kill();

    let m = Mutex::new(0);
    let g = m.lock();
    check(
        "Mutex::lock_timeout",
        |d| m.lock_timeout(d).is_some(),
        |r| !r,
    );
    drop(g);

    let m = Mutex::new(0);
    let c = Condition::new();
    check(
        "Condition::wait_timeout",
        |d| c.wait_timeout(m.lock(), d).1,
        |r| !r,
    );
    assert_eq!(c.waiters(), 0);

    let q: Queue<u8> = Queue::bounded(1);
    check(
        "Queue::get_timeout",
        |d| q.get_timeout(d),
        |r| *r == Err(GetTimeoutError::TimedOut),
    );
    q.put(0).unwrap();
    check(
        "Queue::put_timeout",
        |d| q.put_timeout(1, d),
        |r| matches!(r, Err(PutTimeoutError::TimedOut(1))),
    );
    let q: LifoQueue<u8> = LifoQueue::bounded(1);
    check(
        "LifoQueue::get_timeout",
        |d| q.get_timeout(d),
        |r| *r == Err(GetTimeoutError::TimedOut),
    );
    q.put(0).unwrap();
    check(
        "LifoQueue::put_timeout",
        |d| q.put_timeout(1, d),
        |r| r.is_err(),
    );
    let q: PriorityQueue<u8> = PriorityQueue::bounded(1);
    check(
        "PriorityQueue::get_timeout",
        |d| q.get_timeout(d),
        |r| *r == Err(GetTimeoutError::TimedOut),
    );
    q.put(0).unwrap();
    check(
        "PriorityQueue::put_timeout",
        |d| q.put_timeout(1, d),
        |r| r.is_err(),
    );
    let q: JoinableQueue<u8> = JoinableQueue::bounded(1);
    check(
        "JoinableQueue::get_timeout",
        |d| q.get_timeout(d),
        |r| *r == Err(GetTimeoutError::TimedOut),
    );
    q.put(0).unwrap();
    check(
        "JoinableQueue::put_timeout",
        |d| q.put_timeout(1, d),
        |r| r.is_err(),
    );
    check("JoinableQueue::join_timeout", |d| q.join_timeout(d), |r| !r);
    let ch: Channel<u8> = Channel::new();
    check(
        "Channel::get_timeout",
        |d| ch.get_timeout(d),
        |r| *r == Err(GetTimeoutError::TimedOut),
    );
    check(
        "Channel::put_timeout",
        |d| ch.put_timeout(1, d),
        |r| r.is_err(),
    );
    assert_eq!((ch.getters(), ch.putters()), (0, 0));

    let group = Group::new();
    group.spawn(|| sprout::sleep(Duration::from_secs(10)));
    check("Group::join_timeout", |d| group.join_timeout(d), |r| !r);
    group.kill();
    let pool = Pool::new(1);
    pool.spawn(|| sprout::sleep(Duration::from_secs(10)));
    check("Pool::join_timeout", |d| pool.join_timeout(d), |r| !r);
    check(
        "Pool::wait_available_timeout",
        |d| pool.wait_available_timeout(d),
        Option::is_none,
    );
    pool.kill();
}

/// Spawns `first` then `second`, lets both register their timers, then
/// blocks the OS thread past both deadlines so the hub fires them in one
/// turn, in registration order.
fn same_turn<A: 'static, B: 'static>(
    first: impl FnOnce() -> A + 'static,
    second: impl FnOnce() -> B + 'static,
) -> (A, B) {
    let a = spawn(first);
    let b = spawn(second);
    yield_now();
    std::thread::sleep(Duration::from_millis(20));
    (a.join().unwrap(), b.join().unwrap())
}

const D: Duration = Duration::from_millis(5);

#[test]
fn item_handed_to_a_getter_whose_deadline_fired_is_returned() {
    let q = Rc::new(Queue::new());
    let (q1, q2) = (q.clone(), q.clone());
    let ((), got) = same_turn(
        move || {
            sprout::sleep(D);
            q1.put(7).unwrap();
        },
        move || q2.get_timeout(D),
    );
    assert_eq!(got, Ok(7));
    assert!(q.is_empty());
}

#[test]
fn item_put_after_a_getter_timed_out_stays_in_the_queue() {
    let q = Rc::new(Queue::new());
    let (q1, q2) = (q.clone(), q.clone());
    let (got, ()) = same_turn(
        move || q2.get_timeout(D),
        move || {
            sprout::sleep(D);
            q1.put(7).unwrap();
        },
    );
    assert_eq!(got, Err(GetTimeoutError::TimedOut));
    assert_eq!(q.try_get(), Ok(7));
}

#[test]
fn put_taken_in_the_turn_its_deadline_fired_counts_as_put() {
    let ch = Rc::new(Channel::new());
    let (c1, c2) = (ch.clone(), ch.clone());
    // The getter's timer fires first in the turn, then the putter's
    // deadline: the getter takes the item from the timed-out putter.
    let (got, put) = same_turn(
        move || {
            sprout::sleep(D);
            c1.try_get()
        },
        move || c2.put_timeout(1, D),
    );
    assert_eq!(got, Ok(1));
    assert!(put.is_ok(), "the item was taken, so the put succeeded");
}

#[test]
fn put_that_timed_out_before_the_getter_ran_hands_the_item_back() {
    let ch = Rc::new(Channel::new());
    let (c1, c2) = (ch.clone(), ch.clone());
    let (put, got) = same_turn(
        move || c2.put_timeout(1, D),
        move || {
            sprout::sleep(D);
            c1.try_get()
        },
    );
    assert!(matches!(put, Err(PutTimeoutError::TimedOut(1))));
    assert!(got.is_err());
}

#[test]
fn permit_released_to_a_waiter_whose_deadline_fired_is_taken() {
    let sem = Rc::new(Semaphore::new(0));
    let (s1, s2) = (sem.clone(), sem.clone());
    let ((), got) = same_turn(
        move || {
            sprout::sleep(D);
            s1.release();
        },
        move || s2.acquire_timeout(D),
    );
    assert!(got);
    assert_eq!(sem.available_permits(), 0);
}

#[test]
fn permit_released_after_the_waiter_timed_out_stays() {
    let sem = Rc::new(Semaphore::new(0));
    let (s1, s2) = (sem.clone(), sem.clone());
    let (got, ()) = same_turn(
        move || s2.acquire_timeout(D),
        move || {
            sprout::sleep(D);
            s1.release();
        },
    );
    assert!(!got);
    assert_eq!(sem.available_permits(), 1);
}

#[test]
fn event_set_in_the_turn_the_deadline_fired_counts() {
    let ev = Rc::new(Event::new());
    let (e1, e2) = (ev.clone(), ev.clone());
    let ((), got) = same_turn(
        move || {
            sprout::sleep(D);
            e1.set();
        },
        move || e2.wait_timeout(D),
    );
    assert!(got);
}

#[test]
fn async_result_set_in_the_turn_the_deadline_fired_counts() {
    let r: Rc<AsyncResult<u8, ()>> = Rc::new(AsyncResult::new());
    let (r1, r2) = (r.clone(), r.clone());
    let ((), got) = same_turn(
        move || {
            sprout::sleep(D);
            r1.set(3);
        },
        move || r2.get_timeout(D).copied().map_err(|e| e.is_timeout()),
    );
    assert_eq!(got, Ok(3));
}
