//! The fd table: user non-blocking mode, socket timeouts, dup, errno.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

mod util;

use util::{errno, in_greenlet, pair, set_errno};

#[test]
fn verify_passes() {
    sprout_monkey::verify().unwrap();
}

#[test]
fn user_nonblocking_returns_wouldblock_without_switching() {
    in_greenlet(|| {
        let (client, _server) = pair();
        client.set_nonblocking(true).unwrap();
        let switches = sprout_runtime::hub::stats().switches();
        let waits = sprout_monkey::stats().waits;
        for _ in 0..10 {
            let err = (&client).read(&mut [0; 8]).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        }
        assert_eq!(sprout_runtime::hub::stats().switches(), switches);
        assert_eq!(sprout_monkey::stats().waits, waits);
        // Back to blocking: a read now parks until the peer writes.
        client.set_nonblocking(false).unwrap();
    });
}

#[test]
fn fcntl_shows_the_users_mode() {
    in_greenlet(|| {
        let (client, _server) = pair();
        let fd = client.as_raw_fd();
        // SAFETY: F_GETFL takes no argument.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        assert_eq!(flags & libc::O_NONBLOCK, 0, "looks blocking to the user");
        client.set_nonblocking(true).unwrap();
        // SAFETY: as above.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        assert_ne!(flags & libc::O_NONBLOCK, 0);
    });
}

#[test]
fn read_timeout_fires_as_wouldblock() {
    in_greenlet(|| {
        let (client, _server) = pair();
        client
            .set_read_timeout(Some(Duration::from_millis(30)))
            .unwrap();
        let ticker = sprout_runtime::spawn(|| sprout_runtime::sleep(Duration::from_millis(5)));
        let start = Instant::now();
        let err = (&client).read(&mut [0; 8]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        assert!(start.elapsed() >= Duration::from_millis(30));
        // Other greenlets ran meanwhile.
        assert!(ticker.is_finished());
    });
}

#[test]
fn errno_unchanged_after_a_call_that_waited() {
    in_greenlet(|| {
        let (client, server) = pair();
        let writer = sprout_runtime::spawn(move || {
            sprout_runtime::sleep(Duration::from_millis(10));
            (&server).write_all(b"ping").unwrap();
            server
        });
        let waits = sprout_monkey::stats().waits;
        set_errno(libc::ENOTTY);
        let mut buf = [0; 4];
        let n = (&client).read(&mut buf).unwrap();
        assert_eq!(errno(), libc::ENOTTY);
        assert_eq!(&buf[..n], &b"ping"[..n]);
        assert!(sprout_monkey::stats().waits > waits, "the read waited");
        drop(writer.join());
    });
}

#[test]
fn try_clone_shares_the_socket() {
    in_greenlet(|| {
        let (client, server) = pair();
        let clone = client.try_clone().unwrap();
        assert_ne!(clone.as_raw_fd(), client.as_raw_fd());
        let reader = sprout_runtime::spawn(move || {
            let mut buf = [0; 5];
            (&clone).read_exact(&mut buf).unwrap();
            buf
        });
        (&server).write_all(b"hello").unwrap();
        assert_eq!(&reader.join().unwrap(), b"hello");
        // The original still works after its clone was dropped.
        drop(server);
        assert_eq!((&client).read(&mut [0; 1]).unwrap(), 0);
    });
}

#[test]
fn a_listener_bound_outside_greenlets_is_adopted() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = sprout_runtime::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.write_all(b"hi").unwrap();
    });
    let client = sprout_runtime::spawn(move || {
        let mut conn = TcpStream::connect(addr).unwrap();
        let mut buf = [0; 2];
        conn.read_exact(&mut buf).unwrap();
        buf
    });
    assert_eq!(&client.join().unwrap(), b"hi");
    server.join().unwrap();
}

#[test]
fn a_managed_socket_still_blocks_on_another_thread() {
    let (client, server) = in_greenlet(pair);
    let (waited_tx, waited_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        // Non-blocking in the kernel, yet a plain thread's read waits (a
        // real poll) until its timeout, then until data arrives.
        client
            .set_read_timeout(Some(Duration::from_millis(30)))
            .unwrap();
        let start = Instant::now();
        let err = (&client).read(&mut [0; 3]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        assert!(start.elapsed() >= Duration::from_millis(30));
        client.set_read_timeout(None).unwrap();
        waited_tx.send(()).unwrap();
        let mut buf = [0; 3];
        (&client).read_exact(&mut buf).unwrap();
        buf
    });
    waited_rx.recv().unwrap();
    (&server).write_all(b"abc").unwrap();
    assert_eq!(&reader.join().unwrap(), b"abc");
}

#[test]
fn connect_timeout_and_poll() {
    in_greenlet(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let conn =
            TcpStream::connect_timeout(&listener.local_addr().unwrap(), Duration::from_secs(5))
                .unwrap();
        drop(conn);
    });
}

#[test]
fn command_output_polls_two_pipes_cooperatively() {
    let start = Instant::now();
    let runs: Vec<_> = (0..4)
        .map(|_| {
            sprout_runtime::spawn(|| {
                std::process::Command::new("sh")
                    .args(["-c", "sleep 0.3; echo out; echo err >&2"])
                    .output()
                    .unwrap()
            })
        })
        .collect();
    for r in runs {
        let out = r.join().unwrap();
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
    }
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(300));
    // Four 300 ms children overlap instead of taking 1.2 s.
    assert!(took < Duration::from_millis(1000), "{took:?}");
}

#[test]
fn greenlets_of_another_thread_use_their_own_hub() {
    let (client, server) = in_greenlet(pair);
    let (parked_tx, parked_rx) = std::sync::mpsc::channel();
    // `client` was made (and is managed) on this thread; a greenlet of
    // another OS thread registers it with that thread's hub.
    let other = std::thread::spawn(move || {
        let reader = sprout_runtime::spawn(move || {
            let mut buf = [0; 5];
            (&client).read_exact(&mut buf).unwrap();
            buf
        });
        // FIFO: one yield runs the reader until it parks (nothing was
        // written yet: this thread waits for our signal below).
        sprout_runtime::yield_now();
        assert!(!reader.is_finished());
        parked_tx.send(()).unwrap();
        reader.join().unwrap()
    });
    parked_rx.recv().unwrap();
    (&server).write_all(b"hello").unwrap();
    assert_eq!(&other.join().unwrap(), b"hello");
}
