//! The examples' output, asserted: each example's `run` is compiled into
//! this test (its `main` only prints the lines) so the check is fast and
//! needs no child process.

use std::time::Duration;

#[path = "../examples/as_completed.rs"]
#[allow(dead_code, reason = "the example's main is not called here")]
mod as_completed;
#[path = "../examples/pool_map.rs"]
#[allow(dead_code, reason = "the example's main is not called here")]
mod pool_map;
#[path = "../examples/producer_consumer.rs"]
#[allow(dead_code, reason = "the example's main is not called here")]
mod producer_consumer;
#[path = "../examples/sleep_demo.rs"]
#[allow(dead_code, reason = "the example's main is not called here")]
mod sleep_demo;
#[path = "../examples/ticket_lock.rs"]
#[allow(dead_code, reason = "the example's main is not called here")]
mod ticket_lock;

fn lines<R>(f: impl FnOnce(&mut dyn FnMut(String)) -> R) -> (R, Vec<String>) {
    let mut out = Vec::new();
    let r = f(&mut |line| out.push(line));
    (r, out)
}

#[test]
fn producer_consumer_output() {
    let ((), out) = lines(producer_consumer::run);
    // Every item consumed exactly once, by one of the two consumers.
    let mut items: Vec<&str> = out
        .iter()
        .filter_map(|l| {
            l.strip_prefix("consumer ")
                .and_then(|l| l.split_once(" got "))
                .map(|(_, i)| i)
        })
        .collect();
    items.sort_unstable();
    let mut want: Vec<String> = (0..3)
        .flat_map(|p| (0..4).map(move |i| format!("item {p}.{i}")))
        .collect();
    want.sort_unstable();
    assert_eq!(items, want);
    // Both consumers got work and stopped at their sentinel.
    let stopped: Vec<&String> = out.iter().filter(|l| l.contains("stopped after")).collect();
    assert_eq!(stopped.len(), 2, "{out:#?}");
    assert!(stopped.iter().all(|l| !l.ends_with(" 0 items")), "{out:#?}");
    assert!(out.contains(&"sentinels: 12 items consumed".to_string()));
    // The JoinableQueue variant: join returned after all 12 task_done calls.
    let joined = out
        .iter()
        .position(|l| l == "joinable: all 12 tasks done, 0 unfinished")
        .unwrap();
    let done = out.iter().filter(|l| l.starts_with("worker ")).count();
    assert_eq!(done, 12);
    assert!(out[joined + 1..].iter().all(|l| l.starts_with("worker ")));
}

#[test]
fn ticket_lock_output() {
    let ((unlocked, locked), out) = lines(ticket_lock::run);
    assert_eq!((unlocked, locked), (5, 1));
    assert!(
        out.contains(&"without a lock: 5 buyer(s) bought, tickets left: -4".to_string()),
        "{out:#?}"
    );
    assert!(
        out.contains(&"with the lock: buyer 1 bought the ticket".to_string()),
        "{out:#?}"
    );
    assert!(
        out.contains(&"with the lock: 1 buyer(s) bought, tickets left: 0".to_string()),
        "{out:#?}"
    );
}

#[test]
fn pool_map_output() {
    let ((results, most), out) = lines(pool_map::run);
    assert_eq!(results, (0..10).map(|j| j * j).collect::<Vec<u64>>());
    assert_eq!(most, 3);
    let jobs = out.iter().filter(|l| l.starts_with("job ")).count();
    assert_eq!(jobs, 10);
    assert!(out.iter().all(|l| !l.contains("(4 running)")));
    assert_eq!(out.last().unwrap(), "at most 3 jobs ran at once");
    assert!(
        out.contains(&"results in input order: [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]".to_string())
    );
}

#[test]
fn as_completed_output() {
    let (taken, out) = lines(|o| as_completed::run(Duration::from_millis(10), o));
    assert_eq!(taken, [2, 3]);
    assert_eq!(out[0], "result 1: job 1 (2 units) finished");
    assert_eq!(out[1], "result 2: job 0 (3 units) finished");
    assert!(out[2].starts_with("ignored 1 job; done after "), "{out:#?}");
}

#[test]
fn sleep_demo_output() {
    let unit = Duration::from_millis(40);
    let ((concurrent, serial), out) = lines(|o| sleep_demo::run(unit, o));
    assert_eq!(
        out[..4],
        ["eat: start", "play: start", "eat: again", "play: again"].map(String::from)
    );
    assert_eq!(
        out[5..9],
        ["eat: start", "eat: again", "play: start", "play: again"].map(String::from)
    );
    assert!(
        concurrent >= unit && concurrent < unit * 3 / 2 + Duration::from_millis(200),
        "{concurrent:?}"
    );
    assert!(serial >= unit * 2, "{serial:?}");
}
