//! Strict panics: a panic in a greenlet that nobody joins fails the program.

use std::cell::{Cell, RefCell};

use crate::hub::with_hub;

/// Per-hub strict-mode state.
#[derive(Debug, Default)]
pub(crate) struct Strict {
    on: Cell<bool>,
    /// Descriptions of panics nobody joined, not yet reported.
    orphans: RefCell<Vec<String>>,
}

impl Strict {
    pub(crate) fn from_env() -> Strict {
        let s = Strict::default();
        s.on.set(std::env::var("SPROUT_STRICT_PANICS").is_ok_and(|v| v == "1"));
        s
    }

    pub(crate) fn is_on(&self) -> bool {
        self.on.get()
    }

    /// Records an unjoined panic (only in strict mode).
    pub(crate) fn orphan(&self, what: String) {
        if self.on.get() {
            self.orphans.borrow_mut().push(what);
        }
    }

    /// Panics on the main greenlet with the unjoined panics, if any.
    pub(crate) fn raise(&self) {
        if self.on.get() && !self.orphans.borrow().is_empty() {
            let all = std::mem::take(&mut *self.orphans.borrow_mut()).join("; ");
            panic!("sprout strict mode: a greenlet panicked and nobody joined it: {all}");
        }
    }
}

/// Turns strict mode on or off for this thread's hub. In strict mode a
/// greenlet that panics and is never joined (its handle dropped or
/// detached) makes the main greenlet's next blocking call, or
/// [`check_panics`], panic with the greenlet's name and message — in a test,
/// the test fails. Off by default; `SPROUT_STRICT_PANICS=1` turns it on for
/// every hub.
pub fn set_strict_panics(on: bool) {
    with_hub(|hub| hub.strict.on.set(on));
}

/// Panics if strict mode recorded unjoined greenlet panics; call it at the
/// end of a test.
///
/// # Panics
///
/// With the unjoined panics, in strict mode.
pub fn check_panics() {
    with_hub(|hub| hub.strict.raise());
}
