//! How many greenlet stacks the kernel's memory-mapping limit allows.
//!
//! Each guard-paged stack needs its guard page. Where the kernel has
//! `madvise(MADV_GUARD_INSTALL)` (Linux 6.13+) sprout installs guards in
//! place, so a chunk of stacks (32 of the default size) is one mapping and `vm.max_map_count`
//! stops mattering (memory does). On older kernels each guard costs an
//! `mprotect` that splits the mapping: two mappings per stack, so the
//! default limit of 65530 caps a process near 32,000 greenlets. Raising the
//! limit is the fix there (`sysctl -w vm.max_map_count=...`); giving up the
//! guard page would make stack overflows silent memory corruption, which
//! sprout does not offer.

use std::fmt;

use crate::greenlet::stack;
use crate::hub::with_hub;

/// Below this many possible greenlets a hub warns with its first stacks.
const WARN_BELOW: usize = 100_000;

/// What [`stack_capacity`] found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StackCapacity {
    /// The kernel's `vm.max_map_count`.
    pub max_map_count: usize,
    /// Mappings the process uses now.
    pub mappings_in_use: usize,
    /// Kernel mappings one more stack of the default size costs: `1/32`
    /// (for stacks up to 256 KiB) with in-place guards, `2` with `mprotect`
    /// guards.
    pub mappings_per_stack: f64,
    /// How many more greenlets (stacks) fit under the limit.
    pub more_greenlets: usize,
}

impl fmt::Display for StackCapacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "vm.max_map_count is {}, {} mappings in use, {} mapping(s) per greenlet stack: room for about {} more greenlets",
            self.max_map_count, self.mappings_in_use, self.mappings_per_stack, self.more_greenlets
        )
    }
}

/// Measures how many more greenlet stacks fit under the kernel's
/// memory-mapping limit (reads `/proc`; not for hot paths). `None` when
/// `/proc` cannot be read.
pub fn stack_capacity() -> Option<StackCapacity> {
    // The guard mode is settled by the first chunk of stacks.
    let size = with_hub(|hub| {
        hub.prime_stacks();
        hub.default_stack_size()
    });
    measure(stack::slot_len_for(size).map_or(1, stack::slots_per_chunk))
}

/// `per_chunk`: stacks per chunk mapping of the size in question.
fn measure(per_chunk: usize) -> Option<StackCapacity> {
    let max_map_count = stack::max_map_count()?;
    let mappings_in_use = stack::mappings_in_use()?;
    let mappings_per_stack = match stack::guards_in_place() {
        Some(false) => 2.0,
        _ => 1.0 / per_chunk as f64,
    };
    let free = max_map_count.saturating_sub(mappings_in_use) as f64;
    Some(StackCapacity {
        max_map_count,
        mappings_in_use,
        mappings_per_stack,
        more_greenlets: (free / mappings_per_stack) as usize,
    })
}

/// The check when a hub makes its first chunk of stacks (its first spawn):
/// warn when the mapping limit leaves room for few greenlets. Touches only
/// `/proc`, never the hub, so the stack pool may call it.
pub(crate) fn check_first_stacks() {
    if stack::guards_in_place() != Some(false) {
        return; // in-place guards: the limit is no concern
    }
    // With `mprotect` guards every stack costs two mappings, whatever the
    // chunk holds.
    if let Some(c) = measure(1)
        && c.more_greenlets < WARN_BELOW
    {
        log::warn!(
            "sprout: {c}; raise the limit with `sysctl -w vm.max_map_count={}` to run more",
            (c.max_map_count * 4).max(262_144)
        );
    }
}
