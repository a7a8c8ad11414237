//! Registrations of managed fds with this thread's hub.
//!
//! A [`Registration`] belongs to one thread's hub, so each thread keeps its
//! own map from fd number to registration, created on the first wait. An
//! fd used by greenlets of several threads is registered with each of their
//! hubs (epoll allows that). Each registration remembers the fd table
//! generation it was made for; a mismatch means the number was closed and
//! reused, and the stale registration is dropped.

#![forbid(unsafe_code)]

use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;

use libc::c_int;
use mio::unix::SourceFd;
use sprout_runtime::io::Registration;

use crate::fd_table;

/// A registration and the fd table generation it was made for.
type Slot = Option<(u32, Rc<Registration>)>;

thread_local! {
    /// Indexed by fd number.
    static REGS: RefCell<Vec<Slot>> = const { RefCell::new(Vec::new()) };
    /// Whether this thread ever registered an fd (so `REGS` exists and a
    /// hub runs): lets `forget` skip touching `REGS` everywhere else.
    static HAS_REGS: Cell<bool> = const { Cell::new(false) };
}

/// The registration of `fd` (table generation `generation`) with this
/// thread's hub, made on first use. Called only inside a greenlet.
pub(crate) fn get(fd: c_int, generation: u32) -> io::Result<Rc<Registration>> {
    let idx = usize::try_from(fd).map_err(|_| io::Error::from_raw_os_error(libc::EBADF))?;
    REGS.with(|regs| {
        let mut regs = regs.borrow_mut();
        if regs.len() <= idx {
            regs.resize_with(idx + 1, || None);
        }
        if let Some((g, reg)) = &regs[idx]
            && *g == generation
        {
            return Ok(Rc::clone(reg));
        }
        // A stale entry (its number was closed and reused) leaves this
        // epoll first: if the same open file came back under this number,
        // it would still be there.
        if let Some((_, stale)) = regs[idx].take() {
            stale.deregister(&mut SourceFd(&fd));
        }
        let reg = Registration::new(&mut SourceFd(&fd))?;
        let reg = Rc::new(reg);
        regs[idx] = Some((generation, Rc::clone(&reg)));
        HAS_REGS.set(true);
        fd_table::update(fd, fd_table::REGISTERED, true);
        Ok(reg)
    })
}

/// Removes `fd` from this thread's hub. Call it while `fd` is still open,
/// before it is closed, duplicated onto, or switched to user non-blocking
/// mode (where the user may hand it to `sprout::net`, which registers it
/// itself). Waiters on it stay parked, as a thread blocked in `recv` stays
/// blocked when another thread closes the socket.
pub(crate) fn forget(fd: c_int) {
    if !fd_table::get(fd).has(fd_table::REGISTERED) || !HAS_REGS.with(Cell::get) {
        return;
    }
    let Ok(idx) = usize::try_from(fd) else {
        return;
    };
    let taken = REGS
        .try_with(|regs| {
            regs.try_borrow_mut()
                .ok()
                .and_then(|mut r| r.get_mut(idx).and_then(Option::take))
        })
        .ok()
        .flatten();
    if let Some((_, reg)) = taken {
        reg.deregister(&mut SourceFd(&fd));
    }
    fd_table::update(fd, fd_table::REGISTERED, false);
}
