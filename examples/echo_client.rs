//! The echo client: connects to the echo server, sends `hello`, prints the
//! reply, a bounded number of times.
//!
//! ```text
//! cargo run --example echo_server &
//! cargo run --example echo_client -- 127.0.0.1:9000 3
//! ```
//!
//! Arguments: the server address (default 127.0.0.1:9000) and how many
//! round trips to make (default 1).

use std::io::{self, Read, Write};

use sprout::net::TcpStream;

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:9000".into());
    let count: usize = match args.next() {
        Some(n) => n.parse().map_err(|e| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("bad count {n:?}: {e}"))
        })?,
        None => 1,
    };
    let mut stream = TcpStream::connect(addr.as_str())?;
    for _ in 0..count {
        stream.write_all(b"hello")?;
        let mut reply = [0u8; 5];
        stream.read_exact(&mut reply)?;
        println!("{}", String::from_utf8_lossy(&reply));
    }
    Ok(())
}
