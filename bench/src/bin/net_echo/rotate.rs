//! The rotating load: all servers run at once and are driven in turn, one
//! short slice each, cycle after cycle.
//!
//! Why: on a shared, virtualised two-core machine the speed of the whole
//! machine drifts by 2-3x over seconds (other guests, the host's scheduling
//! of our vCPUs). A run of two seconds per server, one server after the
//! other, compares servers measured in different weather. Short slices,
//! one per server per cycle with the order varied from cycle to
//! cycle, put every server through the same weather; the ratio of two
//! servers within one cycle is then a fair comparison, and the median of
//! those ratios over many cycles is the figure to read.
//!
//! Each server gets its own load process (so that each holds only its own
//! server's connections, within the fd limit even at 10,000), which the
//! orchestrator drives over its stdin: `CONNECT <k>` makes `k` more
//! ping-pong connections and answers `CONNECTED`; `SLICE <ms> <counted>`
//! runs one slice and answers `DONE`; `END` prints the totals, the rate
//! of each counted slice and a latency histogram.
//!
//! The orchestrator makes the ping-pong connections of all servers in
//! turns, a batch for each at a time, rather than all of one server's
//! before the next: with tens of thousands of sockets, the connections
//! made last are served measurably faster (at 10,000 per server, four
//! identical servers whose connections were made one server after the
//! other came out 1.00, 1.04, 1.06 and 1.12x in the order their
//! connections were made, and the order followed the load processes
//! when those were started in reverse), so whoever connected last would
//! win. A slice sends on the
//! server's connections (or opens them, for churn), counts the exchanges
//! that start after a tenth of the slice and end before its end, then stops
//! sending and waits for the exchanges in flight, so no server ever has
//! work queued while another is measured. The orchestrator runs one
//! uncounted warm-up cycle first.

use std::io::{self, BufRead, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream as MioStream;
use mio::{Events, Interest, Poll, Token};

use super::MSG;

/// How long the exchanges still in flight at the end of a slice may take
/// to finish before the run is abandoned as broken.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// The load of every slice.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Load {
    /// This many connections per server, each sending 64 bytes and waiting
    /// for their echo.
    PingPong(usize),
    /// This many exchanges in flight, each on a new connection (connect,
    /// send 64 bytes, read them back, close with RST).
    Churn(usize),
}

/// One server under load: where it listens and its process, for its CPU
/// time.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target {
    pub(crate) addr: SocketAddr,
    pub(crate) pid: u32,
}

/// What one server did over all counted slices.
#[derive(Debug, Default)]
pub(crate) struct Totals {
    pub(crate) requests: u64,
    /// Counted time: a slice counts from the end of its warm-up to its end.
    pub(crate) secs: f64,
    /// Latencies in nanoseconds, in the order the exchanges ended.
    pub(crate) latencies: Vec<u64>,
    /// The server's CPU time (all threads) over the counted time.
    pub(crate) cpu_ns: u64,
    /// Requests/s of each counted slice, in cycle order.
    pub(crate) rates: Vec<f64>,
    /// How often this load process went to sleep over the counted time
    /// (its voluntary context switches): each time, the server's next
    /// reply had to wake it, and on loopback that wake-up is the server's
    /// work.
    pub(crate) sleeps: u64,
}

/// CPU time of every thread of process `pid` in nanoseconds (the first
/// field of `/proc/PID/task/TID/schedstat`, exact to the nanosecond unlike
/// the 10 ms ticks of `/proc/PID/stat`).
fn cpu_ns(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Voluntary context switches of this (single-threaded) process so far,
/// from `/proc/self/status`; 0 if unreadable.
fn own_sleeps() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The counters a slice reads at its warm-up and at its end.
#[derive(Clone, Copy, Default)]
struct Reading {
    /// The server's CPU time ([`cpu_ns`]).
    cpu_ns: u64,
    /// This process's sleeps so far ([`own_sleeps`]).
    sleeps: u64,
}

impl Reading {
    fn take(server_pid: u32) -> Reading {
        Reading {
            cpu_ns: cpu_ns(server_pid),
            sleeps: own_sleeps(),
        }
    }
}

/// The clock of one slice.
struct Slice {
    warm: Instant,
    end: Instant,
    counted: bool,
    pid: u32,
    /// The readings as the clock passes the warm-up and the end.
    at_warm: Option<Reading>,
    at_end: Option<Reading>,
    requests: u64,
}

impl Slice {
    fn new(length: Duration, counted: bool, pid: u32) -> Slice {
        let start = Instant::now();
        Slice {
            warm: start + length / 10,
            end: start + length,
            counted,
            pid,
            at_warm: None,
            at_end: None,
            requests: 0,
        }
    }

    /// Takes the CPU and sleep readings as the clock passes the warm-up
    /// and the end; returns how long the next poll may sleep.
    fn tick(&mut self, now: Instant) -> io::Result<Duration> {
        if self.at_warm.is_none() && now >= self.warm {
            self.at_warm = Some(Reading::take(self.pid));
        }
        if self.at_end.is_none() && now >= self.end {
            self.at_end = Some(Reading::take(self.pid));
        }
        if now >= self.end + DRAIN_LIMIT {
            return Err(io::Error::new(
                ErrorKind::TimedOut,
                "exchanges still in flight 10 s after the slice ended",
            ));
        }
        let step = Duration::from_millis(100);
        Ok(if now < self.end {
            step.min(self.end - now)
        } else {
            step
        })
    }

    fn sending(&self, now: Instant) -> bool {
        now < self.end
    }

    /// Records one exchange that started at `sent` and ended at `done`.
    fn record(&mut self, totals: &mut Totals, sent: Instant, done: Instant) {
        if self.counted && sent >= self.warm && done <= self.end {
            totals.latencies.push((done - sent).as_nanos() as u64);
            self.requests += 1;
        }
    }

    fn finish(self, totals: &mut Totals) {
        if !self.counted {
            return;
        }
        let secs = (self.end - self.warm).as_secs_f64();
        totals.requests += self.requests;
        totals.secs += secs;
        totals.rates.push(self.requests as f64 / secs);
        let (a, b) = (
            self.at_warm.unwrap_or_default(),
            self.at_end.unwrap_or_default(),
        );
        totals.cpu_ns += b.cpu_ns.saturating_sub(a.cpu_ns);
        totals.sleeps += b.sleeps.saturating_sub(a.sleeps);
    }
}

/// The load process of one server: says `READY`, then makes the
/// connections and runs the slices its stdin asks for until `END` (or end
/// of input), and prints one `TOTAL`, one `RATES` and one `HIST` line.
pub(crate) fn serve(load: Load, target: Target) -> io::Result<()> {
    let mut driver = match load {
        Load::PingPong(conns) => Driver::ping_pong(conns)?,
        Load::Churn(inflight) => Driver::churn(inflight)?,
    };
    let mut out = io::stdout().lock();
    writeln!(out, "READY")?;
    out.flush()?;
    let mut totals = Totals::default();
    for line in io::stdin().lock().lines() {
        let line = line?;
        let mut f = line.split_whitespace();
        match f.next() {
            Some("SLICE") => {
                let ms: u64 = f
                    .next()
                    .and_then(|x| x.parse().ok())
                    .expect("SLICE <ms> <counted>");
                let counted = f.next() == Some("1");
                let mut clock = Slice::new(Duration::from_millis(ms), counted, target.pid);
                match load {
                    Load::PingPong(_) => driver.ping_pong_slice(&mut clock, &mut totals)?,
                    Load::Churn(_) => driver.churn_slice(target.addr, &mut clock, &mut totals)?,
                }
                clock.finish(&mut totals);
                writeln!(out, "DONE")?;
                out.flush()?;
            }
            Some("CONNECT") => {
                let k: usize = f.next().and_then(|x| x.parse().ok()).expect("CONNECT <k>");
                driver.connect(target, k)?;
                writeln!(out, "CONNECTED")?;
                out.flush()?;
            }
            Some("END") | None => break,
            Some(other) => panic!("unknown command {other:?}"),
        }
    }
    writeln!(
        out,
        "TOTAL {} {:.4} {} {}",
        totals.requests, totals.secs, totals.cpu_ns, totals.sleeps
    )?;
    let rates: Vec<String> = totals.rates.iter().map(|r| format!("{r:.0}")).collect();
    writeln!(out, "RATES {}", rates.join(" "))?;
    // Sorted, equal buckets are neighbours: one (bucket, count) per run.
    totals.latencies.sort_unstable();
    let mut hist: Vec<(u32, u64)> = Vec::new();
    for &ns in &totals.latencies {
        let b = bucket(ns);
        match hist.last_mut() {
            Some((last, count)) if *last == b => *count += 1,
            _ => hist.push((b, 1)),
        }
    }
    let hist: Vec<String> = hist.iter().map(|(b, c)| format!("{b}:{c}")).collect();
    writeln!(out, "HIST {}", hist.join(" "))?;
    out.flush()
}

/// Latency histogram buckets per doubling: each about 2% wide, fine
/// enough for percentiles of latencies merged from several processes.
const BUCKETS_PER_DOUBLING: f64 = 32.0;

/// The histogram bucket of a latency of `ns` nanoseconds.
fn bucket(ns: u64) -> u32 {
    ((ns.max(1) as f64).log2() * BUCKETS_PER_DOUBLING) as u32
}

/// The middle of bucket `b`, in microseconds.
fn bucket_mid_us(b: u32) -> f64 {
    2f64.powf((f64::from(b) + 0.5) / BUCKETS_PER_DOUBLING) / 1000.0
}

/// The `p` quantile (0 to 1) of a histogram of `(bucket, count)` pairs in
/// bucket order, in microseconds; NaN when it is empty.
pub(crate) fn quantile_us(hist: &[(u32, u64)], p: f64) -> f64 {
    let total: u64 = hist.iter().map(|h| h.1).sum();
    if total == 0 {
        return f64::NAN;
    }
    let rank = ((total - 1) as f64 * p).round() as u64;
    let mut seen = 0;
    for &(b, count) in hist {
        seen += count;
        if seen > rank {
            return bucket_mid_us(b);
        }
    }
    unreachable!("rank {rank} is below the total {total}")
}

/// One client connection.
struct Conn {
    stream: MioStream,
    /// When the exchange in flight started (its send, or for churn its
    /// connect); `None` while idle.
    sent_at: Option<Instant>,
    written: usize,
    got: usize,
    /// Churn only: the non-blocking connect has completed.
    connected: bool,
}

impl Conn {
    fn new(stream: MioStream, connected: bool) -> Conn {
        Conn {
            stream,
            sent_at: None,
            written: 0,
            got: 0,
            connected,
        }
    }

    /// Starts an exchange now: sends what the socket takes.
    fn start(&mut self, payload: &[u8]) -> io::Result<()> {
        self.sent_at = Some(Instant::now());
        self.send(payload)
    }

    /// Sends the request of the exchange in flight from its first byte.
    fn send(&mut self, payload: &[u8]) -> io::Result<()> {
        self.got = 0;
        self.written = send_some(&mut self.stream, payload, 0)?;
        Ok(())
    }

    /// Moves the exchange on after a readiness event: sends the rest and
    /// reads what came back. Returns the start and end time once the whole
    /// echo is in.
    fn progress(&mut self, payload: &[u8]) -> io::Result<Option<(Instant, Instant)>> {
        let Some(sent) = self.sent_at else {
            return Ok(None);
        };
        if self.written < MSG {
            self.written = send_some(&mut self.stream, payload, self.written)?;
        }
        let mut buf = [0u8; MSG];
        loop {
            match self.stream.read(&mut buf[..MSG - self.got]) {
                Ok(0) => return Err(io::Error::new(ErrorKind::UnexpectedEof, "server closed")),
                Ok(n) => {
                    self.got += n;
                    if self.got == MSG {
                        self.sent_at = None;
                        return Ok(Some((sent, Instant::now())));
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(None),
                Err(e) => return Err(e),
            }
        }
    }
}

/// The client side: one poll and the connections to one server.
struct Driver {
    poll: Poll,
    events: Events,
    /// Ping-pong: the connections, made up front. Churn: one slot per
    /// exchange in flight.
    conns: Vec<Option<Conn>>,
}

impl Driver {
    /// Room for `n` ping-pong connections, made by [`connect`](Self::connect)
    /// when the orchestrator asks.
    fn ping_pong(n: usize) -> io::Result<Driver> {
        Ok(Driver {
            poll: Poll::new()?,
            events: Events::with_capacity(4096),
            conns: Vec::with_capacity(n),
        })
    }

    /// Makes `k` more ping-pong connections to `target`.
    fn connect(&mut self, target: Target, k: usize) -> io::Result<()> {
        for _ in 0..k {
            // Blocking connects to loopback, one after the other: the
            // server accepts them as they come.
            let s = std::net::TcpStream::connect(target.addr)?;
            s.set_nodelay(true)?;
            s.set_nonblocking(true)?;
            let mut stream = MioStream::from_std(s);
            self.poll.registry().register(
                &mut stream,
                Token(self.conns.len()),
                Interest::READABLE | Interest::WRITABLE,
            )?;
            self.conns.push(Some(Conn::new(stream, true)));
        }
        Ok(())
    }

    fn churn(inflight: usize) -> io::Result<Driver> {
        Ok(Driver {
            poll: Poll::new()?,
            events: Events::with_capacity(1024),
            conns: (0..inflight).map(|_| None).collect(),
        })
    }

    /// One ping-pong slice on every connection.
    fn ping_pong_slice(&mut self, clock: &mut Slice, totals: &mut Totals) -> io::Result<()> {
        let payload = [b'x'; MSG];
        for c in self.conns.iter_mut().flatten() {
            c.start(&payload)?;
        }
        let mut in_flight = self.conns.len();
        loop {
            let now = Instant::now();
            if !clock.sending(now) && in_flight == 0 {
                clock.tick(now)?;
                return Ok(());
            }
            let wait = clock.tick(now)?;
            self.poll.poll(&mut self.events, Some(wait))?;
            for ev in &self.events {
                let Some(c) = self.conns[ev.token().0].as_mut() else {
                    continue;
                };
                while let Some((sent, done)) = c.progress(&payload)? {
                    clock.record(totals, sent, done);
                    if clock.sending(done) {
                        c.start(&payload)?;
                    } else {
                        in_flight -= 1;
                        break;
                    }
                }
            }
        }
    }

    /// One churn slice against `addr`: every slot runs exchanges on new
    /// connections until the slice ends.
    fn churn_slice(
        &mut self,
        addr: SocketAddr,
        clock: &mut Slice,
        totals: &mut Totals,
    ) -> io::Result<()> {
        let payload = [b'y'; MSG];
        for i in 0..self.conns.len() {
            self.open(addr, i)?;
        }
        loop {
            let now = Instant::now();
            let in_flight = self.conns.iter().filter(|c| c.is_some()).count();
            if !clock.sending(now) && in_flight == 0 {
                clock.tick(now)?;
                return Ok(());
            }
            let wait = clock.tick(now)?;
            self.poll.poll(&mut self.events, Some(wait))?;
            let ready: Vec<(usize, bool)> = self
                .events
                .iter()
                .map(|ev| (ev.token().0, ev.is_error() || ev.is_write_closed()))
                .collect();
            for (i, failed) in ready {
                let Some(c) = self.conns[i].as_mut() else {
                    continue;
                };
                if !c.connected {
                    if c.stream.peer_addr().is_err() {
                        if failed {
                            // Refused or reset: start over.
                            self.replace(addr, i, clock.sending(Instant::now()))?;
                        }
                        continue;
                    }
                    c.connected = true;
                    // The exchange started at the connect (`sent_at`).
                    c.send(&payload)?;
                }
                match c.progress(&payload) {
                    Ok(None) => {}
                    Ok(Some((sent, done))) => {
                        clock.record(totals, sent, done);
                        self.replace(addr, i, clock.sending(done))?;
                    }
                    // A reset mid-exchange: drop it, uncounted.
                    Err(_) => self.replace(addr, i, clock.sending(Instant::now()))?,
                }
            }
        }
    }

    /// Starts a non-blocking connect in slot `i`.
    fn open(&mut self, addr: SocketAddr, i: usize) -> io::Result<()> {
        let mut stream = MioStream::connect(addr)?;
        self.poll.registry().register(
            &mut stream,
            Token(i),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        let mut c = Conn::new(stream, false);
        c.sent_at = Some(Instant::now());
        self.conns[i] = Some(c);
        Ok(())
    }

    /// Ends slot `i`'s exchange and, while the slice is `sending`, starts
    /// the next one in its place (the slot stays empty once it has ended).
    fn replace(&mut self, addr: SocketAddr, i: usize, sending: bool) -> io::Result<()> {
        self.close(i);
        if sending {
            self.open(addr, i)?;
        }
        Ok(())
    }

    /// Closes slot `i` with RST, so the client's ports do not pile up in
    /// TIME_WAIT.
    fn close(&mut self, i: usize) {
        if let Some(mut c) = self.conns[i].take() {
            let _ = self.poll.registry().deregister(&mut c.stream);
            let _ = socket2::SockRef::from(&c.stream).set_linger(Some(Duration::ZERO));
        }
    }
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
