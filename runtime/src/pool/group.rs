//! `Group`: a set of greenlets joined and killed together.

use std::fmt;

use super::members::Members;

/// A set of greenlets to join, kill or map over together (gevent's
/// `Group`). It has no size limit: see [`Pool`](super::Pool) for one.
///
/// ```
/// use sprout_runtime::pool::Group;
///
/// let group = Group::new();
/// let squares = group.map(|n: u64| n * n, 1..=4);
/// let squares: Vec<u64> = squares.into_iter().map(Result::unwrap).collect();
/// assert_eq!(squares, [1, 4, 9, 16]);
/// group.spawn(|| sprout_runtime::sleep(std::time::Duration::from_millis(5)));
/// group.join();
/// assert!(group.is_empty());
/// ```
///
/// A group belongs to the hub of its thread, so it is not `Send`:
///
/// ```compile_fail,E0277
/// let group = sprout_runtime::pool::Group::new();
/// std::thread::spawn(move || group.join());
/// ```
pub struct Group {
    members: Members,
}

impl Group {
    /// An empty group.
    pub fn new() -> Self {
        Group {
            members: Members::new(None),
        }
    }

    group_methods!("Group");
}

impl Default for Group {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group").field("len", &self.len()).finish()
    }
}
