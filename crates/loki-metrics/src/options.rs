use std::path::PathBuf;
use std::time::SystemTime;

use crate::Error;

/// `loki_iteration_max` when neither the option nor `LOKI_MAX_ITERATIONS` gives a valid value.
pub const DEFAULT_MAX_ITERATIONS: u64 = 1000;
/// Largest JSON source read by default (64 MiB).
pub const DEFAULT_JSON_SIZE_CAP: u64 = 64 * 1024 * 1024;

/// What to read and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The `.loki` directory.
    pub loki_dir: PathBuf,
    /// `loki_iteration_max`; `None` reads env `LOKI_MAX_ITERATIONS` at each
    /// collection (an invalid value there is a warning and 1000).
    pub max_iterations: Option<u64>,
    /// JSON sources larger than this many bytes are skipped with a warning.
    pub json_size_cap: u64,
    /// The clock used for `loki_uptime_seconds`; `None` is the system clock.
    pub now: Option<SystemTime>,
    /// Also emit `loki_source_error`, `loki_scrape_duration_seconds` and
    /// `loki_exporter_build_info`.
    pub exporter_metrics: bool,
}

impl Options {
    /// Options for `loki_dir` with every default.
    pub fn new(loki_dir: impl Into<PathBuf>) -> Self {
        Options {
            loki_dir: loki_dir.into(),
            max_iterations: None,
            json_size_cap: DEFAULT_JSON_SIZE_CAP,
            now: None,
            exporter_metrics: false,
        }
    }

    /// Options from the environment: `LOKI_DIR` (else `./.loki`) and
    /// `LOKI_METRICS_EXPORTER_METRICS=true`.
    pub fn from_env() -> Self {
        let dir = std::env::var_os("LOKI_DIR").filter(|d| !d.is_empty()).map(PathBuf::from);
        let mut options = Options::new(dir.unwrap_or_else(|| PathBuf::from(".loki")));
        options.exporter_metrics = env_flag("LOKI_METRICS_EXPORTER_METRICS");
        options
    }

    /// Sets `max_iterations`, refusing 0.
    pub fn with_max_iterations(mut self, max: u64) -> Result<Self, Error> {
        if max == 0 {
            return Err(Error::invalid_option("max_iterations", "must be at least 1"));
        }
        self.max_iterations = Some(max);
        Ok(self)
    }

    /// Sets the clock from an RFC 3339 timestamp such as `2026-01-05T10:00:00Z`.
    pub fn with_now_rfc3339(mut self, now: &str) -> Result<Self, Error> {
        self.now = Some(parse_rfc3339(now)?);
        Ok(self)
    }
}

/// Parses an RFC 3339 timestamp (with a `Z` or numeric offset).
pub fn parse_rfc3339(text: &str) -> Result<SystemTime, Error> {
    text.trim().parse::<jiff::Timestamp>().map(SystemTime::from).map_err(|_| Error::invalid_timestamp(text))
}

/// True when the variable is set to `true`, `1` or `yes` (any case).
pub fn env_flag(name: &str) -> bool {
    std::env::var(name).map(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes")).unwrap_or(false)
}
