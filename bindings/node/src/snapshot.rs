//! The snapshot as a plain JavaScript object (camelCase), both ways: the
//! core's typed view through serde (`to_js_value` / `from_js_value`), so the
//! object's keys and the `Snapshot` type (`node/snapshot-header.d.ts`) follow
//! the family catalogue with no change here.

use std::sync::Arc;

use loki_metrics as core;
use napi::bindgen_prelude::*;
use napi::{Env, ValueType};
use napi_derive::napi;
use std::result::Result;

use crate::error::{NodeError, OrThrow, ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE};
use crate::options::{convert_arg, required_string_arg};

/// A collection held on the native side (internal): the package's `collect`
/// returns its plain object (`toObject`) with `families` and `value` bound
/// to it, so both describe the collection itself, every family included.
#[napi(js_name = "__NativeSnapshot")]
pub struct NativeSnapshot {
    inner: Arc<core::Snapshot>,
}

impl NativeSnapshot {
    pub fn new(inner: Arc<core::Snapshot>) -> Self {
        NativeSnapshot { inner }
    }
}

#[napi]
impl NativeSnapshot {
    /// The snapshot as its plain object.
    #[napi(js_name = "toObject", ts_return_type = "Snapshot")]
    pub fn to_object(&self) -> SnapshotObject {
        SnapshotObject(Arc::clone(&self.inner))
    }

    /// The families, up to the columns (the package builds the objects).
    #[napi]
    pub fn columns(&self, env: Env) -> napi::Result<crate::parse::ColumnsJs> {
        let families: Vec<_> = self.inner.families().iter().map(|f| f.to_f64()).collect();
        crate::parse::Columns::encode(&families).map(crate::parse::Columns::into_js).or_throw(&env)
    }

    /// Each family's name as Prometheus text 0.0.4 spells it (`loki_events_total`
    /// for the counter family `loki_events`), in the order of `columns`.
    #[napi(js_name = "prometheusNames")]
    pub fn prometheus_names(&self) -> Vec<String> {
        self.inner.families().iter().map(|f| f.prometheus_name().into_owned()).collect()
    }

    /// The value of the sample `name` whose labels are exactly `labels`, or `null`.
    #[napi(ts_args_type = "name: string, labels?: Record<string, string> | null")]
    pub fn value(&self, env: Env, name: Unknown, labels: Option<Unknown>) -> napi::Result<Option<f64>> {
        let value = || -> Result<Option<f64>, NodeError> {
            let name = required_string_arg("name", name)?;
            let labels: Option<std::collections::HashMap<String, String>> =
                match labels.filter(|l| !matches!(l.get_type(), Ok(ValueType::Undefined | ValueType::Null))) {
                    Some(l) => Some(convert_arg("labels", &l, "must be an object of strings")?),
                    None => None,
                };
            let pairs: Vec<(&str, &str)> = labels.iter().flatten().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            // Counts above 2^53 lose precision in a JS number; no .loki directory gets there.
            Ok(self.inner.value(&name, &pairs).map(core::SampleValue::to_f64))
        };
        value().or_throw(&env)
    }
}

/// A snapshot as its plain object: the core's typed view (`KeyCase::Camel`)
/// converted by serde, so every catalogue key is a property.
pub struct SnapshotObject(pub Arc<core::Snapshot>);

impl TypeName for SnapshotObject {
    fn type_name() -> &'static str {
        "Snapshot"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for SnapshotObject {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> napi::Result<napi::sys::napi_value> {
        let env = Env::from_raw(env);
        Ok(env.to_js_value(&val.0.typed_view(core::KeyCase::Camel))?.raw())
    }
}

/// A `Snapshot` object (as `collect` returns it, possibly edited or built in
/// JS) back into the core's snapshot, through the core's reading of the typed
/// view: a refused value is `ERR_INVALID_ARG_VALUE` naming its key, anything
/// else that is not a snapshot `ERR_INVALID_ARG_TYPE`.
pub fn snapshot_arg(name: &str, value: Unknown) -> Result<core::Snapshot, NodeError> {
    let raw_env = value.value().env;
    let not_a_snapshot = |reason: &dyn std::fmt::Display| {
        NodeError::new(ERR_INVALID_ARG_TYPE, format!("The \"{name}\" argument is not a Snapshot: {reason}"))
    };
    let data: core::SnapshotData = Env::from_raw(raw_env)
        .from_js_value(value)
        .map_err(|e| NodeError::rethrow_pending(raw_env, name).unwrap_or_else(|| not_a_snapshot(&e.reason)))?;
    core::Snapshot::from_typed(data, core::KeyCase::Camel).map_err(|e| match e {
        core::Error::SnapshotKeyValue { key, reason } => {
            NodeError::new(ERR_INVALID_ARG_VALUE, format!("The \"{key}\" option {reason}"))
        }
        other => not_a_snapshot(&other),
    })
}
