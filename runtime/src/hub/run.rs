//! The loop: running ready greenlets, polling for I/O, firing timers, and
//! tearing the hub down at thread exit.

use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use corosensei::CoroutineResult;

use super::prefetch;
use super::run_queue::Ready;
use super::{
    Coro, EVENT_INTERVAL, Entry, GreenYielder, Hub, MAIN, State, TimerAction, WakeToken,
    WouldBlockForever, with_hub,
};
use crate::greenlet::overflow;
use crate::greenlet::stack::StackCoro;

/// Forks this process has gone through (counted in the child).
pub(super) static FORKS: AtomicU64 = AtomicU64::new(0);

extern "C" fn count_fork_in_child() {
    FORKS.fetch_add(1, Ordering::Relaxed);
}

/// Registers the fork counter once per process.
pub(super) fn watch_forks() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: registers a plain function with no preconditions; it only
        // touches an atomic, which is async-signal-safe as pthread_atfork
        // child handlers must be.
        unsafe { libc::pthread_atfork(None, None, Some(count_fork_in_child)) };
    });
}

/// Where a greenlet's coroutine is (at its stack's base), 0 before it runs.
#[inline(always)]
fn coro_addr(e: &Entry) -> usize {
    e.coroutine.as_ref().map_or(0, |c| c.as_ptr().addr())
}

/// What a popped run-queue item turned out to be.
enum Next {
    Stale,
    Main,
    Run(*mut Coro, usize, u64),
}

impl Hub {
    // ===== the loop =====

    /// Runs the loop on the main greenlet's stack until the main greenlet is
    /// popped from the run queue.
    pub(super) fn run_until_main_ready(&self) -> Result<(), ()> {
        loop {
            let mut budget = EVENT_INTERVAL;
            while budget > 0 {
                let (r, crowded) = {
                    let mut q = self.run_queue.borrow_mut();
                    let Some(r) = q.pop() else {
                        break;
                    };
                    (r, q.len() >= prefetch::MIN_READY)
                };
                let (coro, top, id) = match self.prepare(r) {
                    Next::Stale => continue,
                    Next::Main => return Ok(()),
                    Next::Run(coro, top, id) => (coro, top, id),
                };
                if crowded {
                    self.prefetch_next();
                }
                self.switch_into(r.key, coro, top, id);
                budget -= 1;
            }
            self.turn().map_err(|_| ())?;
        }
    }

    /// With many greenlets ready, their stacks no longer stay in the CPU's
    /// caches between runs: each one's resume would stall on a dozen cache
    /// misses in a row. Asking for the next one's stack lines (and its
    /// coroutine and the socket it waited on) before switching into the
    /// current one overlaps those misses with the current one's run.
    ///
    /// With thousands of stacks the TLB no longer holds their pages either,
    /// and a request for a page whose walk is under way waits for the walk,
    /// stalling the hub (at 10,000 connections that wait had been most of
    /// this function's time, perf's cpu-clock profile showed). So every
    /// [`WALK_BATCH`](prefetch::WALK_BATCH) switches, the hub asks for one
    /// line on each stack page of the next batch of greenlets behind the
    /// next one ([`prefetch::stack_pages`]), whose walks then overlap, and
    /// by the time a greenlet is the next one its walks are done. Where
    /// those pages are is in the greenlets' entries, whose first lines are
    /// asked for one batch earlier still. Out of line: it runs only with
    /// many greenlets ready, and inlined it would crowd the loop's
    /// registers for the common case.
    #[inline(never)]
    fn prefetch_next(&self) {
        use prefetch::WALK_BATCH;
        let q = self.run_queue.borrow();
        let entries = self.entries.borrow();
        if self.stats.switches.get().is_multiple_of(WALK_BATCH as u64) {
            // Behind the next one: this batch's pages, the next batch's
            // entries (this batch once the hub has run `WALK_BATCH` more).
            for i in 1 + WALK_BATCH..1 + 2 * WALK_BATCH {
                if let Some(r) = q.peek_nth(i) {
                    prefetch::line_of(prefetch::slab_slot(&entries, r.key));
                }
            }
            for i in 1..1 + WALK_BATCH {
                if let Some(r) = q.peek_nth(i)
                    && let Some(e) = entries.get(r.key)
                {
                    prefetch::stack_pages(e.park_sp, coro_addr(e));
                }
            }
        }
        if let Some(next) = q.peek()
            && let Some(e) = entries.get(next.key)
        {
            // The entry's second line is what the greenlet's park left
            // behind.
            prefetch::line_of(std::ptr::from_ref(e).addr() + prefetch::LINE);
            prefetch::stack(e.park_sp, coro_addr(e));
            prefetch::object(e.park_hints.object);
            prefetch::line_of(e.park_hints.line);
        }
    }

    /// One poll of the io driver plus expired timers.
    pub(super) fn turn(&self) -> Result<(), WouldBlockForever> {
        self.stats.turns.set(self.stats.turns.get() + 1);
        self.check_fork();
        let timeout = if !self.run_queue.borrow().is_empty() {
            // Greenlets are ready: look for I/O without waiting, and only
            // when a greenlet waits on I/O or cross-thread work. Otherwise
            // nothing the poll could report would wake anyone (edge events
            // stay queued in the kernel for the next poll), and skipping the
            // system call keeps CPU-bound switching free of it.
            if self.driver.can_wake() {
                Some(Duration::ZERO)
            } else {
                self.fire_timers();
                return Ok(());
            }
        } else if !self.idle_waiters.borrow().is_empty() {
            let waiters = std::mem::take(&mut *self.idle_waiters.borrow_mut());
            for t in waiters {
                self.wake(t);
            }
            return Ok(());
        } else {
            match self.timers.borrow().next_deadline() {
                Some(d) => Some(d.saturating_duration_since(Instant::now())),
                None if self.driver.can_wake() => None,
                None => return Err(WouldBlockForever { call: "hub" }),
            }
        };
        self.driver.poll(timeout, |tokens| self.wake_all(tokens))?;
        self.fire_timers();
        Ok(())
    }

    /// Wakes the greenlets of a poll's `tokens` in order. With thousands of
    /// greenlets their entries are not cached, so each wake-up asks for the
    /// entry [`AHEAD`](prefetch::AHEAD) tokens later.
    fn wake_all(&self, tokens: &[WakeToken]) {
        for (i, &t) in tokens.iter().enumerate() {
            if let Some(later) = tokens.get(i + prefetch::AHEAD) {
                prefetch::line_of(prefetch::slab_slot(&self.entries.borrow(), later.key));
            }
            self.wake(t);
        }
    }

    /// Fires the timers that have expired, against a clock read once.
    fn fire_timers(&self) {
        if self.timers.borrow().is_empty() {
            return;
        }
        let now = Instant::now();
        loop {
            let Some((_, action)) = self.timers.borrow_mut().pop_expired(now) else {
                break;
            };
            match action {
                TimerAction::Deadline(t) => self.wake_inner(t, true),
                TimerAction::Start(t) => {
                    if let Some(e) = self.entries.borrow_mut().get_mut(t.key) {
                        e.park_timer = None;
                        e.waiting_on = "";
                    }
                    self.wake(t);
                }
                TimerAction::Timeout {
                    key,
                    id,
                    tid,
                    depth,
                    in_unwind,
                } => self.fire_timeout(key, id, tid, depth, in_unwind),
            }
        }
    }

    /// Refuses to run a hub in a forked child: the child shares the
    /// parent's epoll set. One atomic load per turn; `getpid` only after a
    /// fork happened.
    pub(super) fn check_fork(&self) {
        if FORKS.load(Ordering::Relaxed) != self.forks_at_creation {
            panic!(
                "sprout: this hub was created by process {} and is being used after fork() in \
                 process {}; the child shares the parent's epoll set, so it cannot run the \
                 parent's hub: start greenlets in the child only from a fresh thread, or exec",
                self.pid,
                std::process::id()
            );
        }
    }

    /// Checks a run-queue item and readies its greenlet to run.
    #[inline(always)]
    fn prepare(&self, r: Ready) -> Next {
        let mut entries = self.entries.borrow_mut();
        let Some(e) = entries.get_mut(r.key) else {
            return Next::Stale;
        };
        if e.seq != r.seq || e.state != State::Ready {
            return Next::Stale; // it parked again, finished, or the slot was reused
        }
        e.state = State::Running;
        if r.key == MAIN {
            return Next::Main;
        }
        if e.coroutine.is_none() {
            self.start_coroutine(r.key, e);
        }
        self.current_yielder.set(e.yielder);
        let coro = e
            .coroutine
            .as_ref()
            .expect("a started greenlet has a coroutine")
            .as_ptr();
        Next::Run(coro, e.stack_top, e.id)
    }

    /// Makes the coroutine of a greenlet about to run for the first time.
    fn start_coroutine(&self, key: usize, e: &mut Entry) {
        let start = e
            .start
            .take()
            .expect("a ready greenlet has a body or a coroutine");
        let reserved = e
            .stack
            .take()
            .expect("an unstarted greenlet owns its stack");
        let mut stack = self.stacks.borrow_mut().prefer_warm(reserved);
        stack.write_header(e.id, e.name.as_deref());
        e.stack_top = stack.top();
        e.completion = None;
        e.coroutine = Some(StackCoro::new(stack, move |y: &GreenYielder, ()| {
            with_hub(|hub| {
                hub.current_yielder.set(y);
                hub.entries.borrow_mut()[key].yielder = y;
            });
            start();
        }));
    }

    /// Switches into greenlet `key` (whose coroutine is `coro`) and
    /// back; removes the greenlet if it returned.
    #[inline(always)]
    fn switch_into(&self, key: usize, coro: *mut Coro, top: usize, id: u64) {
        if self.monitored.get()
            && let Some(m) = self.monitor.borrow().as_ref()
        {
            m.enter(id);
        }
        self.current.set(key);
        overflow::set_running(top);
        self.stats.switches.set(self.stats.switches.get() + 1);
        // SAFETY: `coro` is the coroutine of entry `key`, kept at the top of
        // the greenlet's stack by its `StackCoro`, so it stays put even if
        // the slab reallocates. It is neither dropped nor otherwise accessed
        // while the greenlet runs: entries of started greenlets are only
        // removed below, after `resume` returns (kills of started greenlets
        // unwind them instead, and shutdown runs on the main stack, never
        // inside a greenlet).
        let result = unsafe { (*coro).resume(()) };
        overflow::set_running(0);
        self.current.set(MAIN);
        if self.monitored.get()
            && let Some(m) = self.monitor.borrow().as_ref()
        {
            m.leave();
            if matches!(result, CoroutineResult::Return(())) {
                m.finished(id);
            }
        }
        if let CoroutineResult::Return(()) = result {
            let mut entry = self.entries.borrow_mut().remove(key);
            self.forget_interrupts(&entry);
            let coro = entry
                .coroutine
                .take()
                .expect("a finished greenlet had a coroutine");
            self.stacks.borrow_mut().give(coro.into_stack());
            self.stats.finished.set(self.stats.finished.get() + 1);
            drop(entry);
        }
    }

    // ===== shutdown =====

    /// Kills every greenlet left when the thread exits, so their destructors
    /// run. A greenlet that survives several kills is forgotten.
    pub(super) fn shutdown(&self) {
        for _round in 0..8 {
            let victims: Vec<(usize, u64)> = self
                .entries
                .borrow()
                .iter()
                .filter(|(k, _)| *k != MAIN)
                .map(|(k, e)| (k, e.id))
                .collect();
            if victims.is_empty() {
                break;
            }
            for (key, id) in victims {
                if let Ok(Some(killed)) = self.request_kill(key, id) {
                    drop(killed.start);
                    if let Some(c) = killed.completion {
                        c.complete_killed();
                    }
                }
            }
            // Let the killed greenlets unwind; never block on I/O here.
            let mut guard = 0;
            while guard < 100_000 {
                let Some(r) = self.run_queue.borrow_mut().pop() else {
                    break;
                };
                guard += 1;
                if r.key != MAIN
                    && let Next::Run(coro, top, id) = self.prepare(r)
                {
                    self.switch_into(r.key, coro, top, id);
                }
            }
        }
        // Whatever could not be unwound is leaked: dropping a suspended
        // coroutine would resume it.
        let leftovers: Vec<Entry> = {
            let mut entries = self.entries.borrow_mut();
            let keys: Vec<usize> = entries
                .iter()
                .map(|(k, _)| k)
                .filter(|k| *k != MAIN)
                .collect();
            keys.into_iter().map(|k| entries.remove(k)).collect()
        };
        if !leftovers.is_empty() {
            log::warn!(
                "sprout: {} greenlet(s) ignored kill at thread exit and were leaked",
                leftovers.len()
            );
        }
        for mut e in leftovers {
            if let Some(c) = e.coroutine.take() {
                std::mem::forget(c);
            }
            std::mem::forget(e);
        }
        let _ = self.timers.borrow_mut().drain();
    }
}
