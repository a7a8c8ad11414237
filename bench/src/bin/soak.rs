//! Soak test of the uppercase echo server under churn (not part of CI).
//!
//! One hub serves an uppercase echo `StreamServer`; client threads (plain
//! `std::net`, blocking) hammer it until the time is up with a mix of
//! sessions: normal ones that check every echoed byte, resets in the middle
//! of a message (RST), half closes, and slow clients that connect and send
//! nothing for a while. A greenlet samples the process's open fds, RSS and
//! the server's connection count once a second.
//!
//! At the end it checks that every byte of every normal session came back
//! upper-cased, that the fds are back to the baseline once the clients are
//! gone, and that RSS did not keep growing after warm-up; it prints a
//! Markdown report and exits non-zero if a check failed.
//!
//! Run: `scripts/soak.sh 600` (ten minutes), or
//! `cargo run --release -p sprout-bench --bin soak -- <seconds> [client threads]`.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a soak binary reports on stdout"
)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream as StdStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sprout::net::{StreamServer, TcpStream};
use sprout_bench::{open_fds, rss_kib};

/// Per-connection memory is one fixed buffer: a peer that never reads
/// blocks its own greenlet in `write_all`, never grows the server.
fn uppercase_echo(mut conn: TcpStream, _peer: SocketAddr) {
    let mut buf = [0u8; 4096];
    loop {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                buf[..n].make_ascii_uppercase();
                if conn.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
}

#[derive(Default)]
struct Counters {
    sessions: AtomicU64,
    resets: AtomicU64,
    half_closes: AtomicU64,
    slow: AtomicU64,
    bytes_checked: AtomicU64,
    failures: AtomicU64,
}

/// xorshift, seeded per thread.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn session(addr: SocketAddr, rng: &mut Rng, c: &Counters) -> std::io::Result<()> {
    let mut s = StdStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    match rng.next() % 10 {
        0 => {
            s.write_all(b"this message is cut off by a res")?;
            socket2::SockRef::from(&s).set_linger(Some(Duration::ZERO))?;
            c.resets.fetch_add(1, Ordering::Relaxed);
        }
        1 => {
            let msg = b"half close after this line";
            s.write_all(msg)?;
            s.shutdown(std::net::Shutdown::Write)?;
            let mut back = Vec::new();
            s.read_to_end(&mut back)?;
            check(&back, &msg.to_ascii_uppercase(), c);
            c.half_closes.fetch_add(1, Ordering::Relaxed);
        }
        2 => {
            std::thread::sleep(Duration::from_millis(rng.next() % 200));
            c.slow.fetch_add(1, Ordering::Relaxed);
        }
        _ => {
            for round in 0..(1 + rng.next() % 50) {
                let len = 1 + (rng.next() % 2000) as usize;
                let msg: Vec<u8> = (0..len)
                    .map(|i| b'a' + ((i as u64 + round) % 26) as u8)
                    .collect();
                s.write_all(&msg)?;
                let mut back = vec![0u8; len];
                s.read_exact(&mut back)?;
                check(&back, &msg.to_ascii_uppercase(), c);
            }
        }
    }
    c.sessions.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

fn check(got: &[u8], want: &[u8], c: &Counters) {
    if got == want {
        c.bytes_checked
            .fetch_add(got.len() as u64, Ordering::Relaxed);
    } else {
        c.failures.fetch_add(1, Ordering::Relaxed);
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(60);
    let threads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);

    let server = StreamServer::bind("127.0.0.1:0", uppercase_echo).expect("bind");
    server.start().expect("start");
    let addr = server.local_addr().expect("addr");
    let fds_baseline = open_fds();

    let counters = Arc::new(Counters::default());
    let stop = Arc::new(AtomicBool::new(false));
    let run_for = Duration::from_secs(seconds);
    let start = Instant::now();

    // Sampler: once a second, on the hub.
    let samples = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let sampler = {
        let samples = samples.clone();
        let server_conns = std::rc::Rc::new(server);
        let s2 = server_conns.clone();
        let h = sprout::spawn(move || {
            while start.elapsed() < run_for {
                sprout::sleep(Duration::from_secs(1));
                samples.borrow_mut().push((
                    start.elapsed().as_secs(),
                    open_fds(),
                    rss_kib(None),
                    s2.connection_count(),
                ));
            }
        });
        (h, server_conns)
    };

    let (c, st) = (counters.clone(), stop.clone());
    let clients = sprout::spawn_blocking(move || {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (c, st) = (c.clone(), st.clone());
                std::thread::spawn(move || {
                    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((t as u64 + 1) * 0x2545_f491));
                    while !st.load(Ordering::Relaxed) && start.elapsed() < run_for {
                        if session(addr, &mut rng, &c).is_err() {
                            c.failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            let _ = h.join();
        }
    });
    stop.store(true, Ordering::Relaxed);
    clients.expect("client threads");
    let (sampler, server) = sampler;
    sampler.join().expect("sampler");

    // Let the server close what the clients left.
    let drain_deadline = Instant::now() + Duration::from_secs(30);
    while server.connection_count() > 0 && Instant::now() < drain_deadline {
        sprout::sleep(Duration::from_millis(10));
    }
    let fds_end = open_fds();
    let conns_end = server.connection_count();
    server.stop(Duration::from_secs(5));

    let samples = samples.borrow();
    let warm = samples.len() / 5;
    let rss_warm = samples.get(warm).map(|s| s.2).unwrap_or(0);
    let rss_end = samples.last().map(|s| s.2).unwrap_or(0);
    let rss_peak = samples.iter().map(|s| s.2).max().unwrap_or(0);
    let fds_peak = samples.iter().map(|s| s.1).max().unwrap_or(0);
    let conns_peak = samples.iter().map(|s| s.3).max().unwrap_or(0);
    let c = &counters;
    let failures = c.failures.load(Ordering::Relaxed);
    // RSS may wander by allocator noise; growth beyond 10% + 8 MiB after
    // warm-up is a leak.
    let rss_ok = rss_end <= rss_warm + rss_warm / 10 + 8 * 1024;
    let fds_ok = fds_end <= fds_baseline && conns_end == 0;
    let bytes_ok = failures == 0;

    println!("## Soak: uppercase echo server under churn\n");
    println!(
        "Command: `scripts/soak.sh {seconds}` ({threads} client threads, std::net, against one hub). Duration {:.0} s.\n",
        start.elapsed().as_secs_f64()
    );
    println!("| measure | value |\n|---|---:|");
    println!(
        "| sessions completed | {} |",
        c.sessions.load(Ordering::Relaxed)
    );
    println!(
        "| of which resets mid-message | {} |",
        c.resets.load(Ordering::Relaxed)
    );
    println!(
        "| of which half closes | {} |",
        c.half_closes.load(Ordering::Relaxed)
    );
    println!(
        "| of which slow/silent clients | {} |",
        c.slow.load(Ordering::Relaxed)
    );
    println!(
        "| echoed bytes checked | {} |",
        c.bytes_checked.load(Ordering::Relaxed)
    );
    println!("| client-side failures (mismatch or error) | {failures} |");
    println!("| open fds: baseline / peak / end | {fds_baseline} / {fds_peak} / {fds_end} |");
    println!("| server connections: peak / end | {conns_peak} / {conns_end} |");
    println!("| RSS KiB: after warm-up / peak / end | {rss_warm} / {rss_peak} / {rss_end} |");
    println!(
        "\nChecks: every byte accounted for: {}; fds back to baseline: {}; RSS flat after warm-up: {}.",
        ok(bytes_ok),
        ok(fds_ok),
        ok(rss_ok)
    );
    if !(bytes_ok && fds_ok && rss_ok) {
        std::process::exit(1);
    }
}

fn ok(b: bool) -> &'static str {
    if b { "yes" } else { "NO" }
}
