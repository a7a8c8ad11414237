//! The uppercase echo server: every client gets its own greenlet, and every
//! read is sent back upper-cased. Thousands of clients share one thread.
//!
//! Run it, then talk to it with the client or with `nc`:
//!
//! ```text
//! cargo run --example echo_server                 # listens on 127.0.0.1:9000
//! cargo run --example echo_server -- 127.0.0.1:0  # any free port
//! cargo run --example echo_client -- 127.0.0.1:9000
//! nc 127.0.0.1 9000
//! ```
//!
//! Ctrl-C (SIGINT) or SIGTERM stops it cleanly: the listener closes, open
//! connections get two seconds to finish, then their greenlets are killed.
//! For bounded runs (CI), `--max-seconds N` or the environment variable
//! `ECHO_SERVER_MAX_SECONDS=N` stops it after N seconds.
//!
//! Signals reach the hub like any other I/O: signal-hook's handler only
//! writes to a pipe (async-signal-safe), and the pipe is registered with the
//! hub, so the main greenlet simply waits for it to become readable.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook_mio::v1_0::Signals;
use sprout::io::Registration;
use sprout::net::{StreamServer, TcpStream};

/// One client: read, upper-case, write back, until the client closes.
fn handle(mut conn: TcpStream, peer: SocketAddr) {
    let mut buf = [0u8; 4096];
    loop {
        let n = match conn.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                eprintln!("{peer}: read failed: {e}");
                break;
            }
        };
        buf[..n].make_ascii_uppercase();
        if let Err(e) = conn.write_all(&buf[..n]) {
            eprintln!("{peer}: write failed: {e}");
            break;
        }
    }
}

struct Args {
    addr: String,
    max_seconds: Option<u64>,
}

fn parse_args() -> Result<Args, String> {
    let mut addr = None;
    let mut max_seconds = std::env::var("ECHO_SERVER_MAX_SECONDS").ok();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--max-seconds" => {
                max_seconds = Some(args.next().ok_or("--max-seconds needs a value")?)
            }
            "-h" | "--help" => return Err("usage: echo_server [ADDR] [--max-seconds N]".into()),
            _ if addr.is_none() => addr = Some(arg),
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    let max_seconds = match max_seconds {
        Some(s) => Some(
            s.parse()
                .map_err(|e| format!("bad --max-seconds {s:?}: {e}"))?,
        ),
        None => None,
    };
    Ok(Args {
        addr: addr.unwrap_or_else(|| "127.0.0.1:9000".into()),
        max_seconds,
    })
}

/// Blocks the main greenlet until SIGINT/SIGTERM arrives or `deadline`
/// passes; the hub serves clients meanwhile. Returns the signal.
fn wait_for_signal(mut signals: Signals, deadline: Option<Instant>) -> io::Result<Option<i32>> {
    let registration = Registration::new(&mut signals)?;
    let got = registration.read_with(deadline, || {
        signals
            .pending()
            .next()
            .ok_or_else(|| io::ErrorKind::WouldBlock.into())
    });
    registration.deregister(&mut signals);
    match got {
        Ok(sig) => Ok(Some(sig)),
        Err(e) if e.kind() == io::ErrorKind::TimedOut => Ok(None),
        Err(e) => Err(e),
    }
}

fn main() -> io::Result<()> {
    let args = parse_args().map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    // Catch the signals before announcing the server, so that once it says
    // "listening", Ctrl-C is handled.
    let signals = Signals::new([SIGINT, SIGTERM])?;
    let server = StreamServer::bind(args.addr.as_str(), handle)?;
    server.start()?;
    println!("echo server listening on {}", server.local_addr()?);

    let deadline = args
        .max_seconds
        .map(|s| Instant::now() + Duration::from_secs(s));
    match wait_for_signal(signals, deadline)? {
        Some(sig) => println!("got signal {sig}, shutting down"),
        None => println!("--max-seconds reached, shutting down"),
    }
    server.stop(Duration::from_secs(2));
    println!("bye");
    Ok(())
}
