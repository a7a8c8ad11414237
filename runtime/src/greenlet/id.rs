//! Greenlet identity.

use std::fmt;
use std::marker::PhantomData;
use std::num::NonZeroU64;
use std::rc::Rc;

/// Identifies a greenlet within its hub (its OS thread). The main greenlet
/// (the thread's own stack) is id 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GreenletId(NonZeroU64);

impl GreenletId {
    pub(crate) fn new(n: u64) -> Self {
        GreenletId(NonZeroU64::new(n).expect("greenlet ids start at 1"))
    }

    /// The id as a number.
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for GreenletId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The running greenlet, as returned by [`current`](crate::current).
#[derive(Clone)]
pub struct Greenlet {
    pub(crate) id: GreenletId,
    pub(crate) name: Option<Rc<str>>,
    pub(crate) _not_send: PhantomData<*const ()>,
}

impl Greenlet {
    /// Its id.
    pub fn id(&self) -> GreenletId {
        self.id
    }

    /// Its name, if it was given one with [`Builder::name`](crate::Builder::name)
    /// (the main greenlet is called `"main"`).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Whether this is the thread's main greenlet.
    pub fn is_main(&self) -> bool {
        self.id.as_u64() == 1
    }
}

impl fmt::Debug for Greenlet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Greenlet")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish()
    }
}
