//! `wait` and `iwait` over many objects: completion order, objects ready
//! before the call, events cleared again, and repeated timeouts.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use sprout::sync::Event;
use sprout::{Waitable, iwait, spawn, yield_now};

#[test]
fn iwait_yields_twenty_thousand_greenlets_in_completion_order() {
    // Each object is registered once, so this is O(n log n); rescanning
    // every object on every wake-up would make it O(n^2).
    const N: usize = 20_000;
    let finished = Rc::new(RefCell::new(Vec::with_capacity(N)));
    let handles: Vec<_> = (0..N)
        .map(|i| {
            let finished = Rc::clone(&finished);
            spawn(move || {
                for _ in 0..(i * 7919) % 13 {
                    yield_now();
                }
                finished.borrow_mut().push(i);
            })
        })
        .collect();
    let objects: Vec<&dyn Waitable> = handles.iter().map(|h| h as &dyn Waitable).collect();
    let order: Vec<usize> = iwait(&objects, None).collect();
    assert_eq!(order.len(), N);
    assert_eq!(order, *finished.borrow());
}

#[test]
fn iwait_puts_objects_ready_before_the_call_first_in_their_order() {
    let late = spawn(|| {
        for _ in 0..3 {
            yield_now();
        }
    });
    let second = spawn(yield_now);
    let first = spawn(|| ());
    // Run until `first` and `second` have ended; `late` has not.
    yield_now();
    yield_now();
    assert!(first.is_finished() && second.is_finished() && !late.is_finished());
    let order: Vec<usize> = iwait(&[&late, &second, &first], None).collect();
    assert_eq!(order, [2, 1, 0]);
}

#[test]
fn iwait_skips_an_event_cleared_before_it_looked_and_takes_its_next_set() {
    let flicker = Rc::new(Event::new());
    let steady = Rc::new(Event::new());
    let setter = {
        let (flicker, steady) = (Rc::clone(&flicker), Rc::clone(&steady));
        spawn(move || {
            // Set and cleared again before the waiter runs: not ready.
            flicker.set();
            flicker.clear();
            steady.set();
            yield_now();
            flicker.set();
        })
    };
    let order: Vec<usize> = iwait(&[&*flicker, &*steady], None).collect();
    assert_eq!(order, [1, 0]);
    setter.join().unwrap();
}

#[test]
fn repeated_wait_timeouts_then_a_set() {
    let event = Event::new();
    for _ in 0..1_000 {
        assert!(sprout::wait(&[&event], None, Some(Duration::ZERO)).is_empty());
    }
    event.set();
    assert_eq!(sprout::wait(&[&event], None, Some(Duration::ZERO)), [0]);
}

#[test]
fn dropping_an_iwait_part_way_leaves_the_objects_usable() {
    let a = spawn(|| 1);
    let b = spawn(|| {
        yield_now();
        2
    });
    {
        let objects: [&dyn Waitable; 2] = [&a, &b];
        let mut it = iwait(&objects, None);
        assert_eq!(it.next(), Some(0));
        // Dropped while still registered with `b`.
    }
    assert_eq!(sprout::wait(&[&a, &b], None, None), [0, 1]);
    assert_eq!(b.join().unwrap(), 2);
    assert_eq!(a.join().unwrap(), 1);
}

#[test]
fn twenty_thousand_greenlets_wait_on_one_handle() {
    // Every waiter registers with the one handle; registering stays cheap
    // however many waits are live at once.
    const N: usize = 20_000;
    let target = Rc::new(spawn(yield_now));
    let waiters: Vec<_> = (0..N)
        .map(|_| {
            let target = Rc::clone(&target);
            spawn(move || target.wait_timeout(Duration::from_secs(60)))
        })
        .collect();
    let woken = sprout::joinall(waiters)
        .into_iter()
        .filter(|r| *r.as_ref().unwrap())
        .count();
    assert_eq!(woken, N);
    assert!(target.is_finished());
}
