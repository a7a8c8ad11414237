//! Prefetching a parked greenlet's stack before it runs again.
//!
//! A greenlet resumed after a thousand others have run finds its stack
//! lines (the saved registers and the frames between its code and the
//! switch) evicted from the caches, and touches them one after the other.
//! The hub knows which greenlet runs next, so it asks for those lines while
//! the current one runs. Likewise the loops over a poll's events and
//! wake-ups ask for the socket state or entry a few items ahead
//! ([`AHEAD`]) of the one they handle.

use slab::Slab;

use crate::greenlet::stack::CORO_SLOT;

/// Prefetch only when at least this many greenlets are ready: with fewer,
/// their stacks stay cached and the prefetch would be pure overhead.
pub(super) const MIN_READY: usize = 8;

/// Bytes below the marker left by a parking greenlet that its resume
/// touches (the switch's own frames, deeper than the marker).
const BELOW: usize = 192;

/// Bytes above the marker: the frames from the park up to the greenlet's
/// code. In the echo handler of the net benchmark, reading into a 4 KiB
/// buffer on its stack, the buffer begins about 430 bytes above the
/// marker; the lines above it come in as the calls return. A wider window
/// (768 bytes above and 256 below until 2026-12-04) fetched lines no resume
/// touched, and with thousands of greenlets each line fetched pushes
/// another out of the caches: with the narrower one the net benchmark's
/// server served 1.02x as many requests at 10,000 connections, and with
/// the stack colors as well 1.01x at 1,000 (paired runs of 16 rounds,
/// `NET_ECHO_ROUNDS=16 net_echo ab`; standard errors 0.011 and 0.007), the
/// same at 100.
const ABOVE: usize = 448;

/// Bytes under the base of the stack (below the header and the coroutine
/// slot at its top): the coroutine's link to its parent and the greenlet's
/// first frames.
const UNDER_BASE: usize = 128;

/// A cache line of the CPUs the hub is tuned for (and of `Entry`'s layout).
pub(super) const LINE: usize = 64;

/// How many greenlets' stack pages [`stack_pages`] is asked for at once,
/// every that many switches: a CPU walks several page tables at a time,
/// and walks that overlap cost about as much as one.
pub(super) const WALK_BATCH: usize = 4;

/// The base page size of the CPUs the hub is tuned for: the unit of the
/// TLB (the stacks are not on huge pages).
const PAGE: usize = 4096;

/// How many items ahead of the one it handles a loop over the events of a
/// poll, or over the greenlets they wake, asks for the next items' lines:
/// far enough for a miss to arrive by the time the item comes up, near
/// enough that the lines are still cached then.
pub(crate) const AHEAD: usize = 4;

/// About where the stack pointer is: the address of a local in the
/// caller's frame.
#[inline(always)]
pub(super) fn stack_marker() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// Asks the CPU to fetch the stack lines a greenlet that parked at
/// `park_sp` touches when it resumes; `coro` is the address of its
/// coroutine, which lies at its stack's base (0 for none: the main
/// greenlet runs on the thread's own stack). No-op for a greenlet that
/// never parked, and on other architectures.
#[inline(always)]
pub(super) fn stack(park_sp: usize, coro: usize) {
    if park_sp == 0 {
        return;
    }
    lines::<{ (BELOW + ABOVE) / LINE }>(frames_start(park_sp));
    // The resume reads the coroutine in its slot, then the lines under the
    // base.
    if coro != 0 {
        lines::<{ (UNDER_BASE + CORO_SLOT) / LINE }>(top_start(coro));
    }
}

/// Where the frames that [`stack`] asks for start: `BELOW` under the park
/// marker (they run `BELOW + ABOVE` bytes from there).
#[inline(always)]
fn frames_start(park_sp: usize) -> usize {
    park_sp.wrapping_sub(BELOW)
}

/// Where the lines at the top of a stack that [`stack`] asks for start:
/// `UNDER_BASE` under the base, where the coroutine `coro` lies (the stack's
/// header and its color are above it).
#[inline(always)]
fn top_start(coro: usize) -> usize {
    coro.wrapping_sub(UNDER_BASE)
}

/// Asks for one line on each page that [`stack`] asks for: with many
/// stacks the TLB no longer holds their pages, and then the first request
/// for a page starts a page walk and every further one waits for it,
/// stalling the hub. Asked for a few greenlets at a time
/// ([`WALK_BATCH`]) and a few switches before [`stack`], the walks overlap
/// and are done by the time its lines are asked for.
#[inline(always)]
pub(super) fn stack_pages(park_sp: usize, coro: usize) {
    if park_sp == 0 {
        return;
    }
    let lo = frames_start(park_sp);
    let hi = lo.wrapping_add(BELOW + ABOVE - 1);
    line(lo);
    if hi / PAGE != lo / PAGE {
        line(hi);
    }
    if coro != 0 {
        line(top_start(coro));
    }
}

/// Asks for the lines around `addr` (0 for none): the one it is on and
/// its neighbours, since an object may straddle lines.
#[inline(always)]
pub(super) fn object(addr: usize) {
    if addr == 0 {
        return;
    }
    lines::<3>(addr.wrapping_sub(LINE));
}

/// Where slot `key` of `slab` is, computed from where slot 0 is, for a
/// prefetch: looking the slot up would read it, and that read is the miss
/// the prefetch is for. 0 (no hint) when slot 0 is vacant; the hub's and
/// the io driver's slabs keep theirs occupied. The slots of a slab are
/// `size_of::<T>()` apart when the slab's tag fits in a niche of `T`, as it
/// does in both (their layout tests check it); for any other `T` the hint is
/// merely wrong, never harmful.
#[inline(always)]
pub(crate) fn slab_slot<T>(slab: &Slab<T>, key: usize) -> usize {
    slab.get(0).map_or(0, |first| {
        std::ptr::from_ref(first)
            .addr()
            .wrapping_add(key.wrapping_mul(size_of::<T>()))
    })
}

/// Asks for the one line holding `addr` (0 for none): a record that is
/// line-aligned and no larger than a line.
#[inline(always)]
pub(crate) fn line_of(addr: usize) {
    if addr != 0 {
        line(addr);
    }
}

/// Prefetches `N` consecutive lines from the one holding `from`. A fixed
/// count, so the loop unrolls into `N` prefetch instructions; wrapping
/// arithmetic, since a hint may point anywhere.
#[inline(always)]
fn lines<const N: usize>(from: usize) {
    let first = from & !(LINE - 1);
    for i in 0..N {
        line(first.wrapping_add(i * LINE));
    }
}

#[inline(always)]
fn line(addr: usize) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of the x86-64 baseline, so the instruction
    // exists; a prefetch is only a hint: it never faults and never changes
    // memory, whatever the address.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(addr as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = addr;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_address_is_a_harmless_hint() {
        // Unmapped, null-page and end-of-address-space addresses: a prefetch
        // never faults, and the range arithmetic never overflows.
        for addr in [1, 63, 64, 4096, 0xdead_beef, usize::MAX - 10, usize::MAX] {
            stack(addr, addr);
            stack(addr, usize::MAX);
            stack_pages(addr, addr);
            stack_pages(addr, usize::MAX);
            object(addr);
            line_of(addr);
        }
        stack(0, 0);
        stack_pages(0, 0);
        object(0);
        line_of(0);
    }

    #[test]
    fn slab_slots_are_found_without_reading_them() {
        fn check<T>(make: impl Fn() -> T) {
            let mut slab = Slab::new();
            assert_eq!(slab_slot(&slab, 3), 0, "no slot 0, no hint");
            let keys: Vec<usize> = (0..6).map(|_| slab.insert(make())).collect();
            slab.remove(keys[2]);
            for &k in &keys {
                if let Some(v) = slab.get(k) {
                    assert_eq!(slab_slot(&slab, k), std::ptr::from_ref(v).addr(), "key {k}");
                }
            }
            // Keys past the end and removed ones give an address anyway:
            // a hint, never read.
            let _ = slab_slot(&slab, keys[2]);
            let _ = slab_slot(&slab, usize::MAX);
        }
        check(|| super::super::Entry::main(1));
        check(crate::io::driver::SourceState::default);
    }

    #[test]
    fn a_live_stack_range_prefetches() {
        let buf = [7u8; 2048];
        let mid = std::hint::black_box(&buf[1024]) as *const u8 as usize;
        stack(mid, mid + 1024);
        stack_pages(mid, mid + 1024);
        object(mid);
        assert_eq!(buf[1024], 7);
        assert!(stack_marker() != 0);
    }
}
