//! The seeds' `as_completed`: three jobs of 3 s, 2 s and 6 s (scaled to
//! milliseconds) start together; take the first two results in the order
//! they finish and ignore (kill) the rest.
//!
//! Run: `cargo run --example as_completed`

use std::time::{Duration, Instant};

/// Runs the jobs with `unit` per "second", passing every output line to
/// `out`; returns the durations of the jobs taken, in finishing order.
pub(crate) fn run(unit: Duration, out: &mut dyn FnMut(String)) -> Vec<u32> {
    let start = Instant::now();
    let jobs: Vec<_> = [3u32, 2, 6]
        .into_iter()
        .map(|secs| {
            sprout::spawn(move || {
                sprout::sleep(unit * secs);
                secs
            })
        })
        .collect();
    let waitables: Vec<&dyn sprout::Waitable> =
        jobs.iter().map(|h| h as &dyn sprout::Waitable).collect();
    let first_two: Vec<usize> = sprout::iwait(&waitables, None).take(2).collect();
    let mut taken = Vec::new();
    for (rank, &i) in first_two.iter().enumerate() {
        let secs = [3u32, 2, 6][i];
        out(format!(
            "result {}: job {i} ({secs} units) finished",
            rank + 1
        ));
        taken.push(secs);
    }
    let ignored = jobs.len() - first_two.len();
    sprout::killall(&jobs);
    out(format!(
        "ignored {ignored} job; done after {:.0} units",
        start.elapsed().as_secs_f64() / unit.as_secs_f64()
    ));
    taken
}

fn main() {
    let taken = run(Duration::from_millis(1), &mut |line| println!("{line}"));
    assert_eq!(taken, [2, 3]);
}
