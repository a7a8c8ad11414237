//! The seeds' eat/play demo: two greenlets that each sleep one second
//! finish together after about one second, while the same two sleeps one
//! after the other take two.
//!
//! Run: `cargo run --example sleep_demo`

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

type Log = Rc<RefCell<Vec<String>>>;

fn eat(unit: Duration, log: &Log) {
    log.borrow_mut().push("eat: start".into());
    sprout::sleep(unit);
    log.borrow_mut().push("eat: again".into());
}

fn play(unit: Duration, log: &Log) {
    log.borrow_mut().push("play: start".into());
    sprout::sleep(unit);
    log.borrow_mut().push("play: again".into());
}

/// Runs both versions with sleeps of `unit`, passing every output line to
/// `out`; returns (concurrent, serial) elapsed times.
pub(crate) fn run(unit: Duration, out: &mut dyn FnMut(String)) -> (Duration, Duration) {
    let log: Log = Rc::default();
    let start = Instant::now();
    let (l1, l2) = (log.clone(), log.clone());
    let handles = [
        sprout::spawn(move || eat(unit, &l1)),
        sprout::spawn(move || play(unit, &l2)),
    ];
    for r in sprout::joinall(handles) {
        r.expect("eat and play do not panic");
    }
    let concurrent = start.elapsed();
    for line in log.borrow_mut().drain(..) {
        out(line);
    }
    out(format!(
        "with greenlets: {:.1} units",
        concurrent.as_secs_f64() / unit.as_secs_f64()
    ));

    let start = Instant::now();
    eat(unit, &log);
    play(unit, &log);
    let serial = start.elapsed();
    for line in log.borrow_mut().drain(..) {
        out(line);
    }
    out(format!(
        "one after the other: {:.1} units",
        serial.as_secs_f64() / unit.as_secs_f64()
    ));
    (concurrent, serial)
}

fn main() {
    let unit = Duration::from_secs(1);
    let (concurrent, serial) = run(unit, &mut |line| println!("{line}"));
    assert!(concurrent < unit * 3 / 2 && serial >= unit * 2);
}
