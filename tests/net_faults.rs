//! Faults from real clients: 200 std::net clients on their own OS threads
//! talk to an uppercase echo `StreamServer` on this test's hub; a third
//! reset mid-message, a third half-close, a third finish normally. Normal
//! clients get every byte back, the server keeps serving new clients, and no
//! connection or file descriptor is left behind.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream as StdStream};
use std::time::{Duration, Instant};

use sprout::net::{StreamServer, TcpStream};

fn uppercase_echo(mut conn: TcpStream, _peer: SocketAddr) {
    let mut buf = [0u8; 1024];
    loop {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                buf[..n].make_ascii_uppercase();
                if conn.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// One normal client: `rounds` messages, each echoed upper-cased.
fn normal_client(addr: SocketAddr, id: usize, rounds: usize) -> usize {
    let mut s = StdStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut total = 0;
    for r in 0..rounds {
        let msg = format!("client {id} message {r} abcdefghijklmnopqrstuvwxyz\n");
        s.write_all(msg.as_bytes()).unwrap();
        let mut back = vec![0u8; msg.len()];
        s.read_exact(&mut back).unwrap();
        assert_eq!(
            back,
            msg.to_ascii_uppercase().into_bytes(),
            "client {id} round {r}"
        );
        total += back.len();
    }
    total
}

/// Sends half a message, then resets the connection (RST, not FIN).
fn resetting_client(addr: SocketAddr, id: usize) {
    let s = StdStream::connect(addr).unwrap();
    (&s).write_all(format!("client {id} will res").as_bytes())
        .unwrap();
    socket2::SockRef::from(&s)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(s);
}

/// Sends a message, closes its write side, and reads the echo to the end.
fn half_closing_client(addr: SocketAddr, id: usize) -> usize {
    let mut s = StdStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let msg = format!("client {id} half closes after this");
    s.write_all(msg.as_bytes()).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut back = Vec::new();
    s.read_to_end(&mut back).unwrap();
    assert_eq!(back, msg.to_ascii_uppercase().into_bytes(), "client {id}");
    back.len()
}

#[test]
fn resets_and_half_closes_do_not_disturb_the_others() {
    let fds_before = open_fds();
    let server = StreamServer::bind("127.0.0.1:0", uppercase_echo).unwrap();
    server.start().unwrap();
    let addr = server.local_addr().unwrap();

    // The clients block their own OS threads; this greenlet waits for them
    // on the thread pool so the hub keeps serving.
    let echoed = sprout::spawn_blocking(move || {
        let threads: Vec<_> = (0..200)
            .map(|id| {
                std::thread::spawn(move || match id % 3 {
                    0 => {
                        resetting_client(addr, id);
                        0
                    }
                    1 => half_closing_client(addr, id),
                    _ => normal_client(addr, id, 20),
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .sum::<usize>()
    })
    .unwrap();
    assert!(echoed > 0);

    // The server still serves a new client afterwards.
    let late = sprout::spawn_blocking(move || normal_client(addr, 999, 5)).unwrap();
    assert!(late > 0);

    // Every handler finishes: reset and half-closed connections included.
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.connection_count() > 0 {
        assert!(
            Instant::now() < deadline,
            "{} connections left",
            server.connection_count()
        );
        sprout::sleep(Duration::from_millis(5));
    }
    server.stop(Duration::from_secs(5));
    drop(server);
    sprout::sleep(Duration::from_millis(1));
    let fds_after = open_fds();
    // The thread pool's threads hold no descriptors; the hub's own epoll and
    // waker descriptors existed before or are created once.
    assert!(
        fds_after <= fds_before + 3,
        "fds before {fds_before}, after {fds_after}"
    );
}
