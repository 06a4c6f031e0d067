//! A string that must never be printed: user tokens, signing keys.

use std::fmt;
use std::sync::Arc;

/// A secret value (a Paragon user token). Its `Debug` output is `Secret([redacted])` and it has no
/// `Display`, so it cannot end up in logs or error messages by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Arc::from(value.into()))
    }

    /// The secret itself, for the one place that has to send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Replaces every occurrence of this secret in `text` with `[redacted]`, for messages built
    /// from server replies (a server may echo the token back).
    pub(crate) fn scrub(&self, text: &str) -> String {
        // A very short secret would match ordinary text; real tokens are long JWTs.
        if self.0.len() < 8 {
            return text.to_owned();
        }
        text.replace(&*self.0, "[redacted]")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("eyJhbGciOi.secret.value");
        assert_eq!(format!("{secret:?}"), "Secret([redacted])");
        assert!(!format!("{secret:#?}").contains("secret.value"));
    }

    #[test]
    fn scrub_removes_every_occurrence() {
        let secret = Secret::new("tok-123456789");
        assert_eq!(
            secret.scrub("a tok-123456789 b tok-123456789"),
            "a [redacted] b [redacted]"
        );
    }
}
