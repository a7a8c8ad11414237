//! A third-party blocking crate used unmodified and concurrently: `ureq`
//! fetching from a local std::net HTTP server, 50 greenlets at once, all on
//! one OS thread.

mod util;

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

const CLIENTS: usize = 50;
/// How long the server thinks about each request (a blocking std sleep).
const THINK: Duration = Duration::from_millis(100);

/// A tiny HTTP/1.1 server written against std only: one greenlet per
/// connection, `Connection: close`, body = the request path.
fn serve(listener: TcpListener, requests: usize) -> io::Result<()> {
    let mut handlers = Vec::new();
    for _ in 0..requests {
        let (conn, _) = listener.accept()?;
        handlers.push(sprout_runtime::spawn(move || -> io::Result<()> {
            let mut out = conn.try_clone()?;
            let mut head = BufReader::new(conn);
            let mut request_line = String::new();
            head.read_line(&mut request_line)?;
            let mut line = String::new();
            while head.read_line(&mut line)? > 2 {
                line.clear();
            }
            let path = request_line.split(' ').nth(1).unwrap_or("/").to_owned();
            std::thread::sleep(THINK);
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{path}",
                path.len()
            )
        }));
    }
    for h in handlers {
        h.join().expect("handler finished")?;
    }
    Ok(())
}

fn fetch(addr: SocketAddr, n: usize) -> String {
    let mut response = ureq::get(format!("http://{addr}/item/{n}"))
        .call()
        .expect("request succeeded");
    response.body_mut().read_to_string().expect("body read")
}

#[test]
fn fifty_concurrent_ureq_requests() {
    sprout_monkey::verify().expect("hooks in effect");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = sprout_runtime::spawn(move || serve(listener, CLIENTS));
    let start = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| sprout_runtime::spawn(move || (n, fetch(addr, n))))
        .collect();
    for c in clients {
        let (n, body) = c.join().expect("client finished");
        assert_eq!(body, format!("/item/{n}"));
    }
    let took = start.elapsed();
    server.join().unwrap().unwrap();
    assert!(took >= THINK);
    // Serially this takes 50 x 100 ms = 5 s.
    let serial = THINK * CLIENTS as u32;
    assert!(
        took < serial / 3,
        "50 requests took {took:?}, serially {serial:?}"
    );
}
