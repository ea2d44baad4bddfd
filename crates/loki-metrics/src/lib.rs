//! Read a Loki Mode `.loki/` directory and expose it as Prometheus metrics.
//!
//! The pipeline is `sources -> Snapshot -> encode`:
//!
//! * [`collect`] reads the directory once and returns a [`Snapshot`] (the nine
//!   metric values plus every problem met on the way, as [`Warning`]s).
//! * [`render`] encodes a snapshot as Prometheus text 0.0.4, OpenMetrics 1.0.0
//!   or JSON; [`negotiate`] picks the format from an HTTP `Accept` header.
//!
//! Bad data in `.loki` never fails a collection: it becomes a warning and the
//! fallback value the specification gives, so the output is always a valid
//! exposition.
//!
//! ```no_run
//! let options = loki_metrics::Options::new(".loki");
//! let snapshot = loki_metrics::collect(&options);
//! print!("{}", loki_metrics::render(&snapshot, loki_metrics::Format::Prometheus));
//! ```
#![deny(missing_docs)]

mod collector;
pub mod encode;
mod error;
pub mod families;
pub mod fleet;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod options;
mod snapshot;
mod sources;
mod typed;
pub mod typings;
pub mod view;

pub use collector::{Collector, DEFAULT_CACHE_TTL};
pub use encode::{negotiate, render, render_into, Format};
pub use error::{Error, NameStyle};
pub use loki_metrics_exposition as exposition;
pub use loki_metrics_exposition::parse;
pub use loki_metrics_exposition::{Exemplar, Label, MetricFamily, MetricType, Sample, SampleValue, TextFormat, Value};
pub use options::{
    check_option_names, env_flag, flag_value, max_iterations_from_env, parse_rfc3339, parse_seconds,
    reference_markdown as options_reference_markdown, OptionInputs, OptionName, Options, DEFAULT_JSON_SIZE_CAP,
    DEFAULT_MAX_ITERATIONS, DEFAULT_STALE_AFTER, OPTION_NAMES,
};
pub use snapshot::{ExporterInfo, SessionStatus, Snapshot, Source, TaskCounts, Warning};
pub use sources::{LineCount, SourceState};
pub use typed::{KeyCase, SnapshotData, TypedView};

/// Reads the directory named by `options` once, from scratch.
///
/// Never fails: every problem is a [`Warning`] on the returned snapshot.
pub fn collect(options: &Options) -> Snapshot {
    SourceState::default().collect(options)
}

/// The version of this library, as in its `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
