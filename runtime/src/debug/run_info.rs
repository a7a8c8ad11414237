use std::fmt;
use std::panic::Location;
use std::time::Instant;

use crate::hub::{State, with_hub};

/// What a greenlet is doing, as seen by [`run_info`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GreenletState {
    /// Spawned, not started yet.
    NotStarted,
    /// In the run queue.
    Ready,
    /// Executing now (the caller of `run_info`, or main running the hub).
    Running,
    /// Waiting for a socket to become ready.
    WaitingIo,
    /// In `sleep` (or a delayed start).
    Sleeping,
    /// Waiting on a greenlet, primitive or queue.
    Waiting,
}

/// One greenlet in a [`RunInfo`].
#[derive(Debug, Clone)]
pub struct GreenletInfo {
    id: u64,
    name: Option<String>,
    location: &'static Location<'static>,
    state: GreenletState,
    waiting_on: &'static str,
    deadline: Option<Instant>,
}

impl GreenletInfo {
    /// Its id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Its name.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Where it was spawned.
    pub fn location(&self) -> &'static Location<'static> {
        self.location
    }

    /// Its state.
    pub fn state(&self) -> GreenletState {
        self.state
    }

    /// The blocking call it is suspended in ("" when not waiting).
    pub fn waiting_on(&self) -> &'static str {
        self.waiting_on
    }

    /// When its current wait times out, if it has a deadline.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }
}

/// A snapshot of a hub: every live greenlet and the hub's counters.
#[derive(Debug, Clone)]
pub struct RunInfo {
    greenlets: Vec<GreenletInfo>,
    stats: crate::hub::Stats,
    registered_sources: usize,
    pending_timers: usize,
    taken_at: Instant,
}

impl RunInfo {
    /// Every live greenlet, the main greenlet first.
    pub fn greenlets(&self) -> &[GreenletInfo] {
        &self.greenlets
    }

    /// The hub's counters.
    pub fn stats(&self) -> &crate::hub::Stats {
        &self.stats
    }

    /// I/O sources registered with the hub.
    pub fn registered_sources(&self) -> usize {
        self.registered_sources
    }

    /// Timers pending in the hub.
    pub fn pending_timers(&self) -> usize {
        self.pending_timers
    }
}

impl fmt::Display for RunInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "hub: {} greenlet(s); spawned {}, finished {}, switches {}, loop turns {}, \
             {} registered source(s), {} pending timer(s)",
            self.greenlets.len(),
            self.stats.spawned(),
            self.stats.finished(),
            self.stats.switches(),
            self.stats.turns(),
            self.registered_sources,
            self.pending_timers
        )?;
        for g in &self.greenlets {
            write!(
                f,
                "  #{} {:<16} {:?}",
                g.id,
                g.name.as_deref().unwrap_or("-"),
                g.state
            )?;
            if !g.waiting_on.is_empty() {
                write!(f, " in {}", g.waiting_on)?;
            }
            if let Some(d) = g.deadline {
                write!(
                    f,
                    " (deadline in {:?})",
                    d.saturating_duration_since(self.taken_at)
                )?;
            }
            writeln!(f, " spawned at {}", g.location)?;
        }
        Ok(())
    }
}

/// Takes a snapshot of this thread's hub. Never blocks.
pub fn run_info() -> RunInfo {
    with_hub(|hub| {
        let mut greenlets = Vec::with_capacity(hub.live() + 1);
        let current = hub.current_key();
        hub.for_each_entry(|key, e| {
            let state = if key == current {
                GreenletState::Running
            } else if e.not_started() && e.state != State::Parked {
                GreenletState::NotStarted
            } else {
                match e.state {
                    State::Ready => GreenletState::Ready,
                    State::Running => GreenletState::Running,
                    State::Parked if e.waiting_on.contains("socket") => GreenletState::WaitingIo,
                    State::Parked if e.waiting_on == "sleep" || e.waiting_on == "spawn_later" => {
                        GreenletState::Sleeping
                    }
                    State::Parked => GreenletState::Waiting,
                }
            };
            greenlets.push(GreenletInfo {
                id: e.id,
                name: e.name.as_deref().map(String::from),
                location: e.location,
                state,
                waiting_on: e.waiting_on,
                deadline: e.park_timer.map(|t| t.deadline()),
            });
        });
        RunInfo {
            greenlets,
            stats: hub.stats.clone(),
            registered_sources: hub.driver.registered(),
            pending_timers: hub.pending_timers(),
            taken_at: Instant::now(),
        }
    })
}
