//! `Builder`: spawn with a name or stack size, mirroring `std::thread::Builder`.

use std::io;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::error::JoinError;
use super::handle::{JoinHandle, Packet};
use super::id::GreenletId;
use crate::hub::{SpawnSpec, with_hub};

/// Configures a greenlet before spawning it.
///
/// ```
/// let handle = sprout_runtime::Builder::new()
///     .name("worker".into())
///     .stack_size(64 * 1024)
///     .spawn(|| sprout_runtime::current().name().map(String::from))?;
/// assert_eq!(handle.join().unwrap().as_deref(), Some("worker"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct Builder {
    name: Option<String>,
    stack_size: Option<usize>,
}

impl Builder {
    /// A builder with no name and the hub's default stack size.
    pub fn new() -> Self {
        Self::default()
    }

    /// Names the greenlet (shown in diagnostics and the stack-overflow
    /// message).
    pub fn name(mut self, name: String) -> Self {
        self.name = Some(name);
        self
    }

    /// Usable stack size in bytes (rounded up to whole pages; at least
    /// 16 KiB). A guard page is added below it.
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// Spawns `f` as a new greenlet on this thread's hub. It starts the next
    /// time the hub runs (when the current greenlet blocks or yields).
    ///
    /// # Errors
    ///
    /// When no stack can be allocated, for example because the process hit
    /// the kernel's `vm.max_map_count`: the error says so and how to raise it.
    #[track_caller]
    pub fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + 'static,
        T: 'static,
    {
        self.spawn_at(None, f, Location::caller())
    }

    /// Like [`spawn`](Self::spawn), but the greenlet starts only after
    /// `delay` (gevent's `spawn_later`). Killed before then, it never runs.
    ///
    /// # Errors
    ///
    /// As for [`spawn`](Self::spawn).
    #[track_caller]
    pub fn spawn_later<F, T>(self, delay: Duration, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + 'static,
        T: 'static,
    {
        self.spawn_at(Some(Instant::now() + delay), f, Location::caller())
    }

    fn spawn_at<F, T>(
        self,
        start_at: Option<Instant>,
        f: F,
        location: &'static Location<'static>,
    ) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + 'static,
        T: 'static,
    {
        let name: Option<Rc<str>> = self.name.map(Rc::from);
        with_hub(|hub| {
            let id = hub.next_greenlet_id();
            let packet = Rc::new(Packet::new(GreenletId::new(id), name.clone()));
            let body_packet = Rc::clone(&packet);
            let body = Box::new(move || {
                let mut outcome = match catch_unwind(AssertUnwindSafe(f)) {
                    Ok(v) => Ok(v),
                    Err(payload) => Err(JoinError::from_payload(payload)),
                };
                // Greenlet-local values are dropped on the greenlet's own
                // stack, before anyone joining it wakes.
                if let Err(payload) = catch_unwind(|| crate::local::greenlet_ended_if_any(id))
                    && outcome.is_ok()
                {
                    outcome = Err(JoinError::from_payload(payload));
                }
                body_packet.complete(outcome);
            });
            let key = hub.spawn(SpawnSpec {
                start: body,
                completion: packet.clone(),
                name,
                stack_size: self.stack_size,
                location,
                start_at,
                id,
            })?;
            Ok(JoinHandle { key, packet })
        })
    }
}
