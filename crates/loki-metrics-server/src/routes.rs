//! The exporter's routes: the metrics path, `/health`, 404 and 405.

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use loki_metrics::fleet::Fleet;
use loki_metrics::{negotiate, Format};
use subtle::ConstantTimeEq;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;

use loki_metrics::view::{History, SessionView, StatusPage};

use crate::config::{Limits, HEALTH_PATH, STATUS_API_PATH, STATUS_PAGE_PATH, TARGETS_API_PATH};
use crate::page;

/// The peer of a connection, attached to each of its requests for access logs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peer(pub SocketAddr);

/// What every handler shares.
pub(crate) struct AppState {
    /// The project (or projects) served.
    pub fleet: Arc<Fleet>,
    /// SHA-256 of the expected token: comparing digests takes the same time
    /// whatever the length or content of the token offered.
    pub token_digest: Option<[u8; 32]>,
    /// The last rendered text of each format and its gzip encoding: a text
    /// is compressed once, not once per scrape (Prometheus always asks for gzip).
    gzipped: [Mutex<Option<Gzipped>>; 3],
    /// The status page's history of each project (by `.loki` directory),
    /// recorded every `history_step` by [`record_history`].
    history: Mutex<HashMap<PathBuf, History>>,
    history_step: std::time::Duration,
    /// The metrics path (the status page links to it).
    metrics_path: String,
}

/// A rendered text and its gzip encoding.
type Gzipped = (Arc<str>, Bytes);

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

impl AppState {
    pub(crate) fn new(
        fleet: Arc<Fleet>,
        token: Option<&str>,
        metrics_path: &str,
        history_step: std::time::Duration,
    ) -> Self {
        AppState {
            fleet,
            token_digest: token.map(|t| sha256(t.as_bytes())),
            gzipped: Default::default(),
            history: Mutex::new(HashMap::new()),
            history_step,
            metrics_path: metrics_path.to_owned(),
        }
    }

    fn history(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, History>> {
        self.history.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The time the collection is made for (the options' fixed `now` in tests).
    fn now(&self) -> std::time::SystemTime {
        self.fleet.options().now.unwrap_or_else(std::time::SystemTime::now)
    }

    /// Every project as the status page shows it. Blocking (it may collect).
    fn status_page(&self) -> StatusPage {
        let fleet = self.fleet.collect();
        let now = self.now();
        let histories = self.history();
        let empty = History::default();
        let views = fleet
            .projects
            .iter()
            .map(|p| {
                let history = histories.get(&p.loki_dir).unwrap_or(&empty);
                SessionView::new(&p.name, &p.loki_dir, &p.snapshot, history, now)
            })
            .collect();
        StatusPage::new(views, now, self.history_step)
    }

    /// Adds a history point to every project, forgetting the projects gone.
    fn record_history(&self) {
        let fleet = self.fleet.collect();
        let now = self.now();
        let mut histories = self.history();
        histories.retain(|dir, _| fleet.projects.iter().any(|p| &p.loki_dir == dir));
        for p in &fleet.projects {
            histories.entry(p.loki_dir.clone()).or_default().record(&p.snapshot, now);
        }
    }

    /// `text` (the collector's current render of `format`) gzip-encoded,
    /// from the cache while the collector returns the same text.
    fn gzip(&self, format: Format, text: &Arc<str>) -> Bytes {
        let slot = &self.gzipped[format as usize];
        let lock = || slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((cached, bytes)) = &*lock() {
            if Arc::ptr_eq(cached, text) {
                return bytes.clone();
            }
        }
        // Compressed outside the lock; two scrapes racing here both compress, harmlessly.
        let mut encoder =
            flate2::write::GzEncoder::new(Vec::with_capacity(text.len() / 3), flate2::Compression::default());
        let bytes = match encoder.write_all(text.as_bytes()).and_then(|()| encoder.finish()) {
            Ok(gz) => Bytes::from(gz),
            Err(e) => unreachable!("writing to a Vec cannot fail: {e}"),
        };
        *lock() = Some((Arc::clone(text), bytes.clone()));
        bytes
    }
}

/// Whether an `Accept-Encoding` value accepts gzip (RFC 9110 §12.5.3): a
/// `gzip` (or `x-gzip`) entry with q > 0, or else a `*` entry with q > 0.
fn accepts_gzip(accept_encoding: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(accept_encoding) else { return false };
    let mut wildcard = None;
    for entry in text.split(',') {
        let mut parts = entry.split(';');
        let coding = parts.next().unwrap_or("").trim();
        let q = parts
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .map_or(Some(1.0), |(_, v)| v.trim().parse::<f32>().ok().filter(|q| (0.0..=1.0).contains(q)));
        let Some(q) = q else { continue };
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            return q > 0.0;
        }
        if coding == "*" {
            wildcard = Some(q > 0.0);
        }
    }
    wildcard.unwrap_or(false)
}

/// The router: metrics on `path` (GET, HEAD), `/health`, 404 elsewhere,
/// 405 with `Allow` for other methods on known paths.
pub(crate) fn router(state: Arc<AppState>, path: &str, limits: &Limits) -> Router {
    let mut router = Router::new()
        .route(path, get(metrics))
        .route(HEALTH_PATH, get(health))
        .route(STATUS_API_PATH, get(status_api))
        .route(TARGETS_API_PATH, get(targets));
    if path != STATUS_PAGE_PATH {
        router = router.route(STATUS_PAGE_PATH, get(status_page));
    }
    router
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(Arc::clone(&state), authorize))
        .layer(CompressionLayer::new().gzip(true).no_br().no_deflate().no_zstd())
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, limits.request_timeout))
        .layer(middleware::from_fn(access_log))
        .with_state(state)
}

/// An `Arc<str>` as response bytes, without copying.
struct SharedText(Arc<str>);

impl AsRef<[u8]> for SharedText {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// The metrics query: `?project=NAME` asks for one project.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct MetricsQuery {
    project: Option<String>,
}

async fn metrics(
    State(state): State<Arc<AppState>>,
    Query(query): Query<MetricsQuery>,
    headers: HeaderMap,
) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = negotiate(accept);
    if let Some(project) = query.project {
        return one_project(&state, project, format).await;
    }
    let text = match state.fleet.render_if_fresh(format) {
        Some(text) => text,
        None => {
            let fleet = Arc::clone(&state.fleet);
            // Reading the directory is file I/O: keep it off the async workers.
            match tokio::task::spawn_blocking(move || fleet.render(format)).await {
                Ok(text) => text,
                Err(e) => {
                    tracing::error!(error = %e, "collection failed");
                    return unavailable();
                }
            }
        }
    };
    let gzip = headers.get(header::ACCEPT_ENCODING).is_some_and(|v| accepts_gzip(v.as_bytes()));
    let body = if gzip { state.gzip(format, &text) } else { Bytes::from_owner(SharedText(text)) };
    let mut response = Response::new(Body::from(body));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    h.insert(header::VARY, HeaderValue::from_static("Accept, Accept-Encoding"));
    if gzip {
        // The compression layer leaves a response that has an encoding alone.
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response
}

/// `?project=NAME`: that project alone, as the fleet labels it; 404 naming
/// the projects served when there is none of that name.
async fn one_project(state: &Arc<AppState>, project: String, format: Format) -> Response {
    let fleet = Arc::clone(&state.fleet);
    let answer = tokio::task::spawn_blocking(move || match fleet.render_project(&project, format) {
        Some(text) => Ok(text),
        None => {
            let names: Vec<String> = fleet.collect().projects.into_iter().map(|p| p.name).take(20).collect();
            Err(format!("no project named {project:?}; serving: {}\n", names.join(", ")))
        }
    })
    .await;
    match answer {
        Ok(Ok(text)) => {
            let mut response = Response::new(Body::from(text));
            let h = response.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
            h.insert(header::VARY, HeaderValue::from_static("Accept, Accept-Encoding"));
            response
        }
        Ok(Err(message)) => (StatusCode::NOT_FOUND, message).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "collection failed");
            unavailable()
        }
    }
}

async fn health(State(state): State<Arc<AppState>>) -> Response {
    let fleet = Arc::clone(&state.fleet);
    let body = tokio::task::spawn_blocking(move || {
        let collected = fleet.collect();
        let mut body = serde_json::json!({ "status": "ok", "version": loki_metrics::VERSION });
        match fleet.single_collector() {
            Some(collector) => {
                let dir = &collector.options().loki_dir;
                let snapshot = collected.projects.first().map(|p| Arc::clone(&p.snapshot));
                body["loki_dir"] = serde_json::Value::from(dir.to_string_lossy());
                body["loki_dir_exists"] = serde_json::Value::from(dir.is_dir());
                body["cache_ttl_seconds"] = serde_json::Value::from(collector.cache_ttl().as_secs_f64());
                body["collections"] = serde_json::Value::from(collector.collections());
                body["warnings"] = snapshot
                    .map(|s| s.warnings.iter().map(|w| health_warning(w, dir)).collect::<Vec<_>>())
                    .unwrap_or_default()
                    .into();
            }
            None => {
                body["cache_ttl_seconds"] = serde_json::Value::from(fleet.cache_ttl().as_secs_f64());
                let stats = fleet.stats();
                body["fleet"] = serde_json::json!({
                    "projects": stats.projects,
                    "watched": stats.watched,
                    "read_by_last_collection": stats.last_read,
                });
                body["projects"] = collected
                    .projects
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "project": p.name,
                            "loki_dir": p.loki_dir.to_string_lossy(),
                            "loki_dir_exists": p.loki_dir.is_dir(),
                            "warnings": p.snapshot.warnings.iter().map(|w| health_warning(w, &p.loki_dir)).collect::<Vec<_>>(),
                        })
                    })
                    .collect::<Vec<_>>()
                    .into();
                body["warnings"] = collected.warnings.into();
            }
        }
        body
    })
    .await;
    match body {
        Ok(json) => {
            let mut text = json.to_string();
            text.push('\n');
            let mut response = Response::new(Body::from(text));
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(Format::Json.content_type()));
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "health collection failed");
            (StatusCode::SERVICE_UNAVAILABLE, "collection failed\n").into_response()
        }
    }
}

/// A warning as `/health` lists it: the snapshot's `source` and `message`,
/// and the `path` it concerns (the directory itself for a missing directory),
/// so a wrong `LOKI_DIR` is named where it shows.
fn health_warning(warning: &loki_metrics::Warning, loki_dir: &std::path::Path) -> serde_json::Value {
    let mut entry = serde_json::json!({ "source": warning.source, "message": warning.message });
    if let Some(path) = warning.path_in(loki_dir) {
        entry["path"] = serde_json::Value::from(path.to_string_lossy());
    }
    entry
}

/// Records a history point every `history_step` until the server stops
/// (the caller aborts the task), whether or not anyone scrapes.
pub(crate) async fn record_history(state: Arc<AppState>) {
    let mut ticks = tokio::time::interval(state.history_step);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let state = Arc::clone(&state);
        let recorded = tokio::task::spawn_blocking(move || state.record_history()).await;
        if let Err(e) = recorded {
            tracing::error!(error = %e, "recording the history failed");
        }
    }
}

/// The status page as JSON, or `None` if making it failed.
async fn status_json(state: &Arc<AppState>) -> Option<StatusPage> {
    let state = Arc::clone(state);
    match tokio::task::spawn_blocking(move || state.status_page()).await {
        Ok(page) => Some(page),
        Err(e) => {
            tracing::error!(error = %e, "the status page failed");
            None
        }
    }
}

fn unavailable() -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, "collection failed; see the exporter's log\n").into_response()
}

/// `GET /api/v1/targets`: the projects served in Prometheus' HTTP service
/// discovery format, `[{"targets": ["<name>"], "labels": {"project": "<name>"}}]`.
/// A scrape config turns each into `/metrics?project=<name>` with relabelling
/// (deploy/prometheus/prometheus-fleet-targets.yml).
async fn targets(State(state): State<Arc<AppState>>) -> Response {
    let fleet = Arc::clone(&state.fleet);
    let Ok(names) =
        tokio::task::spawn_blocking(move || fleet.collect().projects.into_iter().map(|p| p.name).collect::<Vec<_>>())
            .await
    else {
        return unavailable();
    };
    let groups: Vec<serde_json::Value> = names
        .into_iter()
        .map(|name| serde_json::json!({ "targets": [name], "labels": { loki_metrics::fleet::PROJECT_LABEL: name } }))
        .collect();
    let mut text = serde_json::Value::from(groups).to_string();
    text.push('\n');
    let mut response = Response::new(Body::from(text));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(Format::Json.content_type()));
    response
}

/// `GET /api/v1/status`: every project's [`SessionView`] with its history.
async fn status_api(State(state): State<Arc<AppState>>) -> Response {
    let Some(page) = status_json(&state).await else { return unavailable() };
    let mut text = match serde_json::to_string(&page) {
        Ok(text) => text,
        Err(e) => {
            tracing::error!(error = %e, "the status page did not encode");
            return unavailable();
        }
    };
    text.push('\n');
    let mut response = Response::new(Body::from(text));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(Format::Json.content_type()));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// `GET /`: the status page, self-contained, under a strict CSP.
async fn status_page(State(state): State<Arc<AppState>>) -> Response {
    let Some(page) = status_json(&state).await else { return unavailable() };
    let mut response = Response::new(Body::from(page::render(&page, &state.metrics_path)));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    match HeaderValue::from_str(page::content_security_policy()) {
        Ok(csp) => {
            h.insert(header::CONTENT_SECURITY_POLICY, csp);
        }
        Err(_) => return unavailable(),
    }
    response
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

/// `/health` for a request without a valid token: that the exporter answers.
fn bare_health() -> Response {
    let mut response = Response::new(Body::from("{\"status\":\"ok\"}\n"));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(Format::Json.content_type()));
    response
}

/// `Authorization: Bearer <token>` when a token is configured, else 401
/// (`GET /health` without it gets the bare status instead).
async fn authorize(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let Some(expected) = &state.token_digest else {
        return next.run(request).await;
    };
    let offered = request.headers().get(header::AUTHORIZATION).map(|v| v.as_bytes()).and_then(|v| {
        let (scheme, token) = v.split_at(v.len().min(7));
        scheme.eq_ignore_ascii_case(b"bearer ").then(|| token.trim_ascii())
    });
    let ok = offered.is_some_and(|token| bool::from(sha256(token).ct_eq(expected)));
    if ok {
        return next.run(request).await;
    }
    if request.uri().path() == HEALTH_PATH && matches!(*request.method(), Method::GET | Method::HEAD) {
        // Liveness and readiness probes carry no token: they get the bare
        // status, and only a valid token sees the directory and warnings.
        return bare_health();
    }
    let mut response = (StatusCode::UNAUTHORIZED, "a valid bearer token is required\n").into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"loki-metrics\""));
    response
}

/// One debug-level event per request; never logs headers (the token).
async fn access_log(request: Request, next: Next) -> Response {
    if !tracing::enabled!(target: "loki_metrics::access", tracing::Level::DEBUG) {
        return next.run(request).await;
    }
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let peer = request.extensions().get::<Peer>().map(|p| p.0);
    let response = next.run(request).await;
    tracing::debug!(
        target: "loki_metrics::access",
        peer = ?peer,
        %method,
        path,
        status = response.status().as_u16(),
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    response
}
