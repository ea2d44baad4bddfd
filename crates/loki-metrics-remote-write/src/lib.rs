//! Prometheus Remote-Write 1.0 for loki-metrics: the families of a
//! collection as a snappy-compressed protobuf `WriteRequest` ([`encode`]),
//! and [`RemoteWriter`], a sender with a bounded queue (oldest samples
//! dropped and counted), exponential backoff with jitter on 5xx, 429 and
//! connection errors, no retry on other 4xx, and a last send at shutdown.
//!
//! The protocol as sent, the delivery rules and receiver configurations are
//! in `docs/remote-write.md`.
#![deny(missing_docs)]

pub mod backoff;
pub mod encode;
mod inputs;
mod periodic;
pub mod proto;
mod push;
pub mod queue;
mod writer;

pub use encode::{encode, write_request, ExternalLabels};
pub use inputs::{
    positive, spell, RemoteWriteInputs, DEFAULT_INTERVAL, DEFAULT_PUSH_TIMEOUT, DEFAULT_REQUEST_TIMEOUT,
    REMOTE_WRITE_OPTION_NAMES,
};
pub use periodic::{
    periodically, stats_families, PeriodicPush, LAST_SUCCESS, QUEUE_SAMPLES, SAMPLES_DROPPED, SAMPLES_FAILED,
    SAMPLES_SENT,
};
pub use push::{push_once, PushError};
pub use writer::{
    Auth, RemoteWriteConfig, RemoteWriteStats, RemoteWriter, StatsHandle, DEFAULT_MAX_BACKOFF, DEFAULT_MIN_BACKOFF,
    DEFAULT_QUEUE_SAMPLES, MAX_RETRY_AFTER, MAX_SAMPLES_PER_SEND,
};

/// Why remote write could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteWriteError {
    /// An external label is not a valid, unreserved Prometheus label.
    #[error("invalid external label {label:?}: {reason}")]
    InvalidLabel {
        /// The label (or the `k=v` text) given.
        label: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The URL, a header or a secret file is unusable (the message says which).
    #[error("{0}")]
    Config(String),
    /// A duration option is zero.
    #[error("{name} must be a number of seconds greater than 0")]
    NotPositive {
        /// The option, by its snake-case name (see [`REMOTE_WRITE_OPTION_NAMES`]).
        name: &'static str,
    },
    /// An option's value is refused (the reason says why).
    #[error("{name} {reason}")]
    InvalidOption {
        /// The option, by its snake-case name (see [`REMOTE_WRITE_OPTION_NAMES`]).
        name: &'static str,
        /// What is wrong, a phrase after the name ("must be at least 1").
        reason: String,
    },
    /// The sender's thread or runtime could not start.
    #[error("remote-write sender: {0}")]
    Runtime(String),
}

impl RemoteWriteError {
    /// The message with option names spelled as a front end spells them
    /// (Node's durations are milliseconds).
    pub fn message_for(&self, style: loki_metrics::NameStyle) -> String {
        match self {
            RemoteWriteError::NotPositive { name } => {
                let unit = if style == loki_metrics::NameStyle::Camel { "milliseconds" } else { "seconds" };
                format!("{} must be a number of {unit} greater than 0", spell(name, style))
            }
            RemoteWriteError::InvalidOption { name, reason } => format!("{} {reason}", spell(name, style)),
            other => other.to_string(),
        }
    }
}
