//! Guard-paged greenlet stacks and the per-hub pool that reuses them.
//!
//! Stacks are carved from *chunks*: one anonymous `MAP_NORESERVE` mapping
//! holds several stacks of one size (32 of the default 256 KiB, fewer of
//! larger sizes: see [`slots_per_chunk`]), so allocating stacks costs one
//! `mmap` per chunk rather than per greenlet, and no stack is ever unmapped
//! on its own (unmapping the middle of a mapping splits it). Every size a
//! hub is asked for gets its own [`SizeClass`] of chunks and free lists, so
//! greenlets with a non-default stack size are as cheap to spawn as the
//! others, and changing the default leaves the stacks of running greenlets
//! where they are. The lowest page of every slot is a guard page: installed
//! with `madvise(MADV_GUARD_INSTALL)` where the kernel has it (Linux 6.13+),
//! which does not split the mapping, and with `mprotect(PROT_NONE)`
//! otherwise, which costs a second kernel mapping per stack. The top of each
//! stack holds a small [`StackHeader`] that the stack-overflow handler reads
//! to name the greenlet that overflowed, and below it the greenlet's
//! coroutine itself ([`StackCoro`]), next to the lines its switches touch;
//! how far below the header depends on the stack (its color, see
//! [`color_for`]), so that the stacks' hot lines do not all fall into the
//! same few cache sets.
//!
//! Free stacks are kept *warm* (pages still resident, reused first) or
//! *cold* (never touched, or their pages given back with `MADV_DONTNEED`).
//! `spawn` reserves a cold stack, so running out of mappings is reported by
//! `spawn`; when the greenlet first runs it trades that stack for a warm one
//! of its size if there is one, so spawning many short greenlets touches one
//! stack's pages, not one per greenlet. Memory follows the live greenlet
//! count rather than the peak: beyond [`HOT_STACKS`] warm stacks of a size
//! (fewer of large sizes: see [`hot_stacks`]), finished stacks give their
//! pages back. Address space is kept until the
//! hub ends.

use std::io;
use std::mem::ManuallyDrop;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicU8, Ordering};

use corosensei::Coroutine;
use corosensei::stack::valgrind::ValgrindStackRegistration;
use corosensei::stack::{Stack, StackPointer};

use crate::hub::{Coro, GreenYielder};

/// Default usable stack size in bytes (the guard page comes on top).
pub(crate) const DEFAULT_STACK_SIZE: usize = 256 * 1024;

/// Smallest usable stack size accepted by `Builder::stack_size`.
pub(crate) const MIN_STACK_SIZE: usize = 16 * 1024;

/// Stacks per chunk mapping, for sizes up to the default.
pub(crate) const CHUNK_SLOTS: usize = 32;

/// Largest chunk worth carving many stacks from: 32 default-size slots.
/// Larger stacks come fewer to a chunk, down to one.
const CHUNK_BYTES: usize = CHUNK_SLOTS * (DEFAULT_STACK_SIZE + 4096);

/// How many free stacks of one size, up to the default, keep their pages
/// resident.
pub(crate) const HOT_STACKS: usize = 64;

/// Address space of the warm stacks of one size: [`HOT_STACKS`] default
/// ones. Larger stacks stay warm fewer at a time.
const HOT_BYTES: usize = HOT_STACKS * (DEFAULT_STACK_SIZE + 4096);

/// `madvise` advice that installs guard pages in place (Linux 6.13+).
const MADV_GUARD_INSTALL: libc::c_int = 102;

const GUARD_UNKNOWN: u8 = 0;
const GUARD_MADVISE: u8 = 1;
const GUARD_MPROTECT: u8 = 2;
static GUARD_MODE: AtomicU8 = AtomicU8::new(GUARD_UNKNOWN);

/// Length of the name copy kept in a stack header.
pub(crate) const HEADER_NAME_LEN: usize = 64;

/// Written at the very top of each stack, read by the overflow handler.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct StackHeader {
    /// Start of the guard page (lowest address of the stack).
    pub(crate) guard_lo: usize,
    /// One past the guard page.
    pub(crate) guard_hi: usize,
    /// Usable bytes of the stack.
    pub(crate) usable: usize,
    /// Id of the greenlet running on it.
    pub(crate) id: u64,
    /// Valid bytes in `name`.
    pub(crate) name_len: usize,
    /// The greenlet's name, truncated.
    pub(crate) name: [u8; HEADER_NAME_LEN],
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(n).unwrap_or(4096)
}

/// Bytes reserved for the header at the top of a stack (a whole number of
/// cache lines).
pub(crate) const fn header_size() -> usize {
    std::mem::size_of::<StackHeader>().next_multiple_of(64)
}

/// Bytes of the slot below the header that holds the greenlet's coroutine:
/// one cache line.
pub(crate) const CORO_SLOT: usize = 64;

const _: () = assert!(size_of::<Coro>() <= CORO_SLOT && align_of::<Coro>() <= 64);

/// Bytes between corosensei's base and the top of a stack besides its
/// color (see [`color_for`]): the header and the coroutine slot. The base
/// stays 64-byte aligned (the top is a page boundary), and the line holding
/// the coroutine's link to its parent, just below the base, shares a
/// 128-byte pair of lines with the slot.
pub(crate) const fn reserved_top() -> usize {
    header_size() + CORO_SLOT
}

/// How many colors (see [`color_for`]) stacks come in: a power of two.
pub(crate) const COLORS: usize = 32;

/// How much lower than under its reserved top lines the stack of a
/// `len`-byte slot that ends at `top` starts: 0 to 31 cache lines, told
/// apart by its place in the address space.
///
/// Greenlets that run the same code keep the same frames at the same
/// distance from their stack's top, and every top is a page boundary, so
/// without colors the lines a resume touches would lie at the same offsets
/// within their pages on every stack. A cache picks a line's set by the
/// address bits above the line, and those within the page would then be
/// the same for all of them: of a 512 KiB, 8-way L2, one offset's lines
/// could use 16 sets (128 lines, a sixty-fourth of it), whatever the
/// pages' physical addresses. Under callgrind's model of that L2
/// (`scripts/profile_cache.sh sprout 300`), 300 connections missed it 12.6
/// times per request although all their lines fit in it many times over
/// (0.3 times at 100 connections); with colors, 5.0 times. A color costs
/// at most 1,984 bytes of the stack, in its top page, which the header and
/// the coroutine use anyway.
fn color_for(top: usize, len: usize) -> u16 {
    // The slots of a chunk lie `len` apart, so `slot` counts up by one from
    // slot to slot, whatever their length. Fibonacci hashing spreads
    // consecutive numbers over the colors (at least 27 of them for any 32
    // in a row) without repeating with a period that a slot's length in
    // cache sets could match.
    let slot = top / len;
    let mixed = slot.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let line = mixed >> (usize::BITS - COLORS.trailing_zeros());
    u16::try_from(line * 64).expect("a color is under 2 KiB")
}

/// Maps `len` fresh bytes, readable and writable, reserving no swap.
fn map(len: usize) -> io::Result<usize> {
    // SAFETY: anonymous private mapping at an address the kernel chooses; no
    // existing memory is affected.
    let p = unsafe {
        libc::mmap(
            ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_STACK,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(map_error(io::Error::last_os_error(), "mmap"));
    }
    // SAFETY: the range is the mapping we just made; the advice is a hint.
    unsafe { libc::madvise(p, len, libc::MADV_NOHUGEPAGE) };
    Ok(p as usize)
}

/// Unmaps `[addr, addr + len)`.
///
/// # Safety
///
/// The range must be a mapping (or part of one) made by [`map`] that nothing
/// uses any more.
unsafe fn unmap(addr: usize, len: usize) {
    // SAFETY: guaranteed by the caller.
    unsafe { libc::munmap(addr as *mut libc::c_void, len) };
}

/// `SPROUT_GUARD_PAGES=mprotect` makes every guard page an `mprotect`, as
/// on kernels before 6.13 (two mappings per stack); for testing how sprout
/// behaves there.
fn forced_mprotect() -> bool {
    std::env::var_os("SPROUT_GUARD_PAGES").is_some_and(|v| v == "mprotect")
}

/// Turns the `guard` bytes at `addr` into a guard region.
///
/// # Safety
///
/// The range must lie in a mapping made by [`map`] and hold no live data.
unsafe fn install_guard(addr: usize, guard: usize) -> io::Result<()> {
    let p = addr as *mut libc::c_void;
    if GUARD_MODE.load(Ordering::Relaxed) == GUARD_UNKNOWN && forced_mprotect() {
        GUARD_MODE.store(GUARD_MPROTECT, Ordering::Relaxed);
    }
    if GUARD_MODE.load(Ordering::Relaxed) != GUARD_MPROTECT {
        // SAFETY: guaranteed by the caller.
        let rc = unsafe { libc::madvise(p, guard, MADV_GUARD_INSTALL) };
        if rc == 0 {
            GUARD_MODE.store(GUARD_MADVISE, Ordering::Relaxed);
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINVAL) {
            return Err(map_error(err, "madvise(MADV_GUARD_INSTALL)"));
        }
        GUARD_MODE.store(GUARD_MPROTECT, Ordering::Relaxed);
    }
    // SAFETY: guaranteed by the caller.
    let rc = unsafe { libc::mprotect(p, guard, libc::PROT_NONE) };
    if rc != 0 {
        return Err(map_error(io::Error::last_os_error(), "mprotect"));
    }
    Ok(())
}

/// One guard-paged stack.
///
/// # Invariant
///
/// `[lo, lo + len)` is mapped memory: its lowest `guard` bytes are a guard
/// region and the rest is readable and writable. It is a slot of a chunk
/// owned by the `StackPool` that handed it out, which outlives every stack
/// it hands out that is still used.
pub(crate) struct GreenStack {
    lo: usize,
    len: usize,
    guard: usize,
    /// Its pages may be resident (it ran a greenlet since it was last
    /// cleaned).
    warm: bool,
    /// Bytes between its reserved top lines and its base (see
    /// [`color_for`]), fixed when its chunk is carved: corosensei asks for
    /// the base at every resume.
    color: u16,
}

impl std::fmt::Debug for GreenStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GreenStack")
            .field("lo", &format_args!("{:#x}", self.lo))
            .field("len", &self.len)
            .field("warm", &self.warm)
            .finish()
    }
}

impl GreenStack {
    /// Usable bytes (excluding the guard page).
    pub(crate) fn usable(&self) -> usize {
        self.len - self.guard
    }

    fn header_ptr(&self) -> *mut StackHeader {
        (self.lo + self.len - header_size()) as *mut StackHeader
    }

    /// Records which greenlet runs on this stack, for the overflow handler.
    pub(crate) fn write_header(&mut self, id: u64, name: Option<&str>) {
        let mut buf = [0u8; HEADER_NAME_LEN];
        let name = name.unwrap_or("").as_bytes();
        let n = name.len().min(HEADER_NAME_LEN);
        buf[..n].copy_from_slice(&name[..n]);
        let header = StackHeader {
            guard_lo: self.lo,
            guard_hi: self.lo + self.guard,
            usable: self.usable(),
            id,
            name_len: n,
            name: buf,
        };
        self.warm = true;
        // SAFETY: by the type invariant the header slot is inside writable
        // memory of this stack, aligned (a page-aligned end minus a multiple
        // of 64), and nothing else references it while we hold `&mut self`.
        unsafe { self.header_ptr().write(header) };
    }

    /// The end of the stack: the overflow handler finds the header below it.
    pub(crate) fn top(&self) -> usize {
        self.lo + self.len
    }

    /// Where the coroutine slot is: from the base up, below the header.
    fn coro_slot(&self) -> *mut Coro {
        self.base().get() as *mut Coro
    }

    /// Whether its pages may be resident.
    #[cfg(test)]
    pub(crate) fn is_warm(&self) -> bool {
        self.warm
    }

    /// Gives its pages back to the kernel (they read as zero afterwards).
    fn release(&mut self) {
        if !self.warm {
            return;
        }
        // SAFETY: the writable part of our stack; no greenlet uses it (it is
        // being pooled), so discarding its contents is harmless.
        unsafe {
            libc::madvise(
                (self.lo + self.guard) as *mut libc::c_void,
                self.usable(),
                libc::MADV_DONTNEED,
            )
        };
        self.warm = false;
    }
}

// SAFETY: `base` and `limit` lie in memory this stack borrows from the
// pool (per the invariant), both 16-byte aligned (64 for the base); the
// lowest page is a guard page, and of the at least 16 KiB above it all but
// the reserved top and the color (under 2.2 KiB) lie below the base, more
// than corosensei's MIN_STACK_SIZE.
unsafe impl Stack for GreenStack {
    #[inline]
    fn base(&self) -> StackPointer {
        StackPointer::new(self.top() - reserved_top() - usize::from(self.color))
            .expect("stack address is non-zero")
    }

    #[inline]
    fn limit(&self) -> StackPointer {
        StackPointer::new(self.lo).expect("stack address is non-zero")
    }
}

/// A greenlet's coroutine, kept in the slot at the top of its own stack
/// rather than in a heap box of its own.
///
/// Every resume reads the coroutine (its saved stack pointer and its
/// stack's bounds) and then the line just below the base, where corosensei
/// keeps the link to the parent; in the slot, both are in the stack's top
/// page and one 128-byte pair of lines. With thousands of greenlets each
/// run begins with cache and TLB misses; a box elsewhere in the heap would
/// add one line and one page to them, and an allocation to every spawn.
///
/// # Invariant
///
/// The pointer is the coroutine slot of the stack the coroutine owns, and
/// the slot holds that coroutine, written by [`new`](Self::new) and moved
/// out only by [`into_stack`](Self::into_stack) or the drop. The coroutine
/// runs below the base, and the header lies above the slot, so nothing else
/// writes the slot while the `StackCoro` lives.
pub(crate) struct StackCoro(NonNull<Coro>);

impl StackCoro {
    /// Makes a coroutine that runs `body` on `stack`.
    pub(crate) fn new(stack: GreenStack, body: impl FnOnce(&GreenYielder, ()) + 'static) -> Self {
        let slot = stack.coro_slot();
        let coro = Coroutine::with_stack(stack, body);
        // SAFETY: the slot lies in the writable part of the stack (above the
        // base and below the header), is aligned for `Coro` (64-byte
        // aligned, and the const assertion above checks size and alignment)
        // and holds nothing: corosensei writes only below the base. The
        // mapping stays put while the coroutine owns the stack.
        unsafe { slot.write(coro) };
        StackCoro(NonNull::new(slot).expect("stack address is non-zero"))
    }

    /// The coroutine, for `resume`. It stays at this address for the
    /// `StackCoro`'s life.
    #[inline(always)]
    pub(crate) fn as_ptr(&self) -> *mut Coro {
        self.0.as_ptr()
    }

    /// Moves the coroutine out of its slot (which the coroutine's stack
    /// holds, so the stack can be reused once it is dropped).
    fn take(self) -> Coro {
        let me = ManuallyDrop::new(self);
        // SAFETY: by the invariant the slot holds the coroutine; reading it
        // moves it out, and `ManuallyDrop` keeps `drop` from reading it again.
        unsafe { me.0.as_ptr().read() }
    }

    /// The stack of a coroutine that has returned, for reuse.
    pub(crate) fn into_stack(self) -> GreenStack {
        self.take().into_stack()
    }
}

impl Drop for StackCoro {
    /// Drops the coroutine as a box of it would be dropped: one that never
    /// ran or has returned just goes, a suspended one is unwound first.
    fn drop(&mut self) {
        // SAFETY: by the invariant the slot holds the coroutine, and this is
        // the one place besides `take` that moves it out.
        drop(unsafe { self.0.as_ptr().read() });
    }
}

impl std::fmt::Debug for StackCoro {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("StackCoro").field(&self.0).finish()
    }
}

/// Turns an allocation failure into the error `spawn` reports: when the
/// kernel's memory-mapping limit is the cause, say so and how to raise it.
fn map_error(err: io::Error, call: &str) -> io::Error {
    if err.raw_os_error() != Some(libc::ENOMEM) {
        return io::Error::new(
            err.kind(),
            format!("cannot allocate a greenlet stack: {call}: {err}"),
        );
    }
    let limit = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok());
    let used = count_mappings();
    match (limit, used) {
        (Some(limit), Some(used)) if used + 16 >= limit => io::Error::new(
            io::ErrorKind::OutOfMemory,
            format!(
                "cannot allocate a greenlet stack: the process has {used} memory mappings and \
                 vm.max_map_count is {limit}; each guard-paged stack needs one or two; raise the \
                 limit with `sysctl -w vm.max_map_count={}` or run fewer greenlets at once",
                (limit * 4).max(262_144)
            ),
        ),
        _ => io::Error::new(
            io::ErrorKind::OutOfMemory,
            format!("cannot allocate a greenlet stack: {call}: {err}"),
        ),
    }
}

/// The kernel's `vm.max_map_count`, if readable.
pub(crate) fn max_map_count() -> Option<usize> {
    std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()
        .and_then(|s| s.trim().parse().ok())
}

/// How guard pages are installed: `Some(true)` in place (one mapping per
/// chunk of stacks), `Some(false)` with `mprotect` (two mappings per stack),
/// `None` before the first stack was made.
pub(crate) fn guards_in_place() -> Option<bool> {
    match GUARD_MODE.load(Ordering::Relaxed) {
        GUARD_MADVISE => Some(true),
        GUARD_MPROTECT => Some(false),
        _ => None,
    }
}

/// Mappings in use by this process, counted from `/proc/self/maps`.
pub(crate) fn mappings_in_use() -> Option<usize> {
    count_mappings()
}

/// Counts the lines of `/proc/self/maps` with a fixed buffer: when mappings
/// run out, so may the memory a `String` of the whole file would need.
fn count_mappings() -> Option<usize> {
    use std::io::Read;
    let mut file = std::fs::File::open("/proc/self/maps").ok()?;
    let mut buf = [0u8; 8192];
    let mut lines = 0;
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Some(lines),
            Ok(n) => lines += buf[..n].iter().filter(|&&b| b == b'\n').count(),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
}

/// How many stacks of `slot_len` bytes (guard page included) one chunk
/// holds: [`CHUNK_SLOTS`] up to the default size, fewer above it, so that a
/// chunk stays near 8 MiB of address space; at least one.
pub(crate) fn slots_per_chunk(slot_len: usize) -> usize {
    (CHUNK_BYTES / slot_len.max(1)).clamp(1, CHUNK_SLOTS)
}

/// How many free stacks of `slot_len` bytes keep their pages resident:
/// [`HOT_STACKS`] up to the default size, fewer above it, none of stacks
/// larger than all of them together.
pub(crate) fn hot_stacks(slot_len: usize) -> usize {
    (HOT_BYTES / slot_len.max(1)).min(HOT_STACKS)
}

/// The slot length (usable bytes plus the guard page) of a requested size:
/// rounded up to whole pages, at least [`MIN_STACK_SIZE`].
pub(crate) fn slot_len_for(usable: usize) -> io::Result<usize> {
    let page = page_size();
    usable
        .max(MIN_STACK_SIZE)
        .checked_next_multiple_of(page)
        .and_then(|n| n.checked_add(page))
        .filter(|&n| n <= isize::MAX as usize)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("cannot allocate a greenlet stack: {usable} bytes is too large a stack"),
            )
        })
}

/// One mapping holding stacks of one size class.
struct Chunk {
    base: usize,
    len: usize,
    _valgrind: ValgrindStackRegistration,
}

/// The stacks of one size: the chunks they are carved from and the free
/// ones, ready for reuse.
struct SizeClass {
    /// Bytes per slot, the guard page included.
    slot_len: usize,
    /// At most this many warm free stacks.
    hot: usize,
    chunks: Vec<Chunk>,
    warm: Vec<GreenStack>,
    cold: Vec<GreenStack>,
}

impl std::fmt::Debug for SizeClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SizeClass")
            .field("slot_len", &self.slot_len)
            .field("chunks", &self.chunks.len())
            .field("warm", &self.warm.len())
            .field("cold", &self.cold.len())
            .finish()
    }
}

impl SizeClass {
    fn new(slot_len: usize) -> Self {
        SizeClass {
            slot_len,
            hot: hot_stacks(slot_len),
            chunks: Vec::new(),
            warm: Vec::new(),
            cold: Vec::new(),
        }
    }

    /// Maps a new chunk and adds its slots to the cold list.
    fn grow(&mut self) -> io::Result<()> {
        let page = page_size();
        let slots = slots_per_chunk(self.slot_len);
        let len = self.slot_len * slots;
        let base = map(len)?;
        for i in 0..slots {
            let lo = base + i * self.slot_len;
            // SAFETY: the lowest page of slot `i` of the chunk we just mapped;
            // it holds no data.
            if let Err(e) = unsafe { install_guard(lo, page) } {
                // SAFETY: the chunk is ours and no slot was handed out.
                unsafe { unmap(base, len) };
                return Err(e);
            }
        }
        self.chunks.push(Chunk {
            base,
            len,
            _valgrind: ValgrindStackRegistration::new(base as *mut u8, len),
        });
        let slot_len = self.slot_len;
        self.cold.extend((0..slots).rev().map(|i| {
            let lo = base + i * slot_len;
            GreenStack {
                lo,
                len: slot_len,
                guard: page,
                warm: false,
                color: color_for(lo + slot_len, slot_len),
            }
        }));
        Ok(())
    }

    /// A cold stack if there is one (see [`StackPool::take`]).
    fn take(&mut self) -> io::Result<GreenStack> {
        if let Some(s) = self.cold.pop().or_else(|| self.warm.pop()) {
            return Ok(s);
        }
        self.grow()?;
        Ok(self.cold.pop().expect("a new chunk has free slots"))
    }

    fn give(&mut self, mut stack: GreenStack) {
        if !stack.warm {
            self.cold.push(stack);
        } else if self.warm.len() < self.hot {
            self.warm.push(stack);
        } else {
            stack.release();
            self.cold.push(stack);
        }
    }
}

/// Free stacks, ready for reuse, and the chunks they are carved from, by
/// size; and the size `spawn` uses when it is given none.
pub(crate) struct StackPool {
    default_size: usize,
    /// Every size asked for so far, in the order first asked for; a hub
    /// rarely has more than a few.
    classes: Vec<SizeClass>,
}

impl std::fmt::Debug for StackPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StackPool")
            .field("default_size", &self.default_size)
            .field("classes", &self.classes)
            .finish()
    }
}

impl StackPool {
    pub(crate) fn new(default_size: usize) -> Self {
        let mut pool = StackPool {
            default_size: MIN_STACK_SIZE,
            classes: Vec::new(),
        };
        pool.set_default_size(default_size);
        pool
    }

    pub(crate) fn default_size(&self) -> usize {
        self.default_size
    }

    /// Sets the size of stacks taken without one (rounded up to whole
    /// pages, at least [`MIN_STACK_SIZE`]; a size too large to map makes
    /// `take` fail). Stacks of the old default stay where they are:
    /// greenlets may be running on them.
    pub(crate) fn set_default_size(&mut self, size: usize) {
        self.default_size = size
            .max(MIN_STACK_SIZE)
            .checked_next_multiple_of(page_size())
            .unwrap_or(size);
    }

    /// Makes sure one chunk exists, so the guard mode is known.
    pub(crate) fn prime(&mut self) -> io::Result<()> {
        if self.classes.is_empty() {
            let s = self.take(None)?;
            self.give(s);
        }
        Ok(())
    }

    /// Where the class of `slot_len`-byte slots is, if there is one.
    fn find(&self, slot_len: usize) -> Option<usize> {
        self.classes.iter().position(|c| c.slot_len == slot_len)
    }

    /// The class of the stacks with `slot_len`-byte slots, which exists
    /// for every stack the pool handed out.
    fn class_of(&mut self, slot_len: usize) -> &mut SizeClass {
        let i = self
            .find(slot_len)
            .expect("a pooled stack's size has a class");
        &mut self.classes[i]
    }

    /// Reserves a stack of `size` usable bytes (the default when `None`):
    /// a cold one if there is one, so that the greenlet can trade it for a
    /// warm one when it first runs.
    pub(crate) fn take(&mut self, size: Option<usize>) -> io::Result<GreenStack> {
        let slot_len = slot_len_for(size.unwrap_or(self.default_size))?;
        if let Some(i) = self.find(slot_len) {
            return self.classes[i].take();
        }
        // A new size: its class is kept only once it has a chunk.
        let mut class = SizeClass::new(slot_len);
        let stack = class.take()?;
        self.classes.push(class);
        if self.classes.len() == 1 {
            crate::debug::check_first_stacks();
        }
        Ok(stack)
    }

    /// Trades a stack that was never touched for a warm one of its size, if
    /// any.
    pub(crate) fn prefer_warm(&mut self, stack: GreenStack) -> GreenStack {
        if stack.warm {
            return stack;
        }
        let class = self.class_of(stack.len);
        match class.warm.pop() {
            Some(w) => {
                class.cold.push(stack);
                w
            }
            None => stack,
        }
    }

    /// Returns a stack whose greenlet has finished (or never started).
    pub(crate) fn give(&mut self, stack: GreenStack) {
        self.class_of(stack.len).give(stack);
    }

    /// Free stacks of the default size: (warm, cold).
    #[cfg(test)]
    pub(crate) fn free(&self) -> (usize, usize) {
        self.free_of(self.default_size)
    }

    /// Free stacks of `size` usable bytes: (warm, cold).
    #[cfg(test)]
    pub(crate) fn free_of(&self, size: usize) -> (usize, usize) {
        let slot_len = slot_len_for(size).expect("a valid size");
        self.find(slot_len).map_or((0, 0), |i| {
            let c = &self.classes[i];
            (c.warm.len(), c.cold.len())
        })
    }
}

impl Drop for StackPool {
    fn drop(&mut self) {
        for class in &mut self.classes {
            // Slots own nothing, so dropping them does nothing.
            class.warm.clear();
            class.cold.clear();
            for chunk in class.chunks.drain(..) {
                // SAFETY: the pool owns its chunks; it is dropped with the
                // hub, after every greenlet that could use one of their
                // slots has finished or been forgotten (and is never
                // resumed). Nothing else drops a pool: changing the default
                // size keeps every class.
                unsafe { unmap(chunk.base, chunk.len) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_carves_chunks_and_reuses_slots() {
        let mut pool = StackPool::new(DEFAULT_STACK_SIZE);
        let s = pool.take(None).unwrap();
        assert!(!s.is_warm());
        assert_eq!(pool.free(), (0, CHUNK_SLOTS - 1));
        let mut s = pool.prefer_warm(s);
        s.write_header(1, None);
        let top = s.top();
        pool.give(s);
        assert_eq!(pool.free(), (1, CHUNK_SLOTS - 1));
        // A reservation is cold; on first run it trades for the warm one.
        let reserved = pool.take(None).unwrap();
        assert!(!reserved.is_warm());
        let running = pool.prefer_warm(reserved);
        assert_eq!(running.top(), top);
        assert!(running.is_warm());
        pool.give(running);
        assert_eq!(pool.free(), (1, CHUNK_SLOTS - 1));
    }

    #[test]
    fn other_sizes_are_pooled_in_their_own_class() {
        let mut pool = StackPool::new(DEFAULT_STACK_SIZE);
        let page = page_size();
        let odd = 100 * 1024 + 1;
        let reserved = pool.take(Some(odd)).unwrap();
        let mut s = pool.prefer_warm(reserved);
        assert_eq!(s.usable(), odd.next_multiple_of(page));
        assert_eq!(pool.free(), (0, 0), "the default class is untouched");
        let per_chunk = slots_per_chunk(s.usable() + page);
        assert_eq!(pool.free_of(odd), (0, per_chunk - 1));
        s.write_header(1, None);
        let top = s.top();
        pool.give(s);
        assert_eq!(pool.free_of(odd), (1, per_chunk - 1));
        // The same size, asked for again, reuses that stack.
        let reserved = pool.take(Some(odd)).unwrap();
        let again = pool.prefer_warm(reserved);
        assert_eq!(again.top(), top);
        pool.give(again);
        // Big stacks come fewer to a chunk, never none.
        assert_eq!(slots_per_chunk(DEFAULT_STACK_SIZE + page), CHUNK_SLOTS);
        assert_eq!(slots_per_chunk(MIN_STACK_SIZE + page), CHUNK_SLOTS);
        assert_eq!(slots_per_chunk(1 << 30), 1);
        let big = pool.take(Some(4 << 20)).unwrap();
        assert_eq!(pool.free_of(4 << 20), (0, slots_per_chunk(big.len) - 1));
        assert!(slots_per_chunk(big.len) < CHUNK_SLOTS);
        pool.give(big);
    }

    #[test]
    fn a_new_default_keeps_the_old_stacks() {
        let mut pool = StackPool::new(DEFAULT_STACK_SIZE);
        let reserved = pool.take(None).unwrap();
        let mut old = pool.prefer_warm(reserved);
        old.write_header(1, None);
        pool.set_default_size(64 * 1024);
        assert_eq!(pool.default_size(), 64 * 1024);
        let new = pool.take(None).unwrap();
        assert_eq!(new.usable(), 64 * 1024);
        // The old stack is still mapped and writable, and goes back to its
        // own class.
        old.write_header(2, Some("still here"));
        assert_eq!(old.usable(), DEFAULT_STACK_SIZE);
        pool.give(old);
        pool.give(new);
        assert_eq!(pool.free_of(DEFAULT_STACK_SIZE), (1, CHUNK_SLOTS - 1));
        assert_eq!(pool.free(), (0, CHUNK_SLOTS));
    }

    #[test]
    fn sizes_too_large_to_map_are_an_error() {
        let mut pool = StackPool::new(DEFAULT_STACK_SIZE);
        for size in [usize::MAX, usize::MAX / 2, 1 << 50] {
            let err = pool.take(Some(size)).unwrap_err();
            assert!(
                err.to_string().contains("cannot allocate a greenlet stack"),
                "{size}: {err}"
            );
        }
        pool.set_default_size(usize::MAX);
        assert!(pool.take(None).is_err());
        // A failed size leaves no class behind; normal sizes still work.
        assert!(pool.classes.is_empty());
        pool.set_default_size(DEFAULT_STACK_SIZE);
        let s = pool.take(None).unwrap();
        pool.give(s);
        assert_eq!(pool.classes.len(), 1);
    }

    #[test]
    fn warm_stacks_beyond_the_watermark_are_released() {
        let mut pool = StackPool::new(MIN_STACK_SIZE);
        let mut stacks: Vec<_> = (0..HOT_STACKS + 3)
            .map(|_| pool.take(None).unwrap())
            .collect();
        for (i, s) in stacks.iter_mut().enumerate() {
            s.write_header(i as u64, None);
        }
        for s in stacks {
            pool.give(s);
        }
        let (warm, _) = pool.free();
        assert_eq!(warm, HOT_STACKS);
    }

    #[test]
    fn large_stacks_stay_warm_fewer_at_a_time() {
        let page = page_size();
        assert_eq!(hot_stacks(DEFAULT_STACK_SIZE + page), HOT_STACKS);
        assert_eq!(hot_stacks(MIN_STACK_SIZE + page), HOT_STACKS);
        assert_eq!(hot_stacks(HOT_BYTES + page), 0);
        let size = 4 << 20;
        let hot = hot_stacks(size + page);
        assert!(hot > 0 && hot < HOT_STACKS, "{hot}");
        let mut pool = StackPool::new(DEFAULT_STACK_SIZE);
        let mut stacks: Vec<_> = (0..hot + 2)
            .map(|_| pool.take(Some(size)).unwrap())
            .collect();
        for (i, s) in stacks.iter_mut().enumerate() {
            s.write_header(i as u64, None);
        }
        for s in stacks {
            pool.give(s);
        }
        assert_eq!(pool.free_of(size).0, hot);
        // Too big to keep warm at all: its pages go back at once.
        let huge = HOT_BYTES;
        let mut s = pool.take(Some(huge)).unwrap();
        s.write_header(1, None);
        pool.give(s);
        assert_eq!(pool.free_of(huge), (0, 1));
    }

    #[test]
    fn the_stacks_of_a_chunk_start_at_many_offsets_within_a_page() {
        for size in [DEFAULT_STACK_SIZE, MIN_STACK_SIZE, 20 * 1024, 64 * 1024] {
            let mut pool = StackPool::new(size);
            let stacks: Vec<GreenStack> =
                (0..CHUNK_SLOTS).map(|_| pool.take(None).unwrap()).collect();
            let most = reserved_top() + (COLORS - 1) * 64;
            let mut offsets = std::collections::BTreeSet::new();
            for s in &stacks {
                let base = s.base().get();
                assert_eq!(base % 64, 0, "{size}: base {base:#x}");
                assert!(s.top() - base <= most);
                assert!(s.top() - base >= reserved_top());
                // In the top page, with all but at most `most` bytes of the
                // usable size below it.
                assert_eq!(base / 4096, (s.top() - 1) / 4096, "{size}");
                assert!(base - s.lo - s.guard >= s.usable() - most);
                offsets.insert(base % 4096);
            }
            // One chunk's 32 stacks: at least 27 colors.
            assert!(offsets.len() >= 27, "{size}: {offsets:?}");
            for s in stacks {
                pool.give(s);
            }
        }
    }

    #[test]
    fn header_round_trip() {
        let mut pool = StackPool::new(MIN_STACK_SIZE);
        let mut s = pool.take(None).unwrap();
        s.write_header(7, Some("worker"));
        // SAFETY: the header was just written and the stack is alive.
        let h = unsafe { &*s.header_ptr() };
        assert_eq!(h.id, 7);
        assert_eq!(&h.name[..h.name_len], b"worker");
        assert_eq!(h.guard_lo, s.lo);
        assert!(s.base().get() < s.top());
        pool.give(s);
    }

    #[test]
    fn a_coroutine_lives_between_the_base_and_the_header() {
        let mut pool = StackPool::new(MIN_STACK_SIZE);
        let stack = pool.take(None).unwrap();
        let top = stack.top();
        let base = stack.base().get();
        let coro = StackCoro::new(stack, |y: &GreenYielder, ()| {
            y.suspend(());
        });
        let at = coro.as_ptr().addr();
        assert_eq!(at, base);
        assert_eq!(at % 64, 0);
        assert!(at + size_of::<Coro>() <= top - header_size());
        // SAFETY: the coroutine is ours, not running, and stays put.
        let first = unsafe { (*coro.as_ptr()).resume(()) };
        assert!(matches!(first, corosensei::CoroutineResult::Yield(())));
        // SAFETY: as above.
        let second = unsafe { (*coro.as_ptr()).resume(()) };
        assert!(matches!(second, corosensei::CoroutineResult::Return(())));
        let back = coro.into_stack();
        assert_eq!(back.top(), top);
        pool.give(back);
    }

    #[test]
    fn dropping_a_suspended_coroutine_unwinds_it() {
        struct SetOnDrop(std::rc::Rc<std::cell::Cell<bool>>);
        impl Drop for SetOnDrop {
            fn drop(&mut self) {
                self.0.set(true);
            }
        }
        let dropped = std::rc::Rc::new(std::cell::Cell::new(false));
        let flag = SetOnDrop(dropped.clone());
        let mut pool = StackPool::new(MIN_STACK_SIZE);
        let coro = StackCoro::new(pool.take(None).unwrap(), move |y: &GreenYielder, ()| {
            let _flag = flag;
            y.suspend(());
            unreachable!("never resumed past the suspension");
        });
        // SAFETY: the coroutine is ours, not running, and stays put.
        let first = unsafe { (*coro.as_ptr()).resume(()) };
        assert!(matches!(first, corosensei::CoroutineResult::Yield(())));
        assert!(!dropped.get());
        drop(coro);
        assert!(
            dropped.get(),
            "the body's locals were dropped by the unwind"
        );
    }
}
