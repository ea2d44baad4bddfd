//! `parse`, `parseAsync` and `scrape`: exposition text into plain JS objects,
//! by the core's parser (and, for `scrape`, the exporter crate's client).

use std::ptr;
use std::time::Duration;

use loki_metrics::parse::{parse as core_parse, MetricFamily, ParseError, ParseFormat};
use loki_metrics_server::client::{fetch_blocking, FetchOptions};
use loki_metrics_server::ClientTrust;
use napi::bindgen_prelude::*;
use napi::{sys, Env};
use napi_derive::napi;
use std::result::Result;

use crate::error::{NodeError, OrThrow, ERR_LOKI_PARSE};
use crate::options::{object_arg, required_string_arg};
use crate::task::{Offload, Work};

/// The type of a parsed metric family (`unknown` covers 0.0.4's `untyped`).
#[napi(string_enum)]
pub enum MetricType {
    #[napi(value = "counter")]
    Counter,
    #[napi(value = "gauge")]
    Gauge,
    #[napi(value = "histogram")]
    Histogram,
    #[napi(value = "gaugehistogram")]
    GaugeHistogram,
    #[napi(value = "summary")]
    Summary,
    #[napi(value = "stateset")]
    StateSet,
    #[napi(value = "info")]
    Info,
    #[napi(value = "unknown")]
    Unknown,
}

/// Options of `parse` and `parseAsync`.
#[napi(object, object_to_js = false)]
#[derive(Debug, Default)]
pub struct ParseOptions {
    /// `'prometheus'` (0.0.4), `'openmetrics'` (1.0, strict) or `'auto'` (the
    /// default: OpenMetrics when the text ends with `# EOF`).
    #[napi(ts_type = "'prometheus' | 'openmetrics' | 'auto'")]
    pub format: Option<String>,
}

fn parse_format(name: &str, value: Option<&str>) -> Result<ParseFormat, NodeError> {
    match value {
        None => Ok(ParseFormat::Auto),
        Some(text) => text.parse().map_err(|e| NodeError::arg_value(name, e)),
    }
}

impl From<ParseError> for NodeError {
    fn from(e: ParseError) -> Self {
        #[allow(clippy::cast_precision_loss)] // line and column numbers are far below 2^53
        let (line, column) = (e.line as f64, e.column as f64);
        NodeError::new(ERR_LOKI_PARSE, e.to_string()).with("line", line).with("column", column)
    }
}

/// One sample, as the TypeScript types describe it (the conversion is hand-written for speed).
#[napi(object, object_from_js = false, object_to_js = false)]
#[allow(dead_code)] // declares the TypeScript type; values are made by `Builder`
pub struct Sample {
    /// The sample name with its suffix, e.g. `http_request_duration_seconds_bucket`.
    pub name: String,
    /// Label values by name, unescaped, in input order.
    #[napi(ts_type = "Record<string, string>")]
    pub labels: (),
    /// The value (`NaN`, `Infinity` and `-Infinity` included).
    pub value: f64,
    /// Seconds since the epoch (0.0.4 milliseconds are divided by 1000), or null.
    #[napi(ts_type = "number | null")]
    pub timestamp: (),
    /// The OpenMetrics exemplar, or null.
    #[napi(ts_type = "Exemplar | null")]
    pub exemplar: (),
}

/// An OpenMetrics exemplar (`# {labels} value [timestamp]` after a sample).
#[napi(object, object_from_js = false, object_to_js = false)]
#[allow(dead_code)] // declares the TypeScript type; values are made by `Builder`
pub struct Exemplar {
    #[napi(ts_type = "Record<string, string>")]
    pub labels: (),
    pub value: f64,
    #[napi(ts_type = "number | null")]
    pub timestamp: (),
}

/// One metric family with its samples in input order.
#[napi(object, js_name = "MetricFamily", object_from_js = false, object_to_js = false)]
#[allow(dead_code)] // declares the TypeScript type; values are made by `Builder`
pub struct ParsedFamily {
    /// The family name (OpenMetrics: without `_total`, `_bucket`, ...).
    pub name: String,
    /// The declared type; `'unknown'` without a TYPE line.
    #[napi(js_name = "type", ts_type = "MetricType")]
    pub metric_type: (),
    /// The HELP text, unescaped, or null.
    #[napi(ts_type = "string | null")]
    pub help: (),
    /// The UNIT (OpenMetrics), or null.
    #[napi(ts_type = "string | null")]
    pub unit: (),
    /// The samples.
    #[napi(ts_type = "Sample[]")]
    pub samples: (),
}

/// Parsed families on their way to JavaScript: the core's JSON encoding (made
/// off the JS thread in the async forms) plus the non-finite numbers JSON
/// cannot carry. V8's `JSON.parse` builds the objects several times faster
/// than one napi call per property would.
pub struct Families {
    json: String,
    patches: Vec<Patch>,
}

/// A non-finite number to put back where the JSON has `"NaN"`, `"+Inf"` or `"-Inf"`.
struct Patch {
    family: u32,
    sample: u32,
    in_exemplar: bool,
    field: &'static str,
    number: f64,
}

impl Families {
    pub fn encode(families: &[MetricFamily<'_>]) -> Result<Self, NodeError> {
        let index =
            |i: usize| u32::try_from(i).map_err(|_| NodeError::new(ERR_LOKI_PARSE, "too many families or samples"));
        let mut patches = Vec::new();
        for (fi, f) in families.iter().enumerate() {
            for (si, s) in f.samples.iter().enumerate() {
                let exemplar = s.exemplar.as_ref().map(|e| (true, e.value, e.timestamp));
                for (in_exemplar, value, timestamp) in std::iter::once((false, s.value, s.timestamp)).chain(exemplar) {
                    for (field, number) in [("value", Some(value)), ("timestamp", timestamp)] {
                        if let Some(number) = number.filter(|n| !n.is_finite()) {
                            patches.push(Patch { family: index(fi)?, sample: index(si)?, in_exemplar, field, number });
                        }
                    }
                }
            }
        }
        Ok(Families { json: loki_metrics::parse::to_json(families), patches })
    }

    fn to_js(&self, env: sys::napi_env) -> napi::Result<sys::napi_value> {
        let json = create_string(env, &self.json)?;
        let mut global = ptr::null_mut();
        let mut parsed = ptr::null_mut();
        // SAFETY: a live env; every value used was created in it in this scope.
        unsafe {
            check(sys::napi_get_global(env, &mut global))?;
            let json_object = get(env, global, c"JSON")?;
            let parse = get(env, json_object, c"parse")?;
            check(sys::napi_call_function(env, json_object, parse, 1, &json, &mut parsed))?;
            for p in &self.patches {
                let mut family = ptr::null_mut();
                let mut sample = ptr::null_mut();
                let mut number = ptr::null_mut();
                check(sys::napi_get_element(env, parsed, p.family, &mut family))?;
                let samples = get(env, family, c"samples")?;
                check(sys::napi_get_element(env, samples, p.sample, &mut sample))?;
                if p.in_exemplar {
                    sample = get(env, sample, c"exemplar")?;
                }
                check(sys::napi_create_double(env, p.number, &mut number))?;
                let field = if p.field == "value" { c"value" } else { c"timestamp" };
                check(sys::napi_set_named_property(env, sample, field.as_ptr(), number))?;
            }
        }
        Ok(parsed)
    }
}

fn check(status: sys::napi_status) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::new(Status::from(status), "building the parse result failed"))
    }
}

/// # Safety
/// `env` must be live and `object` a value created in it.
unsafe fn get(env: sys::napi_env, object: sys::napi_value, name: &std::ffi::CStr) -> napi::Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    // SAFETY: guaranteed by the caller; `name` is NUL-terminated.
    check(unsafe { sys::napi_get_named_property(env, object, name.as_ptr(), &mut out) })?;
    Ok(out)
}

fn create_string(env: sys::napi_env, s: &str) -> napi::Result<sys::napi_value> {
    let mut out = ptr::null_mut();
    let len = isize::try_from(s.len()).map_err(|_| napi::Error::from_reason("string too long"))?;
    // SAFETY: `s` is valid for `len` bytes. Latin-1 is used only for ASCII,
    // where it equals UTF-8 and spares V8 the decoding.
    check(unsafe {
        if s.is_ascii() {
            sys::napi_create_string_latin1(env, s.as_ptr().cast(), len, &mut out)
        } else {
            sys::napi_create_string_utf8(env, s.as_ptr().cast(), len, &mut out)
        }
    })?;
    Ok(out)
}

impl TypeName for Families {
    fn type_name() -> &'static str {
        "MetricFamily[]"
    }
    fn value_type() -> napi::ValueType {
        napi::ValueType::Object
    }
}

impl ToNapiValue for Families {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        val.to_js(env)
    }
}

/// Parses Prometheus text 0.0.4 or OpenMetrics 1.0 into metric families.
/// Invalid text throws an `Error` with `code: 'ERR_LOKI_PARSE'`, `line` and `column`.
#[napi(ts_args_type = "text: string, opts?: ParseOptions | null", ts_return_type = "MetricFamily[]")]
pub fn parse(env: Env, text: Unknown, opts: Option<Unknown>) -> napi::Result<Unknown<'static>> {
    let args = || -> Result<(String, ParseFormat), NodeError> {
        let text = required_string_arg("text", text)?;
        let opts: ParseOptions = object_arg("opts", opts)?;
        Ok((text, parse_format("format", opts.format.as_deref())?))
    };
    let (text, format) = args().or_throw(&env)?;
    let families =
        core_parse(&text, format).map_err(NodeError::from).and_then(|f| Families::encode(&f)).or_throw(&env)?;
    // SAFETY: the env of this call.
    unsafe { Families::to_napi_value(env.raw(), families) }
        .map(|raw| unsafe { Unknown::from_raw_unchecked(env.raw(), raw) })
}

pub struct ParseWork {
    text: String,
    format: ParseFormat,
}

impl Work for ParseWork {
    type Output = Families;
    type Js = Families;
    fn run(self) -> Result<Self::Output, NodeError> {
        Families::encode(&core_parse(&self.text, self.format)?)
    }
    fn into_js(_env: &Env, output: Families) -> Result<Families, NodeError> {
        Ok(output)
    }
}

/// `parse` on the thread pool (the objects are built on the JS thread).
#[napi(ts_args_type = "text: string, opts?: ParseOptions | null", ts_return_type = "Promise<MetricFamily[]>")]
pub fn parse_async(text: Unknown, opts: Option<Unknown>) -> AsyncTask<Offload<ParseWork>> {
    let args = || -> Result<ParseWork, NodeError> {
        let text = required_string_arg("text", text)?;
        let opts: ParseOptions = object_arg("opts", opts)?;
        Ok(ParseWork { text, format: parse_format("format", opts.format.as_deref())? })
    };
    Offload::new(args())
}

/// Options of `scrape`.
#[napi(object, object_to_js = false)]
#[derive(Debug, Default)]
pub struct ScrapeOptions {
    /// Sent as `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// The `Accept` header (none by default: the server picks, usually 0.0.4).
    pub accept: Option<String>,
    /// Limit for the whole exchange in milliseconds (default 10000).
    pub timeout_ms: Option<f64>,
    /// How to parse the body (default: from its `Content-Type`, else `'auto'`).
    #[napi(ts_type = "'prometheus' | 'openmetrics' | 'auto'")]
    pub format: Option<String>,
    /// Trust only the certificates in this PEM file (e.g. a self-signed one) for `https://`.
    pub ca_file: Option<String>,
    /// Accept any certificate (like Prometheus' `insecure_skip_verify`).
    pub insecure: Option<bool>,
}

pub struct ScrapeWork {
    url: String,
    options: FetchOptions,
    format: Option<ParseFormat>,
}

impl ScrapeWork {
    fn args(url: Unknown, opts: Option<Unknown>) -> Result<Self, NodeError> {
        let url = required_string_arg("url", url)?;
        let opts: ScrapeOptions = object_arg("opts", opts)?;
        let mut options = FetchOptions { token: opts.token, accept: opts.accept, ..FetchOptions::default() };
        if let Some(ms) = opts.timeout_ms {
            if !(ms.is_finite() && ms > 0.0) {
                return Err(NodeError::arg_value("timeoutMs", format!("must be a finite number > 0. Received {ms}")));
            }
            options.timeout = Duration::from_secs_f64(ms / 1000.0);
        }
        if opts.insecure == Some(true) {
            options.trust = ClientTrust::Insecure;
        } else if let Some(ca) = opts.ca_file {
            options.trust = ClientTrust::CaFile(ca.into());
        }
        let format = opts.format.as_deref().map(|f| parse_format("format", Some(f))).transpose()?;
        Ok(ScrapeWork { url, options, format })
    }
}

impl Work for ScrapeWork {
    type Output = Families;
    type Js = Families;
    fn run(self) -> Result<Self::Output, NodeError> {
        let response = fetch_blocking(&self.url, &self.options)?;
        let format = self.format.unwrap_or_else(|| match response.content_type.as_deref() {
            Some(ct) if ct.starts_with("application/openmetrics-text") => ParseFormat::OpenMetrics,
            Some(ct) if ct.starts_with("text/plain") => ParseFormat::Prometheus,
            _ => ParseFormat::Auto,
        });
        Families::encode(&core_parse(&response.body, format)?)
    }
    fn into_js(_env: &Env, output: Families) -> Result<Families, NodeError> {
        Ok(output)
    }
}

/// GETs an exposition endpoint and parses it (the request and the parse run
/// off the JS thread). Rejects with `ERR_LOKI_IO` when nothing answers,
/// `ERR_LOKI_HTTP_STATUS` (with `status`) on a non-200 answer, `ERR_LOKI_PARSE`
/// on an invalid body.
#[napi(ts_args_type = "url: string, opts?: ScrapeOptions | null", ts_return_type = "Promise<MetricFamily[]>")]
pub fn scrape(url: Unknown, opts: Option<Unknown>) -> AsyncTask<Offload<ScrapeWork>> {
    Offload::new(ScrapeWork::args(url, opts))
}
