//! Why a greenlet did not return a value.

use std::any::Any;
use std::fmt;
use std::sync::Mutex;

/// Returned by [`JoinHandle::join`](crate::JoinHandle::join) when the
/// greenlet did not return normally: it was killed, or it panicked.
pub struct JoinError {
    repr: Repr,
}

enum Repr {
    Killed,
    /// The message is read out of the payload up front, and the payload is
    /// kept behind a mutex, so `JoinError` is `Sync` (and fits in an
    /// `io::Error`) although panic payloads are only `Send`.
    Panicked {
        message: Option<String>,
        payload: Mutex<Box<dyn Any + Send + 'static>>,
    },
}

impl JoinError {
    pub(crate) fn killed() -> Self {
        JoinError { repr: Repr::Killed }
    }

    /// Classifies a payload caught at a greenlet's root: our kill signal
    /// means killed, anything else is a panic.
    pub(crate) fn from_payload(payload: Box<dyn Any + Send + 'static>) -> Self {
        if payload.is::<crate::hub::KillSignal>() {
            JoinError::killed()
        } else {
            JoinError::panicked(payload)
        }
    }

    pub(crate) fn panicked(payload: Box<dyn Any + Send + 'static>) -> Self {
        let message = payload
            .downcast_ref::<&'static str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned());
        JoinError {
            repr: Repr::Panicked {
                message,
                payload: Mutex::new(payload),
            },
        }
    }

    /// The greenlet was killed (before it started, or unwound at a
    /// suspension point).
    pub fn is_killed(&self) -> bool {
        matches!(self.repr, Repr::Killed)
    }

    /// The greenlet panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panicked { .. })
    }

    /// The panic payload, to re-raise with `std::panic::resume_unwind`.
    ///
    /// # Panics
    ///
    /// Panics if the greenlet was killed rather than panicking; check
    /// [`is_panic`](Self::is_panic) or use [`try_into_panic`](Self::try_into_panic).
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic()
            .expect("`JoinError::into_panic` called on a killed greenlet's error")
    }

    /// The panic payload, or the error back if the greenlet was killed.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panicked { payload, .. } => {
                Ok(payload.into_inner().unwrap_or_else(|e| e.into_inner()))
            }
            Repr::Killed => Err(self),
        }
    }

    /// The panic message, when the payload is a string.
    pub fn panic_message(&self) -> Option<&str> {
        match &self.repr {
            Repr::Panicked { message, .. } => message.as_deref(),
            Repr::Killed => None,
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Killed => f.write_str("JoinError::Killed"),
            Repr::Panicked { .. } => match self.panic_message() {
                Some(m) => write!(f, "JoinError::Panicked({m:?})"),
                None => f.write_str("JoinError::Panicked(..)"),
            },
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Killed => f.write_str("greenlet was killed"),
            Repr::Panicked { .. } => match self.panic_message() {
                Some(m) => write!(f, "greenlet panicked: {m}"),
                None => f.write_str("greenlet panicked"),
            },
        }
    }
}

impl std::error::Error for JoinError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_kinds() {
        let k = JoinError::killed();
        assert!(k.is_killed() && !k.is_panic());
        assert_eq!(k.to_string(), "greenlet was killed");
        let p = JoinError::panicked(Box::new("boom"));
        assert!(p.is_panic());
        assert_eq!(p.to_string(), "greenlet panicked: boom");
        assert_eq!(format!("{p:?}"), "JoinError::Panicked(\"boom\")");
        let s = JoinError::panicked(Box::new(String::from("owned")));
        assert_eq!(s.panic_message(), Some("owned"));
        assert!(k.try_into_panic().is_err());
        // Fits in an io::Error (needs Send + Sync).
        let io = std::io::Error::other(JoinError::panicked(Box::new("in io")));
        assert_eq!(io.to_string(), "greenlet panicked: in io");
        let payload = s.into_panic();
        assert_eq!(
            payload.downcast_ref::<String>().map(String::as_str),
            Some("owned")
        );
    }
}
