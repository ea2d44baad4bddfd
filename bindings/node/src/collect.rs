//! `collect`, `render` and their async forms.

use std::sync::Arc;

use loki_metrics::{Format, Options};
use napi::bindgen_prelude::*;
use napi::{Env, ValueType};
use napi_derive::napi;
use std::result::Result;

use crate::error::{NodeError, OrThrow};
use crate::options::{core_options, format_arg, object_arg, string_arg, CollectOptions, RenderOptions};
use crate::snapshot::{snapshot_arg, NativeSnapshot, SnapshotObject};
use crate::task::{Offload, Work};

fn collect_args(dir: Option<Unknown>, opts: Option<Unknown>) -> Result<Options, NodeError> {
    let dir = string_arg("dir", dir)?;
    let opts: CollectOptions = object_arg("opts", opts)?;
    core_options(dir, &opts)
}

/// Reads a `.loki` directory once (default: env `LOKI_DIR`, else `./.loki`).
/// Never fails on bad data: problems are `warnings` on the snapshot.
#[napi(ts_args_type = "dir?: string | null, opts?: CollectOptions | null", ts_return_type = "Snapshot")]
pub fn collect(env: Env, dir: Option<Unknown>, opts: Option<Unknown>) -> napi::Result<SnapshotObject> {
    let options = collect_args(dir, opts).or_throw(&env)?;
    Ok(SnapshotObject(Arc::new(loki_metrics::collect(&options))))
}

pub struct CollectWork(Options);

impl Work for CollectWork {
    type Output = loki_metrics::Snapshot;
    type Js = SnapshotObject;
    fn run(self) -> Result<Self::Output, NodeError> {
        Ok(loki_metrics::collect(&self.0))
    }
    fn into_js(_env: &Env, output: Self::Output) -> Result<SnapshotObject, NodeError> {
        Ok(SnapshotObject(Arc::new(output)))
    }
}

/// `collect` on the thread pool.
#[napi(ts_args_type = "dir?: string | null, opts?: CollectOptions | null", ts_return_type = "Promise<Snapshot>")]
pub fn collect_async(dir: Option<Unknown>, opts: Option<Unknown>) -> AsyncTask<Offload<CollectWork>> {
    Offload::new(collect_args(dir, opts).map(CollectWork))
}

/// What `render` encodes: a directory's fresh collection or a given snapshot.
pub enum RenderSource {
    Directory(Options),
    Snapshot(Arc<loki_metrics::Snapshot>),
}

pub struct RenderWork {
    source: RenderSource,
    format: Format,
}

impl RenderWork {
    fn args(source: Option<Unknown>, opts: Option<Unknown>) -> Result<Self, NodeError> {
        let opts: RenderOptions = object_arg("opts", opts)?;
        let format = format_arg("format", opts.format.as_deref())?;
        let source = match source.map(|s| s.get_type()).transpose() {
            Ok(None | Some(ValueType::Undefined | ValueType::Null)) => {
                RenderSource::Directory(core_options(None, &opts.collect_options())?)
            }
            Ok(Some(ValueType::String)) => {
                let dir = string_arg("source", source)?;
                RenderSource::Directory(core_options(dir, &opts.collect_options())?)
            }
            Ok(Some(ValueType::Object)) => {
                let snapshot = source.map(|s| snapshot_arg("source", s)).transpose()?;
                match snapshot {
                    Some(snapshot) => RenderSource::Snapshot(Arc::new(snapshot)),
                    None => RenderSource::Directory(core_options(None, &opts.collect_options())?),
                }
            }
            Ok(Some(other)) => return Err(NodeError::arg_type("source", "a directory path or a Snapshot", other)),
            Err(e) => return Err(NodeError::arg_value("source", e.reason)),
        };
        Ok(RenderWork { source, format })
    }
}

impl Work for RenderWork {
    type Output = String;
    type Js = String;
    fn run(self) -> Result<String, NodeError> {
        Ok(match self.source {
            RenderSource::Directory(options) => loki_metrics::render(&loki_metrics::collect(&options), self.format),
            RenderSource::Snapshot(snapshot) => loki_metrics::render(&snapshot, self.format),
        })
    }
    fn into_js(_env: &Env, output: String) -> Result<String, NodeError> {
        Ok(output)
    }
}

/// Encodes a directory (collected now) or a snapshot as Prometheus text 0.0.4
/// (default), OpenMetrics 1.0.0 or JSON.
#[napi(ts_args_type = "source?: string | Snapshot | null, opts?: RenderOptions | null")]
pub fn render(env: Env, source: Option<Unknown>, opts: Option<Unknown>) -> napi::Result<String> {
    RenderWork::args(source, opts).and_then(Work::run).or_throw(&env)
}

/// `render` on the thread pool.
#[napi(
    ts_args_type = "source?: string | Snapshot | null, opts?: RenderOptions | null",
    ts_return_type = "Promise<string>"
)]
pub fn render_async(source: Option<Unknown>, opts: Option<Unknown>) -> AsyncTask<Offload<RenderWork>> {
    Offload::new(RenderWork::args(source, opts))
}

/// `collect`, as the native snapshot the package's `collect` wraps (its plain
/// fields plus `families` and `value`).
#[napi(js_name = "__collectNative", ts_args_type = "dir?: string | null, opts?: CollectOptions | null")]
pub fn collect_native(env: Env, dir: Option<Unknown>, opts: Option<Unknown>) -> napi::Result<NativeSnapshot> {
    let options = collect_args(dir, opts).or_throw(&env)?;
    Ok(NativeSnapshot::new(Arc::new(loki_metrics::collect(&options))))
}

pub struct NativeCollectWork(Options);

impl Work for NativeCollectWork {
    type Output = loki_metrics::Snapshot;
    type Js = NativeSnapshot;
    fn run(self) -> Result<Self::Output, NodeError> {
        Ok(loki_metrics::collect(&self.0))
    }
    fn into_js(_env: &Env, output: Self::Output) -> Result<NativeSnapshot, NodeError> {
        Ok(NativeSnapshot::new(Arc::new(output)))
    }
}

/// `__collectNative` on the thread pool.
#[napi(
    js_name = "__collectNativeAsync",
    ts_args_type = "dir?: string | null, opts?: CollectOptions | null",
    ts_return_type = "Promise<__NativeSnapshot>"
)]
pub fn collect_native_async(dir: Option<Unknown>, opts: Option<Unknown>) -> AsyncTask<Offload<NativeCollectWork>> {
    Offload::new(collect_args(dir, opts).map(NativeCollectWork))
}
