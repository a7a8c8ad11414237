//! `TcpListener`: bind, accept, incoming, options, conversions.

mod util;

use std::io::{self, Read, Write};

use sprout::net::{TcpListener, TcpStream};
use sprout::spawn;
use util::any_local_address;

#[test]
fn bind_port_zero_and_accept() {
    let listener = TcpListener::bind(any_local_address()).unwrap();
    let addr = listener.local_addr().unwrap();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    let client = spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"hi").unwrap();
        s.local_addr().unwrap()
    });
    let (mut conn, peer) = listener.accept().unwrap();
    let mut buf = [0; 2];
    conn.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"hi");
    assert_eq!(client.join().unwrap(), peer);
}

#[test]
fn bind_an_address_in_use_fails() {
    let listener = TcpListener::bind(any_local_address()).unwrap();
    let addr = listener.local_addr().unwrap();
    let err = TcpListener::bind(addr).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
}

#[test]
fn bind_by_host_name() {
    let listener = TcpListener::bind("localhost:0").unwrap();
    assert!(listener.local_addr().unwrap().ip().is_loopback());
}

#[test]
fn incoming_yields_connections_in_order() {
    let listener = TcpListener::bind(any_local_address()).unwrap();
    let addr = listener.local_addr().unwrap();
    let clients = spawn(move || {
        (0..5u8)
            .map(|i| {
                let mut s = TcpStream::connect(addr).unwrap();
                s.write_all(&[i]).unwrap();
                s
            })
            .collect::<Vec<_>>()
    });
    let mut seen = Vec::new();
    for conn in listener.incoming().take(5) {
        let mut byte = [0; 1];
        conn.unwrap().read_exact(&mut byte).unwrap();
        seen.push(byte[0]);
    }
    seen.sort_unstable();
    assert_eq!(seen, [0, 1, 2, 3, 4]);
    drop(clients.join().unwrap());
}

#[test]
fn several_accepting_greenlets_share_the_connections() {
    let listener = std::rc::Rc::new(TcpListener::bind(any_local_address()).unwrap());
    let addr = listener.local_addr().unwrap();
    let acceptors: Vec<_> = (0..3)
        .map(|_| {
            let l = std::rc::Rc::clone(&listener);
            spawn(move || l.accept().map(|(s, _)| s))
        })
        .collect();
    let clients: Vec<_> = (0..3).map(|_| TcpStream::connect(addr).unwrap()).collect();
    for a in acceptors {
        assert!(a.join().unwrap().is_ok());
    }
    drop(clients);
}

#[test]
fn options_and_conversions() {
    let listener = TcpListener::bind(any_local_address()).unwrap();
    listener.set_ttl(33).unwrap();
    assert_eq!(listener.ttl().unwrap(), 33);
    assert!(listener.take_error().unwrap().is_none());
    listener.set_nonblocking(true).unwrap();
    assert_eq!(
        listener.accept().unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    listener.set_nonblocking(false).unwrap();

    let addr = listener.local_addr().unwrap();
    let clone = listener.try_clone().unwrap();
    assert_eq!(clone.local_addr().unwrap(), addr);
    drop(clone);

    let std_listener = listener.into_std().unwrap();
    assert_eq!(std_listener.local_addr().unwrap(), addr);
    let listener = TcpListener::from_std(std_listener).unwrap();
    let client = spawn(move || TcpStream::connect(addr).unwrap());
    let (_conn, _) = listener.accept().unwrap();
    client.join().unwrap();
    let back: std::net::TcpListener = listener.try_into().unwrap();
    let _again: TcpListener = back.try_into().unwrap();
}

#[test]
fn debug_shows_the_address() {
    let listener = TcpListener::bind(any_local_address()).unwrap();
    let s = format!("{listener:?}");
    assert!(s.contains("127.0.0.1"), "{s}");
}

#[test]
fn std_imports_switch_over_unchanged() {
    // The same `use` line as with std::net, with only the crate swapped.
    use sprout::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let client = spawn(move || TcpStream::connect(addr).unwrap());
    let (conn, _) = listener.accept().unwrap();
    conn.shutdown(Shutdown::Both).unwrap();
    let mut buf = Vec::new();
    client.join().unwrap().read_to_end(&mut buf).unwrap();
    assert!(buf.is_empty());
}
