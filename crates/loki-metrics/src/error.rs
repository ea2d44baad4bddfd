use std::fmt;

/// Errors from the library's API (bad arguments). Problems in the `.loki`
/// directory are never errors: they are [`crate::Warning`]s on a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An output format name that is not one of `prometheus`, `openmetrics`, `json`.
    #[error("unknown format {0:?}: expected one of prometheus, openmetrics, json")]
    UnknownFormat(String),
    /// A timestamp argument that is not RFC 3339 (e.g. `2026-01-05T10:00:00Z`).
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

impl Error {
    pub(crate) fn invalid_option(name: &'static str, reason: impl fmt::Display) -> Self {
        Error::InvalidOption { name, reason: reason.to_string() }
    }
}
