//! A UDP uppercase echo server and three clients in one process, on one
//! hub; it terminates by itself.
//!
//! ```text
//! cargo run --example udp_echo
//! ```

use std::io;

use sprout::net::UdpSocket;

fn main() -> io::Result<()> {
    let server = UdpSocket::bind("127.0.0.1:0")?;
    let addr = server.local_addr()?;
    println!("udp echo server on {addr}");

    // The server greenlet answers a fixed number of datagrams, then ends.
    let clients = 3;
    let server = sprout::spawn(move || -> io::Result<()> {
        let mut buf = [0u8; 1500];
        for _ in 0..clients {
            let (n, from) = server.recv_from(&mut buf)?;
            buf[..n].make_ascii_uppercase();
            server.send_to(&buf[..n], from)?;
        }
        Ok(())
    });

    let handles: Vec<_> = (0..clients)
        .map(|i| {
            sprout::spawn(move || -> io::Result<String> {
                let socket = UdpSocket::bind("127.0.0.1:0")?;
                socket.connect(addr)?;
                socket.send(format!("hello from client {i}").as_bytes())?;
                let mut buf = [0u8; 1500];
                let n = socket.recv(&mut buf)?;
                Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
            })
        })
        .collect();
    for h in handles {
        let reply = h.join().map_err(|e| io::Error::other(e.to_string()))??;
        println!("{reply}");
    }
    server
        .join()
        .map_err(|e| io::Error::other(e.to_string()))??;
    Ok(())
}
