//! Five buyers race for one ticket (the seeds' lock demo). Checking and
//! then paying (which switches to other greenlets) without a lock lets every
//! buyer see the ticket as available, so all of them "buy" it; with a `Lock`
//! around check-and-pay exactly one does.
//!
//! Run: `cargo run --example ticket_lock`

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use sprout::sync::Lock;

const BUYERS: usize = 5;

/// Sells one ticket to five buyers; returns how many bought it.
fn sell(lock: Option<Rc<Lock>>, out: &mut dyn FnMut(String)) -> usize {
    let tickets = Rc::new(Cell::new(1i32));
    let buyers: Vec<_> = (1..=BUYERS)
        .map(|b| {
            let (tickets, lock) = (tickets.clone(), lock.clone());
            sprout::spawn(move || {
                let _guard = lock.as_ref().map(|l| l.guard());
                if tickets.get() > 0 {
                    sprout::sleep(Duration::from_millis(1)); // paying: other greenlets run
                    tickets.set(tickets.get() - 1);
                    Some(b)
                } else {
                    None
                }
            })
        })
        .collect();
    let bought: Vec<usize> = sprout::joinall(buyers)
        .into_iter()
        .filter_map(|r| r.expect("buyers do not panic"))
        .collect();
    let how = if lock.is_some() {
        "with the lock"
    } else {
        "without a lock"
    };
    for b in &bought {
        out(format!("{how}: buyer {b} bought the ticket"));
    }
    out(format!(
        "{how}: {} buyer(s) bought, tickets left: {}",
        bought.len(),
        tickets.get()
    ));
    bought.len()
}

/// Runs both rounds, passing every output line to `out`.
pub(crate) fn run(out: &mut dyn FnMut(String)) -> (usize, usize) {
    let unlocked = sell(None, out);
    let locked = sell(Some(Rc::new(Lock::new())), out);
    (unlocked, locked)
}

fn main() {
    let (unlocked, locked) = run(&mut |line| println!("{line}"));
    assert_eq!((unlocked, locked), (BUYERS, 1));
}
