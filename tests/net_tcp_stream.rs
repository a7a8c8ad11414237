//! `TcpStream`: std-shaped calls, timeouts, several greenlets on one
//! socket, and peer errors (reset, half close, closed peer) as `io::Error`s.

mod util;

use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::time::{Duration, Instant};

use sprout::net::{TcpListener, TcpStream};
use sprout::spawn;
use util::{Log, any_local_address, assert_timed_out};

/// A connected pair: (client, server side).
fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind(any_local_address()).unwrap();
    let addr = listener.local_addr().unwrap();
    let client = spawn(move || TcpStream::connect(addr).unwrap());
    let (server, peer) = listener.accept().unwrap();
    let client = client.join().unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    (client, server)
}

#[test]
fn connect_write_read_and_addresses() {
    let (mut a, mut b) = pair();
    assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
    assert_eq!(b.peer_addr().unwrap(), a.local_addr().unwrap());
    a.write_all(b"ping").unwrap();
    let mut buf = [0; 4];
    b.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ping");
    // `&TcpStream` reads and writes too.
    (&b).write_all(b"pong").unwrap();
    (&a).read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"pong");
}

#[test]
fn vectored_io() {
    let (mut a, mut b) = pair();
    let n = a
        .write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cd")])
        .unwrap();
    assert_eq!(n, 4);
    let mut buf = [0; 4];
    b.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"abcd");
}

#[test]
fn connect_by_host_name_resolves_on_the_thread_pool() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let client = spawn(move || TcpStream::connect(("localhost", port)));
    let (_conn, _) = listener.accept().unwrap();
    let client = client.join().unwrap().unwrap();
    assert!(client.peer_addr().unwrap().ip().is_loopback());
}

#[test]
fn connect_refused_is_an_error() {
    // Bind, note the port, close: nothing listens there any more.
    let addr = TcpListener::bind(any_local_address())
        .unwrap()
        .local_addr()
        .unwrap();
    let err = TcpStream::connect(addr).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    let err = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
}

#[test]
fn connect_timeout_rejects_zero_and_connects() {
    let listener = TcpListener::bind(any_local_address()).unwrap();
    let addr = listener.local_addr().unwrap();
    let err = TcpStream::connect_timeout(&addr, Duration::ZERO).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    let s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    assert_eq!(s.peer_addr().unwrap(), addr);
}

#[test]
fn connect_with_no_address_is_invalid_input() {
    let none: &[SocketAddr] = &[];
    let err = TcpStream::connect(none).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn peek_leaves_the_data() {
    let (mut a, mut b) = pair();
    a.write_all(b"xyz").unwrap();
    let mut buf = [0; 8];
    let n = b.peek(&mut buf).unwrap();
    assert_eq!(&buf[..n], &b"xyz"[..n]);
    let mut all = [0; 3];
    b.read_exact(&mut all).unwrap();
    assert_eq!(&all, b"xyz");
}

#[test]
fn socket_options_round_trip() {
    let (a, _b) = pair();
    a.set_nodelay(true).unwrap();
    assert!(a.nodelay().unwrap());
    a.set_nodelay(false).unwrap();
    assert!(!a.nodelay().unwrap());
    a.set_ttl(42).unwrap();
    assert_eq!(a.ttl().unwrap(), 42);
    assert!(a.take_error().unwrap().is_none());
    a.set_linger(Some(Duration::from_secs(1))).unwrap();
    assert_eq!(a.linger().unwrap(), Some(Duration::from_secs(1)));
    assert_eq!(a.read_timeout().unwrap(), None);
    a.set_read_timeout(Some(Duration::from_millis(250)))
        .unwrap();
    assert_eq!(a.read_timeout().unwrap(), Some(Duration::from_millis(250)));
    a.set_write_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    assert_eq!(a.write_timeout().unwrap(), Some(Duration::from_millis(300)));
    let err = a.set_read_timeout(Some(Duration::ZERO)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    let err = a.set_write_timeout(Some(Duration::ZERO)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn read_timeout_gives_timed_out_and_other_greenlets_run() {
    let (a, _b) = pair();
    a.set_read_timeout(Some(Duration::from_millis(30))).unwrap();
    let ticks = Rc::new(std::cell::Cell::new(0));
    let t = Rc::clone(&ticks);
    let ticker = spawn(move || {
        for _ in 0..3 {
            sprout::sleep(Duration::from_millis(1));
            t.set(t.get() + 1);
        }
    });
    let start = Instant::now();
    let mut buf = [0; 4];
    assert_timed_out((&a).read(&mut buf));
    util::assert_elapsed_between(start, Duration::from_millis(30), Duration::from_secs(5));
    ticker.join().unwrap();
    assert_eq!(ticks.get(), 3);
    // The stream still works after a timeout.
    a.set_read_timeout(None).unwrap();
}

#[test]
fn write_timeout_fires_when_the_peer_does_not_read() {
    let (a, _b) = pair();
    a.set_write_timeout(Some(Duration::from_millis(30)))
        .unwrap();
    let chunk = vec![0u8; 1 << 16];
    let start = Instant::now();
    // Fill both kernel buffers; then a write waits, and times out.
    let err = loop {
        match (&a).write(&chunk) {
            Ok(n) => assert!(
                n > 0 && start.elapsed() < Duration::from_secs(10),
                "never blocked"
            ),
            Err(e) => break e,
        }
    };
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
}

#[test]
fn nonblocking_mode_returns_would_block() {
    let (a, _b) = pair();
    a.set_nonblocking(true).unwrap();
    let mut buf = [0; 4];
    let err = (&a).read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
}

#[test]
fn reader_and_writer_greenlets_share_one_stream() {
    let (a, mut b) = pair();
    let a = Rc::new(a);
    let reader = {
        let a = Rc::clone(&a);
        spawn(move || {
            let mut got = Vec::new();
            (&*a).read_to_end(&mut got).unwrap();
            got
        })
    };
    let writer = {
        let a = Rc::clone(&a);
        spawn(move || (&*a).write_all(b"from a").unwrap())
    };
    let mut buf = [0; 6];
    b.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"from a");
    b.write_all(b"to a").unwrap();
    drop(b);
    writer.join().unwrap();
    assert_eq!(reader.join().unwrap(), b"to a");
}

#[test]
fn several_readers_on_one_direction_are_woken_in_fifo_order() {
    let (a, mut b) = pair();
    let a = Rc::new(a);
    let log = Log::new();
    let readers: Vec<_> = (1..=3)
        .map(|i| {
            let a = Rc::clone(&a);
            let log = log.clone();
            spawn(move || {
                let mut byte = [0; 1];
                (&*a).read_exact(&mut byte).unwrap();
                log.push(format!("reader{i}:{}", byte[0] as char));
            })
        })
        .collect();
    // Let all three park on the empty socket, in order.
    sprout::yield_now();
    // One byte per wake-up: each wake-up wakes every waiting reader in FIFO
    // order; the first to retry gets the byte, the others wait again.
    for (k, c) in [b'x', b'y', b'z'].into_iter().enumerate() {
        b.write_all(&[c]).unwrap();
        wait_for(|| log.len() == k + 1);
    }
    sprout::joinall(readers);
    assert_eq!(log.take(), ["reader1:x", "reader2:y", "reader3:z"]);
}

#[test]
fn shutdown_through_a_clone_wakes_a_blocked_reader() {
    let (a, _b) = pair();
    let clone = a.try_clone().unwrap();
    let reader = spawn(move || {
        let mut buf = [0; 4];
        (&a).read(&mut buf)
    });
    sprout::yield_now();
    clone.shutdown(Shutdown::Read).unwrap();
    assert_eq!(reader.join().unwrap().unwrap(), 0);
}

#[test]
fn try_clone_copies_timeouts_and_shares_the_connection() {
    let (a, mut b) = pair();
    a.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
    let c = a.try_clone().unwrap();
    assert_eq!(c.read_timeout().unwrap(), Some(Duration::from_millis(20)));
    (&c).write_all(b"hi").unwrap();
    drop(c);
    let mut buf = [0; 2];
    b.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"hi");
    // The original still works after its clone was dropped.
    (&a).write_all(b"ok").unwrap();
    b.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ok");
}

#[test]
fn half_close_reads_eof_and_the_other_direction_keeps_working() {
    let (mut a, mut b) = pair();
    a.write_all(b"last words").unwrap();
    a.shutdown(Shutdown::Write).unwrap();
    let mut got = Vec::new();
    b.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"last words");
    // Reading again at end of file keeps returning 0.
    assert_eq!(b.read(&mut [0; 4]).unwrap(), 0);
    // b -> a still flows.
    b.write_all(b"reply").unwrap();
    let mut buf = [0; 5];
    a.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"reply");
    // Writing after our own shutdown is an error, not a crash.
    let err = a.write_all(b"more").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
}

#[test]
fn peer_reset_mid_stream_is_an_error() {
    let (a, b) = pair();
    (&b).write_all(b"partial").unwrap();
    // SO_LINGER 0: closing sends RST instead of FIN.
    a.set_linger(Some(Duration::ZERO)).unwrap();
    let reader = spawn(move || {
        let mut got = Vec::new();
        let mut buf = [0; 16];
        loop {
            match (&b).read(&mut buf) {
                Ok(0) => return (got, None),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => return (got, Some(e)),
            }
        }
    });
    sprout::yield_now();
    drop(a);
    let (_, err) = reader.join().unwrap();
    let err = err.expect("a reset connection reads an error, not end of file");
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
}

#[test]
fn writing_to_a_closed_peer_is_an_error() {
    let (a, b) = pair();
    drop(b);
    let err = write_until_error(&a);
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
        ),
        "unexpected error {err:?}"
    );
}

/// Lets the hub run until `cond` holds (bounded: 10 s).
fn wait_for(cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "condition never became true"
        );
        sprout::sleep(Duration::from_millis(1));
    }
}

/// Writes until the connection reports an error (bounded).
fn write_until_error(mut s: &TcpStream) -> io::Error {
    for _ in 0..1000 {
        if let Err(e) = s.write(b"data for nobody") {
            return e;
        }
        sprout::sleep(Duration::from_millis(1));
    }
    panic!("writing to a closed peer never failed");
}

/// Restores `SIGPIPE`'s default action (terminate), so a write that raised
/// it would kill this (child) process.
fn default_sigpipe() {
    // SAFETY: `signal` with `SIG_DFL` installs no handler code; the test
    // child is single-purpose and nothing else changes SIGPIPE concurrently.
    let previous = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    assert_ne!(previous, libc::SIG_ERR);
}

#[test]
fn closed_peer_never_raises_sigpipe() {
    const CHILD: &str = "SPROUT_TEST_SIGPIPE_CHILD";
    if std::env::var_os(CHILD).is_some() {
        default_sigpipe();
        let (a, b) = pair();
        drop(b);
        let err = write_until_error(&a);
        // Keep writing after the first error, plain and vectored: every
        // later write meets EPIPE, which would raise SIGPIPE without
        // MSG_NOSIGNAL.
        for _ in 0..3 {
            assert!((&a).write(b"x").is_err());
            assert!((&a).write_vectored(&[IoSlice::new(b"y")]).is_err());
        }
        let (u, v) = sprout::net::UnixStream::pair().unwrap();
        drop(v);
        assert!((&u).write(b"x").is_err());
        assert!((&u).write_vectored(&[IoSlice::new(b"y")]).is_err());
        eprintln!("child survived: {err}");
        return;
    }
    let (status, stderr) = util::run_in_child("closed_peer_never_raises_sigpipe", CHILD);
    assert!(status.success(), "child died ({status}); stderr:\n{stderr}");
    assert!(stderr.contains("child survived"), "{stderr}");
}

#[test]
fn into_std_and_from_std_round_trip() {
    let (a, mut b) = pair();
    let std_stream = a.into_std().unwrap();
    let moved = std::thread::spawn(move || {
        let mut s = std_stream;
        s.write_all(b"from a std thread").unwrap();
        s
    })
    .join()
    .unwrap();
    let mut buf = [0; 17];
    b.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"from a std thread");
    let a = TcpStream::from_std(moved).unwrap();
    (&b).write_all(b"back").unwrap();
    let mut buf = [0; 4];
    (&a).read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"back");
    let via_try: std::net::TcpStream = a.try_into().unwrap();
    let back: TcpStream = via_try.try_into().unwrap();
    assert!(back.peer_addr().is_ok());
}

#[test]
fn debug_shows_addresses() {
    let (a, _b) = pair();
    let s = format!("{a:?}");
    assert!(s.starts_with("TcpStream"), "{s}");
    assert!(s.contains("127.0.0.1"), "{s}");
}

#[test]
fn data_and_end_of_file_in_one_readiness_event_are_both_seen() {
    let (mut a, b) = pair();
    a.write_all(b"abc").unwrap();
    a.shutdown(Shutdown::Write).unwrap();
    // Let the hub poll, so that the data and the FIN arrive as one
    // readiness event before the first read.
    sprout::sleep(Duration::from_millis(20));
    b.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0; 1024];
    assert_eq!((&b).read(&mut buf).unwrap(), 3);
    // A short read must not make the next read wait for an edge that will
    // never come: end of file is still reported.
    assert_eq!((&b).read(&mut buf).unwrap(), 0);
}
