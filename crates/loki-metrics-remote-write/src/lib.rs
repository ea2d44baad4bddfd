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
mod periodic;
pub mod proto;
pub mod queue;
mod writer;

pub use encode::{encode, write_request, ExternalLabels};
pub use periodic::{
    periodically, stats_families, PeriodicPush, LAST_SUCCESS, QUEUE_SAMPLES, SAMPLES_DROPPED, SAMPLES_FAILED,
    SAMPLES_SENT,
};
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
    /// The URL, a header or a limit is unusable (the message says which).
    #[error("{0}")]
    Config(String),
    /// The sender's thread or runtime could not start.
    #[error("remote-write sender: {0}")]
    Runtime(String),
}
