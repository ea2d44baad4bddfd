//! `push(url, opts)` and `serve({ remoteWrite })`: Prometheus remote write
//! from Node. Options become the remote-write crate's `RemoteWriteInputs`
//! (whose `resolve` holds every rule); the push is its `push_once`, on the
//! thread pool.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use loki_metrics::{NameStyle, Options};
use loki_metrics_remote_write::{
    push_once, PushError, RemoteWriteConfig, RemoteWriteError, RemoteWriteInputs, RemoteWriteStats as CoreStats,
    DEFAULT_PUSH_TIMEOUT,
};
use napi::bindgen_prelude::*;
use napi::{Env, ValueType};
use napi_derive::napi;
use std::result::Result;

use crate::error::{NodeError, ERR_INVALID_ARG_VALUE, ERR_LOKI_HTTP_STATUS, ERR_LOKI_IO, ERR_LOKI_TIMEOUT};
use crate::options::{
    core_options, count_arg, millis_arg, object_arg, property_names, required_string_arg, CollectOptions, Now,
    OptionKeys,
};
use crate::task::{Offload, Work};

/// Basic authentication: the user and a file whose first line is the password.
#[napi(object, object_to_js = false)]
#[derive(Debug, Default)]
pub struct BasicAuth {
    /// The user (Grafana Cloud: the instance ID).
    pub user: String,
    /// A file whose first line is the password (Grafana Cloud: an access token).
    pub password_file: String,
}

impl OptionKeys for BasicAuth {
    const KEYS: &'static [&'static str] = &["user", "passwordFile"];
}

/// Where and how `serve({ remoteWrite })` sends its collections.
#[napi(object, object_to_js = false)]
#[derive(Debug, Default)]
pub struct RemoteWriteOptions {
    /// The receiver, `http://` or `https://` (e.g. `http://prometheus:9090/api/v1/write`).
    pub url: String,
    /// Labels added to every series (e.g. `{ instance: 'laptop' }`); a sample's own label of the same name wins.
    pub external_labels: Option<HashMap<String, String>>,
    /// Extra request headers (e.g. `{ 'X-Scope-OrgID': 'team-a' }`).
    pub headers: Option<HashMap<String, String>>,
    /// Send `Authorization: Bearer <this file's first line>`.
    pub bearer_token_file: Option<String>,
    /// Send basic auth (not with `bearerTokenFile`).
    pub basic_auth: Option<BasicAuth>,
    /// Trust only these PEM CA certificates for `https://` (default: the Mozilla roots).
    pub ca_file: Option<String>,
    /// How long one request may take, in milliseconds (default 10000); also the last send's deadline at `close()`.
    pub request_timeout_ms: Option<f64>,
    /// Most samples queued while the receiver cannot be reached (default 50000).
    pub queue_samples: Option<f64>,
    /// Milliseconds between two collections sent (default 15000).
    pub interval_ms: Option<f64>,
}

impl OptionKeys for RemoteWriteOptions {
    const KEYS: &'static [&'static str] = &[
        "url",
        "externalLabels",
        "headers",
        "bearerTokenFile",
        "basicAuth",
        "caFile",
        "requestTimeoutMs",
        "queueSamples",
        "intervalMs",
    ];
}

/// Options of `push(url, opts)`: the directory and collection options, and
/// how to send.
#[napi(object, object_to_js = false)]
#[derive(Debug, Default)]
pub struct PushOptions {
    /// The `.loki` directory (default: env `LOKI_DIR`, else `./.loki`).
    pub loki_dir: Option<String>,
    /// `lokiDir`, as `serve` also takes it.
    pub dir: Option<String>,
    /// As in `collect`.
    pub max_iterations: Option<f64>,
    /// As in `collect`.
    #[napi(ts_type = "Date | number | string")]
    pub now: Option<Now>,
    /// As in `collect`.
    pub json_size_cap: Option<f64>,
    /// As in `collect`.
    pub exporter_metrics: Option<bool>,
    /// As in `collect`.
    pub stale_after_ms: Option<f64>,
    /// As in `RemoteWriteOptions`.
    pub external_labels: Option<HashMap<String, String>>,
    /// As in `RemoteWriteOptions`.
    pub headers: Option<HashMap<String, String>>,
    /// As in `RemoteWriteOptions`.
    pub bearer_token_file: Option<String>,
    /// As in `RemoteWriteOptions`.
    pub basic_auth: Option<BasicAuth>,
    /// As in `RemoteWriteOptions`.
    pub ca_file: Option<String>,
    /// As in `RemoteWriteOptions`.
    pub request_timeout_ms: Option<f64>,
    /// How long the push may take, retries included, in milliseconds (default 30000).
    pub timeout_ms: Option<f64>,
}

impl OptionKeys for PushOptions {
    const KEYS: &'static [&'static str] = &[
        "lokiDir",
        "dir",
        "maxIterations",
        "now",
        "jsonSizeCap",
        "exporterMetrics",
        "staleAfterMs",
        "externalLabels",
        "headers",
        "bearerTokenFile",
        "basicAuth",
        "caFile",
        "requestTimeoutMs",
        "timeoutMs",
    ];
}

/// What a remote-write sender counted.
#[napi(object, object_from_js = false)]
#[derive(Debug)]
pub struct RemoteWriteStats {
    /// Samples the receiver accepted.
    pub samples_sent: f64,
    /// Samples the receiver refused for good (a 4xx other than 429).
    pub samples_failed: f64,
    /// Samples dropped unsent (the queue was full, or the deadline passed).
    pub samples_dropped: f64,
    /// Samples waiting to be sent.
    pub queue_samples: f64,
    /// When the receiver last accepted a request, epoch milliseconds; absent before.
    pub last_success_ms: Option<f64>,
    /// HTTP requests made, retries included.
    pub requests: f64,
    /// What went wrong last (a status and body, a connection error); absent after a success.
    pub last_error: Option<String>,
}

impl From<CoreStats> for RemoteWriteStats {
    fn from(s: CoreStats) -> Self {
        RemoteWriteStats {
            samples_sent: s.samples_sent as f64,
            samples_failed: s.samples_failed as f64,
            samples_dropped: s.samples_dropped as f64,
            queue_samples: s.queue_length as f64,
            last_success_ms: s.last_success_unix_seconds.map(|t| (t * 1000.0).round()),
            requests: s.requests as f64,
            last_error: s.last_error,
        }
    }
}

/// A refused remote-write option, named as Node spells it.
fn setup_error(e: RemoteWriteError) -> NodeError {
    match e {
        RemoteWriteError::Runtime(_) => NodeError::new(ERR_LOKI_IO, e.to_string()),
        _ => NodeError::new(ERR_INVALID_ARG_VALUE, e.message_for(NameStyle::Camel)),
    }
}

impl From<PushError> for NodeError {
    fn from(e: PushError) -> Self {
        let message = e.message_for(NameStyle::Camel);
        match e {
            PushError::Setup(e) => setup_error(e),
            PushError::Refused { status: Some(status), .. } => {
                NodeError::new(ERR_LOKI_HTTP_STATUS, message).with("status", f64::from(status))
            }
            PushError::GaveUp { .. } => NodeError::new(ERR_LOKI_TIMEOUT, message),
            _ => NodeError::new(ERR_LOKI_IO, message),
        }
    }
}

/// The remote-write fields both option objects have.
struct Fields {
    url: String,
    external_labels: Option<HashMap<String, String>>,
    headers: Option<HashMap<String, String>>,
    bearer_token_file: Option<String>,
    basic_auth: Option<BasicAuth>,
    ca_file: Option<String>,
    request_timeout_ms: Option<f64>,
    queue_samples: Option<f64>,
    interval_ms: Option<f64>,
}

fn pairs(map: Option<HashMap<String, String>>) -> Vec<(String, String)> {
    let mut pairs: Vec<_> = map.unwrap_or_default().into_iter().collect();
    // A JS object has no duplicate names; sorted, messages do not depend on hashing.
    pairs.sort();
    pairs
}

impl Fields {
    /// The core's inputs (types converted; no rule applied here).
    fn inputs(self) -> Result<RemoteWriteInputs, NodeError> {
        let (basic_auth_user, basic_auth_password_file) = match self.basic_auth {
            Some(auth) => (Some(auth.user), Some(PathBuf::from(auth.password_file))),
            None => (None, None),
        };
        Ok(RemoteWriteInputs {
            url: self.url,
            external_labels: pairs(self.external_labels),
            headers: pairs(self.headers),
            bearer_token_file: self.bearer_token_file.map(PathBuf::from),
            basic_auth_user,
            basic_auth_password_file,
            ca_file: self.ca_file.map(PathBuf::from),
            request_timeout: self.request_timeout_ms.map(|ms| millis_arg("requestTimeoutMs", ms, false)).transpose()?,
            queue_samples: self.queue_samples.map(|n| count_arg("queueSamples", n, 0.0)).transpose()?,
            interval: self.interval_ms.map(|ms| millis_arg("intervalMs", ms, false)).transpose()?,
        })
    }
}

/// `value[field]`, rethrowing what a getter or Proxy trap throws.
fn property<'env>(value: &Unknown<'env>, field: &str) -> Result<Option<Unknown<'env>>, NodeError> {
    if !matches!(value.get_type(), Ok(ValueType::Object)) {
        return Ok(None);
    }
    let env = value.value().env;
    let rethrown = |e: napi::Error| {
        NodeError::rethrow_pending(env, field).unwrap_or_else(|| NodeError::arg_value(field, e.reason))
    };
    // SAFETY: the type was just checked.
    let object: Object = unsafe { value.cast() }.map_err(rethrown)?;
    object.get_named_property::<Unknown>(field).map(Some).map_err(rethrown)
}

/// The names of the object at `value[field]` (if it is one) are all in `keys`.
fn check_nested(value: &Unknown, field: &str, keys: &[&str]) -> Result<(), NodeError> {
    let Some(nested) = property(value, field)? else { return Ok(()) };
    if !matches!(nested.get_type(), Ok(ValueType::Object)) {
        return Ok(());
    }
    let names = property_names(field, &nested)?;
    loki_metrics::check_option_names(names.iter().map(String::as_str), keys).map_err(|e| NodeError::arg_value(field, e))
}

/// `serve`'s `remoteWrite` option, its URL or its options object, resolved
/// (on the thread pool: it reads the secret files).
pub fn serve_remote_write(
    value: Either<String, RemoteWriteOptions>,
) -> Result<(RemoteWriteConfig, Duration), NodeError> {
    let inputs = match value {
        Either::A(url) => RemoteWriteInputs::new(url),
        Either::B(o) => Fields {
            url: o.url,
            external_labels: o.external_labels,
            headers: o.headers,
            bearer_token_file: o.bearer_token_file,
            basic_auth: o.basic_auth,
            ca_file: o.ca_file,
            request_timeout_ms: o.request_timeout_ms,
            queue_samples: o.queue_samples,
            interval_ms: o.interval_ms,
        }
        .inputs()?,
    };
    let interval = inputs.resolve_interval().map_err(setup_error)?;
    Ok((inputs.resolve().map_err(setup_error)?, interval))
}

/// Checks the names inside `serve`'s `remoteWrite` object (and its
/// `basicAuth`); called once the options were converted, so what a getter
/// of a known option throws comes first.
pub fn check_serve_names(opts: Option<Unknown>) -> Result<(), NodeError> {
    let Some(opts) = opts else { return Ok(()) };
    check_nested(&opts, "remoteWrite", RemoteWriteOptions::KEYS)?;
    match property(&opts, "remoteWrite")? {
        Some(remote_write) => check_nested(&remote_write, "basicAuth", BasicAuth::KEYS),
        None => Ok(()),
    }
}

pub struct PushWork {
    options: Options,
    inputs: RemoteWriteInputs,
    timeout: Duration,
}

impl Work for PushWork {
    type Output = CoreStats;
    type Js = RemoteWriteStats;
    fn run(self) -> Result<CoreStats, NodeError> {
        // Resolved here: it reads the secret files.
        let config = self.inputs.resolve().map_err(setup_error)?;
        let families = loki_metrics::collect(&self.options).families().to_vec();
        Ok(push_once(&families, config, self.timeout)?)
    }
    fn into_js(_env: &Env, stats: CoreStats) -> Result<RemoteWriteStats, NodeError> {
        Ok(stats.into())
    }
}

fn push_work(url: Unknown, opts: Option<Unknown>) -> Result<PushWork, NodeError> {
    let url = required_string_arg("url", url)?;
    let o = object_arg::<PushOptions>("opts", opts)?;
    if let Some(value) = &opts {
        check_nested(value, "basicAuth", BasicAuth::KEYS)?;
    }
    let collect = CollectOptions {
        max_iterations: o.max_iterations,
        now: o.now.clone(),
        json_size_cap: o.json_size_cap,
        exporter_metrics: o.exporter_metrics,
        stale_after_ms: o.stale_after_ms,
    };
    let options = core_options(crate::options::dir_option(o.dir, o.loki_dir)?, &collect)?;
    let timeout =
        o.timeout_ms.map(|ms| millis_arg("timeoutMs", ms, false)).transpose()?.unwrap_or(DEFAULT_PUSH_TIMEOUT);
    let inputs = Fields {
        url,
        external_labels: o.external_labels,
        headers: o.headers,
        bearer_token_file: o.bearer_token_file,
        basic_auth: o.basic_auth,
        ca_file: o.ca_file,
        request_timeout_ms: o.request_timeout_ms,
        queue_samples: None,
        interval_ms: None,
    }
    .inputs()?;
    Ok(PushWork { options, inputs, timeout })
}

/// Collects once and sends it to a Prometheus remote-write receiver, off the
/// event loop. Resolves with the sender's counters once the receiver
/// accepted every sample; rejects with `ERR_LOKI_HTTP_STATUS` (and `status`)
/// when it refused them (a 4xx other than 429, not retried),
/// `ERR_LOKI_TIMEOUT` when no success came within `timeoutMs` (no answer,
/// 5xx and 429 are retried until then), `ERR_INVALID_ARG_VALUE` for a refused
/// option (a bad label name, an unreadable secret file, ...).
#[napi(ts_args_type = "url: string, opts?: PushOptions | null", ts_return_type = "Promise<RemoteWriteStats>")]
pub fn push(url: Unknown, opts: Option<Unknown>) -> AsyncTask<Offload<PushWork>> {
    Offload::new(push_work(url, opts))
}
