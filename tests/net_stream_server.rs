//! `StreamServer`: handler greenlets, limits, timeouts, panics, stop,
//! accept errors under a full descriptor table, and `workers(n)`.

mod util;

use std::collections::HashSet;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use sprout::net::{StreamServer, TcpStream};
use sprout::spawn;
use util::{Log, any_local_address, assert_timed_out};

/// Sends `msg` and reads the echo (same length).
fn round_trip(stream: &mut TcpStream, msg: &str) -> String {
    stream.write_all(msg.as_bytes()).unwrap();
    let mut reply = vec![0; msg.len()];
    stream.read_exact(&mut reply).unwrap();
    String::from_utf8(reply).unwrap()
}

#[test]
fn one_handler_greenlet_per_connection() {
    let server = util::start_upper_echo();
    let addr = server.local_addr().unwrap();
    assert!(server.is_serving());
    let mut a = TcpStream::connect(addr).unwrap();
    let mut b = TcpStream::connect(addr).unwrap();
    assert_eq!(round_trip(&mut a, "first"), "FIRST");
    assert_eq!(round_trip(&mut b, "second"), "SECOND");
    assert_eq!(server.connection_count(), 2);
    assert_eq!(round_trip(&mut a, "again"), "AGAIN");
    drop((a, b));
    server.stop(Duration::from_secs(5));
    assert!(!server.is_serving());
    assert_eq!(server.connection_count(), 0);
}

#[test]
fn start_twice_is_an_error() {
    let server = util::start_upper_echo();
    assert_eq!(
        server.start().unwrap_err().kind(),
        io::ErrorKind::InvalidInput
    );
    server.stop(Duration::from_secs(1));
    assert!(server.start().is_err());
}

#[test]
fn a_panicking_handler_does_not_stop_the_server() {
    let server = StreamServer::bind(
        any_local_address(),
        |mut conn: TcpStream, peer: SocketAddr| {
            let mut first = [0; 1];
            conn.read_exact(&mut first).unwrap();
            if first[0] == b'!' {
                panic!("handler for {peer} panics on purpose");
            }
            conn.write_all(&first.to_ascii_uppercase()).unwrap();
            util::upper_echo(conn, peer);
        },
    )
    .unwrap();
    server.start().unwrap();
    let addr = server.local_addr().unwrap();
    for _ in 0..3 {
        let mut bad = TcpStream::connect(addr).unwrap();
        bad.write_all(b"!").unwrap();
        // The panicking handler's connection is closed.
        let mut rest = Vec::new();
        let _ = bad.read_to_end(&mut rest);
        assert!(rest.is_empty());
    }
    let mut good = TcpStream::connect(addr).unwrap();
    assert_eq!(round_trip(&mut good, "still serving"), "STILL SERVING");
    assert_eq!(server.connection_count(), 1);
    drop(good);
    server.stop(Duration::from_secs(5));
}

#[test]
fn a_silent_client_does_not_hold_up_others() {
    let server = util::start_upper_echo();
    let addr = server.local_addr().unwrap();
    let _silent = TcpStream::connect(addr).unwrap();
    let clients: Vec<_> = (0..20)
        .map(|i| {
            spawn(move || {
                let mut s = TcpStream::connect(addr).unwrap();
                round_trip(&mut s, &format!("client {i}"))
            })
        })
        .collect();
    for (i, c) in clients.into_iter().enumerate() {
        assert_eq!(c.join().unwrap(), format!("CLIENT {i}"));
    }
    server.stop(Duration::from_millis(10));
}

#[test]
fn a_read_timeout_fires_in_one_handler_while_others_are_served() {
    let log = Log::new();
    let handler_log = log.clone();
    let server = StreamServer::bind(any_local_address(), move |conn: TcpStream, peer| {
        conn.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let mut first = [0; 1];
        match (&conn).read(&mut first) {
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                handler_log.push("timed out");
                return;
            }
            Err(e) => panic!("{e}"),
            Ok(0) => return,
            Ok(_) => {}
        }
        (&conn).write_all(&first.to_ascii_uppercase()).unwrap();
        conn.set_read_timeout(None).unwrap();
        util::upper_echo(conn, peer);
    })
    .unwrap();
    server.start().unwrap();
    let addr = server.local_addr().unwrap();
    // The handler arms its timer after the connection exists, so the
    // clock starts before the connect: the lower bound below then holds
    // however the threads are scheduled.
    let start = Instant::now();
    let mut silent = TcpStream::connect(addr).unwrap();
    let mut talkers: Vec<TcpStream> = (0..5).map(|_| TcpStream::connect(addr).unwrap()).collect();
    for (i, t) in talkers.iter_mut().enumerate() {
        assert_eq!(round_trip(t, &format!("x{i}")), format!("X{i}"));
    }
    // The silent client's handler gives up after its read timeout and
    // closes the connection: the client reads end of file.
    let mut buf = Vec::new();
    silent.read_to_end(&mut buf).unwrap();
    assert!(buf.is_empty());
    assert!(start.elapsed() >= Duration::from_millis(50));
    assert_eq!(log.take(), ["timed out"]);
    // The talkers were served during the wait and still are.
    for t in &mut talkers {
        assert_eq!(round_trip(t, "later"), "LATER");
    }
    drop(talkers);
    server.stop(Duration::from_secs(5));
}

#[test]
fn max_connections_pauses_accepting_while_full() {
    let server = util::start_upper_echo();
    server.set_max_connections(Some(2));
    assert_eq!(server.max_connections(), Some(2));
    let addr = server.local_addr().unwrap();
    let mut a = TcpStream::connect(addr).unwrap();
    let mut b = TcpStream::connect(addr).unwrap();
    assert_eq!(round_trip(&mut a, "a"), "A");
    assert_eq!(round_trip(&mut b, "b"), "B");
    // The third connection completes in the kernel's queue but is not
    // accepted while two handlers run.
    let mut c = TcpStream::connect(addr).unwrap();
    c.write_all(b"c").unwrap();
    c.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    assert_timed_out(c.read(&mut [0; 1]));
    assert_eq!(server.connection_count(), 2);
    // A handler ends: the server accepts the waiting connection.
    drop(a);
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reply = [0; 1];
    c.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"C");
    assert_eq!(server.connection_count(), 2);
    drop((b, c));
    server.stop(Duration::from_secs(5));
}

#[test]
fn stop_closes_the_listener_drains_then_kills() {
    let log = Log::new();
    let handler_log = log.clone();
    let server = Rc::new(
        StreamServer::bind(any_local_address(), move |mut conn: TcpStream, _| {
            struct Outcome(Log);
            impl Drop for Outcome {
                fn drop(&mut self) {
                    self.0.push(if std::thread::panicking() {
                        "killed"
                    } else {
                        "finished"
                    });
                }
            }
            let _outcome = Outcome(handler_log.clone());
            let mut buf = Vec::new();
            let _ = conn.read_to_end(&mut buf);
        })
        .unwrap(),
    );
    server.start().unwrap();
    let addr = server.local_addr().unwrap();
    let quick = TcpStream::connect(addr).unwrap();
    let _stuck = TcpStream::connect(addr).unwrap();
    // Let both handlers start.
    while server.connection_count() < 2 {
        sprout::sleep(Duration::from_millis(1));
    }
    let grace = Duration::from_millis(100);
    let stopper = {
        let server = Rc::clone(&server);
        spawn(move || {
            let start = Instant::now();
            server.stop(grace);
            start.elapsed()
        })
    };
    sprout::yield_now();
    // During the grace period one client finishes: its handler ends
    // normally. The other never does and is killed when the grace ends.
    drop(quick);
    let took = stopper.join().unwrap();
    assert!(
        took >= grace,
        "stop returned after {took:?}, before the grace period"
    );
    assert_eq!(log.take(), ["finished", "killed"]);
    assert_eq!(server.connection_count(), 0);
    // The listener is closed.
    let err = TcpStream::connect(addr).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    // Stopping again does nothing.
    server.stop(Duration::from_secs(1));
}

#[test]
fn serve_forever_returns_after_stop() {
    let server = Rc::new(StreamServer::bind(any_local_address(), util::upper_echo).unwrap());
    let addr = server.local_addr().unwrap();
    let serving = {
        let server = Rc::clone(&server);
        spawn(move || server.serve_forever())
    };
    let mut client = TcpStream::connect(addr).unwrap();
    assert_eq!(round_trip(&mut client, "forever"), "FOREVER");
    drop(client);
    server.stop(Duration::from_secs(5));
    serving.join().unwrap().unwrap();
}

#[test]
fn workers_serve_clients_from_both_threads() {
    let workers = StreamServer::workers(any_local_address(), 2, |mut conn: TcpStream, _| {
        let id = format!("{:?}", std::thread::current().id());
        let _ = conn.write_all(id.as_bytes());
    })
    .unwrap();
    assert_eq!(workers.threads(), 2);
    let addr = workers.local_addr();
    let me = format!("{:?}", std::thread::current().id());
    let mut seen = HashSet::new();
    // SO_REUSEPORT spreads connections by their address hash; with distinct
    // source ports, 200 connections all landing on one thread has
    // probability 2^-199.
    for _ in 0..200 {
        let mut reply = String::new();
        TcpStream::connect(addr)
            .unwrap()
            .read_to_string(&mut reply)
            .unwrap();
        assert_ne!(reply, me, "served on the test's own thread");
        seen.insert(reply);
        if seen.len() == 2 {
            break;
        }
    }
    assert_eq!(seen.len(), 2, "only one worker thread served: {seen:?}");
    workers.stop(Duration::from_secs(5)).unwrap();
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn workers_stopper_stops_from_elsewhere() {
    let workers = StreamServer::workers(any_local_address(), 2, util::upper_echo).unwrap();
    let stopper = workers.stopper();
    let mut s = TcpStream::connect(workers.local_addr()).unwrap();
    assert_eq!(round_trip(&mut s, "w"), "W");
    drop(s);
    std::thread::spawn(move || stopper.stop(Duration::from_millis(100)))
        .join()
        .unwrap();
    workers.join().unwrap();
}

// ===== accept under a full descriptor table =====

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn set_fd_limit(soft: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable `rlimit`.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    assert_eq!(rc, 0);
    lim.rlim_cur = soft;
    // SAFETY: `lim` is a valid `rlimit`; lowering the soft limit is allowed.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
    assert_eq!(rc, 0);
}

/// User + system CPU time of this process.
fn cpu_time() -> Duration {
    // SAFETY: `rusage` is plain old data; all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable `rusage`.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    assert_eq!(rc, 0);
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Runs in a child process with a lowered `RLIMIT_NOFILE`.
fn accept_under_full_fd_table_child() {
    let server = StreamServer::bind(any_local_address(), util::upper_echo).unwrap();
    let addr = server.local_addr().unwrap();
    // A small table: what is open now plus 32.
    set_fd_limit(open_fds() as u64 + 32);
    // Fill it up completely with /dev/null.
    let mut ballast = Vec::new();
    loop {
        match std::fs::File::open("/dev/null") {
            Ok(f) => ballast.push(f),
            Err(e) if e.raw_os_error() == Some(libc::EMFILE) => break,
            Err(e) => panic!("{e}"),
        }
    }
    // Room for exactly three descriptors: two clients and one accepted
    // connection. The second accept then fails with EMFILE.
    ballast.truncate(ballast.len() - 3);
    // std clients: a blocking connect to loopback completes in the
    // listener's queue without running the hub.
    let c1 = std::net::TcpStream::connect(addr).unwrap();
    let c2 = std::net::TcpStream::connect(addr).unwrap();
    let mut c1 = TcpStream::from_std(c1).unwrap();
    let mut c2 = TcpStream::from_std(c2).unwrap();
    server.start().unwrap();
    assert_eq!(round_trip(&mut c1, "one"), "ONE");

    // c2 waits in the queue: accept fails with EMFILE and backs off; the
    // existing connection keeps being served, and the loop does not spin.
    c2.write_all(b"two").unwrap();
    c2.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let wall = Instant::now();
    let cpu = cpu_time();
    assert_timed_out(c2.read(&mut [0; 3]));
    let (wall, cpu) = (wall.elapsed(), cpu_time() - cpu);
    assert!(
        cpu < wall / 2,
        "accept loop busy-looped: {cpu:?} CPU in {wall:?}"
    );
    assert_eq!(round_trip(&mut c1, "still served"), "STILL SERVED");
    assert_eq!(server.connection_count(), 1);

    // Free descriptors: the queued connection is accepted and served.
    drop(ballast);
    c2.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reply = [0; 3];
    c2.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"TWO");
    assert_eq!(round_trip(&mut c2, "more"), "MORE");
    drop((c1, c2));
    server.stop(Duration::from_secs(5));
    eprintln!("recovered after EMFILE");
}

#[test]
fn accept_under_a_full_fd_table_recovers_once_fds_free_up() {
    const CHILD: &str = "SPROUT_TEST_EMFILE_CHILD";
    if std::env::var_os(CHILD).is_some() {
        accept_under_full_fd_table_child();
        return;
    }
    let (status, stderr) = util::run_in_child(
        "accept_under_a_full_fd_table_recovers_once_fds_free_up",
        CHILD,
    );
    assert!(status.success(), "child failed ({status}):\n{stderr}");
    assert!(stderr.contains("recovered after EMFILE"), "{stderr}");
}

#[test]
fn dropping_the_server_closes_the_listener_but_not_the_connections() {
    let server = util::start_upper_echo();
    let addr = server.local_addr().unwrap();
    let mut client = TcpStream::connect(addr).unwrap();
    assert_eq!(round_trip(&mut client, "before"), "BEFORE");
    drop(server);
    // Let the accept loop unwind and the listener close.
    sprout::yield_now();
    assert_eq!(
        TcpStream::connect(addr).unwrap_err().kind(),
        io::ErrorKind::ConnectionRefused
    );
    // The running handler still serves its connection.
    assert_eq!(round_trip(&mut client, "after"), "AFTER");
}

#[test]
fn handlers_spawned_into_a_full_pool_pause_accepting() {
    let pool = Rc::new(sprout::pool::Pool::new(2));
    let server = StreamServer::bind(any_local_address(), util::upper_echo).unwrap();
    server.set_pool(Rc::clone(&pool));
    server.start().unwrap();
    let addr = server.local_addr().unwrap();
    let mut a = TcpStream::connect(addr).unwrap();
    let mut b = TcpStream::connect(addr).unwrap();
    assert_eq!(round_trip(&mut a, "a"), "A");
    assert_eq!(round_trip(&mut b, "b"), "B");
    assert_eq!((pool.len(), pool.free_count()), (2, 0));
    let mut c = TcpStream::connect(addr).unwrap();
    c.write_all(b"c").unwrap();
    c.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    assert_timed_out(c.read(&mut [0; 1]));
    drop(a);
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reply = [0; 1];
    c.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"C");
    drop((b, c));
    server.stop(Duration::from_secs(5));
    assert_eq!(pool.len(), 0);
}

#[test]
fn stop_called_from_a_handler_stops_the_others_and_carries_on() {
    use std::cell::OnceCell;
    use std::rc::Weak;
    let me: Rc<OnceCell<Weak<StreamServer>>> = Rc::new(OnceCell::new());
    let handler_me = Rc::clone(&me);
    let server = Rc::new(
        StreamServer::bind(any_local_address(), move |mut conn: TcpStream, _| {
            let mut cmd = [0; 4];
            if conn.read_exact(&mut cmd).is_err() {
                return;
            }
            if &cmd == b"stop" {
                let server = handler_me
                    .get()
                    .and_then(Weak::upgrade)
                    .expect("server alive");
                server.stop(Duration::from_millis(50));
                // Still running after stop returned: report it.
                conn.write_all(b"stopped").unwrap();
            }
        })
        .unwrap(),
    );
    me.set(Rc::downgrade(&server)).unwrap();
    server.start().unwrap();
    let addr = server.local_addr().unwrap();
    let mut silent = TcpStream::connect(addr).unwrap();
    let mut boss = TcpStream::connect(addr).unwrap();
    while server.connection_count() < 2 {
        sprout::sleep(Duration::from_millis(1));
    }
    boss.write_all(b"stop").unwrap();
    let mut reply = String::new();
    boss.read_to_string(&mut reply).unwrap();
    assert_eq!(reply, "stopped");
    // The silent client's handler was killed: its connection is closed.
    let mut rest = Vec::new();
    silent.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    assert!(!server.is_serving());
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn handlers_get_the_stack_size_set_for_them() {
    // 1 MiB on the stack overflows the default 256 KiB: only a handler
    // given the larger stack survives it (an overflow would abort the test).
    let server = StreamServer::bind(any_local_address(), |mut conn: TcpStream, _| {
        let big = [b'x'; 1 << 20];
        let sum: u64 = std::hint::black_box(&big)
            .iter()
            .map(|&b| u64::from(b))
            .sum();
        let name = sprout::current().name().unwrap_or("").to_string();
        let _ = write!(conn, "{sum} {name}");
    })
    .unwrap();
    assert_eq!(server.stack_size(), None);
    server.set_stack_size(Some(2 << 20));
    server.start().unwrap();
    let mut reply = String::new();
    TcpStream::connect(server.local_addr().unwrap())
        .unwrap()
        .read_to_string(&mut reply)
        .unwrap();
    let (sum, name) = reply.split_once(' ').unwrap();
    assert_eq!(sum, (u64::from(b'x') << 20).to_string());
    assert!(
        name.starts_with("StreamServer handler 127.0.0.1:"),
        "{name}"
    );
    server.stop(Duration::from_secs(5));
}

/// A handler that cannot be spawned closes its connection; the server
/// carries on, with its handlers in a pool or not.
fn unspawnable_handlers_close_their_connection(pool: Option<Rc<sprout::pool::Pool>>) {
    let server = StreamServer::bind(any_local_address(), util::upper_echo).unwrap();
    if let Some(pool) = &pool {
        server.set_pool(Rc::clone(pool));
    }
    server.start().unwrap();
    let addr = server.local_addr().unwrap();
    server.set_stack_size(Some(usize::MAX));
    for _ in 0..3 {
        let mut refused = TcpStream::connect(addr).unwrap();
        let _ = refused.write_all(b"lost");
        refused
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        // Closed unanswered: end of stream, or a reset after our write.
        match refused.read(&mut [0; 8]) {
            Ok(0) => {}
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {}
            other => panic!("expected the connection closed, got {other:?}"),
        }
    }
    assert_eq!(server.connection_count(), 0);
    if let Some(pool) = &pool {
        assert_eq!((pool.len(), pool.free_count()), (0, pool.size()));
    }
    server.set_stack_size(Some(64 * 1024));
    let mut served = TcpStream::connect(addr).unwrap();
    assert_eq!(round_trip(&mut served, "still serving"), "STILL SERVING");
    drop(served);
    server.stop(Duration::from_secs(5));
}

#[test]
fn a_handler_that_cannot_be_spawned_closes_only_its_connection() {
    unspawnable_handlers_close_their_connection(None);
}

#[test]
fn a_pooled_handler_that_cannot_be_spawned_gives_its_slot_back() {
    unspawnable_handlers_close_their_connection(Some(Rc::new(sprout::pool::Pool::new(2))));
}
