//! The blocking monitor: a watchdog thread that notices a greenlet holding
//! the hub too long.

use std::collections::HashMap;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::hub::with_hub;

/// How many reports a hub keeps for [`blocking_reports`].
const KEEP_REPORTS: usize = 64;

/// One incident: a greenlet ran without yielding for longer than the
/// threshold.
#[derive(Debug, Clone)]
pub struct BlockingReport {
    /// Id of the greenlet.
    pub id: u64,
    /// Its name, if it has one.
    pub name: Option<String>,
    /// Where it was spawned.
    pub location: &'static Location<'static>,
    /// How long it had held the hub when reported.
    pub held_for: Duration,
}

impl std::fmt::Display for BlockingReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sprout: greenlet {} ({}) spawned at {} has held the hub for {:?} without yielding",
            self.id,
            self.name.as_deref().unwrap_or("unnamed"),
            self.location,
            self.held_for
        )
    }
}

/// State shared between a hub and its watchdog thread.
#[derive(Debug)]
struct Shared {
    threshold: Duration,
    /// Bumped on every switch into or out of a greenlet.
    epoch: AtomicU64,
    /// Id of the greenlet running now; 0 while the hub itself runs.
    running: AtomicU64,
    names: Mutex<HashMap<u64, (Option<String>, &'static Location<'static>)>>,
    reports: Mutex<Vec<BlockingReport>>,
    stop: AtomicBool,
}

/// The hub's handle on its watchdog.
#[derive(Debug)]
pub(crate) struct Monitor {
    shared: Arc<Shared>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Monitor {
    pub(crate) fn start(threshold: Duration) -> std::io::Result<Monitor> {
        let shared = Arc::new(Shared {
            threshold,
            epoch: AtomicU64::new(0),
            running: AtomicU64::new(0),
            names: Mutex::new(HashMap::new()),
            reports: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let watched = Arc::clone(&shared);
        let thread = thread::Builder::new()
            .name("sprout-monitor".into())
            .spawn(move || watch(&watched))?;
        Ok(Monitor {
            shared,
            thread: Some(thread),
        })
    }

    /// From the threshold in `SPROUT_MAX_BLOCKING_MS`, if set.
    pub(crate) fn from_env() -> Option<Monitor> {
        let ms: u64 = std::env::var("SPROUT_MAX_BLOCKING_MS")
            .ok()?
            .trim()
            .parse()
            .ok()?;
        match Monitor::start(Duration::from_millis(ms)) {
            Ok(m) => Some(m),
            Err(e) => {
                log::warn!("sprout: cannot start the blocking monitor: {e}");
                None
            }
        }
    }

    #[inline]
    pub(crate) fn enter(&self, id: u64) {
        self.shared.running.store(id, Ordering::Relaxed);
        self.shared.epoch.fetch_add(1, Ordering::Release);
    }

    #[inline]
    pub(crate) fn leave(&self) {
        self.shared.running.store(0, Ordering::Relaxed);
        self.shared.epoch.fetch_add(1, Ordering::Release);
    }

    pub(crate) fn spawned(
        &self,
        id: u64,
        name: Option<&str>,
        location: &'static Location<'static>,
    ) {
        lock(&self.shared.names).insert(id, (name.map(String::from), location));
    }

    pub(crate) fn finished(&self, id: u64) {
        lock(&self.shared.names).remove(&id);
    }

    fn reports(&self) -> Vec<BlockingReport> {
        lock(&self.shared.reports).clone()
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn watch(shared: &Shared) {
    let tick = (shared.threshold / 4).clamp(Duration::from_millis(1), Duration::from_millis(250));
    let mut last_epoch = shared.epoch.load(Ordering::Acquire);
    let mut since = Instant::now();
    let mut reported_epoch = None;
    while !shared.stop.load(Ordering::Relaxed) {
        thread::park_timeout(tick);
        let epoch = shared.epoch.load(Ordering::Acquire);
        let running = shared.running.load(Ordering::Relaxed);
        if epoch != last_epoch || running == 0 {
            last_epoch = epoch;
            since = Instant::now();
            continue;
        }
        let held = since.elapsed();
        if held >= shared.threshold && reported_epoch != Some(epoch) {
            reported_epoch = Some(epoch);
            let (name, location) = lock(&shared.names)
                .get(&running)
                .cloned()
                .unwrap_or((None, Location::caller()));
            let report = BlockingReport {
                id: running,
                name,
                location,
                held_for: held,
            };
            log::warn!("{report}");
            let mut reports = lock(&shared.reports);
            if reports.len() == KEEP_REPORTS {
                reports.remove(0);
            }
            reports.push(report);
        }
    }
}

/// Starts the blocking monitor of this thread's hub: a watchdog thread
/// reports (through `log::warn!` and [`blocking_reports`]) any greenlet that
/// runs longer than `threshold` without yielding to the hub, once per
/// incident. The main greenlet is not watched. Calling it again replaces
/// the threshold.
///
/// The `SPROUT_MAX_BLOCKING_MS` environment variable does the same for
/// every hub when it is created.
///
/// # Errors
///
/// When the watchdog thread cannot be started.
pub fn set_max_blocking(threshold: Duration) -> std::io::Result<()> {
    let monitor = Monitor::start(threshold)?;
    with_hub(|hub| hub.set_monitor(monitor));
    Ok(())
}

/// The incidents the blocking monitor of this thread's hub found (the last
/// 64), oldest first. Empty when the monitor is off.
pub fn blocking_reports() -> Vec<BlockingReport> {
    with_hub(|hub| hub.with_monitor(Monitor::reports).unwrap_or_default())
}
