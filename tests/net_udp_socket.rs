//! `UdpSocket`: round trips, connected sockets, timeouts, peeking.

mod util;

use std::io;
use std::time::{Duration, Instant};

use sprout::net::UdpSocket;
use sprout::spawn;
use util::{any_local_address, assert_timed_out};

#[test]
fn send_to_and_recv_from_round_trip() {
    let server = UdpSocket::bind(any_local_address()).unwrap();
    let addr = server.local_addr().unwrap();
    let echo = spawn(move || {
        let mut buf = [0; 64];
        for _ in 0..3 {
            let (n, from) = server.recv_from(&mut buf).unwrap();
            server
                .send_to(&buf[..n].to_ascii_uppercase(), from)
                .unwrap();
        }
    });
    let client = UdpSocket::bind(any_local_address()).unwrap();
    for word in ["one", "two", "three"] {
        client.send_to(word.as_bytes(), addr).unwrap();
        let mut buf = [0; 64];
        let (n, from) = client.recv_from(&mut buf).unwrap();
        assert_eq!(from, addr);
        assert_eq!(&buf[..n], word.to_uppercase().as_bytes());
    }
    echo.join().unwrap();
}

#[test]
fn connected_send_recv_and_peek() {
    let a = UdpSocket::bind(any_local_address()).unwrap();
    let b = UdpSocket::bind(any_local_address()).unwrap();
    a.connect(b.local_addr().unwrap()).unwrap();
    b.connect(a.local_addr().unwrap()).unwrap();
    assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
    a.send(b"hello").unwrap();
    let mut buf = [0; 16];
    let n = b.peek(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello");
    let (n, from) = b.peek_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"hello"[..], a.local_addr().unwrap()));
    let n = b.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello");
}

#[test]
fn send_to_a_host_name() {
    let a = UdpSocket::bind(any_local_address()).unwrap();
    let port = a.local_addr().unwrap().port();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    b.send_to(b"named", ("localhost", port)).unwrap();
    let mut buf = [0; 8];
    let (n, _) = a.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"named");
}

#[test]
fn read_timeout_gives_timed_out() {
    let s = UdpSocket::bind(any_local_address()).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
    assert_eq!(s.read_timeout().unwrap(), Some(Duration::from_millis(20)));
    let start = Instant::now();
    assert_timed_out(s.recv_from(&mut [0; 4]));
    util::assert_elapsed_between(start, Duration::from_millis(20), Duration::from_secs(5));
    s.set_write_timeout(Some(Duration::from_millis(5))).unwrap();
    assert_eq!(s.write_timeout().unwrap(), Some(Duration::from_millis(5)));
    assert_eq!(
        s.set_read_timeout(Some(Duration::ZERO)).unwrap_err().kind(),
        io::ErrorKind::InvalidInput
    );
}

#[test]
fn a_waiting_receiver_does_not_block_other_greenlets() {
    let s = UdpSocket::bind(any_local_address()).unwrap();
    let addr = s.local_addr().unwrap();
    let receiver = spawn(move || {
        let mut buf = [0; 8];
        let (n, _) = s.recv_from(&mut buf).unwrap();
        buf[..n].to_vec()
    });
    // This greenlet runs while the receiver waits.
    let sender = UdpSocket::bind(any_local_address()).unwrap();
    sprout::yield_now();
    sender.send_to(b"late", addr).unwrap();
    assert_eq!(receiver.join().unwrap(), b"late");
}

#[test]
fn options_clone_and_conversions() {
    let s = UdpSocket::bind(any_local_address()).unwrap();
    s.set_broadcast(true).unwrap();
    assert!(s.broadcast().unwrap());
    s.set_ttl(7).unwrap();
    assert_eq!(s.ttl().unwrap(), 7);
    s.set_multicast_loop_v4(false).unwrap();
    assert!(!s.multicast_loop_v4().unwrap());
    s.set_multicast_ttl_v4(3).unwrap();
    assert_eq!(s.multicast_ttl_v4().unwrap(), 3);
    assert!(s.take_error().unwrap().is_none());
    s.set_nonblocking(true).unwrap();
    assert_eq!(
        s.recv(&mut [0; 1]).unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    s.set_nonblocking(false).unwrap();
    let addr = s.local_addr().unwrap();
    let c = s.try_clone().unwrap();
    assert_eq!(c.local_addr().unwrap(), addr);
    let std_socket = s.into_std().unwrap();
    let s = UdpSocket::from_std(std_socket).unwrap();
    c.send_to(b"x", addr).unwrap();
    let (n, _) = s.recv_from(&mut [0; 1]).unwrap();
    assert_eq!(n, 1);
    assert!(format!("{s:?}").contains("127.0.0.1"));
}
