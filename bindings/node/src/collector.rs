//! `new Collector(opts)`: the core's caching collector for one directory.

use std::sync::Arc;
use std::time::Duration;

use loki_metrics::Format;
use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;
use std::result::Result;

use crate::error::{NodeError, OrThrow, ERR_CONSTRUCT_CALL_REQUIRED};
use crate::options::{core_options, format_arg, millis_arg, object_arg, string_arg, CollectOptions, Now};
use crate::snapshot::SnapshotObject;
use crate::task::{Offload, Work};

/// Options of `new Collector(opts)`.
#[napi(object, object_to_js = false)]
#[derive(Debug, Default)]
pub struct CollectorOptions {
    /// The `.loki` directory (default: env `LOKI_DIR`, else `./.loki`).
    pub loki_dir: Option<String>,
    /// `lokiDir`, as it was first named.
    pub dir: Option<String>,
    /// How long a collection is served from cache, in milliseconds (default 2000; 0 disables).
    pub cache_ttl_ms: Option<f64>,
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
}

impl crate::options::OptionKeys for CollectorOptions {
    const KEYS: &'static [&'static str] =
        &["lokiDir", "dir", "cacheTtlMs", "maxIterations", "now", "jsonSizeCap", "exporterMetrics", "staleAfterMs"];
}

impl CollectorOptions {
    pub fn collect_options(&self) -> CollectOptions {
        CollectOptions {
            max_iterations: self.max_iterations,
            now: self.now.clone(),
            json_size_cap: self.json_size_cap,
            exporter_metrics: self.exporter_metrics,
            stale_after_ms: self.stale_after_ms,
        }
    }
}

/// A cache TTL in milliseconds.
pub fn ttl_arg(value: Option<f64>) -> Result<Duration, NodeError> {
    match value {
        None => Ok(loki_metrics::DEFAULT_CACHE_TTL),
        Some(ms) => millis_arg("cacheTtlMs", ms, false),
    }
}

/// Collects a directory at most once per cache TTL, however many callers ask
/// (one collection at a time; concurrent callers share it). A warm `render`
/// returns the cached text.
#[napi]
pub struct Collector {
    inner: Arc<loki_metrics::Collector>,
}

#[napi]
impl Collector {
    #[napi(constructor, ts_args_type = "opts?: CollectorOptions | null")]
    pub fn new(env: Env, this: This<Unknown>, opts: Option<Unknown>) -> napi::Result<Self> {
        // Without `new`, napi would wrap whatever `this` is (the module's exports, say).
        if !Collector::instance_of(&env, &*this).unwrap_or(false) {
            return Err(NodeError::new(
                ERR_CONSTRUCT_CALL_REQUIRED,
                "Class constructor Collector cannot be invoked without 'new'",
            ))
            .or_throw(&env);
        }
        let build = || -> Result<Self, NodeError> {
            let opts: CollectorOptions = object_arg("opts", opts)?;
            let options = core_options(
                crate::options::dir_option(opts.dir.clone(), opts.loki_dir.clone())?,
                &opts.collect_options(),
            )?;
            let ttl = ttl_arg(opts.cache_ttl_ms)?;
            Ok(Collector { inner: Arc::new(loki_metrics::Collector::new(options, ttl)) })
        };
        build().or_throw(&env)
    }

    pub fn from_core(inner: Arc<loki_metrics::Collector>) -> Self {
        Collector { inner }
    }

    /// The cached snapshot if fresh, else a new collection.
    #[napi(ts_return_type = "Snapshot")]
    pub fn collect(&self) -> SnapshotObject {
        SnapshotObject(self.inner.collect())
    }

    /// `collect` on the thread pool.
    #[napi(ts_return_type = "Promise<Snapshot>")]
    pub fn collect_async(&self) -> AsyncTask<Offload<CachedWork>> {
        Offload::new(Ok(CachedWork { collector: Arc::clone(&self.inner), format: None }))
    }

    /// `collect`, as the native snapshot the package's `collect` wraps.
    #[napi(js_name = "__collectNative")]
    pub fn collect_native(&self) -> crate::snapshot::NativeSnapshot {
        crate::snapshot::NativeSnapshot::new(self.inner.collect())
    }

    /// `__collectNative` on the thread pool.
    #[napi(js_name = "__collectNativeAsync", ts_return_type = "Promise<__NativeSnapshot>")]
    pub fn collect_native_async(&self) -> AsyncTask<Offload<NativeCachedWork>> {
        Offload::new(Ok(NativeCachedWork(Arc::clone(&self.inner))))
    }

    /// The cached snapshot's encoding (default Prometheus text 0.0.4).
    #[napi(ts_args_type = "format?: Format | null")]
    pub fn render(&self, env: Env, format: Option<Unknown>) -> napi::Result<String> {
        let format = string_arg("format", format).and_then(|f| format_arg("format", f.as_deref())).or_throw(&env)?;
        Ok(self.inner.render(format).to_string())
    }

    /// `render` on the thread pool.
    #[napi(ts_args_type = "format?: Format | null", ts_return_type = "Promise<string>")]
    pub fn render_async(&self, format: Option<Unknown>) -> AsyncTask<Offload<CachedWork>> {
        let work = string_arg("format", format)
            .and_then(|f| format_arg("format", f.as_deref()))
            .map(|format| CachedWork { collector: Arc::clone(&self.inner), format: Some(format) });
        Offload::new(work)
    }

    /// Drops the cached result: the next call reads the directory again.
    #[napi]
    pub fn invalidate(&self) {
        self.inner.invalidate();
    }

    /// How many times this collector has read the directory.
    #[napi(getter)]
    pub fn collections(&self) -> f64 {
        self.inner.collections() as f64
    }

    /// The cache TTL in milliseconds.
    #[napi(getter)]
    pub fn cache_ttl_ms(&self) -> f64 {
        self.inner.cache_ttl().as_secs_f64() * 1000.0
    }

    /// The directory this collector reads.
    #[napi(getter)]
    pub fn dir(&self) -> String {
        self.inner.options().loki_dir.to_string_lossy().into_owned()
    }
}

/// A collector call off the JS thread: a snapshot, or a rendering when `format` is set.
pub struct NativeCachedWork(Arc<loki_metrics::Collector>);

impl Work for NativeCachedWork {
    type Output = Arc<loki_metrics::Snapshot>;
    type Js = crate::snapshot::NativeSnapshot;
    fn run(self) -> Result<Self::Output, NodeError> {
        Ok(self.0.collect())
    }
    fn into_js(_env: &Env, output: Self::Output) -> Result<Self::Js, NodeError> {
        Ok(crate::snapshot::NativeSnapshot::new(output))
    }
}

pub struct CachedWork {
    collector: Arc<loki_metrics::Collector>,
    format: Option<Format>,
}

pub enum CachedOutput {
    Snapshot(Arc<loki_metrics::Snapshot>),
    Text(Arc<str>),
}

/// A snapshot or a string, as the method promised.
pub enum SnapshotOrText {
    Snapshot(SnapshotObject),
    Text(String),
}

impl TypeName for SnapshotOrText {
    fn type_name() -> &'static str {
        "Snapshot | string"
    }
    fn value_type() -> napi::ValueType {
        napi::ValueType::Unknown
    }
}

impl ToNapiValue for SnapshotOrText {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> napi::Result<napi::sys::napi_value> {
        // SAFETY: forwarded from napi with its env.
        unsafe {
            match val {
                SnapshotOrText::Snapshot(s) => SnapshotObject::to_napi_value(env, s),
                SnapshotOrText::Text(t) => String::to_napi_value(env, t),
            }
        }
    }
}

impl Work for CachedWork {
    type Output = CachedOutput;
    type Js = SnapshotOrText;
    fn run(self) -> Result<CachedOutput, NodeError> {
        Ok(match self.format {
            Some(format) => CachedOutput::Text(self.collector.render(format)),
            None => CachedOutput::Snapshot(self.collector.collect()),
        })
    }
    fn into_js(_env: &Env, output: CachedOutput) -> Result<SnapshotOrText, NodeError> {
        Ok(match output {
            CachedOutput::Snapshot(s) => SnapshotOrText::Snapshot(SnapshotObject(s)),
            CachedOutput::Text(t) => SnapshotOrText::Text(t.to_string()),
        })
    }
}
