//! Observability: the blocking monitor names the greenlet that holds the
//! hub, strict mode fails on unjoined panics, and `run_info` shows every
//! greenlet with its state.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sprout::debug::{self, GreenletState};
use sprout::{Builder, spawn, yield_now};

/// Captures warnings logged through the `log` facade.
struct Capture;

static LOGGED: Mutex<Vec<String>> = Mutex::new(Vec::new());

impl log::Log for Capture {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::Level::Warn
    }
    fn log(&self, r: &log::Record<'_>) {
        LOGGED.lock().unwrap().push(r.args().to_string());
    }
    fn flush(&self) {}
}

fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        log::set_logger(&Capture).unwrap();
        log::set_max_level(log::LevelFilter::Warn);
    });
}

#[test]
fn blocking_monitor_reports_the_spinner_by_name_only() {
    capture_logs();
    debug::set_max_blocking(Duration::from_millis(100)).unwrap();
    let spinner = Builder::new()
        .name("spinner".into())
        .spawn(|| {
            let start = Instant::now();
            while start.elapsed() < Duration::from_millis(300) {
                std::hint::spin_loop();
            }
        })
        .unwrap();
    let polite = Builder::new()
        .name("polite".into())
        .spawn(|| {
            for _ in 0..100 {
                sprout::sleep(Duration::from_millis(1));
            }
        })
        .unwrap();
    spinner.join().unwrap();
    polite.join().unwrap();
    let reports = debug::blocking_reports();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let r = &reports[0];
    assert_eq!(r.name.as_deref(), Some("spinner"));
    assert!(r.held_for >= Duration::from_millis(100));
    assert!(
        r.location.file().ends_with("debug_monitor.rs"),
        "{}",
        r.location
    );
    let logged = LOGGED.lock().unwrap().clone();
    assert!(
        logged
            .iter()
            .any(|l| l.contains("(spinner)") && l.contains("held the hub")),
        "{logged:?}"
    );
    assert!(!logged.iter().any(|l| l.contains("(polite)")), "{logged:?}");
}

#[test]
fn strict_mode_fails_on_an_unjoined_panic() {
    debug::set_strict_panics(true);
    // A joined panic is fine.
    let joined = spawn(|| panic!("seen"));
    assert!(joined.join().unwrap_err().is_panic());
    sprout::sleep(Duration::from_millis(1));
    // A detached one is not.
    drop(
        Builder::new()
            .name("forgotten".into())
            .spawn(|| panic!("nobody looks"))
            .unwrap(),
    );
    let err =
        catch_unwind(AssertUnwindSafe(|| sprout::sleep(Duration::from_millis(1)))).unwrap_err();
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("strict mode"), "{msg}");
    assert!(
        msg.contains("forgotten") && msg.contains("nobody looks"),
        "{msg}"
    );
    // A handle dropped after the panic is caught too, by check_panics.
    let h = Builder::new()
        .name("late".into())
        .spawn(|| panic!("late drop"))
        .unwrap();
    yield_now();
    drop(h);
    let err = catch_unwind(debug::check_panics).unwrap_err();
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("late"), "{msg}");
    debug::check_panics(); // reported once
    debug::set_strict_panics(false);
}

#[test]
fn run_info_shows_every_greenlet_and_its_state() {
    let before = Instant::now();
    let sleeper = Builder::new()
        .name("sleeper".into())
        .spawn(|| sprout::sleep(Duration::from_secs(10)))
        .unwrap();
    let waiter = Builder::new()
        .name("waiter".into())
        .spawn(|| sprout::sleep(Duration::from_millis(1)))
        .unwrap();
    let later = Builder::new()
        .name("later".into())
        .spawn_later(Duration::from_secs(10), || ())
        .unwrap();
    let (reader, _peer) = {
        let l = sprout::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let c = sprout::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        (c, l.accept().unwrap().0)
    };
    let timed_reader = Builder::new()
        .name("timed reader".into())
        .spawn(move || {
            reader
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            std::io::Read::read(&mut &reader, &mut [0u8; 8])
        })
        .unwrap();
    yield_now();
    let fresh = Builder::new().name("fresh".into()).spawn(|| ()).unwrap();
    let info = debug::run_info();
    let find = |n: &str| {
        info.greenlets()
            .iter()
            .find(|g| g.name() == Some(n))
            .cloned()
            .unwrap()
    };
    assert_eq!(find("main").state(), GreenletState::Running);
    assert_eq!(find("sleeper").state(), GreenletState::Sleeping);
    assert!(find("sleeper").deadline().is_some());
    // A spawn_later greenlet shows when it starts; a socket wait, when its
    // timeout ends it.
    assert_eq!(find("later").state(), GreenletState::Sleeping);
    assert!(find("later").deadline().unwrap() >= before + Duration::from_secs(10));
    assert_eq!(find("timed reader").state(), GreenletState::WaitingIo);
    assert!(find("timed reader").deadline().unwrap() >= before + Duration::from_secs(10));
    assert_eq!(find("main").deadline(), None);
    assert_eq!(find("fresh").state(), GreenletState::NotStarted);
    assert!(
        find("fresh")
            .location()
            .file()
            .ends_with("debug_monitor.rs")
    );
    let text = info.to_string();
    assert!(
        text.contains("sleeper") && text.contains("Sleeping in sleep"),
        "{text}"
    );
    assert!(info.stats().spawned() >= 3);
    assert!(info.pending_timers() >= 1);
    sleeper.kill();
    later.kill();
    timed_reader.kill();
    assert!(timed_reader.join().unwrap_err().is_killed());
    waiter.join().unwrap();
    fresh.join().unwrap();
}
