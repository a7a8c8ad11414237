//! A "Hello, World!" HTTP/1.1 server: one greenlet per connection
//! (`StreamServer`), keep-alive and pipelining, requests parsed by
//! `httparse`.
//!
//! ```text
//! cargo run --release --example http_hello                      # 127.0.0.1:8080
//! cargo run --release --example http_hello -- 127.0.0.1:0      # any free port
//! cargo run --example http_hello -- --max-seconds 5             # bounded run (CI)
//! curl -v http://127.0.0.1:8080/ http://127.0.0.1:8080/again    # one connection, two requests
//! wrk -t1 -c100 -d10s --latency http://127.0.0.1:8080/
//! ```
//!
//! Limits, as a server facing the internet needs them:
//!
//! - the request head (request line and headers) may be at most
//!   [`Limits::max_head_bytes`] long and have at most [`MAX_HEADERS`]
//!   headers, or the answer is `431 Request Header Fields Too Large`;
//! - a malformed head gets `400 Bad Request`;
//! - the whole head must arrive within [`Limits::head_timeout`] (counted
//!   from the end of the previous response, so it also bounds idle
//!   keep-alive connections): a slow head gets `408 Request Timeout`, an
//!   idle connection is just closed (slowloris defence);
//! - request bodies (`Content-Length`) up to [`Limits::max_body_bytes`] are
//!   read and ignored; chunked request bodies get `501 Not Implemented`.
//!
//! Every error response closes the connection, after draining what the
//! client still sends for a moment so the response is not lost to a reset.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs as _};
use std::time::{Duration, Instant};

use sprout::net::{StreamServer, TcpStream};

/// Most headers a request may have.
pub(crate) const MAX_HEADERS: usize = 64;
const BODY: &[u8] = b"Hello, World!";
/// How long, and for how many bytes, a rejected client's input is drained.
const LINGER: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 256 * 1024;

/// The server's limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Longest request head in bytes (request line and headers).
    pub(crate) max_head_bytes: usize,
    /// Time allowed for a whole request head to arrive.
    pub(crate) head_timeout: Duration,
    /// Longest request body that is read (and ignored).
    pub(crate) max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_bytes: 8 * 1024,
            head_timeout: Duration::from_secs(10),
            max_body_bytes: 1024 * 1024,
        }
    }
}

/// Binds `addr` and starts serving in the background (on this thread's
/// hub); stop it with `StreamServer::stop`.
pub(crate) fn start(addr: SocketAddr, limits: Limits) -> io::Result<StreamServer> {
    let server = StreamServer::bind(addr, move |conn: TcpStream, _peer| {
        // Errors end only this connection; the client sees it closed.
        let _ = serve_connection(conn, limits);
    })?;
    server.start()?;
    Ok(server)
}

/// What to do after parsing the buffered bytes.
enum Parsed {
    /// A complete request: its head length, body length and whether the
    /// connection stays open after the response.
    Request {
        head: usize,
        body: usize,
        keep_alive: bool,
    },
    /// More bytes are needed.
    Partial,
    /// Answer with this status and close.
    Reject(u16),
}

/// Serves requests on one connection until either side closes it.
pub(crate) fn serve_connection(mut conn: TcpStream, limits: Limits) -> io::Result<()> {
    conn.set_nodelay(true)?;
    // Room for a full head plus a bit, so a pipelined next request that
    // starts in the same read does not count against this one.
    let mut buf = vec![0u8; limits.max_head_bytes + 1];
    let mut filled = 0;
    let mut out = Vec::with_capacity(1024);
    let mut deadline = Instant::now() + limits.head_timeout;
    loop {
        match parse(&buf[..filled], limits) {
            Parsed::Request {
                head,
                body,
                keep_alive,
            } => {
                respond(&mut out, 200, keep_alive);
                let consumed = discard_body(&mut conn, &mut filled, head, body)?;
                buf.copy_within(consumed..filled, 0);
                filled -= consumed;
                if !keep_alive {
                    conn.write_all(&out)?;
                    return Ok(());
                }
                if filled == 0 {
                    // Nothing pipelined: send the answers and wait for the
                    // next request.
                    conn.write_all(&out)?;
                    out.clear();
                    deadline = Instant::now() + limits.head_timeout;
                }
                continue;
            }
            Parsed::Reject(status) => return reject(&mut conn, &mut out, status),
            Parsed::Partial => {}
        }
        if filled > limits.max_head_bytes {
            return reject(&mut conn, &mut out, 431);
        }
        if !out.is_empty() {
            conn.write_all(&out)?;
            out.clear();
        }
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            return timed_out(&mut conn, filled);
        };
        conn.set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
        match conn.read(&mut buf[filled..]) {
            Ok(0) => return Ok(()),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::TimedOut => return timed_out(&mut conn, filled),
            Err(e) => return Err(e),
        }
    }
}

/// The head did not arrive in time: 408 if part of it did, else just close.
fn timed_out(conn: &mut TcpStream, filled: usize) -> io::Result<()> {
    if filled > 0 {
        return reject(conn, &mut Vec::new(), 408);
    }
    Ok(())
}

/// Sends the error `status` after the responses in `out`, then closes
/// the connection gracefully.
///
/// Closing a socket with unread input makes the kernel send a reset, which
/// can destroy the response before the client reads it. So the server
/// shuts down its sending side and reads and drops what the client still
/// sends, for a short, bounded while ("lingering close", as nginx does).
fn reject(conn: &mut TcpStream, out: &mut Vec<u8>, status: u16) -> io::Result<()> {
    respond(out, status, false);
    conn.write_all(out)?;
    conn.shutdown(std::net::Shutdown::Write)?;
    let deadline = Instant::now() + LINGER;
    let mut scratch = [0u8; 4096];
    let mut left = LINGER_BYTES;
    while left > 0 {
        let Some(wait) = deadline.checked_duration_since(Instant::now()) else {
            break;
        };
        conn.set_read_timeout(Some(wait.max(Duration::from_millis(1))))?;
        match conn.read(&mut scratch) {
            Ok(0) | Err(_) => break,
            Ok(n) => left = left.saturating_sub(n),
        }
    }
    Ok(())
}

fn parse(bytes: &[u8], limits: Limits) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let head = match req.parse(bytes) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(httparse::Error::TooManyHeaders) => return Parsed::Reject(431),
        Err(_) => return Parsed::Reject(400),
    };
    if head > limits.max_head_bytes {
        return Parsed::Reject(431);
    }
    let http11 = req.version == Some(1);
    let mut keep_alive = http11;
    let mut body = 0;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("connection") {
            for token in String::from_utf8_lossy(h.value).split(',') {
                match token.trim().to_ascii_lowercase().as_str() {
                    "close" => keep_alive = false,
                    "keep-alive" => keep_alive = true,
                    _ => {}
                }
            }
        } else if h.name.eq_ignore_ascii_case("content-length") {
            match std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse().ok())
            {
                Some(n) if n <= limits.max_body_bytes => body = n,
                Some(_) => return Parsed::Reject(413),
                None => return Parsed::Reject(400),
            }
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            return Parsed::Reject(501);
        }
    }
    Parsed::Request {
        head,
        body,
        keep_alive,
    }
}

/// Consumes the body that follows a head of `head` bytes, reading what is
/// not buffered yet; returns how many buffered bytes the request took.
fn discard_body(
    conn: &mut TcpStream,
    filled: &mut usize,
    head: usize,
    body: usize,
) -> io::Result<usize> {
    let buffered = (*filled - head).min(body);
    let mut missing = body - buffered;
    if missing == 0 {
        return Ok(head + body);
    }
    // The rest of the body is not buffered: drop the buffer and read past it.
    *filled = 0;
    let mut scratch = [0u8; 4096];
    while missing > 0 {
        let n = conn.read(&mut scratch[..missing.min(4096)])?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        missing -= n;
    }
    Ok(0)
}

fn respond(out: &mut Vec<u8>, status: u16, keep_alive: bool) {
    let (reason, body): (&str, &[u8]) = match status {
        200 => ("OK", BODY),
        400 => ("Bad Request", b"bad request\n"),
        408 => ("Request Timeout", b"request timeout\n"),
        413 => ("Content Too Large", b"request body too large\n"),
        431 => (
            "Request Header Fields Too Large",
            b"request header fields too large\n",
        ),
        _ => ("Not Implemented", b"not implemented\n"),
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

fn main() -> io::Result<()> {
    let mut addr = "127.0.0.1:8080".to_owned();
    let mut max_seconds = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--max-seconds" => {
                let n = args.next().and_then(|n| n.parse::<f64>().ok());
                max_seconds = Some(n.expect("--max-seconds takes a number of seconds"));
            }
            "-h" | "--help" => {
                println!("usage: http_hello [ADDR (default 127.0.0.1:8080)] [--max-seconds N]");
                return Ok(());
            }
            _ => addr = arg,
        }
    }
    let addr = addr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address"))?;
    let server = start(addr, Limits::default())?;
    println!("listening on http://{}/", server.local_addr()?);
    match max_seconds {
        Some(secs) => {
            sprout::sleep(Duration::from_secs_f64(secs));
            server.stop(Duration::from_secs(1));
        }
        None => server.serve_forever()?,
    }
    Ok(())
}
