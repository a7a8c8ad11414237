//! The kill matrix: not started, suspended in sleep, suspended in an I/O
//! wait, ready in the run queue, already finished, and self-kill. Kill always
//! runs the target's destructors and `join` reports it as killed; a kill
//! or outer timeout never unwinds a destructor that blocks while the
//! greenlet unwinds (that would abort the process).

mod util;

use std::cell::Cell;
use std::io::Read;
use std::rc::Rc;
use std::time::{Duration, Instant};

use sprout::io::Registration;
use sprout::{spawn, yield_now};
use util::Log;

/// Records its drop in the log.
struct Guard(Log, &'static str);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.push(format!("drop {}", self.1));
    }
}

#[test]
fn killed_before_start_never_runs() {
    let ran = Rc::new(Cell::new(false));
    let log = Log::new();
    let r = ran.clone();
    let guard = Guard(log.clone(), "captured");
    let h = spawn(move || {
        let _g = guard;
        r.set(true);
    });
    h.kill();
    assert!(h.is_finished());
    let err = h.join().unwrap_err();
    assert!(err.is_killed());
    assert!(
        !ran.get(),
        "a greenlet killed before it started must never run"
    );
    // Its captured values were still dropped.
    assert_eq!(log.take(), ["drop captured"]);
}

#[test]
fn spawn_later_killed_before_its_delay_never_runs() {
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    let h = sprout::spawn_later(Duration::from_millis(20), move || r.set(true));
    yield_now();
    h.kill();
    assert!(h.join().unwrap_err().is_killed());
    sprout::sleep(Duration::from_millis(40));
    assert!(!ran.get());
}

#[test]
fn kill_suspended_in_sleep_runs_destructors() {
    let log = Log::new();
    let l = log.clone();
    let h = spawn(move || {
        let _g = Guard(l.clone(), "sleeper");
        l.push("sleeping");
        sprout::sleep(Duration::from_secs(60));
        l.push("woke (must not happen)");
    });
    yield_now();
    let start = Instant::now();
    h.kill();
    assert!(start.elapsed() < Duration::from_secs(30));
    assert!(h.join().unwrap_err().is_killed());
    assert_eq!(log.take(), ["sleeping", "drop sleeper"]);
}

#[test]
fn kill_suspended_in_io_wait_runs_destructors() {
    let log = Log::new();
    let l = log.clone();
    let (mut ours, theirs) = mio::net::UnixStream::pair().unwrap();
    let h = spawn(move || {
        let _g = Guard(l.clone(), "reader");
        let reg = Registration::new(&mut ours).unwrap();
        let mut buf = [0u8; 16];
        l.push("reading");
        let r = reg.read_with(None, || (&ours).read(&mut buf));
        l.push(format!("read returned {r:?} (must not happen)"));
    });
    yield_now();
    h.kill();
    assert!(h.join().unwrap_err().is_killed());
    assert_eq!(log.take(), ["reading", "drop reader"]);
    drop(theirs);
}

#[test]
fn kill_while_ready_in_the_run_queue() {
    let log = Log::new();
    let l = log.clone();
    let h = spawn(move || {
        let _g = Guard(l.clone(), "yielder");
        loop {
            l.push("tick");
            yield_now();
        }
    });
    yield_now(); // it ran once and is ready again
    h.kill();
    assert!(h.join().unwrap_err().is_killed());
    assert_eq!(log.take(), ["tick", "drop yielder"]);
}

#[test]
fn kill_after_finish_keeps_the_value() {
    let h = spawn(|| 11);
    yield_now();
    assert!(h.is_finished());
    h.kill();
    assert_eq!(h.join().unwrap(), 11);
}

#[test]
fn a_greenlet_can_kill_itself() {
    let log = Log::new();
    let l = log.clone();
    let slot: Rc<Cell<Option<sprout::JoinHandle<()>>>> = Rc::new(Cell::new(None));
    let s = slot.clone();
    let starter = spawn(move || {
        let _g = Guard(l.clone(), "self");
        let me = s.take().expect("handle stored before the greenlet runs");
        l.push("killing myself");
        me.kill();
        l.push("after kill (must not happen)");
    });
    // Move the handle into the greenlet's reach and keep an observer.
    let observer = spawn(|| ());
    slot.set(Some(starter));
    observer.join().unwrap();
    sprout::idle();
    assert_eq!(log.take(), ["killing myself", "drop self"]);
}

#[test]
fn kill_from_another_greenlet_and_kill_timeout() {
    let log = Log::new();
    let l = log.clone();
    let victim = Rc::new(spawn(move || {
        let _g = Guard(l, "victim");
        sprout::sleep(Duration::from_secs(60));
    }));
    let v = victim.clone();
    let killer = spawn(move || v.kill_timeout(Duration::from_secs(10)));
    assert!(killer.join().unwrap());
    assert!(victim.is_finished());
    assert_eq!(log.take(), ["drop victim"]);
}

#[test]
fn killall_kills_every_greenlet() {
    let log = Log::new();
    let handles: Vec<_> = (0..5)
        .map(|i| {
            let l = log.clone();
            spawn(move || {
                if i % 2 == 0 {
                    sprout::sleep(Duration::from_secs(60));
                }
                l.push(format!("{i} finished"));
            })
        })
        .collect();
    yield_now();
    sprout::killall(&handles);
    assert!(handles.iter().all(|h| h.is_finished()));
    let mut finished = log.take();
    finished.sort();
    assert_eq!(finished, ["1 finished", "3 finished"]);
    let killed = handles
        .into_iter()
        .map(|h| h.join())
        .filter(|r| r.as_ref().is_err_and(|e| e.is_killed()))
        .count();
    assert_eq!(killed, 3);
}

#[test]
fn greenlets_left_at_thread_exit_are_unwound() {
    let (tx, rx) = std::sync::mpsc::channel::<&'static str>();
    std::thread::spawn(move || {
        struct Tell(std::sync::mpsc::Sender<&'static str>);
        impl Drop for Tell {
            fn drop(&mut self) {
                let _ = self.0.send("unwound");
            }
        }
        let tell = Tell(tx);
        let _h = spawn(move || {
            let _t = tell;
            sprout::sleep(Duration::from_secs(3600));
        });
        yield_now();
        // The thread ends with the greenlet asleep.
    })
    .join()
    .unwrap();
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok("unwound"));
}

/// Parks in its destructor: `sleep`s for `.1` (logging around it), as a
/// destructor that flushes to a slow peer would.
struct SlowDrop(Log, Duration);

impl Drop for SlowDrop {
    fn drop(&mut self) {
        self.0.push("drop starts");
        sprout::sleep(self.1);
        self.0.push("drop ends");
    }
}

#[test]
fn a_second_kill_waits_for_the_blocked_destructor_of_the_first() {
    // Unwinding out of a destructor that runs during cleanup aborts the
    // process, so the second kill must not unwind the destructor parked by
    // the first: it finishes, and the greenlet ends killed.
    let log = Log::new();
    let l = log.clone();
    let h = spawn(move || {
        let _d = SlowDrop(l, Duration::from_millis(30));
        sprout::sleep(Duration::from_secs(3600));
    });
    yield_now();
    h.request_kill();
    // The destructor's sleep starts after this, so it bounds the join.
    let start = Instant::now();
    yield_now(); // it unwinds into the destructor and parks there
    assert_eq!(log.take(), ["drop starts"]);
    h.request_kill();
    h.request_kill();
    assert!(h.join().unwrap_err().is_killed());
    assert_eq!(log.take(), ["drop ends"]);
    assert!(start.elapsed() >= Duration::from_millis(30));
}

#[test]
fn a_kill_while_a_panic_unwinds_through_a_blocked_destructor_waits() {
    // A panic (not a kill) starts the unwinding; a kill arriving while the
    // destructor is parked waits as well, and join reports the panic.
    let log = Log::new();
    let l = log.clone();
    let h = spawn(move || {
        let _d = SlowDrop(l, Duration::from_millis(20));
        sprout::sleep(Duration::from_millis(1));
        panic!("handler bug");
    });
    while log.len() == 0 {
        sprout::sleep(Duration::from_millis(1));
    }
    h.request_kill();
    let err = h.join().unwrap_err();
    assert!(err.is_panic(), "{err:?}");
    assert_eq!(log.take(), ["drop starts", "drop ends"]);
}

#[test]
fn a_with_timeout_inside_an_unwinding_destructor_still_fires() {
    // Bounding cleanup with `with_timeout` inside a destructor keeps
    // working while the greenlet unwinds from a kill: that expiry is caught
    // inside the destructor.
    let log = Log::new();
    let l = log.clone();
    struct BoundedCleanup(Log);
    impl Drop for BoundedCleanup {
        fn drop(&mut self) {
            let r = sprout::with_timeout(Duration::from_millis(20), || {
                sprout::sleep(Duration::from_secs(3600));
            });
            self.0.push(format!("cleanup timed out: {}", r.is_err()));
        }
    }
    let h = spawn(move || {
        let _c = BoundedCleanup(l);
        sprout::sleep(Duration::from_secs(3600));
    });
    yield_now();
    let start = Instant::now();
    h.kill();
    assert!(h.join().unwrap_err().is_killed());
    assert_eq!(log.take(), ["cleanup timed out: true"]);
    assert!(start.elapsed() < Duration::from_secs(60));
}

#[test]
fn an_outer_timeout_expiring_during_an_unwinding_destructor_waits() {
    // The block's expiry would unwind out of the destructor: it waits until
    // the destructor is done; the kill that started the unwinding wins.
    let log = Log::new();
    let l = log.clone();
    let h = spawn(move || {
        sprout::with_timeout(Duration::from_millis(5), || {
            let _d = SlowDrop(l, Duration::from_millis(40));
            sprout::sleep(Duration::from_secs(3600));
        })
    });
    yield_now();
    h.request_kill();
    assert!(h.join().unwrap_err().is_killed());
    assert_eq!(log.take(), ["drop starts", "drop ends"]);
    // Nothing is left pending on this hub.
    assert_eq!(sprout::hub::pending_interrupt(), None);
    assert_eq!(sprout::debug::run_info().pending_timers(), 0);
}
