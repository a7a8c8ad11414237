//! With the hooks linked, code outside greenlets behaves exactly as without
//! them: the same std echo server and clients, on OS threads.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

#[test]
fn std_echo_on_threads() {
    sprout_monkey::verify().expect("hooks in effect");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        for _ in 0..20 {
            let (conn, _) = listener.accept().unwrap();
            std::thread::spawn(move || {
                let mut out = conn.try_clone().unwrap();
                let mut lines = BufReader::new(conn);
                let mut line = String::new();
                while lines.read_line(&mut line).unwrap() > 0 {
                    out.write_all(line.to_ascii_uppercase().as_bytes()).unwrap();
                    line.clear();
                }
            });
        }
    });
    let clients: Vec<_> = (0..20)
        .map(|n| {
            std::thread::spawn(move || {
                let mut conn = TcpStream::connect(addr).unwrap();
                let mut replies = BufReader::new(conn.try_clone().unwrap());
                for round in 0..3 {
                    let line = format!("thread client {n} round {round}\n");
                    conn.write_all(line.as_bytes()).unwrap();
                    let mut reply = String::new();
                    replies.read_line(&mut reply).unwrap();
                    assert_eq!(reply, line.to_ascii_uppercase());
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    server.join().unwrap();
}

#[test]
fn sleep_outside_greenlets_blocks_the_thread() {
    let start = Instant::now();
    std::thread::sleep(Duration::from_millis(30));
    assert!(start.elapsed() >= Duration::from_millis(30));
    // Nothing parked: the hooks forwarded.
}

#[test]
fn read_timeout_outside_greenlets() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let conn = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    conn.set_read_timeout(Some(Duration::from_millis(30)))
        .unwrap();
    let start = Instant::now();
    let err = std::io::Read::read(&mut &conn, &mut [0; 4]).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    assert!(start.elapsed() >= Duration::from_millis(30));
}
