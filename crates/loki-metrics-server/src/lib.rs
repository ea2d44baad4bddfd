//! The loki-metrics HTTP exporter (axum + hyper + tokio, rustls with ring)
//! and a matching client.
//!
//! * [`Server::start`] runs an exporter on its own runtime thread and returns
//!   a [`RunningServer`] handle (what the bindings embed); [`serve`] runs one
//!   on the caller's runtime until a shutdown future completes (the CLI).
//! * [`client::fetch`] GETs an endpoint over the same HTTP stack.
#![deny(missing_docs)]

pub mod client;
mod config;
mod connections;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod page;
mod routes;
mod server;
mod tls;
mod watcher;

pub use config::{
    read_token_file, Limits, ServerConfig, DEFAULT_HOST, DEFAULT_PATH, DEFAULT_PORT, HEALTH_PATH, MAX_HISTORY_STEP,
    MIN_HISTORY_STEP, STATUS_API_PATH, STATUS_PAGE_PATH, TARGETS_API_PATH,
};
pub use error::{FetchError, ServeError};
pub use server::{serve, serve_until_signal, shutdown_signal, BoundServer, RunningServer, Server};
pub use tls::ClientTrust;
