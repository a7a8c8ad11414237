//! The hub loop keeps I/O and timers serviced while greenlets stay ready.
//!
//! A greenlet that loops on `yield_now` keeps the run queue non-empty for
//! ever; the hub must still poll for I/O and fire timers between batches of
//! ready greenlets, or a CPU-bound greenlet would starve every socket.

use std::cell::Cell;
use std::net::UdpSocket as StdUdpSocket;
use std::rc::Rc;
use std::time::{Duration, Instant};

use sprout::net::UdpSocket;
use sprout::{spawn, yield_now};

/// Yields until `done` is set; returns how many times it yielded. Bounded,
/// so a hub that never polls fails the test instead of hanging it.
fn spin_until(done: Rc<Cell<bool>>, on_first: impl FnOnce()) -> u64 {
    let mut on_first = Some(on_first);
    let mut spins = 0u64;
    while !done.get() {
        yield_now();
        if let Some(f) = on_first.take() {
            f();
        }
        spins += 1;
        assert!(spins < 5_000_000, "the waiting greenlet was never woken");
    }
    spins
}

#[test]
fn io_is_polled_while_another_greenlet_keeps_yielding() {
    let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = receiver.local_addr().unwrap();
    let done = Rc::new(Cell::new(false));

    let waiter = {
        let done = Rc::clone(&done);
        spawn(move || {
            let mut buf = [0u8; 16];
            // Nothing has been sent yet: this parks on readiness.
            let (n, _) = receiver.recv_from(&mut buf).unwrap();
            done.set(true);
            buf[..n].to_vec()
        })
    };
    let spinner = {
        let done = Rc::clone(&done);
        spawn(move || {
            spin_until(done, move || {
                // The waiter has parked by now (it ran before our first
                // yield returned); a plain std socket sends the datagram.
                let tx = StdUdpSocket::bind("127.0.0.1:0").unwrap();
                tx.send_to(b"ping", addr).unwrap();
            })
        })
    };

    assert_eq!(waiter.join().unwrap(), b"ping");
    let spins = spinner.join().unwrap();
    // The hub polls after every batch of at most 61 greenlets, so the
    // datagram is seen within a few batches of the spinner's yields.
    assert!(spins < 1_000, "the poll came only after {spins} yields");
}

#[test]
fn timers_fire_while_another_greenlet_keeps_yielding() {
    let done = Rc::new(Cell::new(false));
    let start = Instant::now();
    let sleeper = {
        let done = Rc::clone(&done);
        spawn(move || {
            sprout::sleep(Duration::from_millis(20));
            done.set(true);
            start.elapsed()
        })
    };
    let spinner = {
        let done = Rc::clone(&done);
        spawn(move || spin_until(done, || {}))
    };
    let slept = sleeper.join().unwrap();
    spinner.join().unwrap();
    assert!(slept >= Duration::from_millis(20), "woke early: {slept:?}");
    assert!(slept < Duration::from_secs(5), "woke late: {slept:?}");
}

/// Many greenlets woken by I/O in one poll make a long run queue, where the
/// hub prefetches each next greenlet's stack and socket before switching
/// into the current one. A hint must never change what runs: every reader
/// gets exactly its own bytes, each once, over several rounds.
#[test]
fn a_long_run_queue_of_io_wakeups_serves_every_greenlet_its_own_data() {
    use sprout::net::UnixStream;
    use std::io::{Read, Write};

    const READERS: usize = 64;
    const ROUNDS: usize = 5;
    let mut writers = Vec::new();
    let mut readers = Vec::new();
    for i in 0..READERS {
        let (w, mut r) = UnixStream::pair().unwrap();
        writers.push(w);
        readers.push(spawn(move || {
            let mut got = Vec::new();
            for _ in 0..ROUNDS {
                let mut b = [0u8; 2];
                r.read_exact(&mut b).unwrap();
                got.push((usize::from(b[0]), usize::from(b[1])));
            }
            (i, got)
        }));
    }
    // Let every reader park in its read, then wake all of them at once.
    yield_now();
    for round in 0..ROUNDS {
        for (i, w) in writers.iter_mut().enumerate() {
            w.write_all(&[i as u8, round as u8]).unwrap();
        }
        yield_now();
    }
    for h in readers {
        let (i, got) = h.join().unwrap();
        let want: Vec<(usize, usize)> = (0..ROUNDS).map(|r| (i, r)).collect();
        assert_eq!(got, want, "reader {i}");
    }
}
