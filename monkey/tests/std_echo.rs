//! An unmodified `std::net` uppercase echo server and 500 `std::net`
//! clients, all greenlets on one OS thread, every byte checked.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

const CLIENTS: usize = 500;

/// The server: one greenlet per connection, each echoing lines back in
/// upper case until the client closes. Plain blocking std code.
fn serve(listener: TcpListener, connections: usize) -> io::Result<()> {
    let mut handlers = Vec::new();
    for _ in 0..connections {
        let (conn, _) = listener.accept()?;
        handlers.push(sprout_runtime::spawn(move || -> io::Result<u64> {
            let mut out = conn.try_clone()?;
            let mut lines = BufReader::new(conn);
            let mut echoed = 0;
            let mut line = String::new();
            while lines.read_line(&mut line)? > 0 {
                out.write_all(line.to_ascii_uppercase().as_bytes())?;
                echoed += line.len() as u64;
                line.clear();
            }
            Ok(echoed)
        }));
    }
    for h in handlers {
        h.join().expect("handler finished")?;
    }
    Ok(())
}

/// One client: sends a few lines unique to it and checks every byte.
fn client(addr: std::net::SocketAddr, n: usize) -> io::Result<()> {
    let mut conn = TcpStream::connect(addr)?;
    let mut replies = BufReader::new(conn.try_clone()?);
    for round in 0..3 {
        let line = format!("client {n} round {round} {}\n", "abc".repeat(n % 50));
        conn.write_all(line.as_bytes())?;
        let mut reply = String::new();
        replies.read_line(&mut reply)?;
        assert_eq!(reply, line.to_ascii_uppercase(), "client {n}");
    }
    Ok(())
}

#[test]
fn five_hundred_clients_on_one_thread() {
    sprout_monkey::verify().expect("hooks in effect");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = sprout_runtime::spawn(move || serve(listener, CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| sprout_runtime::spawn(move || client(addr, n)))
        .collect();
    for c in clients {
        c.join()
            .expect("client finished")
            .expect("client succeeded");
    }
    server
        .join()
        .expect("server finished")
        .expect("server succeeded");
}
