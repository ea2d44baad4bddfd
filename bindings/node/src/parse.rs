//! `parse`, `parseAsync` and `scrape`: exposition text into plain JS objects,
//! by the core's parser (and, for `scrape`, the exporter crate's client).

use std::collections::HashMap;
use std::hash::BuildHasher;

use foldhash::fast::RandomState;
use loki_metrics::parse::{families, parse as core_parse, Label, MetricFamily, ParseError, ParseFormat};
use loki_metrics_server::client::{fetch_blocking, FetchOptions};
use loki_metrics_server::ClientTrust;
use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;
use std::result::Result;

use crate::error::{NodeError, OrThrow, ERR_LOKI_PARSE};
use crate::options::{millis_arg, object_arg, required_string_arg};
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

impl crate::options::OptionKeys for ParseOptions {
    const KEYS: &'static [&'static str] = &["format"];
}

impl crate::options::OptionKeys for ScrapeOptions {
    const KEYS: &'static [&'static str] = &["token", "accept", "timeoutMs", "format", "caFile", "insecure"];
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

/// Parsed families on their way to JavaScript, in columns: each distinct
/// string once in one table, everything else as indices and numbers in typed
/// arrays. `node/main.js` builds the `MetricFamily[]` objects from them (in
/// chunks, for the async forms); one napi call per property, or V8's
/// `JSON.parse` of the core's JSON, builds them several times slower.
///
/// Layout (all indices `u32`, [`NONE`] for an absent string):
/// * `strings`/`offsets`: string `i` is `strings.slice(offsets[i], offsets[i + 1])` (UTF-16 offsets);
/// * `families`: 5 per family: name, type (index into [`TYPES`]), help, unit, sample count;
/// * `shapes`: label-name sequences, each `[count, name...]`, referred to by position;
/// * `samples`: 4 per sample: name, shape, first label value in `labelValues`, flags
///   (bit 0: has a timestamp, bit 1: has an exemplar); `numbers`: value, timestamp;
/// * `exemplars`: 3 per exemplar (in sample order): shape, first label value, flags;
///   `exemplarNumbers`: value, timestamp.
pub struct Columns {
    strings: String,
    offsets: Vec<u32>,
    families: Vec<u32>,
    shapes: Vec<u32>,
    samples: Vec<u32>,
    numbers: Vec<f64>,
    label_values: Vec<u32>,
    exemplars: Vec<u32>,
    exemplar_numbers: Vec<f64>,
}

/// An absent string (help, unit).
const NONE: u32 = u32::MAX;
/// Family types by their code in `families`.
const TYPES: [loki_metrics::MetricType; 8] = loki_metrics::MetricType::ALL;

fn index(i: usize) -> Result<u32, NodeError> {
    u32::try_from(i)
        .ok()
        .filter(|&i| i != NONE)
        .ok_or_else(|| NodeError::new(ERR_LOKI_PARSE, "too many families, samples or labels"))
}

/// Each distinct string once, with its UTF-16 end offset.
///
/// An open-addressing table of 8-byte slots over the table's own compact
/// copy of the strings: a lookup touches one slot and (on a tag match) one
/// short run of `strings`, where a map keyed by `&str` would follow each key
/// back into the whole input text. The seed is random, so crafted text cannot
/// aim at collisions. Only the first [`Interner::ENTERED`] distinct strings
/// enter the table (later ones are stored once per occurrence), so the table
/// stays within 16 MiB whatever the text holds.
struct Interner {
    hasher: RandomState,
    /// `tag << 32 | (id + 1)` (0: empty), the tag being the hash's high half; a power of two long.
    slots: Vec<u64>,
    strings: String,
    /// The byte end of each string in `strings`.
    ends: Vec<usize>,
    /// `[0, ...]`: the UTF-16 end of each string.
    offsets: Vec<u32>,
    utf16_len: usize,
}

impl Interner {
    /// Strings deduplicated at most (ids `0..ENTERED`).
    const ENTERED: usize = 1 << 20;

    fn new() -> Self {
        Interner {
            hasher: RandomState::default(),
            slots: vec![0; 1024],
            strings: String::new(),
            ends: Vec::new(),
            offsets: vec![0],
            utf16_len: 0,
        }
    }

    fn get(&self, id: usize) -> &str {
        let start = if id == 0 { 0 } else { self.ends[id - 1] };
        &self.strings[start..self.ends[id]]
    }

    fn id(&mut self, s: &str) -> Result<u32, NodeError> {
        let hash = self.hasher.hash_one(s);
        let tag = hash >> 32;
        let mask = self.slots.len() - 1;
        #[allow(clippy::cast_possible_truncation)] // the low bits pick the slot
        let mut at = hash as usize & mask;
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                break;
            }
            if slot >> 32 == tag {
                let id = (slot & 0xffff_ffff) as usize - 1;
                if self.get(id) == s {
                    return index(id);
                }
            }
            at = (at + 1) & mask;
        }
        let id = index(self.ends.len())?;
        self.strings.push_str(s);
        self.ends.push(self.strings.len());
        self.utf16_len += if s.is_ascii() { s.len() } else { s.encode_utf16().count() };
        self.offsets.push(index(self.utf16_len)?);
        if self.ends.len() <= Self::ENTERED {
            self.slots[at] = (tag << 32) | (u64::from(id) + 1);
            if self.ends.len() * 2 > self.slots.len() {
                self.grow();
            }
        }
        Ok(id)
    }

    /// Doubles the slots (at most half are ever used, so probes stay short).
    fn grow(&mut self) {
        let mut slots = vec![0u64; self.slots.len() * 2];
        let mask = slots.len() - 1;
        for id in 0..self.ends.len().min(Self::ENTERED) {
            let hash = self.hasher.hash_one(self.get(id));
            #[allow(clippy::cast_possible_truncation)]
            let mut at = hash as usize & mask;
            while slots[at] != 0 {
                at = (at + 1) & mask;
            }
            slots[at] = (hash & !0xffff_ffff) | (id as u64 + 1);
        }
        self.slots = slots;
    }
}

/// Label-name sequences, each stored once; consecutive samples usually share one.
#[derive(Default)]
struct Shapes {
    ids: HashMap<Vec<u32>, u32, RandomState>,
    table: Vec<u32>,
    keys: Vec<u32>,
}

impl Shapes {
    /// The shape of `labels`; `last` is the previous sample's labels and
    /// shape in the same family, which the next usually repeats.
    fn id<'f>(
        &mut self,
        labels: &'f [Label<'f>],
        last: &mut Option<(&'f [Label<'f>], u32)>,
        strings: &mut Interner,
    ) -> Result<u32, NodeError> {
        if let Some((names, id)) = *last {
            if names.len() == labels.len() && names.iter().zip(labels).all(|((n, _), (k, _))| n == k) {
                *last = Some((labels, id));
                return Ok(id);
            }
        }
        self.keys.clear();
        for (k, _) in labels {
            self.keys.push(strings.id(k)?);
        }
        let id = match self.ids.get(&self.keys) {
            Some(&id) => id,
            None => {
                let id = index(self.table.len())?;
                self.table.push(index(self.keys.len())?);
                self.table.extend_from_slice(&self.keys);
                self.ids.insert(self.keys.clone(), id);
                id
            }
        };
        *last = Some((labels, id));
        Ok(id)
    }
}

/// Columns being filled, one family at a time.
struct ColumnsBuilder {
    strings: Interner,
    shapes: Shapes,
    out: Columns,
}

impl ColumnsBuilder {
    fn new() -> Self {
        ColumnsBuilder {
            strings: Interner::new(),
            shapes: Shapes::default(),
            out: Columns {
                strings: String::new(),
                offsets: Vec::new(),
                families: Vec::new(),
                shapes: Vec::new(),
                samples: Vec::new(),
                numbers: Vec::new(),
                label_values: Vec::new(),
                exemplars: Vec::new(),
                exemplar_numbers: Vec::new(),
            },
        }
    }

    fn push(&mut self, f: &MetricFamily<'_>) -> Result<(), NodeError> {
        let (strings, shapes, out) = (&mut self.strings, &mut self.shapes, &mut self.out);
        let kind = TYPES.iter().position(|&t| t == f.metric_type).unwrap_or(TYPES.len() - 1);
        let help = f.help.as_deref().map(|h| strings.id(h)).transpose()?.unwrap_or(NONE);
        let unit = f.unit.as_deref().map(|u| strings.id(u)).transpose()?.unwrap_or(NONE);
        out.families.extend([strings.id(&f.name)?, index(kind)?, help, unit, index(f.samples.len())?]);
        out.samples.reserve(f.samples.len() * 4);
        out.numbers.reserve(f.samples.len() * 2);
        let mut last_name: Option<(&str, u32)> = None;
        let mut last_shape = None;
        let mut last_exemplar_shape = None;
        for s in &f.samples {
            let name = match last_name {
                Some((n, id)) if n == s.name.as_ref() => id,
                _ => strings.id(&s.name)?,
            };
            last_name = Some((&s.name, name));
            let shape = shapes.id(&s.labels, &mut last_shape, strings)?;
            let values_at = index(out.label_values.len())?;
            for (_, v) in &s.labels {
                out.label_values.push(strings.id(v)?);
            }
            let flags = u32::from(s.timestamp.is_some()) | (u32::from(s.exemplar.is_some()) << 1);
            out.samples.extend([name, shape, values_at, flags]);
            out.numbers.extend([s.value, s.timestamp.unwrap_or(0.0)]);
            if let Some(e) = &s.exemplar {
                let shape = shapes.id(&e.labels, &mut last_exemplar_shape, strings)?;
                let values_at = index(out.label_values.len())?;
                for (_, v) in &e.labels {
                    out.label_values.push(strings.id(v)?);
                }
                out.exemplars.extend([shape, values_at, u32::from(e.timestamp.is_some())]);
                out.exemplar_numbers.extend([e.value, e.timestamp.unwrap_or(0.0)]);
            }
        }
        Ok(())
    }

    fn finish(self) -> Columns {
        let mut out = self.out;
        out.strings = self.strings.strings;
        out.offsets = self.strings.offsets;
        out.shapes = self.shapes.table;
        // The large arrays grew by doubling and go to JavaScript as they
        // are: without their slack (up to half of each).
        out.samples.shrink_to_fit();
        out.numbers.shrink_to_fit();
        out.label_values.shrink_to_fit();
        out
    }
}

impl Columns {
    /// The columns of `text`, encoded one family at a time as the core
    /// reads them (see `loki_metrics::parse::families`), so that the core's
    /// result is never held whole.
    pub fn parse(text: &str, format: ParseFormat) -> Result<Self, NodeError> {
        let mut runs = families(text, format);
        let mut columns = ColumnsBuilder::new();
        for family in &mut runs {
            columns.push(&family?)?;
        }
        if runs.resumed() {
            // A 0.0.4 family split by another's came in runs: `parse` joins them.
            columns = ColumnsBuilder::new();
            for family in core_parse(text, format)? {
                columns.push(&family)?;
            }
        }
        Ok(columns.finish())
    }

    /// The columns of families already made (a snapshot's).
    pub fn encode(families: &[MetricFamily<'_>]) -> Result<Self, NodeError> {
        let mut columns = ColumnsBuilder::new();
        for family in families {
            columns.push(family)?;
        }
        Ok(columns.finish())
    }

    pub fn into_js(self) -> ColumnsJs {
        ColumnsJs {
            strings: self.strings,
            offsets: Uint32Array::new(self.offsets),
            families: Uint32Array::new(self.families),
            types: TYPES.iter().map(|t| t.as_str()).collect(),
            shapes: Uint32Array::new(self.shapes),
            samples: Uint32Array::new(self.samples),
            numbers: Float64Array::new(self.numbers),
            label_values: Uint32Array::new(self.label_values),
            exemplars: Uint32Array::new(self.exemplars),
            exemplar_numbers: Float64Array::new(self.exemplar_numbers),
        }
    }
}

/// Parsed families in columns (see `Columns`); internal to the package, whose
/// `parse`, `parseAsync` and `scrape` turn them into `MetricFamily[]`.
#[napi(object, object_from_js = false)]
pub struct ColumnsJs {
    pub strings: String,
    pub offsets: Uint32Array,
    pub families: Uint32Array,
    pub types: Vec<&'static str>,
    pub shapes: Uint32Array,
    pub samples: Uint32Array,
    pub numbers: Float64Array,
    pub label_values: Uint32Array,
    pub exemplars: Uint32Array,
    pub exemplar_numbers: Float64Array,
}

/// `parse` up to the columns (the package's `parse` builds the objects).
#[napi(js_name = "__parseColumns", ts_args_type = "text: string, opts?: ParseOptions | null")]
pub fn parse_columns(env: Env, text: Unknown, opts: Option<Unknown>) -> napi::Result<ColumnsJs> {
    let args = || -> Result<(String, ParseFormat), NodeError> {
        let text = required_string_arg("text", text)?;
        let opts: ParseOptions = object_arg("opts", opts)?;
        Ok((text, parse_format("format", opts.format.as_deref())?))
    };
    let (text, format) = args().or_throw(&env)?;
    let columns = Columns::parse(&text, format).or_throw(&env)?;
    Ok(columns.into_js())
}

pub struct ParseWork {
    text: String,
    format: ParseFormat,
}

impl Work for ParseWork {
    type Output = Columns;
    type Js = ColumnsJs;
    fn run(self) -> Result<Self::Output, NodeError> {
        Columns::parse(&self.text, self.format)
    }
    fn into_js(_env: &Env, output: Columns) -> Result<ColumnsJs, NodeError> {
        Ok(output.into_js())
    }
}

/// `parseAsync` up to the columns, on the thread pool.
#[napi(
    js_name = "__parseColumnsAsync",
    ts_args_type = "text: string, opts?: ParseOptions | null",
    ts_return_type = "Promise<ColumnsJs>"
)]
pub fn parse_columns_async(text: Unknown, opts: Option<Unknown>) -> AsyncTask<Offload<ParseWork>> {
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
    /// Limit for the whole exchange in milliseconds (default 10000); past it, `ERR_LOKI_TIMEOUT`.
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
            options.timeout = millis_arg("timeoutMs", ms, true)?;
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
    type Output = Columns;
    type Js = ColumnsJs;
    fn run(self) -> Result<Self::Output, NodeError> {
        let response = fetch_blocking(&self.url, &self.options)?;
        let format = self.format.unwrap_or_else(|| match response.content_type.as_deref() {
            Some(ct) if ct.starts_with("application/openmetrics-text") => ParseFormat::OpenMetrics,
            Some(ct) if ct.starts_with("text/plain") => ParseFormat::Prometheus,
            _ => ParseFormat::Auto,
        });
        Columns::parse(&response.body, format)
    }
    fn into_js(_env: &Env, output: Columns) -> Result<ColumnsJs, NodeError> {
        Ok(output.into_js())
    }
}

/// `scrape` up to the columns: the request and the parse, off the JS thread.
#[napi(
    js_name = "__scrapeColumns",
    ts_args_type = "url: string, opts?: ScrapeOptions | null",
    ts_return_type = "Promise<ColumnsJs>"
)]
pub fn scrape_columns(url: Unknown, opts: Option<Unknown>) -> AsyncTask<Offload<ScrapeWork>> {
    Offload::new(ScrapeWork::args(url, opts))
}
