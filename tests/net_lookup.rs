//! Name resolution runs on the thread pool: other greenlets keep running.

mod util;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use sprout::net::{ToSocketAddrs, lookup_host};
use sprout::spawn;
use sprout::thread_pool::default_pool;

#[test]
fn localhost_resolves_while_another_greenlet_keeps_ticking() {
    // Occupy every thread of the default pool with a job that waits until
    // the ticker greenlet has ticked five times. The lookup queues behind
    // them, so it can only finish after five ticks, and the ticker can only
    // tick while the hub runs: the lookup suspends this greenlet, not the
    // hub. (If it blocked the hub, the blockers would give up after 10 s
    // and the tick count would be 0.)
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let blockers: Vec<_> = (0..default_pool().max_threads())
        .map(|_| {
            let gate = Arc::clone(&gate);
            default_pool().spawn(move || {
                let (open, cv) = &*gate;
                let guard = open.lock().unwrap();
                let _open = cv
                    .wait_timeout_while(guard, Duration::from_secs(10), |open| !*open)
                    .unwrap();
            })
        })
        .collect();
    let ticks = Rc::new(Cell::new(0u32));
    let ticker = {
        let ticks = Rc::clone(&ticks);
        let gate = Arc::clone(&gate);
        spawn(move || {
            for _ in 0..5 {
                sprout::sleep(Duration::from_millis(1));
                ticks.set(ticks.get() + 1);
            }
            *gate.0.lock().unwrap() = true;
            gate.1.notify_all();
        })
    };
    let addrs: Vec<_> = lookup_host("localhost").unwrap().collect();
    assert!(!addrs.is_empty());
    assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    assert_eq!(
        ticks.get(),
        5,
        "the ticker did not run while the name was resolved"
    );
    ticker.join().unwrap();
    for b in blockers {
        b.join().unwrap();
    }
    // The `ToSocketAddrs` path resolves the same way.
    let addrs: Vec<_> = "localhost:80".to_socket_addrs().unwrap().collect();
    assert!(addrs.iter().all(|a| a.port() == 80 && a.ip().is_loopback()));
}

#[test]
fn literal_addresses_need_no_lookup() {
    let addrs: Vec<_> = "[::1]:8080".to_socket_addrs().unwrap().collect();
    assert_eq!(addrs, ["[::1]:8080".parse().unwrap()]);
    let addrs: Vec<_> = lookup_host("127.0.0.1").unwrap().collect();
    assert_eq!(addrs, ["127.0.0.1:0".parse().unwrap()]);
    let addrs: Vec<_> = ("10.1.2.3", 7).to_socket_addrs().unwrap().collect();
    assert_eq!(addrs, ["10.1.2.3:7".parse().unwrap()]);
}

#[test]
fn an_unparsable_address_is_an_error() {
    // Rejected before any lookup (std wants "host:port"), so no query
    // leaves the machine.
    let err = "no port here".to_socket_addrs().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}
