//! Errors of the synchronisation primitives.

use std::fmt;

/// Returned by [`BoundedSemaphore::release`](super::BoundedSemaphore::release),
/// [`Lock::release`](super::Lock::release) and
/// [`RLock::release`](super::RLock::release) when the release does not
/// match an acquire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseError {
    /// Released more often than acquired (the lock is not locked, every
    /// permit is already free).
    NotAcquired,
    /// An [`RLock`](super::RLock) held by another greenlet.
    NotOwner,
}

impl fmt::Display for ReleaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReleaseError::NotAcquired => "released more often than acquired",
            ReleaseError::NotOwner => "lock is held by another greenlet",
        })
    }
}

impl std::error::Error for ReleaseError {}

/// Returned by [`AsyncResult::get_timeout`](super::AsyncResult::get_timeout):
/// no result in time, or the result is an error.
pub enum GetTimeoutError<E> {
    /// The timeout passed before a result was set.
    TimedOut,
    /// The result was set to this error.
    Failed(E),
}

impl<E> fmt::Debug for GetTimeoutError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetTimeoutError::TimedOut => f.write_str("TimedOut"),
            GetTimeoutError::Failed(_) => f.write_str("Failed(..)"),
        }
    }
}

impl<E> fmt::Display for GetTimeoutError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GetTimeoutError::TimedOut => "timed out waiting for the result",
            GetTimeoutError::Failed(_) => "the result is an error",
        })
    }
}

impl<E> std::error::Error for GetTimeoutError<E> {}

impl<E> GetTimeoutError<E> {
    /// Whether the timeout passed.
    pub fn is_timeout(&self) -> bool {
        matches!(self, GetTimeoutError::TimedOut)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoDebug;

    #[test]
    fn display_is_lowercase_and_debug_needs_no_debug() {
        assert_eq!(
            ReleaseError::NotAcquired.to_string(),
            "released more often than acquired"
        );
        assert_eq!(
            ReleaseError::NotOwner.to_string(),
            "lock is held by another greenlet"
        );
        let e: GetTimeoutError<NoDebug> = GetTimeoutError::Failed(NoDebug);
        assert_eq!(format!("{e:?}"), "Failed(..)");
        assert_eq!(
            GetTimeoutError::<NoDebug>::TimedOut.to_string(),
            "timed out waiting for the result"
        );
    }
}
