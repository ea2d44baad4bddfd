//! The `loki-metrics` npm package's native addon: a thin napi-rs adapter over
//! the core (`loki_metrics`) and the exporter (`loki_metrics_server`).
//!
//! Each blocking call exists twice, synchronous and as an `AsyncTask` on the
//! libuv thread pool. Errors reach JavaScript as `Error` objects with a
//! stable `code` (see `error.rs`).

// napi-derive registers no exports under cfg(test), so there every export looks unused.
#![cfg_attr(test, allow(dead_code))]

mod collect;
mod collector;
mod error;
mod options;
mod parse;
mod remote_write;
mod serve;
mod snapshot;
mod task;

use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;

use crate::error::OrThrow;

/// An output format of `render`.
#[napi(string_enum)]
pub enum Format {
    #[napi(value = "prometheus")]
    Prometheus,
    #[napi(value = "openmetrics")]
    OpenMetrics,
    #[napi(value = "json")]
    Json,
}

/// `Content-Type` of Prometheus text 0.0.4.
#[napi]
pub const PROMETHEUS_CONTENT_TYPE: &str = loki_metrics::encode::PROMETHEUS_CONTENT_TYPE;
/// `Content-Type` of OpenMetrics 1.0.0.
#[napi]
pub const OPENMETRICS_CONTENT_TYPE: &str = loki_metrics::encode::OPENMETRICS_CONTENT_TYPE;
/// `Content-Type` of the JSON encoding.
#[napi]
pub const JSON_CONTENT_TYPE: &str = loki_metrics::encode::JSON_CONTENT_TYPE;
/// The version of the Rust core inside this addon.
#[napi]
pub const VERSION: &str = loki_metrics::VERSION;

/// Picks `'openmetrics'` or `'prometheus'` for an HTTP `Accept` header, as
/// the exporter does (q-values honoured; no header means `'prometheus'`).
#[napi(ts_args_type = "accept?: string | null", ts_return_type = "'prometheus' | 'openmetrics'")]
pub fn negotiate(env: Env, accept: Option<Unknown>) -> napi::Result<&'static str> {
    let accept = options::string_arg("accept", accept).or_throw(&env)?;
    Ok(loki_metrics::negotiate(accept.as_deref()).as_str())
}

/// The `Content-Type` of a format.
#[napi(ts_args_type = "format: Format")]
pub fn content_type(env: Env, format: Unknown) -> napi::Result<&'static str> {
    let format = options::required_string_arg("format", format)
        .and_then(|f| options::format_arg("format", Some(&f)))
        .or_throw(&env)?;
    Ok(format.content_type())
}
