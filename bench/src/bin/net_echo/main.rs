//! Echo server benchmark: sprout's `StreamServer` against tokio's
//! current-thread runtime, may with one worker, and a hand-written
//! single-threaded mio loop.
//!
//! Each server runs in its own process pinned to core 1; its load generator
//! (a single-threaded mio client, also in this binary) runs in another
//! process pinned to core 0. Loads: 64-byte ping-pong over 1, 100, 1,000 and 10,000 connections,
//! and connect-per-request churn (connect, send 64 bytes, read the echo,
//! close) with 64 in flight. Reports requests/s, p50/p99 latency, the
//! server's CPU time per request and its peak RSS (`VmHWM`), and each
//! server's requests/s over each peer's, paired cycle by cycle.
//!
//! All four servers run at once and are driven in turn in short slices
//! (see [`rotate`]), so that the drift of a shared virtual machine hits
//! all of them alike, over sixteen rounds of fresh processes, so that no
//! server keeps the luck of one process's placement (see [`rotated`]).
//!
//! ```text
//! cargo build --release -p sprout-bench --bin net_echo
//! target/release/net_echo run            # all servers, all loads (about fifteen minutes)
//! target/release/net_echo run --quick    # shorter runs
//! target/release/net_echo row pingpong 1000 200 60    # one load, 60 cycles of 200 ms
//! # any builds or settings side by side, each row against the first:
//! target/release/net_echo ab pingpong 1000 200 60 \
//!     old=/tmp/net_echo.old:sprout new=target/release/net_echo:sprout \
//!     nobp=target/release/net_echo:sprout:SPROUT_BUSY_POLL_US=0
//! ```
//!
//! `scripts/bench_net.sh` runs it and puts the tables into BENCHMARKS.md.

#![allow(clippy::print_stdout, reason = "a benchmark binary reports on stdout")]

use std::collections::HashMap;
use std::io::{self, BufRead, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use mio::net::TcpStream as MioStream;
use mio::{Events, Interest, Poll, Token};

mod rotate;

const MSG: usize = 64;
const SERVERS: [&str; 4] = ["sprout", "tokio", "may", "mio"];

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("server") => serve(args.get(1).map_or("sprout", String::as_str)),
        Some("slices") => {
            let n: usize = args[2].parse().expect("connection count");
            let load = match args[1].as_str() {
                "pingpong" => rotate::Load::PingPong(n),
                "churn" => rotate::Load::Churn(n),
                other => panic!("unknown load {other:?}"),
            };
            rotate::serve(
                load,
                rotate::Target {
                    addr: args[3].parse().expect("address"),
                    pid: args[4].parse().expect("server pid"),
                },
            )
        }
        Some("run") => run(args.iter().any(|a| a == "--quick")),
        Some("row") if args.len() == 5 => {
            // One table with a chosen number of slices, for a closer look at
            // one load than `run` gives it.
            let (load, slice_ms, cycles) = row_args(&args);
            let rows = rotated(&builtin_specs()?, &load, slice_ms, cycles, ROUNDS)?;
            print_table(
                &format!("{} {} ({cycles} cycles of {slice_ms} ms)", load[0], load[1]),
                &rows,
            );
            Ok(())
        }
        Some("ab") if args.len() >= 6 => {
            // Any builds and settings side by side (see `usage`).
            let (load, slice_ms, cycles) = row_args(&args);
            let specs: Vec<Spec> = args[5..].iter().map(|a| Spec::parse(a)).collect();
            print_ab(&rotated(&specs, &load, slice_ms, cycles, ab_rounds())?);
            Ok(())
        }
        _ => {
            eprintln!(
                "usage: net_echo run [--quick] | row pingpong|churn N SLICE_MS CYCLES | \
                 ab pingpong|churn N SLICE_MS CYCLES NAME=BINARY:IMPL[:VAR=VALUE,...]... | \
                 server IMPL | \
                 slices pingpong|churn N ADDR SERVER_PID (then SLICE <ms> <0|1> ... END on stdin)\n\
                 ab: the named servers (IMPL: sprout, tokio, may or mio, run by that net_echo \
                 BINARY with the given environment, each driven by that BINARY's load process) \
                 in one rotation, each row against the first, over NET_ECHO_ROUNDS rounds of \
                 fresh processes (default 16)"
            );
            std::process::exit(2);
        }
    }
}

/// `LOAD N SLICE_MS CYCLES` of `row` and `ab`: the load's arguments, the
/// slice length and the cycle count.
fn row_args(args: &[String]) -> ([String; 2], u64, usize) {
    let num = |i: usize| -> u64 { args[i].parse().expect("a number") };
    let n = num(2);
    ([args[1].clone(), n.to_string()], num(3), num(4) as usize)
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

/// The echo loop of the sprout and may servers (tokio's is the same loop
/// with `.await`), with one 4 KiB buffer.
fn echo(conn: &mut (impl Read + Write)) {
    sprout_bench::echo(conn, &mut [0u8; 4096]);
}

fn sprout_server() -> io::Result<()> {
    use sprout::net::{StreamServer, TcpStream};
    let server = StreamServer::bind("127.0.0.1:0", |mut conn: TcpStream, _| {
        let _ = conn.set_nodelay(true);
        echo(&mut conn);
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
        let _h = unsafe { may::coroutine::spawn(move || echo(&mut conn)) };
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

// ===== the orchestrator =====

/// One server of a rotation: the `net_echo` build that runs it (and its
/// load process), which server, and extra environment variables.
struct Spec {
    name: String,
    exe: PathBuf,
    which: String,
    env: Vec<(String, String)>,
}

impl Spec {
    /// Server `which` of this build, as the benchmark tables run it.
    fn builtin(which: &str) -> io::Result<Spec> {
        Ok(Spec {
            name: which.to_owned(),
            exe: std::env::current_exe()?,
            which: which.to_owned(),
            env: Vec::new(),
        })
    }

    /// `NAME=BINARY:IMPL[:VAR=VALUE,...]`.
    fn parse(arg: &str) -> Spec {
        let bad = || -> ! {
            eprintln!("bad server {arg:?}: want NAME=BINARY:IMPL[:VAR=VALUE,...]");
            std::process::exit(2)
        };
        let (name, rest) = arg.split_once('=').unwrap_or_else(|| bad());
        let mut parts = rest.splitn(3, ':');
        let (Some(exe), Some(which)) = (parts.next(), parts.next()) else {
            bad()
        };
        let env = parts
            .next()
            .filter(|e| !e.is_empty())
            .map(|e| {
                e.split(',')
                    .map(|kv| {
                        let (k, v) = kv.split_once('=').unwrap_or_else(|| bad());
                        (k.to_owned(), v.to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        Spec {
            name: name.to_owned(),
            exe: PathBuf::from(exe),
            which: which.to_owned(),
            env,
        }
    }
}

/// A server process pinned to core 1.
struct Server {
    child: Child,
    addr: SocketAddr,
    /// The build whose load process drives it.
    exe: PathBuf,
}

impl Server {
    fn start(spec: &Spec) -> io::Result<Server> {
        let which = &spec.which;
        let mut child = Command::new("taskset")
            .args(["-c", "1"])
            .arg(&spec.exe)
            .args(["server", which])
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
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
            exe: spec.exe.clone(),
        })
    }

    /// User and system CPU time so far, in clock ticks.
    fn cpu_ticks(&self) -> (u64, u64) {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // utime and stime are the 12th and 13th fields after the command
        // name, which is in parentheses.
        let mut ticks = stat
            .rsplit_once(')')
            .map_or("", |(_, f)| f)
            .split_whitespace()
            .skip(11)
            .map(|f| f.parse().unwrap_or(0));
        (ticks.next().unwrap_or(0), ticks.next().unwrap_or(0))
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

/// One server's line in a table.
struct Row {
    name: String,
    rps: f64,
    p50_us: f64,
    p99_us: f64,
    cpu_us: f64,
    /// How often the load process slept (and the server's reply had to
    /// wake it) per 1,000 requests.
    load_sleeps: f64,
    /// User and system CPU per request over whole slices (drain included),
    /// from clock ticks.
    user_us: f64,
    sys_us: f64,
    rss_kib: u64,
    /// requests/s of each cycle (rotation) or run (one after the other),
    /// aligned across servers so that index `k` of two rows was measured
    /// in the same cycle.
    rates: Vec<f64>,
    /// How many of `rates`, in order, each round of fresh processes gave
    /// (the same for every row).
    round_lens: Vec<usize>,
}

impl Row {
    /// The median and the middle half (quartiles) of this row's rate over
    /// `peer`'s, cycle by cycle.
    fn ratio(&self, peer: &Row) -> (f64, f64, f64) {
        quartiles(paired(&self.rates, &peer.rates))
    }

    /// The median of this row's rate over `peer`'s in each round of fresh
    /// processes: a process's luck lasts the round (see [`rotated`]), so
    /// these, not the cycles, are the independent samples.
    fn round_ratios(&self, peer: &Row) -> Vec<f64> {
        let mut at = 0;
        self.round_lens
            .iter()
            .map(|&len| {
                // Every load process reports one rate per counted slice.
                let range = at..at + len;
                at += len;
                quartiles(paired(&self.rates[range.clone()], &peer.rates[range])).0
            })
            .collect()
    }
}

/// `a / b`, cycle by cycle, where `b` served anything.
fn paired(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter()
        .zip(b)
        .filter(|(_, p)| **p > 0.0)
        .map(|(x, p)| x / p)
        .collect()
}

/// The median and quartiles of `r` (NaN for none), each between the two
/// values nearest to it (the median of an even count is the mean of the
/// middle two, not the upper one).
fn quartiles(mut r: Vec<f64>) -> (f64, f64, f64) {
    if r.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    r.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let x = (r.len() - 1) as f64 * q;
        let (lo, hi) = (x.floor() as usize, x.ceil() as usize);
        r[lo] + (r[hi] - r[lo]) * (x - lo as f64)
    };
    (at(0.5), at(0.25), at(0.75))
}

/// The mean of `v` and its standard error (NaN with fewer than two).
fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// The load process of one server (pinned to core 0), driven over its
/// stdin as [`rotate`] describes.
struct Generator {
    child: Child,
    stdin: ChildStdin,
    stdout: io::BufReader<ChildStdout>,
}

impl Generator {
    fn start(load: &[String], server: &Server) -> io::Result<Generator> {
        let mut child = Command::new("taskset")
            .args(["-c", "0"])
            .arg(&server.exe)
            .arg("slices")
            .args(load)
            .arg(server.addr.to_string())
            .arg(server.child.id().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = io::BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut g = Generator {
            child,
            stdin,
            stdout,
        };
        g.expect("READY")?;
        Ok(g)
    }

    fn expect(&mut self, word: &str) -> io::Result<()> {
        let mut line = String::new();
        self.stdout.read_line(&mut line)?;
        if line.trim() == word {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "load process said {line:?}, expected {word}"
            )))
        }
    }

    fn connect(&mut self, k: usize) -> io::Result<()> {
        writeln!(self.stdin, "CONNECT {k}")?;
        self.stdin.flush()?;
        self.expect("CONNECTED")
    }

    fn slice(&mut self, ms: u64, counted: bool) -> io::Result<()> {
        writeln!(self.stdin, "SLICE {ms} {}", u8::from(counted))?;
        self.stdin.flush()?;
        self.expect("DONE")
    }

    /// Ends the run; returns what it printed.
    fn finish(mut self) -> io::Result<Finished> {
        writeln!(self.stdin, "END")?;
        self.stdin.flush()?;
        let mut text = String::new();
        self.stdout.read_to_string(&mut text)?;
        let _ = self.child.wait();
        let line = |kind: &str| -> io::Result<&str> {
            text.lines()
                .find_map(|l| l.strip_prefix(kind))
                .ok_or_else(|| io::Error::other(format!("no {kind}line in {text:?}")))
        };
        let numbers = |kind: &str| -> io::Result<Vec<f64>> {
            Ok(line(kind)?
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect())
        };
        let total = numbers("TOTAL ")?;
        let [requests, secs, cpu_ns, sleeps] = total[..] else {
            return Err(io::Error::other(format!("bad TOTAL line in {text:?}")));
        };
        let hist = line("HIST ")?
            .split_whitespace()
            .filter_map(|pair| {
                let (b, c) = pair.split_once(':')?;
                Some((b.parse().ok()?, c.parse().ok()?))
            })
            .collect();
        Ok(Finished {
            requests,
            secs,
            cpu_ns,
            sleeps,
            rates: numbers("RATES ")?,
            hist,
        })
    }
}

/// What a load process printed at the end of a round.
struct Finished {
    /// Exchanges counted.
    requests: f64,
    /// Counted time in seconds.
    secs: f64,
    /// The server's CPU time over the counted time, in nanoseconds.
    cpu_ns: f64,
    /// How often the load process slept over the counted time.
    sleeps: f64,
    /// Requests/s of each counted slice.
    rates: Vec<f64>,
    /// Latency histogram: (bucket, count) in bucket order.
    hist: Vec<(u32, u64)>,
}

/// One server's figures summed over the rounds of a table.
#[derive(Default)]
struct Sum {
    requests: f64,
    secs: f64,
    cpu_ns: f64,
    sleeps: f64,
    user_ticks: u64,
    sys_ticks: u64,
    rss_kib: u64,
    rates: Vec<f64>,
    hist: std::collections::BTreeMap<u32, u64>,
}

impl Drop for Generator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Ping-pong connections each load process makes per turn.
const CONNECT_BATCH: usize = 50;

/// Rounds of fresh processes per table (fewer when there are fewer
/// cycles). A process's luck lasts its round, and it is large: two
/// identical sprout servers in one rotation at 10,000 connections served
/// 0.94-1.05x each other from round to round, so a table's precision comes
/// from its rounds, not from its cycles.
const ROUNDS: usize = 16;

/// Rounds of `ab`: `NET_ECHO_ROUNDS`, else [`ROUNDS`].
fn ab_rounds() -> usize {
    std::env::var("NET_ECHO_ROUNDS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(ROUNDS)
}

/// The servers of `specs` at once, each with its own load process, driven
/// in turn, one `slice_ms` slice per server per cycle, for `cycles`
/// counted cycles split over `rounds` rounds (fewer when there are fewer
/// cycles).
///
/// Each round starts every server and load process afresh and begins with
/// an uncounted cycle. A process's luck lasts as long as it does (where
/// its pages fall in the physically indexed caches; at 10,000 connections,
/// how old its connections are next to the others'), and a single run's
/// brackets cannot show it: with fresh processes each round, and who
/// starts and connects first moving on by one each round, it averages out
/// and shows in the brackets. Within a round the slice order follows a
/// Williams design ([`slice_order`]), so that every server follows every
/// other equally often: what a slice leaves behind (a server's threads
/// still spinning, caches filled by its data) weighs on whoever comes
/// next.
fn rotated(
    specs: &[Spec],
    load: &[String],
    slice_ms: u64,
    cycles: usize,
    rounds: usize,
) -> io::Result<Vec<Row>> {
    let n = specs.len();
    let rounds = rounds.min(cycles).max(1);
    let mut round_lens = Vec::with_capacity(rounds);
    let mut sums: Vec<Sum> = (0..n).map(|_| Sum::default()).collect();
    let mut cycles_so_far = 0;
    for round in 0..rounds {
        let round_cycles = cycles / rounds + usize::from(round < cycles % rounds);
        let order: Vec<usize> = (0..n).map(|i| (round + i) % n).collect();
        let servers = start_in(&order, |i| Server::start(&specs[i]))?;
        let mut gens = start_in(&order, |i| Generator::start(load, &servers[i]))?;
        if load[0] == "pingpong" {
            // In turns, so that no server's connections are all older than
            // another's (see `rotate`).
            let conns: usize = load[1].parse().expect("connection count");
            let mut made = 0;
            while made < conns {
                let k = CONNECT_BATCH.min(conns - made);
                for &i in &order {
                    gens[i].connect(k)?;
                }
                made += k;
            }
        }
        let mut ticks = vec![(0, 0); n];
        for cycle in 0..=round_cycles {
            for t in slice_order(n, cycles_so_far + cycle) {
                let (u0, s0) = servers[t].cpu_ticks();
                gens[t].slice(slice_ms, cycle > 0)?;
                if cycle > 0 {
                    let (u1, s1) = servers[t].cpu_ticks();
                    ticks[t].0 += u1 - u0;
                    ticks[t].1 += s1 - s0;
                }
            }
        }
        cycles_so_far += round_cycles + 1;
        round_lens.push(round_cycles);
        for (i, g) in gens.into_iter().enumerate() {
            let done = g.finish()?;
            let sum = &mut sums[i];
            sum.requests += done.requests;
            sum.secs += done.secs;
            sum.cpu_ns += done.cpu_ns;
            sum.sleeps += done.sleeps;
            sum.user_ticks += ticks[i].0;
            sum.sys_ticks += ticks[i].1;
            sum.rss_kib = sum.rss_kib.max(servers[i].peak_rss_kib());
            sum.rates.extend(done.rates);
            for (b, c) in done.hist {
                *sum.hist.entry(b).or_default() += c;
            }
        }
    }
    // /proc/PID/stat counts in USER_HZ, which Linux fixes at 100 for
    // user space.
    let us_per_tick = 1e6 / 100.0;
    let rows = specs
        .iter()
        .zip(sums)
        .map(|(spec, sum)| {
            let requests = sum.requests.max(1.0);
            let hist: Vec<(u32, u64)> = sum.hist.into_iter().collect();
            Row {
                name: spec.name.clone(),
                rps: sum.requests / sum.secs,
                p50_us: rotate::quantile_us(&hist, 0.50),
                p99_us: rotate::quantile_us(&hist, 0.99),
                cpu_us: sum.cpu_ns / 1000.0 / requests,
                load_sleeps: sum.sleeps * 1000.0 / requests,
                user_us: sum.user_ticks as f64 * us_per_tick / requests,
                sys_us: sum.sys_ticks as f64 * us_per_tick / requests,
                rss_kib: sum.rss_kib,
                rates: sum.rates,
                round_lens: round_lens.clone(),
            }
        })
        .collect();
    Ok(rows)
}

/// Starts one item per index in `order`, in that order; returns them by
/// index.
fn start_in<T>(
    order: &[usize],
    mut start: impl FnMut(usize) -> io::Result<T>,
) -> io::Result<Vec<T>> {
    let mut items: Vec<Option<T>> = order.iter().map(|_| None).collect();
    for &i in order {
        items[i] = Some(start(i)?);
    }
    Ok(items
        .into_iter()
        .map(|t| t.expect("every index is in the order"))
        .collect())
}

/// The order of the `n` servers' slices in cycle `cycle`: the rows of a
/// Williams design, in which, over `n` cycles (`2n` for odd `n`), every
/// server comes right after every other exactly once (twice for odd `n`),
/// and first, second, ... equally often.
fn slice_order(n: usize, cycle: usize) -> Vec<usize> {
    // 0, 1, n-1, 2, n-2, ...: successive differences all distinct mod n.
    let base: Vec<usize> = (0..n)
        .map(|k| {
            if k % 2 == 1 {
                k.div_ceil(2)
            } else {
                (n - k / 2) % n
            }
        })
        .collect();
    let rows = if n.is_multiple_of(2) { n } else { 2 * n };
    let r = cycle % rows.max(1);
    let mut row: Vec<usize> = base.iter().map(|&b| (b + r) % n).collect();
    if r >= n {
        row.reverse();
    }
    row
}

/// The four servers of the benchmark tables, from this build.
fn builtin_specs() -> io::Result<Vec<Spec>> {
    SERVERS.iter().map(|w| Spec::builtin(w)).collect()
}

/// The A/B table: each row against the first.
fn print_ab(rows: &[Row]) {
    println!(
        "| server | requests/s | server CPU µs/request | user µs | system µs | \
         load sleeps per 1,000 requests | vs {} |",
        rows[0].name
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let (mid, lo, hi) = row.ratio(&rows[0]);
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} | {mid:.3}x ({lo:.3}-{hi:.3}) |",
            row.name, row.rps, row.cpu_us, row.user_us, row.sys_us, row.load_sleeps
        );
    }
    // A process's luck lasts its round, so the rounds' ratios are the
    // independent samples; their spread says how far the table's medians
    // can be trusted (with one server in two rows it is the luck alone).
    println!();
    for row in &rows[1..] {
        let r = row.round_ratios(&rows[0]);
        let (mean, se) = mean_se(&r);
        let each: Vec<String> = r.iter().map(|x| format!("{x:.3}")).collect();
        println!(
            "{} vs {} by round: {}; mean {mean:.3}x, standard error {se:.3}",
            row.name,
            rows[0].name,
            each.join(" ")
        );
    }
}

fn print_table(name: &str, rows: &[Row]) {
    let peer = |w: &str| {
        rows.iter()
            .find(|r| r.name == w)
            .expect("every server has a row")
    };
    println!("### {name}");
    println!();
    println!(
        "| server | requests/s | p50 µs | p99 µs | server CPU µs/request | \
         load sleeps per 1,000 requests | peak RSS MiB | vs tokio | vs may | vs mio loop |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let label = match row.name.as_str() {
            "sprout" => "sprout `StreamServer`",
            "tokio" => "tokio (current-thread)",
            "may" => "may (1 worker)",
            _ => "hand-written mio loop",
        };
        let ratio = |w: &str| {
            if w == row.name {
                return "1".to_owned();
            }
            let (mid, lo, hi) = row.ratio(peer(w));
            format!("{mid:.2}x ({lo:.2}-{hi:.2})")
        };
        println!(
            "| {label} | {:.0} | {:.1} | {:.1} | {:.2} | {:.1} | {:.1} | {} | {} | {} |",
            row.rps,
            row.p50_us,
            row.p99_us,
            row.cpu_us,
            row.load_sleeps,
            row.rss_kib as f64 / 1024.0,
            ratio("tokio"),
            ratio("may"),
            ratio("mio")
        );
    }
    println!();
    if let Some(sprout) = rows.iter().find(|r| r.name == "sprout") {
        let by_round = |w: &str| {
            let (mean, se) = mean_se(&sprout.round_ratios(peer(w)));
            format!("{mean:.3}x ± {se:.3}")
        };
        println!(
            "By round ({} rounds, mean ± standard error): sprout vs tokio {}, vs may {}, \
             vs the mio loop {}.",
            sprout.round_lens.len(),
            by_round("tokio"),
            by_round("may"),
            by_round("mio")
        );
        println!();
    }
}

fn run(quick: bool) -> io::Result<()> {
    // (slice ms, counted cycles) per load. One connection gets shorter, more
    // numerous slices: its requests/s is set by wake-up latency, whose
    // spikes make single slices scatter most. 10,000 connections get long
    // slices: a round over all of them takes a tenth of a second or more.
    let plan = |n: usize| -> (u64, usize) {
        match (quick, n) {
            (true, 10_000) => (1000, 2),
            (true, _) => (100, 3),
            (false, 1) => (100, 200),
            (false, 10_000) => (1000, 80),
            (false, _) => (200, 160),
        }
    };
    println!(
        "64-byte messages; each server in its own process pinned to core 1, and for each server \
         a load-generator process pinned to core 0. All four servers run at once and are driven \
         in turn, one slice per server per cycle; each table names its slices. The cycles are \
         split over sixteen rounds of fresh processes, started in an order that moves on by one \
         each round, the load processes making their connections in turns, fifty at a time \
         each, so that no server's connections are older than another's (at 10,000 connections \
         the ones made last are served fastest); each round begins with an uncounted cycle, and \
         within it the slice order follows a Williams design, so that every server comes after \
         every other equally often. A slice counts the exchanges that start after its first \
         tenth and end before its end, then waits for the ones in flight before the next \
         server's slice. Ratio columns: the median over cycles of this row's requests/s over \
         the peer's in the same cycle, with the middle half of those ratios in brackets. \
         Below each table, sprout's ratios by round: the mean over the rounds of each round's \
         median, with its standard error. A process's luck (where its pages fall in the \
         physically indexed caches, how its connections' TCP state evolves) lasts as long as \
         the process, so the rounds are the independent samples: two identical sprout \
         servers in one rotation at 10,000 connections served 0.94-1.05x each other from \
         round to round. \
         Latency percentiles come from histograms with buckets about 2% wide. Server CPU is \
         the server process's CPU time per request over the counted time. Load sleeps: how \
         often the server's load process ran out of replies and went to sleep (its voluntary \
         context switches), per 1,000 requests; on loopback the reply that wakes it costs the \
         server the wake-up. Peak RSS is the server's `VmHWM`, the highest of its rounds."
    );
    println!();
    // (connections, server, requests/s) of the ping-pong runs, for the plot.
    let specs = builtin_specs()?;
    let mut curve: Vec<(usize, String, f64)> = Vec::new();
    for n in [1usize, 100, 1000, 10_000] {
        let (slice_ms, cycles) = plan(n);
        let name = format!(
            "Ping-pong, {n} connection{} ({cycles} cycles of {slice_ms} ms)",
            if n == 1 { "" } else { "s" }
        );
        let rows = rotated(
            &specs,
            &["pingpong".into(), n.to_string()],
            slice_ms,
            cycles,
            ROUNDS,
        )?;
        curve.extend(rows.iter().map(|r| (n, r.name.clone(), r.rps)));
        print_table(&name, &rows);
    }
    let (slice_ms, cycles) = plan(64);
    let rows = rotated(
        &specs,
        &["churn".into(), "64".into()],
        slice_ms,
        cycles,
        ROUNDS,
    )?;
    print_table(
        &format!("Connect per request (churn), 64 in flight ({cycles} cycles of {slice_ms} ms)"),
        &rows,
    );
    let svg = "docs/echo.svg";
    match plot_curve(&curve, svg) {
        Ok(()) => println!("Plot of requests/s against connections: [{svg}]({svg})"),
        Err(e) => eprintln!("plot failed: {e}"),
    }
    Ok(())
}

/// Writes requests/s against connection count, one line per server.
fn plot_curve(
    curve: &[(usize, String, f64)],
    path: &str,
) -> Result<(), Box<dyn std::error::Error>> {
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

#[cfg(test)]
mod tests {
    use super::slice_order;

    #[test]
    fn slice_order_is_balanced_for_first_order_carry_over() {
        for n in 1..=7usize {
            let rows = if n.is_multiple_of(2) { n } else { 2 * n };
            let mut follows = vec![vec![0; n]; n];
            let mut position = vec![vec![0; n]; n];
            for c in 0..rows {
                let row = slice_order(n, c);
                let mut sorted = row.clone();
                sorted.sort_unstable();
                assert_eq!(sorted, (0..n).collect::<Vec<_>>(), "n={n} row {row:?}");
                for (p, &s) in row.iter().enumerate() {
                    position[s][p] += 1;
                }
                for w in row.windows(2) {
                    follows[w[0]][w[1]] += 1;
                }
            }
            let times = rows / n;
            for (a, (after_a, places)) in follows.iter().zip(&position).enumerate() {
                assert!(
                    places.iter().all(|&k| k == times),
                    "n={n} positions {position:?}"
                );
                for (b, &count) in after_a.iter().enumerate() {
                    let want = if a == b { 0 } else { times };
                    assert_eq!(count, want, "n={n}: {b} after {a}");
                }
            }
            assert_eq!(slice_order(n, rows), slice_order(n, 0), "it repeats");
        }
    }
}
