//! A blocking call that nothing can ever wake reports "would block forever"
//! naming the call, instead of hanging.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::time::Duration;

use sprout::{JoinHandle, spawn};

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn circular_waits_are_reported_not_hung() {
    let (a, slot) = circular();
    let err = catch_unwind(AssertUnwindSafe(|| sprout::wait(&[&*a], None, None))).unwrap_err();
    let msg = panic_text(err);
    assert!(msg.contains("`iwait` would block forever"), "{msg}");
    assert!(msg.contains("deadlock"), "{msg}");
    // The hub is still usable afterwards.
    assert_eq!(spawn(|| 3).join().unwrap(), 3);
    slot.borrow_mut().take();
}

/// Sets up main -> A -> B -> A waits and returns A's handle.
/// Where a greenlet finds a handle stored after it was spawned.
type Slot = Rc<RefCell<Option<Rc<JoinHandle<()>>>>>;

fn circular() -> (Rc<JoinHandle<()>>, Slot) {
    let slot: Slot = Rc::default();
    let s = slot.clone();
    let a = Rc::new(spawn(move || {
        let me = s.borrow().clone().expect("stored before A runs");
        let b = spawn(move || {
            sprout::wait(&[&*me], None, None);
        });
        let _ = b.join();
    }));
    *slot.borrow_mut() = Some(a.clone());
    (a, slot)
}

#[test]
fn the_same_cycle_with_a_deadline_times_out_instead() {
    let (a, slot) = circular();
    let start = std::time::Instant::now();
    let done = sprout::wait(&[&*a], None, Some(Duration::from_millis(20)));
    assert!(done.is_empty());
    assert!(start.elapsed() >= Duration::from_millis(20));
    slot.borrow_mut().take();
}

#[test]
fn a_deadlocked_join_names_join() {
    let (a, slot) = circular();
    // Make A's own handle the only one main can join: B still holds a clone,
    // so join through a fresh greenlet that main joins.
    let watcher = spawn(move || sprout::wait(&[&*a], None, None).len());
    let err = catch_unwind(AssertUnwindSafe(|| watcher.join())).unwrap_err();
    let msg = panic_text(err);
    assert!(
        msg.contains("`JoinHandle::join` would block forever"),
        "{msg}"
    );
    slot.borrow_mut().take();
}

#[test]
fn a_pending_timer_is_not_a_deadlock() {
    let h = spawn(|| sprout::sleep(Duration::from_millis(10)));
    h.join().unwrap();
}

#[test]
fn deadlock_error_converts_to_io_error() {
    let e = sprout::hub::WouldBlockForever {
        call: "TcpStream::read",
    };
    let io: std::io::Error = e.into();
    assert!(
        io.to_string()
            .contains("`TcpStream::read` would block forever")
    );
}
