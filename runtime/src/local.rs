//! Greenlet-local storage: one value per greenlet, like `thread_local!` is
//! one value per thread.
//!
//! Values live in a per-thread map keyed by greenlet id (ids are never
//! reused within a hub, so a new greenlet never sees an old one's value).
//! A greenlet's values are dropped when it ends, on the greenlet's own
//! stack, before anyone joining it wakes (also when it is killed: as it
//! unwinds). As a safety net the map is also swept whenever it has doubled
//! in size since the last sweep, dropping the values of greenlets that are
//! no longer alive. The main greenlet's values live until the thread exits.

use std::any::Any;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::rc::Rc;

use crate::hub::with_hub;

/// A key for greenlet-local values, declared as a `static`:
///
/// ```
/// use std::cell::Cell;
/// use sprout_runtime::local::GreenletLocal;
///
/// static REQUEST_ID: GreenletLocal<Cell<u32>> = GreenletLocal::new(|| Cell::new(0));
///
/// let handles: Vec<_> = (1..=3)
///     .map(|n| {
///         sprout_runtime::spawn(move || {
///             REQUEST_ID.with(|id| id.set(n));
///             sprout_runtime::yield_now(); // the others set theirs meanwhile
///             REQUEST_ID.with(Cell::get)
///         })
///     })
///     .collect();
/// let seen: Vec<u32> = sprout_runtime::joinall(handles).into_iter().map(Result::unwrap).collect();
/// assert_eq!(seen, [1, 2, 3]);
/// assert_eq!(REQUEST_ID.with(Cell::get), 0); // main's own value
/// ```
///
/// Like `std::thread::LocalKey`, the key itself is shared (a `static`), but
/// each value belongs to one greenlet of one thread and is never sent
/// anywhere.
pub struct GreenletLocal<T: 'static> {
    init: fn() -> T,
}

impl<T: 'static> fmt::Debug for GreenletLocal<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GreenletLocal").finish_non_exhaustive()
    }
}

/// The values of one greenlet: (key address, value).
type Values = Vec<(usize, Rc<dyn Any>)>;

#[derive(Default)]
struct Locals {
    by_greenlet: HashMap<u64, Values>,
    /// Sweep dead greenlets' values when this many greenlets have values.
    sweep_at: usize,
}

thread_local! {
    static LOCALS: RefCell<Locals> = RefCell::new(Locals::default());
}

const MIN_SWEEP: usize = 64;

fn current_id() -> u64 {
    with_hub(|hub| hub.current_info().0)
}

impl<T: 'static> GreenletLocal<T> {
    /// A key whose value starts, in each greenlet, as `init()`.
    pub const fn new(init: fn() -> T) -> Self {
        GreenletLocal { init }
    }

    fn addr(&'static self) -> usize {
        self as *const Self as usize
    }

    fn lookup(&'static self, id: u64) -> Option<Rc<dyn Any>> {
        let key = self.addr();
        LOCALS.with(|l| {
            l.borrow().by_greenlet.get(&id).and_then(|vals| {
                vals.iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| Rc::clone(v))
            })
        })
    }

    fn insert(&'static self, id: u64, value: Rc<dyn Any>) -> Option<Rc<dyn Any>> {
        maybe_sweep();
        let key = self.addr();
        LOCALS.with(|l| {
            let mut l = l.borrow_mut();
            let vals = l.by_greenlet.entry(id).or_default();
            match vals.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => Some(std::mem::replace(v, value)),
                None => {
                    vals.push((key, value));
                    None
                }
            }
        })
    }

    /// Runs `f` with the current greenlet's value, creating it with the
    /// initializer on first use. Never blocks (unless `f` does).
    pub fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        let id = current_id();
        let value = match self.lookup(id) {
            Some(v) => v,
            None => {
                let v: Rc<dyn Any> = Rc::new((self.init)());
                self.insert(id, Rc::clone(&v));
                v
            }
        };
        f(value
            .downcast_ref::<T>()
            .expect("a GreenletLocal's values have its type"))
    }

    /// Sets the current greenlet's value, dropping the old one.
    pub fn set(&'static self, value: T) {
        let old = self.insert(current_id(), Rc::new(value));
        drop(old);
    }

    /// Takes the current greenlet's value out, if it has one; the next
    /// access starts again from the initializer.
    ///
    /// # Panics
    ///
    /// Panics if called inside [`with`](Self::with) on the same key.
    pub fn take(&'static self) -> Option<T> {
        let id = current_id();
        let key = self.addr();
        let value = LOCALS.with(|l| {
            let mut l = l.borrow_mut();
            let vals = l.by_greenlet.get_mut(&id)?;
            let i = vals.iter().position(|(k, _)| *k == key)?;
            let (_, v) = vals.swap_remove(i);
            if vals.is_empty() {
                l.by_greenlet.remove(&id);
            }
            Some(v)
        })?;
        let value = value
            .downcast::<T>()
            .unwrap_or_else(|_| unreachable!("a GreenletLocal's values have its type"));
        Some(Rc::try_unwrap(value).unwrap_or_else(|_| {
            panic!("GreenletLocal::take called inside `with` on the same key: the value is in use")
        }))
    }

    /// Whether the current greenlet has a value (set, or created by
    /// [`with`](Self::with)).
    pub fn is_set(&'static self) -> bool {
        self.lookup(current_id()).is_some()
    }
}

/// Drops every local value of greenlet `id`. Called when a greenlet ends
/// (the hub's "greenlet finished" hook, and pool members' last act).
pub(crate) fn greenlet_ended(id: u64) {
    let values = LOCALS
        .try_with(|l| l.borrow_mut().by_greenlet.remove(&id))
        .ok()
        .flatten();
    // Dropped outside the borrow: a value's destructor may use locals.
    drop(values);
}

/// Drops the locals of greenlet `id`, if any greenlet has locals at all
/// (one thread-local check otherwise). The hub calls it on the greenlet's
/// own stack as its body ends, before joiners wake.
pub(crate) fn greenlet_ended_if_any(id: u64) {
    let any = LOCALS
        .try_with(|l| !l.borrow().by_greenlet.is_empty())
        .unwrap_or(false);
    if any {
        greenlet_ended(id);
    }
}

/// Drops the running greenlet's locals when dropped; pool and group members
/// create one as the first thing in their body, so it drops on the member's
/// own stack as it ends.
pub(crate) struct ClearOnExit;

impl Drop for ClearOnExit {
    fn drop(&mut self) {
        let any = LOCALS
            .try_with(|l| !l.borrow().by_greenlet.is_empty())
            .unwrap_or(false);
        if any {
            greenlet_ended(current_id());
        }
    }
}

/// Drops the values of greenlets that ended, once the map doubled since the
/// last sweep (amortised O(1) per insert).
fn maybe_sweep() {
    let due = LOCALS.with(|l| {
        let l = l.borrow();
        l.by_greenlet.len() >= l.sweep_at.max(MIN_SWEEP)
    });
    if !due {
        return;
    }
    let mut alive = HashSet::new();
    with_hub(|hub| {
        hub.for_each_entry(|_, e| {
            alive.insert(e.id);
        })
    });
    let dead: Vec<Values> = LOCALS.with(|l| {
        let mut l = l.borrow_mut();
        let ids: Vec<u64> = l
            .by_greenlet
            .keys()
            .copied()
            .filter(|id| !alive.contains(id))
            .collect();
        let dead = ids
            .iter()
            .filter_map(|id| l.by_greenlet.remove(id))
            .collect();
        l.sweep_at = (l.by_greenlet.len() * 2).max(MIN_SWEEP);
        dead
    });
    drop(dead);
}
