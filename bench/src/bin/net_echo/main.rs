//! Echo server benchmark: sprout's `StreamServer` against tokio's
//! current-thread runtime, may with one worker, and a hand-written
//! single-threaded mio loop.
//!
//! Each server runs in its own process pinned to core 1; the load generator
//! (a single-threaded mio client, also in this binary) runs pinned to core
//! 0. Loads: 64-byte ping-pong over 1, 100, 1,000 and 10,000 connections,
//! and connect-per-request churn (connect, send 64 bytes, read the echo,
//! close) with 64 in flight. Reports requests/s, p50/p99 latency, the
//! server's CPU time per request and its peak RSS (`VmHWM`), and each
//! server's requests/s over each peer's, paired cycle by cycle.
//!
//! Up to 1,000 connections and for churn, all four servers run at once and
//! the load generator drives them in turn in short slices (see
//! [`rotate`]), so that the drift of a shared virtual machine hits all
//! servers alike. 10,000 connections per server do not fit four servers in
//! the fd limit; there the servers run one after the other, several
//! interleaved times.
//!
//! ```text
//! cargo build --release -p sprout-bench --bin net_echo
//! target/release/net_echo run            # all servers, all loads (about four minutes)
//! target/release/net_echo run --quick    # shorter runs
//! ```
//!
//! `scripts/bench_net.sh` runs it and puts the tables into BENCHMARKS.md.

#![allow(clippy::print_stdout, reason = "a benchmark binary reports on stdout")]

use std::collections::HashMap;
use std::io::{self, BufRead, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mio::net::TcpStream as MioStream;
use mio::{Events, Interest, Poll, Token};

mod rotate;

const MSG: usize = 64;
const SERVERS: [&str; 4] = ["sprout", "tokio", "may", "mio"];

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("server") => serve(args.get(1).map_or("sprout", String::as_str)),
        Some("load") => {
            let addr: SocketAddr = args[1].parse().expect("address");
            let conns: usize = args[2].parse().expect("connection count");
            let millis: u64 = args[3].parse().expect("duration in ms");
            let pid = args.get(4).map(|p| p.parse().expect("server pid"));
            print_stats(&ping_pong(addr, conns, Duration::from_millis(millis), pid)?);
            Ok(())
        }
        Some("churn") => {
            let addr: SocketAddr = args[1].parse().expect("address");
            let inflight: usize = args[2].parse().expect("concurrency");
            let millis: u64 = args[3].parse().expect("duration in ms");
            let pid = args.get(4).map(|p| p.parse().expect("server pid"));
            print_stats(&churn(addr, inflight, Duration::from_millis(millis), pid)?);
            Ok(())
        }
        Some("rotate") => rotate_load(&args[1..]),
        Some("run") => run(args.iter().any(|a| a == "--quick")),
        _ => {
            eprintln!(
                "usage: net_echo run [--quick] | server IMPL | load ADDR CONNS MS [PID] | \
                 churn ADDR INFLIGHT MS [PID] | \
                 rotate pingpong|churn N SLICE_MS CYCLES ADDR,PID..."
            );
            std::process::exit(2);
        }
    }
}

// ===== the servers =====

/// Binds 127.0.0.1:0, prints `PORT n`, serves plain echo until killed.
fn serve(which: &str) -> io::Result<()> {
    match which {
        "sprout" => sprout_server(),
        "tokio" => tokio_server(),
        "may" => may_server(),
        "mio" => mio_server(),
        other => panic!("unknown server {other:?}"),
    }
}

fn announce(addr: SocketAddr) {
    println!("PORT {}", addr.port());
    io::stdout().flush().unwrap();
}

fn sprout_server() -> io::Result<()> {
    use sprout::net::{StreamServer, TcpStream};
    let server = StreamServer::bind("127.0.0.1:0", |mut conn: TcpStream, _| {
        let _ = conn.set_nodelay(true);
        let mut buf = [0u8; 4096];
        loop {
            match conn.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if conn.write_all(&buf[..n]).is_err() {
                        return;
                    }
                }
            }
        }
    })?;
    announce(server.local_addr()?);
    server.serve_forever()
}

fn tokio_server() -> io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        announce(listener.local_addr()?);
        loop {
            let (mut conn, _) = listener.accept().await?;
            let _ = conn.set_nodelay(true);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                loop {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if conn.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    })
}

fn may_server() -> io::Result<()> {
    may::config().set_workers(1);
    let listener = may::net::TcpListener::bind("127.0.0.1:0")?;
    announce(listener.local_addr()?);
    loop {
        let (mut conn, _) = listener.accept()?;
        let _ = conn.set_nodelay(true);
        // SAFETY: the closure owns its connection and uses no thread-local
        // state, which is what may's unsafe spawn asks of callers.
        let _h = unsafe {
            may::coroutine::spawn(move || {
                let mut buf = [0u8; 4096];
                loop {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if conn.write_all(&buf[..n]).is_err() {
                                return;
                            }
                        }
                    }
                }
            })
        };
    }
}

/// The hand-written baseline: one thread, edge-triggered mio, a map of
/// connections, echo with a pending-output buffer.
fn mio_server() -> io::Result<()> {
    const LISTENER: Token = Token(usize::MAX);
    let mut poll = Poll::new()?;
    let mut listener = mio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    announce(listener.local_addr()?);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut conns: HashMap<usize, (MioStream, Vec<u8>)> = HashMap::new();
    let mut next = 0usize;
    let mut events = Events::with_capacity(1024);
    let mut buf = [0u8; 4096];
    loop {
        poll.poll(&mut events, None)?;
        for ev in &events {
            if ev.token() == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((mut s, _)) => {
                            let _ = s.set_nodelay(true);
                            let t = Token(next);
                            next += 1;
                            poll.registry().register(
                                &mut s,
                                t,
                                Interest::READABLE | Interest::WRITABLE,
                            )?;
                            conns.insert(t.0, (s, Vec::new()));
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(_) => break,
                    }
                }
                continue;
            }
            let key = ev.token().0;
            let Some((s, pending)) = conns.get_mut(&key) else {
                continue;
            };
            let mut close = false;
            if ev.is_readable() {
                loop {
                    match s.read(&mut buf) {
                        Ok(0) => {
                            close = true;
                            break;
                        }
                        Ok(n) => pending.extend_from_slice(&buf[..n]),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(_) => {
                            close = true;
                            break;
                        }
                    }
                }
            }
            while !close && !pending.is_empty() {
                match s.write(pending) {
                    Ok(n) => {
                        pending.drain(..n);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(_) => close = true,
                }
            }
            if close && let Some((mut s, _)) = conns.remove(&key) {
                let _ = poll.registry().deregister(&mut s);
            }
        }
    }
}

// ===== the load generator =====

/// Results of one load run.
struct Stats {
    requests: u64,
    secs: f64,
    /// Latencies in nanoseconds, sorted.
    latencies: Vec<u64>,
    /// Server CPU time (user + system) during the measured window.
    server_cpu: Duration,
}

impl Stats {
    fn percentile_us(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[i] as f64 / 1000.0
    }
}

fn print_stats(s: &Stats) {
    println!(
        "RESULT {} {:.3} {:.1} {:.1} {}",
        s.requests,
        s.secs,
        s.percentile_us(0.50),
        s.percentile_us(0.99),
        s.server_cpu.as_micros()
    );
}

/// User + system CPU time of process `pid` (`/proc/PID/stat` counts in
/// USER_HZ = 100 ticks per second on Linux).
fn process_cpu(pid: Option<u32>) -> Duration {
    let Some(pid) = pid else {
        return Duration::ZERO;
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields overall.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| f.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
    let ticks = field(11) + field(12);
    Duration::from_millis(ticks * 10)
}

/// Measures the server's CPU time over the measured window.
struct CpuWindow {
    pid: Option<u32>,
    start: Option<Duration>,
}

impl CpuWindow {
    fn tick(&mut self, now: Instant, warm_until: Instant) {
        if self.start.is_none() && now >= warm_until {
            self.start = Some(process_cpu(self.pid));
        }
    }

    fn total(&self) -> Duration {
        process_cpu(self.pid).saturating_sub(self.start.unwrap_or_default())
    }
}

/// A client connection of the ping-pong load.
struct Client {
    stream: MioStream,
    sent_at: Instant,
    got: usize,
    written: usize,
}

/// `conns` connections each sending 64 bytes and waiting for the echo, for
/// `duration` (after a warm-up of a tenth of it, which is not counted).
fn ping_pong(
    addr: SocketAddr,
    conns: usize,
    duration: Duration,
    pid: Option<u32>,
) -> io::Result<Stats> {
    let mut poll = Poll::new()?;
    let mut clients = Vec::with_capacity(conns);
    for i in 0..conns {
        // Blocking connects to loopback, one after the other: the server
        // accepts them as they come.
        let s = std::net::TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        s.set_nonblocking(true)?;
        let mut stream = MioStream::from_std(s);
        poll.registry().register(
            &mut stream,
            Token(i),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        clients.push(Client {
            stream,
            sent_at: Instant::now(),
            got: 0,
            written: 0,
        });
    }
    let payload = [b'x'; MSG];
    let mut buf = [0u8; MSG];
    let start = Instant::now();
    let warm_until = start + duration / 10;
    let end = start + duration + duration / 10;
    let mut latencies = Vec::new();
    let mut requests = 0u64;
    // Start every connection's first request.
    for c in &mut clients {
        c.sent_at = Instant::now();
        c.written = send_some(&mut c.stream, &payload, 0)?;
    }
    let mut events = Events::with_capacity(4096);
    let mut now = Instant::now();
    let mut cpu = CpuWindow { pid, start: None };
    while now < end {
        poll.poll(&mut events, Some(Duration::from_millis(100)))?;
        now = Instant::now();
        cpu.tick(now, warm_until);
        for ev in &events {
            let c = &mut clients[ev.token().0];
            if c.written < MSG {
                c.written = send_some(&mut c.stream, &payload, c.written)?;
            }
            loop {
                match c.stream.read(&mut buf[..MSG - c.got]) {
                    Ok(0) => return Err(io::Error::new(ErrorKind::UnexpectedEof, "server closed")),
                    Ok(n) => {
                        c.got += n;
                        if c.got == MSG {
                            let t = Instant::now();
                            if c.sent_at >= warm_until {
                                latencies.push((t - c.sent_at).as_nanos() as u64);
                                requests += 1;
                            }
                            c.got = 0;
                            c.sent_at = t;
                            c.written = send_some(&mut c.stream, &payload, 0)?;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
        }
    }
    let server_cpu = cpu.total();
    latencies.sort_unstable();
    Ok(Stats {
        requests,
        secs: (end - warm_until).as_secs_f64(),
        latencies,
        server_cpu,
    })
}

fn send_some(s: &mut MioStream, payload: &[u8], from: usize) -> io::Result<usize> {
    let mut at = from;
    while at < payload.len() {
        match s.write(&payload[at..]) {
            Ok(n) => at += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    Ok(at)
}

/// Connect-per-request: `inflight` concurrent exchanges, each a new
/// connection (connect, send 64 bytes, read them back, close with RST so
/// the client's ports do not pile up in TIME_WAIT).
fn churn(
    addr: SocketAddr,
    inflight: usize,
    duration: Duration,
    pid: Option<u32>,
) -> io::Result<Stats> {
    let mut poll = Poll::new()?;
    let payload = [b'y'; MSG];
    let mut buf = [0u8; MSG];
    let mut slots: Vec<Option<(Client, bool)>> = (0..inflight).map(|_| None).collect();
    let open = |poll: &Poll, i: usize| -> io::Result<(Client, bool)> {
        let mut stream = MioStream::connect(addr)?;
        poll.registry().register(
            &mut stream,
            Token(i),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        Ok((
            Client {
                stream,
                sent_at: Instant::now(),
                got: 0,
                written: 0,
            },
            false,
        ))
    };
    for (i, slot) in slots.iter_mut().enumerate() {
        *slot = Some(open(&poll, i)?);
    }
    let start = Instant::now();
    let warm_until = start + duration / 10;
    let end = start + duration + duration / 10;
    let mut latencies = Vec::new();
    let mut requests = 0u64;
    let mut events = Events::with_capacity(1024);
    let mut cpu = CpuWindow { pid, start: None };
    while Instant::now() < end {
        poll.poll(&mut events, Some(Duration::from_millis(100)))?;
        cpu.tick(Instant::now(), warm_until);
        for ev in &events {
            let i = ev.token().0;
            let Some((c, connected)) = slots[i].as_mut() else {
                continue;
            };
            if !*connected {
                if ev.is_error() || c.stream.peer_addr().is_err() {
                    if ev.is_error() || ev.is_write_closed() {
                        // Refused or reset: start over.
                        slots[i] = Some(open(&poll, i)?);
                    }
                    continue;
                }
                *connected = true;
            }
            if c.written < MSG {
                c.written = send_some(&mut c.stream, &payload, c.written)?;
            }
            let mut done = false;
            loop {
                match c.stream.read(&mut buf[..MSG - c.got]) {
                    Ok(0) => break,
                    Ok(n) => {
                        c.got += n;
                        if c.got == MSG {
                            done = true;
                            break;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(_) => break,
                }
            }
            if done {
                if c.sent_at >= warm_until {
                    latencies.push(c.sent_at.elapsed().as_nanos() as u64);
                    requests += 1;
                }
                let (mut old, _) = slots[i].take().unwrap();
                let _ = poll.registry().deregister(&mut old.stream);
                let _ = socket2::SockRef::from(&old.stream).set_linger(Some(Duration::ZERO));
                drop(old);
                slots[i] = Some(open(&poll, i)?);
            }
        }
    }
    let server_cpu = cpu.total();
    latencies.sort_unstable();
    Ok(Stats {
        requests,
        secs: (end - warm_until).as_secs_f64(),
        latencies,
        server_cpu,
    })
}

/// `rotate pingpong|churn N SLICE_MS CYCLES ADDR,PID...`: the rotating load
/// of [`rotate`], one `TOTAL` and one `RATES` line per target.
fn rotate_load(args: &[String]) -> io::Result<()> {
    let n: usize = args[1].parse().expect("connection count");
    let load = match args[0].as_str() {
        "pingpong" => rotate::Load::PingPong(n),
        "churn" => rotate::Load::Churn(n),
        other => panic!("unknown load {other:?}"),
    };
    let slice = Duration::from_millis(args[2].parse().expect("slice in ms"));
    let cycles: usize = args[3].parse().expect("cycle count");
    let targets: Vec<rotate::Target> = args[4..]
        .iter()
        .map(|t| {
            let (addr, pid) = t.split_once(',').expect("ADDR,PID");
            rotate::Target {
                addr: addr.parse().expect("address"),
                pid: pid.parse().expect("pid"),
            }
        })
        .collect();
    for (i, t) in rotate::run(load, &targets, slice, cycles)?
        .iter()
        .enumerate()
    {
        let pct = |p: f64| {
            let l = &t.latencies;
            l.get(((l.len().max(1) - 1) as f64 * p).round() as usize)
                .map_or(f64::NAN, |&ns| ns as f64 / 1000.0)
        };
        println!(
            "TOTAL {i} {} {:.4} {:.1} {:.1} {}",
            t.requests,
            t.secs,
            pct(0.50),
            pct(0.99),
            t.cpu_ns
        );
        let rates: Vec<String> = t.rates.iter().map(|r| format!("{r:.0}")).collect();
        println!("RATES {i} {}", rates.join(" "));
    }
    Ok(())
}

// ===== the orchestrator =====

/// A server process pinned to core 1.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(which: &str) -> io::Result<Server> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new("taskset")
            .args(["-c", "1"])
            .arg(&exe)
            .args(["server", which])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let mut line = String::new();
        io::BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line)?;
        let port: u16 = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("server {which} said {line:?}"));
        Ok(Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        })
    }

    /// Peak resident set size in KiB.
    fn peak_rss_kib(&self) -> u64 {
        // The child is `taskset`, which execs the server: same pid.
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the load generator pinned to core 0 and returns what it printed.
fn load_output(args: &[String]) -> io::Result<String> {
    let exe = std::env::current_exe()?;
    let out = Command::new("taskset")
        .args(["-c", "0"])
        .arg(&exe)
        .args(args)
        .output()?;
    if !out.status.success() {
        panic!(
            "load {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs one `load` or `churn` and parses its result line.
fn load(args: &[String]) -> io::Result<Stats> {
    let text = load_output(args)?;
    let line = text
        .lines()
        .find(|l| l.starts_with("RESULT "))
        .unwrap_or_else(|| panic!("load {args:?} printed no result: {text:?}"));
    let f: Vec<&str> = line.split_whitespace().collect();
    let p50: f64 = f[3].parse().unwrap();
    let p99: f64 = f[4].parse().unwrap();
    Ok(Stats {
        requests: f[1].parse().unwrap(),
        secs: f[2].parse().unwrap(),
        // Only the percentiles travel back; store them as a 2-point list.
        latencies: vec![(p50 * 1000.0) as u64, (p99 * 1000.0) as u64],
        server_cpu: Duration::from_micros(f[5].parse().unwrap()),
    })
}

/// One server's line in a table.
struct Row {
    which: &'static str,
    rps: f64,
    p50_us: f64,
    p99_us: f64,
    cpu_us: f64,
    rss_kib: u64,
    /// requests/s of each cycle (rotation) or run (one after the other),
    /// aligned across servers so that index `k` of two rows was measured
    /// in the same cycle.
    rates: Vec<f64>,
}

impl Row {
    /// The median and the middle half (quartiles) of this row's rate over
    /// `peer`'s, cycle by cycle.
    fn ratio(&self, peer: &Row) -> (f64, f64, f64) {
        let mut r: Vec<f64> = self
            .rates
            .iter()
            .zip(&peer.rates)
            .filter(|(_, p)| **p > 0.0)
            .map(|(a, p)| a / p)
            .collect();
        if r.is_empty() {
            return (f64::NAN, f64::NAN, f64::NAN);
        }
        r.sort_by(f64::total_cmp);
        let at = |q: f64| r[((r.len() - 1) as f64 * q).round() as usize];
        (at(0.5), at(0.25), at(0.75))
    }
}

/// All four servers at once under the rotating load of [`rotate`].
fn rotated(load: &[String], slice_ms: u64, cycles: usize) -> io::Result<Vec<Row>> {
    let servers: Vec<Server> = SERVERS
        .iter()
        .map(|w| Server::start(w))
        .collect::<Result<_, _>>()?;
    let mut args: Vec<String> = vec!["rotate".into()];
    args.extend(load.iter().cloned());
    args.push(slice_ms.to_string());
    args.push(cycles.to_string());
    args.extend(
        servers
            .iter()
            .map(|s| format!("{},{}", s.addr, s.child.id())),
    );
    let text = load_output(&args)?;
    let field = |kind: &str, i: usize| -> Vec<f64> {
        text.lines()
            .find_map(|l| {
                let mut f = l.split_whitespace();
                (f.next() == Some(kind) && f.next() == Some(&i.to_string()))
                    .then(|| f.filter_map(|x| x.parse().ok()).collect())
            })
            .unwrap_or_else(|| panic!("rotate {args:?}: no {kind} line for {i} in {text:?}"))
    };
    Ok(SERVERS
        .iter()
        .enumerate()
        .map(|(i, which)| {
            let t = field("TOTAL", i);
            let (requests, secs) = (t[0], t[1]);
            Row {
                which,
                rps: requests / secs,
                p50_us: t[2],
                p99_us: t[3],
                cpu_us: t[4] / 1000.0 / requests.max(1.0),
                rss_kib: servers[i].peak_rss_kib(),
                rates: field("RATES", i),
            }
        })
        .collect())
}

/// One server after the other, `reps` times, each run `args` (the
/// connection count that does not fit all servers at once).
fn one_after_another(args: &[String], reps: usize) -> io::Result<Vec<Row>> {
    // (server, requests/s, p50 ns, p99 ns, peak RSS KiB, CPU µs/request)
    // per repetition; servers interleaved so that machine noise hits all
    // alike.
    let mut runs: Vec<(&str, f64, u64, u64, u64, f64)> = Vec::new();
    for _ in 0..reps {
        for which in SERVERS {
            let server = Server::start(which)?;
            let mut args: Vec<String> = args
                .iter()
                .map(|a| {
                    if a == "ADDR" {
                        server.addr.to_string()
                    } else {
                        a.clone()
                    }
                })
                .collect();
            args.push(server.child.id().to_string());
            let stats = load(&args)?;
            let rss = server.peak_rss_kib();
            drop(server);
            let cpu_per_req = stats.server_cpu.as_secs_f64() * 1e6 / stats.requests.max(1) as f64;
            runs.push((
                which,
                stats.requests as f64 / stats.secs,
                stats.latencies[0],
                stats.latencies[1],
                rss,
                cpu_per_req,
            ));
        }
    }
    Ok(SERVERS
        .iter()
        .map(|w| {
            let mine: Vec<_> = runs.iter().filter(|r| r.0 == *w).copied().collect();
            let rates: Vec<f64> = mine.iter().map(|r| r.1).collect();
            let mut by_rate = mine.clone();
            by_rate.sort_by(|a, b| a.1.total_cmp(&b.1));
            let mid = by_rate[by_rate.len() / 2];
            let mut cpu: Vec<f64> = mine.iter().map(|r| r.5).collect();
            cpu.sort_by(f64::total_cmp);
            Row {
                which: w,
                rps: mid.1,
                p50_us: mid.2 as f64 / 1000.0,
                p99_us: mid.3 as f64 / 1000.0,
                cpu_us: cpu[cpu.len() / 2],
                rss_kib: mine.iter().map(|r| r.4).max().unwrap_or(0),
                rates,
            }
        })
        .collect())
}

fn print_table(name: &str, rows: &[Row]) {
    let peer = |w: &str| {
        rows.iter()
            .find(|r| r.which == w)
            .expect("every server has a row")
    };
    println!("### {name}");
    println!();
    println!(
        "| server | requests/s | p50 µs | p99 µs | server CPU µs/request | peak RSS MiB | \
         vs tokio | vs may | vs mio loop |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let label = match row.which {
            "sprout" => "sprout `StreamServer`",
            "tokio" => "tokio (current-thread)",
            "may" => "may (1 worker)",
            _ => "hand-written mio loop",
        };
        let ratio = |w: &str| {
            if w == row.which {
                return "1".to_owned();
            }
            let (mid, lo, hi) = row.ratio(peer(w));
            format!("{mid:.2}x ({lo:.2}-{hi:.2})")
        };
        println!(
            "| {label} | {:.0} | {:.1} | {:.1} | {:.2} | {:.1} | {} | {} | {} |",
            row.rps,
            row.p50_us,
            row.p99_us,
            row.cpu_us,
            row.rss_kib as f64 / 1024.0,
            ratio("tokio"),
            ratio("may"),
            ratio("mio")
        );
    }
    println!();
}

fn run(quick: bool) -> io::Result<()> {
    let (slice_ms, cycles) = if quick { (100, 3) } else { (200, 25) };
    let (ms, reps) = if quick { (500, 1) } else { (2000, 7) };
    println!(
        "64-byte messages; each server in its own process pinned to core 1, the load generator \
         pinned to core 0. At 1 to 1,000 connections and for churn all four servers run at once \
         and the load generator drives them in turn: {cycles} cycles (after one warm-up cycle) of \
         one {slice_ms} ms slice per server, the order rotated each cycle; a slice counts the \
         exchanges that start after its first tenth and end before its end, then waits for the \
         ones in flight before the next server's slice. 10,000 connections do not fit four \
         servers at once in the fd limit, so there the servers run one after the other, {reps} \
         interleaved runs of {ms} ms after a 10% warm-up each (median run by requests/s). \
         Ratio columns: the median over cycles (or runs) of this row's requests/s over the \
         peer's in the same cycle, with the middle half of those ratios in brackets. Server \
         CPU is the server process's CPU time per request over the counted time; peak RSS is \
         its `VmHWM`."
    );
    println!();
    // (connections, server, requests/s) of the ping-pong runs, for the plot.
    let mut curve: Vec<(usize, &str, f64)> = Vec::new();
    for n in [1usize, 100, 1000, 10_000] {
        let name = format!("Ping-pong, {n} connection{}", if n == 1 { "" } else { "s" });
        let rows = if n <= 1000 {
            rotated(&["pingpong".into(), n.to_string()], slice_ms, cycles)?
        } else {
            let args = vec!["load".into(), "ADDR".into(), n.to_string(), ms.to_string()];
            one_after_another(&args, reps)?
        };
        curve.extend(rows.iter().map(|r| (n, r.which, r.rps)));
        print_table(&name, &rows);
    }
    let rows = rotated(&["churn".into(), "64".into()], slice_ms, cycles)?;
    print_table("Connect per request (churn), 64 in flight", &rows);
    let svg = "docs/echo.svg";
    match plot_curve(&curve, svg) {
        Ok(()) => println!("Plot of requests/s against connections: [{svg}]({svg})"),
        Err(e) => eprintln!("plot failed: {e}"),
    }
    Ok(())
}

/// Writes requests/s against connection count, one line per server.
fn plot_curve(curve: &[(usize, &str, f64)], path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let series: Vec<_> = SERVERS
        .iter()
        .map(|which| {
            let pts = curve
                .iter()
                .filter(|c| c.1 == *which)
                .map(|c| (c.0 as f64, c.2))
                .collect();
            (*which, pts)
        })
        .collect();
    sprout_bench::plot_lines(
        path,
        "Echo ping-pong (64 B): requests/s vs connections, one core",
        ("connections", "requests/s"),
        (1.0, 10_000.0),
        &series,
    )
}
