//! Guard-paged greenlet stacks and the per-hub pool that reuses them.
//!
//! Each stack is one anonymous `MAP_NORESERVE` mapping. The lowest page is a
//! guard page: installed with `madvise(MADV_GUARD_INSTALL)` where the kernel
//! has it (Linux 6.13+), which does not split the mapping, and with
//! `mprotect(PROT_NONE)` otherwise, which costs a second mapping. The top of
//! the stack holds a small [`StackHeader`] that the stack-overflow handler
//! reads to name the greenlet that overflowed.
//!
//! Stacks of the default size go back to a pool when their greenlet ends and
//! are reused without any system call; pages a finished greenlet dirtied
//! beyond [`DIRTY_WATERMARK`] are given back to the kernel first, so memory
//! follows the live greenlet count rather than the peak.

use std::io;
use std::mem::ManuallyDrop;
use std::ptr;
use std::sync::atomic::{AtomicU8, Ordering};

use corosensei::stack::valgrind::ValgrindStackRegistration;
use corosensei::stack::{Stack, StackPointer};

/// Default usable stack size in bytes (the guard page comes on top).
pub(crate) const DEFAULT_STACK_SIZE: usize = 256 * 1024;

/// Smallest usable stack size accepted by `Builder::stack_size`.
pub(crate) const MIN_STACK_SIZE: usize = 16 * 1024;

/// How many free stacks a hub keeps for reuse.
const POOL_LIMIT: usize = 1024;

/// How many pooled stacks keep their dirty pages.
const HOT_STACKS: usize = 64;

/// Bytes at the top of a pooled stack that may stay dirty; below that the
/// pages are released with `MADV_DONTNEED` when the stack is pooled.
pub(crate) const DIRTY_WATERMARK: usize = 32 * 1024;

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
    /// Start of the guard page (lowest address of the mapping).
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

fn header_size() -> usize {
    // Keep the corosensei base 16-byte aligned.
    std::mem::size_of::<StackHeader>().next_multiple_of(64)
}

/// One guard-paged stack.
///
/// # Invariant
///
/// `[map, map + len)` is a live private anonymous mapping owned by this value;
/// its lowest `guard` bytes are a guard region, the rest is readable and
/// writable, and a `StackHeader` lives at `map + len - header_size()`.
pub(crate) struct GreenStack {
    map: usize,
    len: usize,
    guard: usize,
    valgrind: ManuallyDrop<ValgrindStackRegistration>,
}

impl std::fmt::Debug for GreenStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GreenStack")
            .field("map", &format_args!("{:#x}", self.map))
            .field("len", &self.len)
            .field("guard", &self.guard)
            .finish_non_exhaustive()
    }
}

impl GreenStack {
    /// Maps a new stack with at least `usable` bytes below its header.
    pub(crate) fn new(usable: usize) -> io::Result<Self> {
        let page = page_size();
        let usable = usable.max(MIN_STACK_SIZE).next_multiple_of(page);
        let guard = page;
        let len = usable + guard;
        // SAFETY: anonymous private mapping of `len` bytes at an address the
        // kernel chooses; no existing memory is affected.
        let map = unsafe {
            libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_STACK,
                -1,
                0,
            )
        };
        if map == libc::MAP_FAILED {
            return Err(map_error(io::Error::last_os_error(), "mmap"));
        }
        let stack = GreenStack {
            map: map as usize,
            len,
            guard,
            valgrind: ManuallyDrop::new(ValgrindStackRegistration::new(map.cast(), len)),
        };
        // From here on `stack` owns the mapping; its Drop unmaps it on error.
        stack.install_guard()?;
        // SAFETY: the range lies inside the mapping we own; the advice is a hint.
        unsafe { libc::madvise(map, len, libc::MADV_NOHUGEPAGE) };
        Ok(stack)
    }

    fn install_guard(&self) -> io::Result<()> {
        let addr = self.map as *mut libc::c_void;
        if GUARD_MODE.load(Ordering::Relaxed) != GUARD_MPROTECT {
            // SAFETY: the first `guard` bytes belong to our mapping and hold
            // no data yet.
            let rc = unsafe { libc::madvise(addr, self.guard, MADV_GUARD_INSTALL) };
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
        // SAFETY: as above; the guard page holds no data.
        let rc = unsafe { libc::mprotect(addr, self.guard, libc::PROT_NONE) };
        if rc != 0 {
            return Err(map_error(io::Error::last_os_error(), "mprotect"));
        }
        Ok(())
    }

    /// Usable bytes (excluding the guard page).
    pub(crate) fn usable(&self) -> usize {
        self.len - self.guard
    }

    fn header_ptr(&self) -> *mut StackHeader {
        (self.map + self.len - header_size()) as *mut StackHeader
    }

    /// Records which greenlet runs on this stack, for the overflow handler.
    pub(crate) fn write_header(&mut self, id: u64, name: Option<&str>) {
        let mut buf = [0u8; HEADER_NAME_LEN];
        let name = name.unwrap_or("").as_bytes();
        let n = name.len().min(HEADER_NAME_LEN);
        buf[..n].copy_from_slice(&name[..n]);
        let header = StackHeader {
            guard_lo: self.map,
            guard_hi: self.map + self.guard,
            usable: self.usable(),
            id,
            name_len: n,
            name: buf,
        };
        // SAFETY: by the type invariant the header slot is inside our writable
        // mapping, suitably aligned (page-aligned end minus a multiple of 64),
        // and nothing else references it while we hold `&mut self`.
        unsafe { self.header_ptr().write(header) };
    }

    /// The address the overflow handler uses to find the header: the top of
    /// the mapping.
    pub(crate) fn top(&self) -> usize {
        self.map + self.len
    }

    /// Gives dirty pages below the watermark back to the kernel.
    fn release_dirty(&self) {
        let keep = DIRTY_WATERMARK
            .max(header_size())
            .next_multiple_of(page_size());
        if self.usable() <= keep {
            return;
        }
        let start = self.map + self.guard;
        let len = self.usable() - keep;
        // SAFETY: `[start, start+len)` is the writable part of our mapping
        // below the kept top; no live greenlet uses this stack (it is being
        // pooled), so discarding its contents is harmless.
        unsafe { libc::madvise(start as *mut libc::c_void, len, libc::MADV_DONTNEED) };
    }
}

impl Drop for GreenStack {
    fn drop(&mut self) {
        // SAFETY: the registration is dropped exactly once, here.
        unsafe { ManuallyDrop::drop(&mut self.valgrind) };
        // SAFETY: by the invariant we own this mapping and nothing uses it any
        // more (the coroutine that ran on it has finished).
        unsafe { libc::munmap(self.map as *mut libc::c_void, self.len) };
    }
}

// SAFETY: `base` and `limit` describe our own mapping, both page-aligned
// minus a multiple of 64 (so 16-byte aligned); the lowest page is a guard
// page and more than corosensei's MIN_STACK_SIZE is usable (MIN_STACK_SIZE
// above is 16 KiB).
unsafe impl Stack for GreenStack {
    #[inline]
    fn base(&self) -> StackPointer {
        StackPointer::new(self.map + self.len - header_size()).expect("stack address is non-zero")
    }

    #[inline]
    fn limit(&self) -> StackPointer {
        StackPointer::new(self.map).expect("stack address is non-zero")
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

/// Free stacks of the hub's default size, ready for reuse.
#[derive(Debug)]
pub(crate) struct StackPool {
    default_size: usize,
    free: Vec<GreenStack>,
}

impl StackPool {
    pub(crate) fn new(default_size: usize) -> Self {
        Self {
            default_size: default_size.max(MIN_STACK_SIZE),
            free: Vec::new(),
        }
    }

    pub(crate) fn default_size(&self) -> usize {
        self.default_size
    }

    /// Takes a stack of `size` usable bytes (the default when `None`).
    pub(crate) fn take(&mut self, size: Option<usize>) -> io::Result<GreenStack> {
        let want = size.unwrap_or(self.default_size).max(MIN_STACK_SIZE);
        if want == self.default_size
            && let Some(stack) = self.free.pop()
        {
            return Ok(stack);
        }
        GreenStack::new(want)
    }

    /// Returns a stack whose greenlet has finished.
    pub(crate) fn give(&mut self, stack: GreenStack) {
        if self.free.len() < POOL_LIMIT
            && stack.usable() == self.default_size.next_multiple_of(page_size())
        {
            // The most recently used stacks are reused first and stay warm;
            // the ones beyond them give their dirty pages back, so RSS
            // follows the live greenlet count rather than the peak.
            if self.free.len() >= HOT_STACKS {
                stack.release_dirty();
            }
            self.free.push(stack);
        }
    }

    /// Number of pooled stacks.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_reuses_default_stacks() {
        let mut pool = StackPool::new(DEFAULT_STACK_SIZE);
        let s = pool.take(None).unwrap();
        let top = s.top();
        pool.give(s);
        assert_eq!(pool.len(), 1);
        let again = pool.take(None).unwrap();
        assert_eq!(again.top(), top);
        let odd = pool.take(Some(100 * 1024)).unwrap();
        assert!(odd.usable() >= 100 * 1024);
        pool.give(odd);
        assert_eq!(pool.len(), 0, "odd sizes are unmapped, not pooled");
    }

    #[test]
    fn header_round_trip() {
        let mut s = GreenStack::new(MIN_STACK_SIZE).unwrap();
        s.write_header(7, Some("worker"));
        // SAFETY: the header was just written and the stack is alive.
        let h = unsafe { &*s.header_ptr() };
        assert_eq!(h.id, 7);
        assert_eq!(&h.name[..h.name_len], b"worker");
        assert_eq!(h.guard_lo, s.map);
        assert!(s.base().get() < s.top());
    }
}
