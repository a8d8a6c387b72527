//! Errors a user can act on.
//!
//! A [`UserError`] is one sentence naming the field and the value at fault,
//! plus optional `hint:` lines (such as the closest existing name). `main`
//! prints it as `error: ...` followed by the hints and exits with status 1.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    pub message: String,
    pub hints: Vec<String>,
}

impl UserError {
    pub fn new(message: impl Into<String>) -> UserError {
        UserError { message: message.into(), hints: Vec::new() }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> UserError {
        self.hints.push(hint.into());
        self
    }

    /// Adds a hint only when there is one.
    pub fn maybe_hint(self, hint: Option<String>) -> UserError {
        match hint {
            Some(h) => self.hint(h),
            None => self,
        }
    }
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UserError {}

/// Shorthand for returning a [`UserError`] from a function returning `anyhow::Result`.
#[macro_export]
macro_rules! user_bail {
    ($($arg:tt)*) => {
        return Err($crate::core::error::UserError::new(format!($($arg)*)).into())
    };
}
