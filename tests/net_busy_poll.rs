//! Busy polling before the hub sleeps (`sprout::io::set_busy_poll`): only
//! right after short waits, at most once per lull, and configurable per
//! hub or through `SPROUT_BUSY_POLL_US`.

mod util;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use sprout::net::{TcpListener, TcpStream};
use sprout::spawn;
use util::{any_local_address, assert_timed_out, run_in_child_with};

/// A connected pair: (client, server side).
fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind(any_local_address()).unwrap();
    let addr = listener.local_addr().unwrap();
    let client = spawn(move || TcpStream::connect(addr).unwrap());
    let (server, _) = listener.accept().unwrap();
    (client.join().unwrap(), server)
}

/// CPU time (user + system) this thread has used, at the 10 ms resolution
/// of `/proc` (USER_HZ = 100 on Linux).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    let fields: Vec<u64> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // utime and stime are the 14th and 15th fields, 12th and 13th after
    // the command name.
    Duration::from_millis((fields[11] + fields[12]) * 10)
}

/// `n` one-byte round trips between `a` and an echoing greenlet on `b`.
fn ping_pong(a: &mut TcpStream, b: TcpStream, n: usize) -> TcpStream {
    let echo = spawn(move || {
        let mut b = b;
        let mut byte = [0];
        for _ in 0..n {
            b.read_exact(&mut byte).unwrap();
            b.write_all(&byte).unwrap();
        }
        b
    });
    let mut byte = [0];
    for i in 0..n {
        a.write_all(&[i as u8]).unwrap();
        a.read_exact(&mut byte).unwrap();
        assert_eq!(byte[0], i as u8);
    }
    echo.join().unwrap()
}

#[test]
fn the_default_limit_and_setting_it_per_hub() {
    let default = sprout::io::busy_poll();
    if std::env::var_os("SPROUT_BUSY_POLL_US").is_none() {
        assert_eq!(default, Duration::from_micros(20));
    }
    sprout::io::set_busy_poll(Duration::from_millis(3));
    assert_eq!(sprout::io::busy_poll(), Duration::from_millis(3));
    // Another thread's hub keeps its own.
    let other = std::thread::spawn(sprout::io::busy_poll).join().unwrap();
    assert_eq!(other, default);
}

#[test]
fn sockets_work_with_busy_polling_off_and_long() {
    for limit in [Duration::ZERO, Duration::from_millis(5)] {
        sprout::io::set_busy_poll(limit);
        let (mut a, b) = pair();
        let _b = ping_pong(&mut a, b, 200);
    }
}

#[test]
fn a_quiet_hub_spins_at_most_once_per_lull() {
    // Long enough to see in CPU time; waits shorter than it make the hub
    // poll before it sleeps.
    let limit = Duration::from_millis(20);
    sprout::io::set_busy_poll(limit);
    let (mut a, b) = pair();
    let _b = ping_pong(&mut a, b, 100);
    // Ten reads that time out after 30 ms each: the first wait may spin
    // for `limit`, then the hub sleeps through the lull. Spinning before
    // every wait would use 200 ms of CPU.
    a.set_read_timeout(Some(Duration::from_millis(30))).unwrap();
    let (cpu, start) = (thread_cpu(), Instant::now());
    let mut buf = [0; 1];
    for _ in 0..10 {
        assert_timed_out(a.read(&mut buf));
    }
    let (cpu, waited) = (thread_cpu() - cpu, start.elapsed());
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(
        cpu < Duration::from_millis(100),
        "{cpu:?} of CPU in {waited:?} of waiting"
    );
}

#[test]
fn sprout_busy_poll_us_sets_the_limit_of_new_hubs() {
    if std::env::var_os("SPROUT_TEST_CHILD_BUSY_POLL").is_some() {
        assert_eq!(sprout::io::busy_poll(), Duration::from_micros(7));
        let other = std::thread::spawn(sprout::io::busy_poll).join().unwrap();
        assert_eq!(other, Duration::from_micros(7));
        return;
    }
    let (status, stderr) = run_in_child_with(
        "sprout_busy_poll_us_sets_the_limit_of_new_hubs",
        "SPROUT_TEST_CHILD_BUSY_POLL",
        &[("SPROUT_BUSY_POLL_US", "7")],
    );
    assert!(status.success(), "child failed: {stderr}");
}
