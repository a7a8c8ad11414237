//! A `Pool` of 3 greenlets maps over 10 jobs: at most three run at once,
//! each line says which greenlet ran the job, and the results come back in
//! input order.
//!
//! Run: `cargo run --example pool_map`

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use sprout::pool::Pool;

/// Runs the map, passing every output line to `out`; returns the results
/// and the most jobs that ran at once.
pub(crate) fn run(out: &mut dyn FnMut(String)) -> (Vec<u64>, usize) {
    let pool = Pool::new(3);
    let running = Rc::new(Cell::new(0usize));
    let most = Rc::new(Cell::new(0usize));
    let lines = Rc::new(std::cell::RefCell::new(Vec::new()));
    let (r, m, l) = (running.clone(), most.clone(), lines.clone());
    let results = pool.map(
        move |job: u64| {
            r.set(r.get() + 1);
            m.set(m.get().max(r.get()));
            l.borrow_mut().push(format!(
                "job {job} runs on greenlet {} ({} running)",
                sprout::current().id(),
                r.get()
            ));
            // Odd jobs take longer, so jobs finish out of order.
            sprout::sleep(Duration::from_millis(if job % 2 == 1 { 6 } else { 2 }));
            r.set(r.get() - 1);
            job * job
        },
        0..10,
    );
    for line in lines.borrow_mut().drain(..) {
        out(line);
    }
    let results: Vec<u64> = results
        .into_iter()
        .map(|r| r.expect("no job panics"))
        .collect();
    out(format!("results in input order: {results:?}"));
    out(format!("at most {} jobs ran at once", most.get()));
    (results, most.get())
}

fn main() {
    let (results, most) = run(&mut |line| println!("{line}"));
    assert_eq!(results, (0..10).map(|j| j * j).collect::<Vec<_>>());
    assert!(most <= 3);
}
