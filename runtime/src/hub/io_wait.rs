//! Parking on one direction of a registered I/O source: the wait every
//! blocking socket call ends in.
//!
//! This is [`Hub::park_inner`] specialised to a socket, in one function
//! that is not generic and keeps few values alive across the switch. Every
//! greenlet blocked on a socket keeps this frame on its stack, and the hub
//! touches it again at every wake-up; with a thousand connections those
//! stack lines no longer stay in the CPU's caches between two requests
//! (the hub prefetches them, see `prefetch`). So the wait's token and
//! timer live in the greenlet's entry, not in this frame, and the socket
//! call's own frames inline down to this one.

use std::io;
use std::time::Instant;

use super::{Hub, MAIN, ParkError, ParkHints, WakeToken, WouldBlockForever, prefetch};
use crate::io::driver::Direction;

/// One direction of one source registered with the hub's driver.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IoWait {
    /// The source's slab key and generation in the driver.
    pub(crate) key: usize,
    pub(crate) generation: u32,
    /// The direction waited for.
    pub(crate) dir: Direction,
    /// `Err(Interrupted)` for a pending kill or timeout instead of
    /// unwinding (see `park_interruptible`).
    pub(crate) interruptible: bool,
}

impl IoWait {
    fn what(self) -> &'static str {
        match self.dir {
            Direction::Read => "waiting for a socket to become readable",
            Direction::Write => "waiting for a socket to become writable",
        }
    }
}

/// Ends a wait that unwinds out of the switch instead of returning, which
/// only the main greenlet's inline hub loop can do (a panic in the loop,
/// such as a forked child's refusal to run its parent's hub): the ordinary
/// end of a wait, [`Hub::io_wait_end`], does the same.
struct Unwinding<'a> {
    hub: &'a Hub,
    io: &'a IoWait,
}

impl Drop for Unwinding<'_> {
    fn drop(&mut self) {
        self.hub.io_wait_finish(self.io);
    }
}

impl Hub {
    /// Blocks the current greenlet until `io`'s source is ready in `io`'s
    /// direction or `deadline` passes; returns at once if the source is
    /// ready already. `hint` is the address of the object the greenlet
    /// touches first after the wake-up (its socket's registration), which
    /// the hub prefetches with its stack.
    ///
    /// Errors: `TimedOut` after the deadline, `NotConnected` when the
    /// source is no longer registered, `Interrupted` for an interruptible
    /// wait with a kill or timeout pending, and the deadlock report when
    /// nothing could ever wake the caller. An ordinary wait unwinds on a
    /// kill or `with_timeout` expiry, as every park does.
    #[inline(never)]
    pub(crate) fn park_io(
        &self,
        io: &IoWait,
        deadline: Option<Instant>,
        hint: usize,
    ) -> io::Result<()> {
        // Only `self` and `io` survive the switch in this frame: the token
        // and the timer are in the greenlet's entry, and the steps before
        // and after run in frames below this one, in stack lines that the
        // switch itself touches anyway.
        if !self.io_wait_begin(io, deadline, hint)? {
            return Ok(());
        }
        let unwinding = Unwinding { hub: self, io };
        let outcome = self.suspend(self.current.get());
        std::mem::forget(unwinding);
        self.io_wait_end(io, outcome)
    }

    /// Registers the current greenlet's token with the source, marks it
    /// parked and sets its deadline's timer; `false` when the source is
    /// ready already (nothing to wait for). Nothing runs between this and
    /// the switch, so no wake-up can come in between.
    #[inline(never)]
    fn io_wait_begin(
        &self,
        io: &IoWait,
        deadline: Option<Instant>,
        hint: usize,
    ) -> io::Result<bool> {
        if deadline.is_some_and(|d| d <= Instant::now()) {
            return Err(timed_out());
        }
        let key = self.current.get();
        self.interrupt_point(key, io.interruptible)
            .map_err(park_error)?;
        let token = WakeToken {
            key,
            seq: self.new_seq(),
        };
        let registered = self.driver.with_source(io.key, io.generation, |s| {
            let ready = s.is_ready(io.dir);
            if !ready {
                s.add_waiter(io.dir, token);
            }
            (!ready, std::ptr::from_mut(s).addr())
        });
        // The source's state is a line of its own in the driver's slab; the
        // slab may move it before the wake-up, which only makes the
        // prefetch miss.
        let source = match registered {
            Some((true, source)) => source,
            Some((false, _)) => return Ok(false),
            None => return Err(not_registered()),
        };
        self.driver.add_io_waiter(1);
        {
            let mut entries = self.entries.borrow_mut();
            let e = &mut entries[key];
            e.seq = token.seq;
            e.notified = false;
            e.timed_out = false;
            let hints = ParkHints {
                object: hint,
                line: source,
            };
            e.parked(io.what(), prefetch::stack_marker(), hints);
        }
        if let Some(d) = deadline {
            self.arm_deadline(key, d, token);
        }
        Ok(true)
    }

    /// Ends the current greenlet's wait and says how it ended.
    #[inline(never)]
    fn io_wait_end(&self, io: &IoWait, outcome: Result<(), ()>) -> io::Result<()> {
        let by_deadline = self.io_wait_finish(io);
        if outcome.is_err() {
            return Err(WouldBlockForever { call: io.what() }.into());
        }
        let key = self.current.get();
        self.resume_point(key, io.interruptible)
            .map_err(park_error)?;
        if key == MAIN && self.strict.is_on() {
            self.strict.raise();
        }
        if by_deadline {
            return Err(timed_out());
        }
        Ok(())
    }

    /// Marks the current greenlet running again, cancels its wait's timer,
    /// takes its token back out of the source's waiters (the poll took it
    /// out if it woke the greenlet; after a timeout or a kill it is still
    /// there) and ends the wait's claim on the poller. Returns whether the
    /// deadline ended the wait.
    fn io_wait_finish(&self, io: &IoWait) -> bool {
        let key = self.current.get();
        let (token, by_deadline, timer) = {
            let mut entries = self.entries.borrow_mut();
            let e = &mut entries[key];
            // The park's sequence number, which only the park's end changes.
            let token = WakeToken { key, seq: e.seq };
            let (by_deadline, timer) = e.unparked(self.new_seq());
            (token, by_deadline, timer)
        };
        if let Some(t) = timer {
            self.cancel_deadline(t);
        }
        self.driver.with_source(io.key, io.generation, |s| {
            s.remove_waiter(io.dir, token);
        });
        self.driver.add_io_waiter(-1);
        by_deadline
    }
}

#[cold]
fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "sprout: operation timed out")
}

#[cold]
fn not_registered() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "sprout: socket was closed while waiting",
    )
}

#[cold]
fn park_error(e: ParkError) -> io::Error {
    match e {
        ParkError::WouldBlockForever(e) => e.into(),
        ParkError::Interrupted(_) => io::Error::new(io::ErrorKind::Interrupted, e),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::io::{ErrorKind, Write};
    use std::rc::Rc;
    use std::time::{Duration, Instant};

    use mio::net::UnixStream;

    use super::IoWait;
    use crate::hub::with_hub;
    use crate::io::driver::Direction;
    use crate::{spawn, yield_now};

    /// A socket pair whose first end is registered with this thread's hub,
    /// with its read readiness cleared (as after a `WouldBlock`).
    fn registered_pair() -> (UnixStream, UnixStream, IoWait) {
        let (mut a, b) = UnixStream::pair().unwrap();
        let (key, generation) = with_hub(|hub| hub.driver.register(&mut a)).unwrap();
        with_hub(|hub| {
            hub.driver
                .with_source(key, generation, |s| s.readable = false)
        });
        let io = IoWait {
            key,
            generation,
            dir: Direction::Read,
            interruptible: false,
        };
        (a, b, io)
    }

    /// (read waiters of the source, whether the hub counts an I/O waiter).
    fn claims(io: IoWait) -> (usize, bool) {
        with_hub(|hub| {
            let waiters = hub
                .driver
                .with_source(io.key, io.generation, |s| s.waiter_count(Direction::Read))
                .unwrap();
            (waiters, hub.driver.can_wake())
        })
    }

    fn park(io: IoWait, deadline: Option<Instant>) -> std::io::Result<()> {
        with_hub(|hub| hub.park_io(&io, deadline, 0))
    }

    #[test]
    fn a_ready_source_returns_at_once_without_a_switch() {
        let (_a, _b, io) = registered_pair();
        with_hub(|hub| {
            hub.driver
                .with_source(io.key, io.generation, |s| s.readable = true)
        });
        let switches = with_hub(|hub| hub.stats.switches.get());
        spawn(move || park(io, None)).join().unwrap().unwrap();
        // The one switch into the greenlet, none back out before it ended.
        assert_eq!(with_hub(|hub| hub.stats.switches.get()), switches + 1);
        assert_eq!(claims(io), (0, false));
    }

    #[test]
    fn a_woken_wait_returns_ok_and_leaves_no_claim() {
        let (_a, mut b, io) = registered_pair();
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = Rc::clone(&log);
        let waiter = spawn(move || {
            l.borrow_mut().push("parks");
            let r = park(io, None);
            l.borrow_mut().push("woke");
            r
        });
        yield_now();
        assert_eq!(claims(io), (1, true));
        b.write_all(b"x").unwrap();
        log.borrow_mut().push("wrote");
        waiter.join().unwrap().unwrap();
        assert_eq!(*log.borrow(), ["parks", "wrote", "woke"]);
        assert_eq!(claims(io), (0, false));
    }

    #[test]
    fn a_timed_out_wait_says_so_and_leaves_no_claim() {
        let (_a, _b, io) = registered_pair();
        let start = Instant::now();
        let r = spawn(move || park(io, Some(Instant::now() + Duration::from_millis(20))))
            .join()
            .unwrap();
        assert_eq!(r.unwrap_err().kind(), ErrorKind::TimedOut);
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert_eq!(claims(io), (0, false));
        // A deadline already past never parks.
        let err = park(io, Some(Instant::now())).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut);
        assert_eq!(claims(io), (0, false));
    }

    #[test]
    fn a_killed_wait_unwinds_and_leaves_no_claim() {
        let (_a, _b, io) = registered_pair();
        let waiter = spawn(move || park(io, Some(Instant::now() + Duration::from_secs(60))));
        yield_now();
        assert_eq!(claims(io), (1, true));
        waiter.kill();
        assert!(waiter.join().unwrap_err().is_killed());
        assert_eq!(claims(io), (0, false));
        assert!(with_hub(|hub| hub.timers.borrow().is_empty()));
    }

    #[test]
    fn an_interruptible_wait_reports_a_kill_and_leaves_no_claim() {
        let (_a, _b, io) = registered_pair();
        let got = Rc::new(RefCell::new(None));
        let g = Rc::clone(&got);
        let waiter = spawn(move || {
            let r = park(
                IoWait {
                    interruptible: true,
                    ..io
                },
                None,
            );
            *g.borrow_mut() = Some(r.map_err(|e| e.kind()));
            // The kill stays pending and unwinds at the next park.
            yield_now();
            unreachable!("the pending kill unwinds the yield");
        });
        yield_now();
        waiter.kill();
        assert!(waiter.join().unwrap_err().is_killed());
        assert_eq!(*got.borrow(), Some(Err(ErrorKind::Interrupted)));
        assert_eq!(claims(io), (0, false));
    }
}
