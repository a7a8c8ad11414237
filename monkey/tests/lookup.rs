//! `getaddrinfo` inside greenlets runs on the thread pool. Only
//! `localhost` is looked up (from /etc/hosts): tests never touch DNS.

mod util;

use std::net::ToSocketAddrs;

#[test]
fn lookups_move_to_the_thread_pool() {
    let before = sprout_monkey::stats().lookups;
    let lookups: Vec<_> = (0..8)
        .map(|_| {
            sprout_runtime::spawn(|| {
                ("localhost", 80)
                    .to_socket_addrs()
                    .expect("localhost resolves")
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for l in lookups {
        let addrs = l.join().unwrap();
        assert!(addrs.iter().any(|a| a.ip().is_loopback()), "{addrs:?}");
    }
    assert!(sprout_monkey::stats().lookups >= before + 8);
}

#[test]
fn lookups_outside_greenlets_stay_inline() {
    let addrs: Vec<_> = ("localhost", 80).to_socket_addrs().unwrap().collect();
    assert!(addrs.iter().any(|a| a.ip().is_loopback()));
}
