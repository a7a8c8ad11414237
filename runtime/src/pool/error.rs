//! Errors of the pools.

use std::fmt;

/// Returned by [`Pool::try_spawn`](super::Pool::try_spawn) when every slot
/// is taken; hands the function back.
pub struct PoolFull<F>(pub F);

impl<F> PoolFull<F> {
    /// The function that was not spawned.
    pub fn into_inner(self) -> F {
        self.0
    }
}

impl<F> fmt::Debug for PoolFull<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PoolFull(..)")
    }
}

impl<F> fmt::Display for PoolFull<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("pool is full")
    }
}

impl<F> std::error::Error for PoolFull<F> {}
