//! Greenlet-local storage: one value per greenlet, dropped when the
//! greenlet ends.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use sprout::local::GreenletLocal;
use sprout::pool::Pool;
use sprout::{spawn, yield_now};

static COUNTER: GreenletLocal<Cell<u32>> = GreenletLocal::new(|| Cell::new(0));

#[test]
fn each_greenlet_has_its_own_value() {
    let handles: Vec<_> = (1..=5)
        .map(|n| {
            spawn(move || {
                for _ in 0..n {
                    COUNTER.with(|c| c.set(c.get() + 1));
                    yield_now();
                }
                COUNTER.with(Cell::get)
            })
        })
        .collect();
    let got: Vec<u32> = sprout::joinall(handles)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got, [1, 2, 3, 4, 5]);
    assert_eq!(COUNTER.with(Cell::get), 0);
}

static NAME: GreenletLocal<RefCell<String>> = GreenletLocal::new(|| RefCell::new(String::new()));

#[test]
fn set_take_and_is_set() {
    assert!(!NAME.is_set());
    NAME.set(RefCell::new("main".into()));
    assert!(NAME.is_set());
    let h = spawn(|| {
        let before = NAME.with(|n| n.borrow().clone());
        NAME.set(RefCell::new("child".into()));
        (before, NAME.take().map(RefCell::into_inner))
    });
    assert_eq!(h.join().unwrap(), (String::new(), Some("child".into())));
    assert_eq!(
        NAME.take().map(RefCell::into_inner).as_deref(),
        Some("main")
    );
    assert!(NAME.take().is_none());
}

/// Records its drop.
struct Witness(Rc<Cell<u32>>);

impl Drop for Witness {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

thread_local! {
    static DROPS: Rc<Cell<u32>> = Rc::new(Cell::new(0));
}

static WITNESS: GreenletLocal<Witness> = GreenletLocal::new(|| Witness(DROPS.with(Rc::clone)));

#[test]
fn pool_members_drop_their_locals_when_they_end() {
    let drops = DROPS.with(Rc::clone);
    let pool = Pool::new(2);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            pool.spawn(|| {
                WITNESS.with(|_| ());
                sprout::sleep(Duration::from_millis(1));
            })
        })
        .collect();
    sprout::joinall(handles);
    assert_eq!(drops.get(), 4);
}

#[test]
fn killed_pool_member_drops_its_locals() {
    let drops = DROPS.with(Rc::clone);
    let before = drops.get();
    let pool = Pool::new(1);
    let h = pool.spawn(|| {
        WITNESS.with(|_| ());
        sprout::sleep(Duration::from_secs(10));
    });
    yield_now();
    h.kill();
    assert_eq!(drops.get(), before + 1);
}

#[test]
fn plain_greenlets_drop_their_locals_when_they_end() {
    let drops = DROPS.with(Rc::clone);
    let before = drops.get();
    for i in 0..200u32 {
        spawn(|| WITNESS.with(|_| ())).join().unwrap();
        // Dropped on the greenlet's own stack before join returned.
        assert_eq!(drops.get() - before, i + 1);
    }
    // Killed while suspended: dropped as it unwinds.
    let h = spawn(|| {
        WITNESS.with(|_| ());
        sprout::sleep(Duration::from_secs(10));
    });
    yield_now();
    h.kill();
    assert_eq!(drops.get() - before, 201);
}
