//! Errors of the queues, named after `std::sync::mpsc`'s.
//!
//! A failed put hands its item back. `Debug` never needs `T: Debug`.

use std::fmt;

/// Returned by `try_get` (for example [`Queue::try_get`](super::Queue::try_get)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryGetError {
    /// Nothing to get now.
    Empty,
    /// The queue was shut down (and, after a graceful shutdown, drained).
    ShutDown,
}

/// Returned by `get` (for example [`Queue::get`](super::Queue::get)): the
/// queue was shut down (and, after a graceful shutdown, drained).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetError;

/// Returned by `get_timeout` (for example
/// [`Queue::get_timeout`](super::Queue::get_timeout)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetTimeoutError {
    /// Nothing arrived before the timeout.
    TimedOut,
    /// The queue was shut down (and, after a graceful shutdown, drained).
    ShutDown,
}

/// Returned by `put` (for example [`Queue::put`](super::Queue::put)): the
/// queue was shut down; the item is handed back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PutError<T>(pub T);

/// Returned by `try_put` (for example
/// [`Queue::try_put`](super::Queue::try_put)); the item is handed back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TryPutError<T> {
    /// The queue is full (a [`Channel`](super::Channel): no getter is
    /// waiting).
    Full(T),
    /// The queue was shut down.
    ShutDown(T),
}

/// Returned by `put_timeout` (for example
/// [`Queue::put_timeout`](super::Queue::put_timeout)); the item is handed
/// back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PutTimeoutError<T> {
    /// There was no room before the timeout.
    TimedOut(T),
    /// The queue was shut down.
    ShutDown(T),
}

/// Returned by [`JoinableQueue::task_done`](super::JoinableQueue::task_done)
/// when it is called more times than items were put.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskDoneError;

impl<T> PutError<T> {
    /// The item that was not put.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> TryPutError<T> {
    /// The item that was not put.
    pub fn into_inner(self) -> T {
        match self {
            TryPutError::Full(t) | TryPutError::ShutDown(t) => t,
        }
    }

    /// Whether the queue was full.
    pub fn is_full(&self) -> bool {
        matches!(self, TryPutError::Full(_))
    }

    /// Whether the queue was shut down.
    pub fn is_shutdown(&self) -> bool {
        matches!(self, TryPutError::ShutDown(_))
    }
}

impl<T> PutTimeoutError<T> {
    /// The item that was not put.
    pub fn into_inner(self) -> T {
        match self {
            PutTimeoutError::TimedOut(t) | PutTimeoutError::ShutDown(t) => t,
        }
    }

    /// Whether the timeout passed.
    pub fn is_timeout(&self) -> bool {
        matches!(self, PutTimeoutError::TimedOut(_))
    }

    /// Whether the queue was shut down.
    pub fn is_shutdown(&self) -> bool {
        matches!(self, PutTimeoutError::ShutDown(_))
    }
}

impl<T> From<PutError<T>> for TryPutError<T> {
    fn from(e: PutError<T>) -> Self {
        TryPutError::ShutDown(e.0)
    }
}

impl<T> From<PutError<T>> for PutTimeoutError<T> {
    fn from(e: PutError<T>) -> Self {
        PutTimeoutError::ShutDown(e.0)
    }
}

impl From<GetError> for TryGetError {
    fn from(_: GetError) -> Self {
        TryGetError::ShutDown
    }
}

impl From<GetError> for GetTimeoutError {
    fn from(_: GetError) -> Self {
        GetTimeoutError::ShutDown
    }
}

const SHUT_DOWN: &str = "queue is shut down";
const TIMED_OUT: &str = "timed out waiting on the queue";

impl fmt::Display for TryGetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryGetError::Empty => "queue is empty",
            TryGetError::ShutDown => SHUT_DOWN,
        })
    }
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SHUT_DOWN)
    }
}

impl fmt::Display for GetTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GetTimeoutError::TimedOut => TIMED_OUT,
            GetTimeoutError::ShutDown => SHUT_DOWN,
        })
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PutError(..)")
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SHUT_DOWN)
    }
}

impl<T> fmt::Debug for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryPutError::Full(_) => "Full(..)",
            TryPutError::ShutDown(_) => "ShutDown(..)",
        })
    }
}

impl<T> fmt::Display for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryPutError::Full(_) => "queue is full",
            TryPutError::ShutDown(_) => SHUT_DOWN,
        })
    }
}

impl<T> fmt::Debug for PutTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PutTimeoutError::TimedOut(_) => "TimedOut(..)",
            PutTimeoutError::ShutDown(_) => "ShutDown(..)",
        })
    }
}

impl<T> fmt::Display for PutTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PutTimeoutError::TimedOut(_) => TIMED_OUT,
            PutTimeoutError::ShutDown(_) => SHUT_DOWN,
        })
    }
}

impl fmt::Display for TaskDoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task_done called more times than items were put")
    }
}

impl std::error::Error for TryGetError {}
impl std::error::Error for GetError {}
impl std::error::Error for GetTimeoutError {}
impl<T> std::error::Error for PutError<T> {}
impl<T> std::error::Error for TryPutError<T> {}
impl<T> std::error::Error for PutTimeoutError<T> {}
impl std::error::Error for TaskDoneError {}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoDebug;

    #[test]
    fn debug_without_t_debug_and_lowercase_display() {
        assert_eq!(format!("{:?}", PutError(NoDebug)), "PutError(..)");
        assert_eq!(format!("{:?}", TryPutError::Full(NoDebug)), "Full(..)");
        assert_eq!(
            format!("{:?}", PutTimeoutError::TimedOut(NoDebug)),
            "TimedOut(..)"
        );
        assert_eq!(TryPutError::Full(1).to_string(), "queue is full");
        assert_eq!(PutError(1).to_string(), "queue is shut down");
        assert_eq!(TryGetError::Empty.to_string(), "queue is empty");
        assert_eq!(
            GetTimeoutError::TimedOut.to_string(),
            "timed out waiting on the queue"
        );
        assert_eq!(PutTimeoutError::ShutDown(3).into_inner(), 3);
        assert!(TryPutError::ShutDown(()).is_shutdown());
        assert_eq!(
            TaskDoneError.to_string(),
            "task_done called more times than items were put"
        );
    }
}
