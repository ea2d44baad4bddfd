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
    /// An option name that the function does not take (as given, cut to its
    /// first 64 characters), with the closest name it does take.
    #[error("unknown option {name:?}{}", suggestion.as_ref().map(|s| format!(": did you mean {s:?}?")).unwrap_or_default())]
    UnknownOption {
        /// The name given.
        name: String,
        /// The known name closest to it, if any is close.
        suggestion: Option<String>,
    },
    /// An option value outside its allowed range.
    #[error("invalid value for {name}: {reason}")]
    InvalidOption {
        /// The option's name.
        name: &'static str,
        /// Why the value was refused.
        reason: String,
    },
    /// A snapshot's typed view (its JSON, or a binding's object) without a
    /// key it must have (spelled as the view spells it, e.g. `tasks.inProgress`).
    #[error("missing field `{key}`")]
    SnapshotKeyMissing {
        /// The key's path.
        key: String,
    },
    /// A snapshot's typed view with a value of the wrong type at `key`.
    #[error("{}expected {expected}", if key.is_empty() { String::new() } else { format!("{key}: ") })]
    SnapshotKeyType {
        /// The key's path (empty: the view itself).
        key: String,
        /// What it should be, e.g. `an integer`.
        expected: &'static str,
    },
    /// A snapshot's typed view with a value of the right type that is not
    /// allowed at `key` (a negative count, an unknown name or source path).
    #[error("{key} {reason}")]
    SnapshotKeyValue {
        /// The key's path.
        key: String,
        /// Why the value was refused, e.g. `must be an integer >= 0. Received -1`.
        reason: String,
    },
}

/// How a front end spells option names (see [`crate::OptionName`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameStyle {
    /// `json_size_cap`: Rust, Python, C.
    Snake,
    /// `jsonSizeCap`: Node.
    Camel,
    /// `--json-size-cap`: the CLI.
    Flag,
}

impl Error {
    /// The message with option names spelled as a front end spells them.
    pub fn message_for(&self, style: NameStyle) -> String {
        let spell = |name: &str| -> String {
            let known = crate::OPTION_NAMES.iter().find(|o| o.snake == name);
            match (style, known) {
                (NameStyle::Snake, _) | (_, None) => name.to_owned(),
                (NameStyle::Camel, Some(o)) => o.camel.to_owned(),
                (NameStyle::Flag, Some(o)) => o.flag.to_owned(),
            }
        };
        match self {
            Error::InvalidOption { name, reason } => format!("invalid value for {}: {reason}", spell(name)),
            other => other.to_string(),
        }
    }
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

    pub(crate) fn unknown_option(given: &str, known: &[&str]) -> Self {
        let closest = known
            .iter()
            .map(|k| (edit_distance(&given.to_ascii_lowercase(), &k.to_ascii_lowercase()), *k))
            .min_by_key(|(d, _)| *d)
            .filter(|(d, k)| *d <= (k.len() / 3).max(2));
        Error::UnknownOption { name: quoted(given), suggestion: closest.map(|(_, k)| k.to_owned()) }
    }

    pub(crate) fn invalid_option(name: &'static str, reason: impl fmt::Display) -> Self {
        Error::InvalidOption { name, reason: reason.to_string() }
    }
}

/// Levenshtein distance, for "did you mean" (names are short).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().take(QUOTED_CHARS).enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
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
