//! Many connections on one hub: a sprout echo server process holds N idle
//! TCP connections (default 100,000), then every connection does ping-pong
//! bursts; reports the server's RSS per connection, requests/s and latency
//! percentiles.
//!
//! The load generator is this binary in client mode (one sprout hub holding
//! the client ends), spreading connections over several 127.0.0.x source
//! addresses to get past the ephemeral port range. Both raise their fd
//! limit (run as root, or with a high enough hard limit).
//!
//! Run: `scripts/bench_conns.sh [N]` (server pinned to core 1, client to
//! core 0), or by hand:
//! `taskset -c 0 target/release/conns client 100000 'taskset -c 1'`.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark binary reports on stdout"
)]

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use sprout::net::{StreamServer, TcpStream};
use sprout_bench::rss_kib;

/// Source addresses for client sockets: each gives ~28k ephemeral ports.
const SOURCES: u8 = 8;
const ROUNDS: usize = 5;
const PACED_SECONDS: u32 = 5;
const MESSAGE: [u8; 64] = [b'x'; 64];

fn raise_fd_limit(want: u64) -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: valid out pointer for getrlimit.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    let target = libc::rlimit {
        rlim_cur: want,
        rlim_max: want.max(lim.rlim_max),
    };
    // SAFETY: valid pointer to an initialised rlimit.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &target) } != 0 {
        let fallback = libc::rlimit {
            rlim_cur: lim.rlim_max,
            rlim_max: lim.rlim_max,
        };
        // SAFETY: as above.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &fallback) };
        return lim.rlim_max;
    }
    want
}

fn echo(mut conn: TcpStream, _peer: SocketAddr) {
    sprout_bench::echo(&mut conn, &mut [0u8; 512]);
}

fn server(n: usize) {
    let limit = raise_fd_limit(n as u64 + 1000);
    let server = StreamServer::bind("127.0.0.1:0", echo).expect("bind");
    server.start().expect("start");
    println!(
        "port {} fdlimit {limit}",
        server.local_addr().expect("addr").port()
    );
    std::io::stdout().flush().expect("stdout");
    // Serve until the driver closes our stdin (read on the thread pool).
    let _ = sprout::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    });
    server.stop(Duration::from_secs(1));
}

fn connect_from(src: Ipv4Addr, dst: SocketAddr) -> std::io::Result<TcpStream> {
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    sock.bind(&SocketAddr::V4(SocketAddrV4::new(src, 0)).into())?;
    sock.connect(&dst.into())?;
    TcpStream::from_std(sock.into())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn client(n: usize, server_prefix: &str) {
    raise_fd_limit(n as u64 + 1000);
    let exe = std::env::current_exe().expect("exe");
    let mut cmd = if server_prefix.is_empty() {
        Command::new(&exe)
    } else {
        let mut parts = server_prefix.split_whitespace();
        let mut c = Command::new(parts.next().expect("prefix"));
        c.args(parts).arg(&exe);
        c
    };
    let mut child = cmd
        .args(["server", &n.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start server");
    let pid = child.id();
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("port line");
    let port: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("port");
    let dst = SocketAddr::from(([127, 0, 0, 1], port));
    let rss_before = rss_kib(Some(pid));

    // Connect everything.
    let t = Instant::now();
    let mut conns = Vec::with_capacity(n);
    for i in 0..n {
        let src = Ipv4Addr::new(127, 0, 0, 2 + (i % usize::from(SOURCES)) as u8);
        match connect_from(src, dst) {
            Ok(s) => conns.push(s),
            Err(e) => {
                eprintln!("connect {i} failed: {e}");
                break;
            }
        }
    }
    let connect_time = t.elapsed();
    let held = conns.len();
    // Let the server accept and start a greenlet for each.
    sprout::sleep(Duration::from_millis(500));
    let mut rss_idle = rss_kib(Some(pid));
    for _ in 0..20 {
        sprout::sleep(Duration::from_millis(100));
        let r = rss_kib(Some(pid));
        if r == rss_idle {
            break;
        }
        rss_idle = r;
    }

    // Burst: every connection does ROUNDS ping-pongs at once.
    let latencies = Rc::new(RefCell::new(Vec::with_capacity(held * ROUNDS)));
    let t = Instant::now();
    let handles: Vec<_> = conns
        .into_iter()
        .map(|mut s| {
            let lat = latencies.clone();
            sprout::spawn(move || {
                let mut back = [0u8; 64];
                for _ in 0..ROUNDS {
                    let start = Instant::now();
                    if s.write_all(&MESSAGE).is_err() || s.read_exact(&mut back).is_err() {
                        return None;
                    }
                    lat.borrow_mut().push(start.elapsed());
                }
                Some(s)
            })
        })
        .collect();
    let results: Vec<_> = sprout::joinall(handles);
    let burst = t.elapsed();
    let mut conns = Vec::with_capacity(held);
    for s in results.into_iter().flatten().flatten() {
        conns.push(s);
    }
    let ok = conns.len();

    // Paced: every connection pings once per second (a moderate total rate
    // of one request per connection per second), for PACED_SECONDS.
    let paced_lat = Rc::new(RefCell::new(Vec::with_capacity(
        held * PACED_SECONDS as usize,
    )));
    let t = Instant::now();
    let count = conns.len().max(1);
    let handles: Vec<_> = conns
        .into_iter()
        .enumerate()
        .map(|(i, mut s)| {
            let lat = paced_lat.clone();
            sprout::spawn(move || {
                let mut back = [0u8; 64];
                // Spread the connections evenly over the second.
                let mut next = t + Duration::from_secs(1).mul_f64(i as f64 / count as f64);
                for _ in 0..PACED_SECONDS {
                    sprout::sleep_until(next);
                    let start = Instant::now();
                    if s.write_all(&MESSAGE).is_err() || s.read_exact(&mut back).is_err() {
                        return;
                    }
                    lat.borrow_mut().push(start.elapsed());
                    next += Duration::from_secs(1);
                }
            })
        })
        .collect();
    sprout::joinall(handles);
    let paced = t.elapsed();
    drop(child.stdin.take());
    let _ = child.wait();

    let mut lat = latencies.borrow_mut();
    lat.sort();
    let requests = lat.len();
    println!("| measure | value |\n|---|---:|");
    println!("| connections held by one server hub | {held} (of {n} asked) |");
    println!("| connections that finished the burst | {ok} |");
    println!(
        "| connect time (client side, sequential) | {:.2} s |",
        connect_time.as_secs_f64()
    );
    println!(
        "| server RSS: before / with all idle | {} / {} KiB |",
        rss_before, rss_idle
    );
    println!(
        "| server RSS per idle connection | {:.2} KiB |",
        rss_idle.saturating_sub(rss_before) as f64 / held.max(1) as f64
    );
    println!(
        "| burst: {requests} ping-pongs of 64 B ({ROUNDS} per connection, all at once) | {:.2} s, {:.0} req/s |",
        burst.as_secs_f64(),
        requests as f64 / burst.as_secs_f64()
    );
    println!(
        "| burst latency p50 / p99 / max | {:.2} / {:.2} / {:.2} ms |",
        percentile(&lat, 0.50).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
        lat.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    let mut plat = paced_lat.borrow_mut();
    plat.sort();
    println!(
        "| paced: each connection pings once a second for {PACED_SECONDS} s | {} requests, {:.0} req/s |",
        plat.len(),
        plat.len() as f64 / paced.as_secs_f64()
    );
    println!(
        "| paced latency p50 / p99 / max | {:.2} / {:.2} / {:.2} ms |",
        percentile(&plat, 0.50).as_secs_f64() * 1e3,
        percentile(&plat, 0.99).as_secs_f64() * 1e3,
        plat.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("server") => server(args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000)),
        Some("client") => client(
            args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000),
            args.get(2).map(String::as_str).unwrap_or(""),
        ),
        _ => client(100_000, ""),
    }
}
