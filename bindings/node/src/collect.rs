//! `collect`, `render` and their async forms.

use std::sync::Arc;

use loki_metrics::{Format, Options};
use napi::bindgen_prelude::*;
use napi::{Env, ValueType};
use napi_derive::napi;
use std::result::Result;

use crate::error::{NodeError, OrThrow};
use crate::options::{convert_arg, core_options, format_arg, object_arg, string_arg, CollectOptions, RenderOptions};
use crate::snapshot::Snapshot;
use crate::task::{Offload, Work};

fn collect_args(dir: Option<Unknown>, opts: Option<Unknown>) -> Result<Options, NodeError> {
    let dir = string_arg("dir", dir)?;
    let opts: CollectOptions = object_arg("opts", opts)?;
    core_options(dir, &opts)
}

/// A `Snapshot` object (as `collect` returns it, possibly edited).
fn snapshot_arg(name: &str, value: Unknown) -> Result<Snapshot, NodeError> {
    convert_arg(name, &value, "is not a Snapshot")
}

/// Reads a `.loki` directory once (default: env `LOKI_DIR`, else `./.loki`).
/// Never fails on bad data: problems are `warnings` on the snapshot.
#[napi(ts_args_type = "dir?: string | null, opts?: CollectOptions | null")]
pub fn collect(env: Env, dir: Option<Unknown>, opts: Option<Unknown>) -> napi::Result<Snapshot> {
    let options = collect_args(dir, opts).or_throw(&env)?;
    Ok(Snapshot::from(&loki_metrics::collect(&options)))
}

pub struct CollectWork(Options);

impl Work for CollectWork {
    type Output = loki_metrics::Snapshot;
    type Js = Snapshot;
    fn run(self) -> Result<Self::Output, NodeError> {
        Ok(loki_metrics::collect(&self.0))
    }
    fn into_js(_env: &Env, output: Self::Output) -> Result<Snapshot, NodeError> {
        Ok(Snapshot::from(&output))
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
                    Some(snapshot) => RenderSource::Snapshot(Arc::new(snapshot.try_into()?)),
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

/// A snapshot object's families, up to the columns (the package attaches
/// `families` and `value` to the snapshots it returns).
#[napi(js_name = "__snapshotColumns", ts_args_type = "snapshot: Snapshot")]
pub fn snapshot_columns(env: Env, snapshot: Unknown) -> napi::Result<crate::parse::ColumnsJs> {
    let columns = || -> Result<crate::parse::ColumnsJs, NodeError> {
        let snapshot = loki_metrics::Snapshot::try_from(snapshot_arg("snapshot", snapshot)?)?;
        let families: Vec<_> = snapshot.families().iter().map(|f| f.to_f64()).collect();
        Ok(crate::parse::Columns::encode(&families)?.into_js())
    };
    columns().or_throw(&env)
}

/// `Snapshot.value` of a snapshot object: the value of the sample `name`
/// whose labels are exactly `labels`, or `undefined`.
#[napi(
    js_name = "__snapshotValue",
    ts_args_type = "snapshot: Snapshot, name: string, labels?: Record<string, string> | null"
)]
pub fn snapshot_value(
    env: Env,
    snapshot: Unknown,
    name: Unknown,
    labels: Option<Unknown>,
) -> napi::Result<Option<f64>> {
    let value = || -> Result<Option<f64>, NodeError> {
        let snapshot = loki_metrics::Snapshot::try_from(snapshot_arg("snapshot", snapshot)?)?;
        let name = crate::options::required_string_arg("name", name)?;
        let labels: Option<std::collections::HashMap<String, String>> =
            match labels.filter(|l| !matches!(l.get_type(), Ok(ValueType::Undefined | ValueType::Null))) {
                Some(l) => Some(convert_arg("labels", &l, "must be an object of strings")?),
                None => None,
            };
        let pairs: Vec<(&str, &str)> = labels.iter().flatten().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        // Counts above 2^53 lose precision in a JS number; no .loki directory gets there.
        Ok(snapshot.value(&name, &pairs).map(loki_metrics::SampleValue::to_f64))
    };
    value().or_throw(&env)
}
