use std::fmt;

/// Errors from the library's API (bad arguments). Problems in the `.loki`
/// directory are never errors: they are [`crate::Warning`]s on a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An output format name that is not one of `prometheus`, `openmetrics`,
    /// `json` (as given, cut to its first 64 characters).
    #[error("unknown format {0:?}: expected one of prometheus, openmetrics, json")]
    UnknownFormat(String),
    /// A timestamp argument that is not RFC 3339 (e.g. `2026-01-05T10:00:00Z`;
    /// as given, cut to its first 64 characters).
    #[error("invalid timestamp {0:?}: expected RFC 3339, e.g. 2026-01-05T10:00:00Z")]
    InvalidTimestamp(String),
    /// An option value outside its allowed range.
    #[error("invalid value for {name}: {reason}")]
    InvalidOption {
        /// The option's name.
        name: &'static str,
        /// Why the value was refused.
        reason: String,
    },
}

/// Longest argument text an error quotes back.
const QUOTED_CHARS: usize = 64;

impl Error {
    pub(crate) fn unknown_format(given: &str) -> Self {
        Error::UnknownFormat(quoted(given))
    }

    pub(crate) fn invalid_timestamp(given: &str) -> Self {
        Error::InvalidTimestamp(quoted(given))
    }

    pub(crate) fn invalid_option(name: &'static str, reason: impl fmt::Display) -> Self {
        Error::InvalidOption { name, reason: reason.to_string() }
    }
}

/// `given` as an error quotes it: whole, or its first [`QUOTED_CHARS`]
/// characters and `...` (a 10 MB argument must not become a 10 MB message).
fn quoted(given: &str) -> String {
    match given.char_indices().nth(QUOTED_CHARS) {
        Some((end, _)) => format!("{}...", &given[..end]),
        None => given.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_arguments_are_quoted_cut_short() {
        let long = "é".repeat(1_000_000);
        let message = Error::invalid_timestamp(&long).to_string();
        assert_eq!(
            message,
            format!("invalid timestamp \"{}...\": expected RFC 3339, e.g. 2026-01-05T10:00:00Z", "é".repeat(64))
        );
        assert_eq!(Error::unknown_format(&"x".repeat(64)), Error::UnknownFormat("x".repeat(64)));
        assert_eq!(Error::unknown_format(&"x".repeat(65)), Error::UnknownFormat(format!("{}...", "x".repeat(64))));
    }
}
