//! The tokio peer of `examples/http_hello.rs` for the HTTP benchmark: the
//! same "Hello, World!" HTTP/1.1 keep-alive server, with the same httparse
//! loop, buffer sizes, head timeout and response bytes, on a tokio
//! current-thread runtime with one task per connection.
//!
//! ```text
//! cargo build --release -p sprout-bench --bin http_tokio
//! taskset -c 0 target/release/http_tokio 127.0.0.1:8081 --max-seconds 30
//! ```
//!
//! Only the happy path matches the sprout example line for line; error
//! answers (400, 431) are sent without its lingering close.

#![allow(clippy::print_stdout, reason = "a benchmark binary reports on stdout")]

use std::io::{self, Write as _};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, timeout_at};

const MAX_HEAD_BYTES: usize = 8 * 1024;
const MAX_HEADERS: usize = 64;
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
const BODY: &[u8] = b"Hello, World!";

enum Parsed {
    Request { head: usize, keep_alive: bool },
    Partial,
    Reject(u16),
}

fn parse(bytes: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let head = match req.parse(bytes) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(httparse::Error::TooManyHeaders) => return Parsed::Reject(431),
        Err(_) => return Parsed::Reject(400),
    };
    if head > MAX_HEAD_BYTES {
        return Parsed::Reject(431);
    }
    let mut keep_alive = req.version == Some(1);
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("connection") {
            for token in String::from_utf8_lossy(h.value).split(',') {
                match token.trim().to_ascii_lowercase().as_str() {
                    "close" => keep_alive = false,
                    "keep-alive" => keep_alive = true,
                    _ => {}
                }
            }
        } else if h.name.eq_ignore_ascii_case("content-length")
            || h.name.eq_ignore_ascii_case("transfer-encoding")
        {
            // Request bodies are not part of this benchmark.
            return Parsed::Reject(400);
        }
    }
    Parsed::Request { head, keep_alive }
}

fn respond(out: &mut Vec<u8>, status: u16, keep_alive: bool) {
    let (reason, body): (&str, &[u8]) = match status {
        200 => ("OK", BODY),
        400 => ("Bad Request", b"bad request\n"),
        _ => (
            "Request Header Fields Too Large",
            b"request header fields too large\n",
        ),
    };
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let _ = write!(
        out,
        "HTTP/1.1 {status} {reason}\r\nServer: sprout\r\nContent-Type: text/plain\r\n\
         Content-Length: {}\r\nConnection: {connection}\r\n\r\n",
        body.len()
    );
    out.extend_from_slice(body);
}

async fn serve_connection(mut conn: TcpStream) -> io::Result<()> {
    conn.set_nodelay(true)?;
    let mut buf = vec![0u8; MAX_HEAD_BYTES + 1];
    let mut filled = 0;
    let mut out = Vec::with_capacity(1024);
    let mut deadline = Instant::now() + HEAD_TIMEOUT;
    loop {
        match parse(&buf[..filled]) {
            Parsed::Request { head, keep_alive } => {
                respond(&mut out, 200, keep_alive);
                buf.copy_within(head..filled, 0);
                filled -= head;
                if !keep_alive {
                    return conn.write_all(&out).await;
                }
                if filled == 0 {
                    conn.write_all(&out).await?;
                    out.clear();
                    deadline = Instant::now() + HEAD_TIMEOUT;
                }
                continue;
            }
            Parsed::Reject(status) => {
                respond(&mut out, status, false);
                return conn.write_all(&out).await;
            }
            Parsed::Partial => {}
        }
        if filled > MAX_HEAD_BYTES {
            respond(&mut out, 431, false);
            return conn.write_all(&out).await;
        }
        if !out.is_empty() {
            conn.write_all(&out).await?;
            out.clear();
        }
        match timeout_at(deadline, conn.read(&mut buf[filled..])).await {
            Ok(Ok(0)) | Err(_) => return Ok(()),
            Ok(Ok(n)) => filled += n,
            Ok(Err(e)) => return Err(e),
        }
    }
}

fn main() -> io::Result<()> {
    let mut addr = "127.0.0.1:8081".to_owned();
    let mut max_seconds = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--max-seconds" => {
                let n = args.next().and_then(|n| n.parse::<f64>().ok());
                max_seconds = Some(n.expect("--max-seconds takes a number of seconds"));
            }
            _ => addr = arg,
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = TcpListener::bind(&addr).await?;
        println!("listening on http://{}/", listener.local_addr()?);
        let accept = async {
            loop {
                let (conn, _) = listener.accept().await?;
                tokio::spawn(async move {
                    let _ = serve_connection(conn).await;
                });
            }
        };
        match max_seconds {
            Some(secs) => {
                tokio::select! {
                    r = accept => r,
                    () = tokio::time::sleep(Duration::from_secs_f64(secs)) => Ok(()),
                }
            }
            None => accept.await,
        }
    })
}
