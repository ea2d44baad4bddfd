//! [`RemoteWriter`]: the sender. Collections are queued without blocking
//! (a short lock); a thread of its own with a single-threaded tokio runtime
//! posts them, retrying as Prometheus' remote write does.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use loki_metrics_exposition::{MetricFamily, Value};
use loki_metrics_server::client::post;
use loki_metrics_server::{ClientTrust, FetchError};
use tokio::sync::{oneshot, Notify};

use crate::backoff::Backoff;
use crate::encode::{compress, metadata, time_series, ExternalLabels};
use crate::queue::{Batch, BoundedQueue};
use crate::RemoteWriteError;

/// Default queue bound, in samples (about 4.5 hours of one session's ~45
/// samples every 15 s, a few MB of encoded series).
pub const DEFAULT_QUEUE_SAMPLES: usize = 50_000;
/// Most samples in one request (Prometheus' `max_samples_per_send`).
pub const MAX_SAMPLES_PER_SEND: usize = 2_000;
/// First retry delay (Prometheus' `min_backoff`).
pub const DEFAULT_MIN_BACKOFF: Duration = Duration::from_millis(30);
/// Longest retry delay (Prometheus' `max_backoff`).
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Longest `Retry-After` honoured on a 429.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// How the sender authenticates.
#[derive(Clone, Default)]
pub enum Auth {
    /// No `Authorization` header.
    #[default]
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// `Authorization: Basic base64(user:password)`.
    Basic {
        /// The user name (Grafana Cloud: the instance ID).
        user: String,
        /// The password (Grafana Cloud: an API token).
        password: String,
    },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets stay out of logs.
        match self {
            Auth::None => f.write_str("None"),
            Auth::Bearer(_) => f.write_str("Bearer(<secret>)"),
            Auth::Basic { user, .. } => write!(f, "Basic {{ user: {user:?}, password: <secret> }}"),
        }
    }
}

/// Where and how to send.
#[derive(Debug, Clone)]
pub struct RemoteWriteConfig {
    /// The receiver, `http://` or `https://` (e.g. `.../api/v1/write`).
    pub url: String,
    /// Authentication.
    pub auth: Auth,
    /// How an `https://` receiver's certificate is checked.
    pub trust: ClientTrust,
    /// Extra headers (e.g. `X-Scope-OrgID` for a Mimir tenant).
    pub headers: Vec<(String, String)>,
    /// Limit for one request, connecting included.
    pub timeout: Duration,
    /// Labels added to every series.
    pub external_labels: ExternalLabels,
    /// Most samples queued; past it the oldest collection is dropped.
    pub queue_samples: usize,
    /// First retry delay.
    pub min_backoff: Duration,
    /// Longest retry delay.
    pub max_backoff: Duration,
}

impl RemoteWriteConfig {
    /// `url` with the defaults: no auth, webpki roots, 10 s timeout, no
    /// external labels, [`DEFAULT_QUEUE_SAMPLES`], 30 ms to 5 s backoff.
    pub fn new(url: impl Into<String>) -> Self {
        RemoteWriteConfig {
            url: url.into(),
            auth: Auth::None,
            trust: ClientTrust::WebPki,
            headers: Vec::new(),
            timeout: Duration::from_secs(10),
            external_labels: ExternalLabels::default(),
            queue_samples: DEFAULT_QUEUE_SAMPLES,
            min_backoff: DEFAULT_MIN_BACKOFF,
            max_backoff: DEFAULT_MAX_BACKOFF,
        }
    }

    /// Every header of a request: the protocol's, `Authorization`, the extra ones.
    fn request_headers(&self) -> Result<HeaderMap, RemoteWriteError> {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("snappy"));
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-protobuf"));
        headers.insert(HeaderName::from_static("x-prometheus-remote-write-version"), HeaderValue::from_static("0.1.0"));
        let secret = |value: String, what: &str| {
            let mut value = HeaderValue::from_str(&value)
                .map_err(|_| RemoteWriteError::Config(format!("{what} must be printable ASCII")))?;
            value.set_sensitive(true);
            Ok::<_, RemoteWriteError>(value)
        };
        match &self.auth {
            Auth::None => {}
            Auth::Bearer(token) => {
                if token.is_empty() {
                    return Err(RemoteWriteError::Config("the bearer token is empty".to_owned()));
                }
                headers.insert(header::AUTHORIZATION, secret(format!("Bearer {token}"), "the bearer token")?);
            }
            Auth::Basic { user, password } => {
                let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                headers.insert(header::AUTHORIZATION, secret(format!("Basic {encoded}"), "the basic-auth user")?);
            }
        }
        for (name, value) in &self.headers {
            let header_name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| RemoteWriteError::Config(format!("{name:?} is not a header name")))?;
            if headers.contains_key(&header_name) {
                return Err(RemoteWriteError::Config(format!("the header {name} is set by loki-metrics itself")));
            }
            let header_value = HeaderValue::from_str(value).map_err(|_| {
                RemoteWriteError::Config(format!("the value of header {name} is not a valid header value"))
            })?;
            headers.insert(header_name, header_value);
        }
        Ok(headers)
    }

    /// Refuses what no request could be made with: the URL, a header, the
    /// auth, a zero timeout or queue bound.
    pub fn validate(&self) -> Result<(), RemoteWriteError> {
        self.check()?;
        self.request_headers().map(drop)
    }

    fn check(&self) -> Result<(), RemoteWriteError> {
        let uri: http::Uri =
            self.url.parse().map_err(|_| RemoteWriteError::Config(format!("{:?} is not a URL", self.url)))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(RemoteWriteError::Config(format!(
                "{:?}: the URL must be http:// or https:// with a host",
                self.url
            )));
        }
        if self.queue_samples == 0 {
            return Err(RemoteWriteError::Config("the queue must hold at least one sample".to_owned()));
        }
        if self.timeout.is_zero() {
            return Err(RemoteWriteError::Config("the timeout must be more than 0".to_owned()));
        }
        Ok(())
    }
}

/// The sender's counters, for the exporter's self-metrics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RemoteWriteStats {
    /// Samples the receiver accepted (2xx).
    pub samples_sent: u64,
    /// Samples the receiver refused for good (a 4xx other than 429).
    pub samples_failed: u64,
    /// Samples dropped unsent: pushed out of the full queue, or still
    /// queued when the shutdown deadline passed.
    pub samples_dropped: u64,
    /// Samples waiting (queued or being sent).
    pub queue_length: u64,
    /// Unix time (seconds) of the last accepted request.
    pub last_success_unix_seconds: Option<f64>,
    /// HTTP requests made, retries included.
    pub requests: u64,
    /// What went wrong last (a status and body, a connection error).
    pub last_error: Option<String>,
    /// The HTTP status of what went wrong last, when the receiver answered.
    pub last_status: Option<u16>,
}

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    requests: AtomicU64,
    last_success_ms: AtomicU64,
    /// The status of the last failed answer; 0 for none (or no answer).
    last_status: AtomicU32,
}

struct Shared {
    queue: Mutex<BoundedQueue>,
    wake: Notify,
    counters: Counters,
    last_error: Mutex<Option<String>>,
    /// Set once the oldest collection had to be dropped in the current
    /// outage (so the warning is logged once per outage).
    dropping: std::sync::atomic::AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves the data consistent (every
    // update is one statement), so the poison is ignored.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn unix_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Reads a [`RemoteWriter`]'s counters (see [`RemoteWriter::stats_handle`]).
#[derive(Clone)]
pub struct StatsHandle(Arc<Shared>);

impl StatsHandle {
    /// The counters now.
    pub fn stats(&self) -> RemoteWriteStats {
        stats(&self.0)
    }
}

impl std::fmt::Debug for StatsHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StatsHandle")
    }
}

/// Sends collections to a remote-write receiver in the background.
pub struct RemoteWriter {
    shared: Arc<Shared>,
    external_labels: ExternalLabels,
    url: String,
    stop: Option<oneshot::Sender<Instant>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for RemoteWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteWriter").field("url", &self.url).finish_non_exhaustive()
    }
}

impl RemoteWriter {
    /// Checks `config` and starts the sender thread.
    pub fn start(config: RemoteWriteConfig) -> Result<Self, RemoteWriteError> {
        config.check()?;
        let headers = config.request_headers()?;
        let shared = Arc::new(Shared {
            queue: Mutex::new(BoundedQueue::new(config.queue_samples)),
            wake: Notify::new(),
            counters: Counters::default(),
            last_error: Mutex::new(None),
            dropping: std::sync::atomic::AtomicBool::new(false),
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| RemoteWriteError::Runtime(e.to_string()))?;
        let (stop, stopped) = oneshot::channel::<Instant>();
        let sender = Sender { shared: Arc::clone(&shared), headers, config: config.clone(), refused: HashSet::new() };
        let thread = std::thread::Builder::new()
            .name("loki-remote-write".to_owned())
            .spawn(move || {
                runtime.block_on(sender.run(stopped));
                // A DNS lookup or connect the deadline gave up on may still run.
                runtime.shutdown_background();
            })
            .map_err(|e| RemoteWriteError::Runtime(e.to_string()))?;
        Ok(RemoteWriter {
            shared,
            external_labels: config.external_labels,
            url: config.url,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Queues `families` as of `timestamp_ms` (Unix milliseconds); never
    /// waits for the network. Returns the samples queued.
    pub fn enqueue(&self, families: &[MetricFamily<'_, Value>], timestamp_ms: i64) -> usize {
        let batch = Batch::new(time_series(families, &self.external_labels, timestamp_ms), metadata(families));
        let samples = batch.samples();
        let dropped = lock(&self.shared.queue).push(batch);
        if dropped > 0 {
            self.shared.counters.dropped.fetch_add(dropped as u64, Ordering::Relaxed);
            if !self.shared.dropping.swap(true, Ordering::Relaxed) {
                tracing::warn!(url = %self.url, "remote-write queue full: dropping the oldest samples until the receiver catches up");
            }
        }
        self.shared.wake.notify_one();
        samples
    }

    /// The counters now.
    pub fn stats(&self) -> RemoteWriteStats {
        stats(&self.shared)
    }

    /// A handle that reads the counters from anywhere, for as long as it lives.
    pub fn stats_handle(&self) -> StatsHandle {
        StatsHandle(Arc::clone(&self.shared))
    }

    /// Sends what is queued, for at most `deadline`, stops the thread and
    /// returns the final counters (what could not be sent counts as dropped).
    pub fn shutdown(mut self, deadline: Duration) -> RemoteWriteStats {
        self.stop_thread(deadline);
        stats(&self.shared)
    }

    fn stop_thread(&mut self, deadline: Duration) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(Instant::now() + deadline);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for RemoteWriter {
    fn drop(&mut self) {
        self.stop_thread(Duration::ZERO);
    }
}

fn stats(shared: &Shared) -> RemoteWriteStats {
    let c = &shared.counters;
    let last = c.last_success_ms.load(Ordering::Relaxed);
    RemoteWriteStats {
        samples_sent: c.sent.load(Ordering::Relaxed),
        samples_failed: c.failed.load(Ordering::Relaxed),
        samples_dropped: c.dropped.load(Ordering::Relaxed),
        queue_length: lock(&shared.queue).len() as u64,
        last_success_unix_seconds: (last > 0).then(|| last as f64 / 1000.0),
        requests: c.requests.load(Ordering::Relaxed),
        last_error: lock(&shared.last_error).clone(),
        last_status: match c.last_status.load(Ordering::Relaxed) {
            0 => None,
            status => u16::try_from(status).ok(),
        },
    }
}

/// What one attempt came to.
#[derive(Debug, PartialEq)]
enum Outcome {
    Sent,
    /// 5xx, 429, or no answer: try again after the delay (a 429's
    /// `Retry-After`, if any).
    Retry(Option<Duration>),
    /// Any other status: the receiver will never take this request.
    Refused(u16),
}

/// Which answers are retried: Prometheus' rule (5xx and 429 are
/// recoverable, other non-2xx statuses are not).
fn classify(status: StatusCode, headers: &HeaderMap) -> Outcome {
    if status.is_success() {
        Outcome::Sent
    } else if status == StatusCode::TOO_MANY_REQUESTS {
        let retry_after = headers
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
        Outcome::Retry(retry_after)
    } else if status.is_server_error() {
        Outcome::Retry(None)
    } else {
        Outcome::Refused(status.as_u16())
    }
}

struct Sender {
    shared: Arc<Shared>,
    headers: HeaderMap,
    config: RemoteWriteConfig,
    /// Statuses already logged as refusals (each is logged once).
    refused: HashSet<u16>,
}

impl Sender {
    /// Sends until stopped, then until the queue is empty or the deadline
    /// the stop carries has passed. A request under way when the stop comes
    /// is not abandoned (that would send it twice): it goes on, within the
    /// deadline.
    async fn run(mut self, mut stopped: oneshot::Receiver<Instant>) {
        let mut backoff = Backoff::new(self.config.min_backoff, self.config.max_backoff);
        let mut deadline: Option<Instant> = None;
        let shared = Arc::clone(&self.shared);
        loop {
            let waiting = shared.wake.notified();
            tokio::pin!(waiting);
            waiting.as_mut().enable();
            let Some(body) = self.next_body() else {
                if deadline.is_some() {
                    break;
                }
                tokio::select! {
                    () = waiting => {}
                    stop = &mut stopped => deadline = Some(stop.unwrap_or_else(|_| Instant::now())),
                }
                continue;
            };
            self.shared.counters.requests.fetch_add(1, Ordering::Relaxed);
            let answer = {
                let attempt =
                    post(&self.config.url, self.headers.clone(), body, &self.config.trust, self.config.timeout);
                tokio::pin!(attempt);
                loop {
                    let until = deadline.unwrap_or_else(Instant::now);
                    tokio::select! {
                        answer = &mut attempt => break Some(answer),
                        stop = &mut stopped, if deadline.is_none() => {
                            deadline = Some(stop.unwrap_or_else(|_| Instant::now()));
                        }
                        () = tokio::time::sleep_until(until.into()), if deadline.is_some() => break None,
                    }
                }
            };
            let Some(answer) = answer else { break };
            let Some(delay) = self.settle(&answer, &mut backoff) else { continue };
            match deadline {
                Some(d) if Instant::now() + delay >= d => break,
                Some(_) => tokio::time::sleep(delay).await,
                None => tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    stop = &mut stopped => deadline = Some(stop.unwrap_or_else(|_| Instant::now())),
                },
            }
        }
        let left = lock(&self.shared.queue).clear();
        if left > 0 {
            self.shared.counters.dropped.fetch_add(left as u64, Ordering::Relaxed);
            tracing::warn!(url = %self.config.url, samples = left, "remote write: samples still unsent at the shutdown deadline are dropped");
        }
    }

    /// The compressed body of the next request, if any waits.
    fn next_body(&self) -> Option<bytes::Bytes> {
        lock(&self.shared.queue).next_request(MAX_SAMPLES_PER_SEND).map(|r| bytes::Bytes::from(compress(&r.protobuf)))
    }

    /// Counts and logs what an attempt came to; `Some(delay)` when the
    /// request is to be retried after `delay`.
    fn settle(
        &mut self,
        answer: &Result<loki_metrics_server::client::RawResponse, FetchError>,
        backoff: &mut Backoff,
    ) -> Option<Duration> {
        let outcome = match answer {
            Ok(response) => classify(response.status, &response.headers),
            Err(FetchError::InvalidUrl { .. } | FetchError::InvalidHeader(_)) => Outcome::Refused(0),
            Err(_) => Outcome::Retry(None),
        };
        let url = &self.config.url;
        let status = match answer {
            Ok(response) if !response.status.is_success() => u32::from(response.status.as_u16()),
            _ => 0,
        };
        self.shared.counters.last_status.store(status, Ordering::Relaxed);
        match outcome {
            Outcome::Sent => {
                let samples = lock(&self.shared.queue).finish_request();
                let c = &self.shared.counters;
                c.sent.fetch_add(samples as u64, Ordering::Relaxed);
                c.last_success_ms.store(unix_ms(), Ordering::Relaxed);
                if lock(&self.shared.last_error).take().is_some() {
                    tracing::info!(%url, "remote write delivering again");
                }
                self.shared.dropping.store(false, Ordering::Relaxed);
                backoff.reset();
                None
            }
            Outcome::Refused(status) => {
                let samples = lock(&self.shared.queue).finish_request();
                self.shared.counters.failed.fetch_add(samples as u64, Ordering::Relaxed);
                let reason = describe(answer);
                if self.refused.insert(status) {
                    tracing::warn!(%url, samples, "remote write refused, not retried: {reason} (logged once per status; counted in samples failed)");
                } else {
                    tracing::debug!(%url, samples, "remote write refused, not retried: {reason}");
                }
                *lock(&self.shared.last_error) = Some(reason);
                None
            }
            Outcome::Retry(retry_after) => {
                let reason = describe(answer);
                let first = lock(&self.shared.last_error).replace(reason.clone()).is_none();
                let delay = retry_after.unwrap_or_else(|| backoff.next_delay());
                if first {
                    tracing::warn!(%url, "remote write failing, retrying with backoff (up to {:?}): {reason}", self.config.max_backoff);
                } else {
                    tracing::debug!(%url, ?delay, "remote write failing: {reason}");
                }
                Some(delay)
            }
        }
    }
}

fn describe(answer: &Result<loki_metrics_server::client::RawResponse, FetchError>) -> String {
    match answer {
        Ok(response) => {
            let body = String::from_utf8_lossy(&response.body[..response.body.len().min(200)]);
            let body = body.trim();
            if body.is_empty() {
                format!("HTTP {}", response.status)
            } else {
                format!("HTTP {}: {body}", response.status)
            }
        }
        Err(e) => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_and_429_are_retried_other_4xx_are_not() {
        let none = HeaderMap::new();
        assert_eq!(classify(StatusCode::NO_CONTENT, &none), Outcome::Sent);
        assert_eq!(classify(StatusCode::OK, &none), Outcome::Sent);
        assert_eq!(classify(StatusCode::SERVICE_UNAVAILABLE, &none), Outcome::Retry(None));
        assert_eq!(classify(StatusCode::INTERNAL_SERVER_ERROR, &none), Outcome::Retry(None));
        assert_eq!(classify(StatusCode::TOO_MANY_REQUESTS, &none), Outcome::Retry(None));
        assert_eq!(classify(StatusCode::BAD_REQUEST, &none), Outcome::Refused(400));
        assert_eq!(classify(StatusCode::UNAUTHORIZED, &none), Outcome::Refused(401));
        assert_eq!(classify(StatusCode::NOT_FOUND, &none), Outcome::Refused(404));
    }

    #[test]
    fn retry_after_of_a_429_is_honoured_up_to_a_minute() {
        let mut headers = HeaderMap::new();
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(classify(StatusCode::TOO_MANY_REQUESTS, &headers), Outcome::Retry(Some(Duration::from_secs(7))));
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("3600"));
        assert_eq!(classify(StatusCode::TOO_MANY_REQUESTS, &headers), Outcome::Retry(Some(MAX_RETRY_AFTER)));
    }

    #[test]
    fn requests_carry_the_protocol_headers_and_basic_auth() {
        let mut config = RemoteWriteConfig::new("http://127.0.0.1:9/api/v1/write");
        config.auth = Auth::Basic { user: "123".into(), password: "secret".into() };
        config.headers = vec![("X-Scope-OrgID".into(), "tenant-1".into())];
        let headers = config.request_headers().expect("valid");
        assert_eq!(headers["content-encoding"], "snappy");
        assert_eq!(headers["content-type"], "application/x-protobuf");
        assert_eq!(headers["x-prometheus-remote-write-version"], "0.1.0");
        assert_eq!(headers["authorization"], "Basic MTIzOnNlY3JldA==");
        assert_eq!(headers["x-scope-orgid"], "tenant-1");
    }

    #[test]
    fn an_extra_header_cannot_replace_a_protocol_header() {
        let mut config = RemoteWriteConfig::new("http://127.0.0.1:9/api/v1/write");
        config.headers = vec![("Content-Encoding".into(), "gzip".into())];
        assert!(config.request_headers().is_err());
    }

    #[test]
    fn a_url_that_is_not_http_is_refused_at_start() {
        assert!(RemoteWriter::start(RemoteWriteConfig::new("ftp://example.com/")).is_err());
        assert!(RemoteWriter::start(RemoteWriteConfig::new("not a url")).is_err());
    }
}
