//! A greenlet killed or timed out while parked in a hook gets an error from
//! the hooked call (never an unwind through the C frame) and leaks no fd.
//!
//! One test function: it counts the process's open fds, which other tests
//! running in parallel would disturb.

mod util;

use std::cell::RefCell;
use std::io::{self, Read};
use std::net::TcpListener;
use std::rc::Rc;
use std::time::Duration;

use util::{in_greenlet, open_fds, pair};

/// Parks a greenlet in a hooked `recv` on a socket it owns, interrupts it
/// with `interrupt`, and returns the error its read got.
fn interrupted_read(interrupt: impl FnOnce(&sprout_runtime::JoinHandle<()>)) -> io::Error {
    let got = Rc::new(RefCell::new(None));
    let (client, server) = in_greenlet(pair);
    let slot = Rc::clone(&got);
    let reader = sprout_runtime::spawn(move || {
        let r = (&client).read(&mut [0; 8]);
        *slot.borrow_mut() = Some(r);
        drop(client);
        // The interrupt is still pending: this unwinds the greenlet.
        sprout_runtime::sleep(Duration::from_secs(10));
        unreachable!("a killed greenlet unwinds at its next sprout call");
    });
    // FIFO: one yield lets the reader run until it parks in recv.
    sprout_runtime::yield_now();
    assert!(!reader.is_finished());
    interrupt(&reader);
    assert!(reader.join().is_err());
    drop(server);
    let r = got.borrow_mut().take().expect("the read returned");
    r.expect_err("the read was interrupted")
}

#[test]
fn kill_and_timeout_in_recv() {
    // Let the hub create its own fds (epoll, waker) before counting.
    in_greenlet(|| ());
    let before = open_fds();

    let err = interrupted_read(|reader| reader.kill());
    assert_eq!(err.raw_os_error(), Some(libc::ECANCELED), "{err}");
    assert_eq!(open_fds(), before, "no fd leaked after kill");

    // with_timeout around the read: the read fails with ETIMEDOUT and the
    // block reports the expiry.
    let outcome = in_greenlet(|| {
        let (client, _server) = pair();
        sprout_runtime::with_timeout(Duration::from_millis(20), move || {
            (&client).read(&mut [0; 8])
        })
    });
    let err = outcome
        .expect("the read returned inside the block")
        .expect_err("timed out");
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    assert_eq!(err.raw_os_error(), Some(libc::ETIMEDOUT));
    assert_eq!(open_fds(), before, "no fd leaked after timeout");

    // Killing a greenlet blocked in accept.
    let listener = in_greenlet(|| TcpListener::bind("127.0.0.1:0").unwrap());
    let acceptor = sprout_runtime::spawn(move || {
        let r = listener.accept().map(|_| ());
        drop(listener);
        r
    });
    sprout_runtime::yield_now();
    acceptor.kill();
    let r = acceptor
        .join()
        .expect("accept returned an error, no unwind");
    assert_eq!(r.unwrap_err().raw_os_error(), Some(libc::ECANCELED));
    assert_eq!(open_fds(), before, "no fd leaked after killing accept");
}
