//! Prometheus text format 0.0.4, as Prometheus' own text parser reads it.
//!
//! Blank lines and comments are skipped; spaces or tabs separate tokens; a
//! label set may end in a comma; timestamps are integer milliseconds. Beyond
//! Prometheus' lexer, the checks of the reference Go text parser apply: HELP
//! and TYPE at most once per metric name, TYPE before that name's samples, no
//! label name twice in a label set. Families may interleave: a family whose
//! samples resume after another family's continues with its declared type.

use std::borrow::Cow;
use std::collections::HashMap;

use super::lexer::{eq_inline, metric_name_len, push_sample, scan_prometheus, unescape_help, Escapes, ScanHint};
use super::{MetricFamily, MetricType, ParseError, Sample};

/// What is known about one metric name.
#[derive(Default, Clone, Copy)]
struct NameInfo {
    kind: Option<MetricType>,
    has_help: bool,
    has_samples: bool,
    /// A family of this name was started (a second one means the name's
    /// samples are split by another family's).
    started: bool,
}

/// Reads Prometheus 0.0.4 lines into families.
pub(crate) struct PrometheusAssembler<'a> {
    current: Option<MetricFamily<'a>>,
    names: HashMap<Box<str>, NameInfo>,
    /// Whether some name's samples were split by another family's, so that
    /// its runs must be joined (see `parse::merge_interleaved`).
    pub(crate) interleaved: bool,
}

fn err(line_no: usize, line: &str, at: usize, message: impl Into<String>) -> ParseError {
    ParseError::at(line_no, line, at, message.into())
}

fn kind_from_type(s: &str) -> Option<MetricType> {
    Some(match s {
        "counter" => MetricType::Counter,
        "gauge" => MetricType::Gauge,
        "histogram" => MetricType::Histogram,
        "summary" => MetricType::Summary,
        "untyped" => MetricType::Unknown,
        _ => return None,
    })
}

impl<'a> PrometheusAssembler<'a> {
    pub(crate) fn new() -> Self {
        PrometheusAssembler { current: None, names: HashMap::new(), interleaved: false }
    }

    /// The family being read.
    pub(crate) fn open_family(&self) -> Option<&MetricFamily<'a>> {
        self.current.as_ref()
    }

    /// Reads one line (without its `\n`).
    pub(crate) fn feed<'l>(
        &mut self,
        line: &'l str,
        line_no: usize,
        keep: impl FnOnce(Sample<'l>) -> Sample<'a>,
        out: &mut Vec<MetricFamily<'a>>,
    ) -> Result<(), ParseError> {
        let b = line.as_bytes();
        let start = b.iter().position(|&c| c != b' ' && c != b'\t').unwrap_or(b.len());
        match b.get(start) {
            None => Ok(()),
            Some(b'#') => self.comment(line, start, line_no, out),
            Some(_) => {
                let hint = match &self.current {
                    Some(c) => ScanHint { name: &c.name, labels: c.samples.last().map_or(&[], |s| &s.labels) },
                    None => ScanHint::default(),
                };
                let scanned = scan_prometheus(line, start, hint).map_err(|(at, m)| err(line_no, line, at, m))?;
                if let Some(family) = self.family_of(&scanned.sample.name, scanned.starts_with_hint) {
                    let family = family.to_owned();
                    self.start_family(&family, out);
                }
                if let Some(cur) = self.current.as_mut() {
                    if cur.samples.is_empty() {
                        // First sample of this run: TYPE may no longer follow.
                        match self.names.get_mut(cur.name.as_ref()) {
                            Some(info) => info.has_samples = true,
                            None => {
                                let info = NameInfo { has_samples: true, ..NameInfo::default() };
                                self.names.insert(cur.name.as_ref().into(), info);
                            }
                        }
                    }
                    push_sample(&mut cur.samples, keep(scanned.sample));
                }
                Ok(())
            }
        }
    }

    /// Ends the input.
    pub(crate) fn finish(&mut self, out: &mut Vec<MetricFamily<'a>>) {
        if let Some(cur) = self.current.take() {
            out.push(cur);
        }
    }

    /// The family a sample name belongs to: `None` for the current family if
    /// its type allows the name, else a declared histogram or summary the
    /// name is a `_bucket`/`_count`/`_sum` of, else the name itself.
    /// `starts_with_current` says whether `sample` starts with the current
    /// family's name (the scan's hint).
    fn family_of<'n>(&'n self, sample: &'n str, starts_with_current: bool) -> Option<&'n str> {
        if let Some(cur) = self.current.as_ref().filter(|_| starts_with_current) {
            if let Some(rest) = sample.get(cur.name.len()..) {
                if cur.metric_type.prometheus_suffixes().iter().any(|s| eq_inline(s, rest)) {
                    return None;
                }
            }
        }
        for suffix in ["_bucket", "_count", "_sum"] {
            if let Some(base) = sample.strip_suffix(suffix) {
                if let Some(info) = self.names.get(base) {
                    if info.kind.is_some_and(|k| k.prometheus_suffixes().contains(&suffix)) {
                        return Some(base);
                    }
                }
            }
        }
        Some(sample)
    }

    /// What is known about `name`, made empty if nothing is yet (the key is
    /// copied only then; `entry` would copy it every time). Always `Some`.
    fn name_info(&mut self, name: &str) -> Option<&mut NameInfo> {
        if !self.names.contains_key(name) {
            self.names.insert(name.into(), NameInfo::default());
        }
        self.names.get_mut(name)
    }

    fn start_family(&mut self, name: &str, out: &mut Vec<MetricFamily<'a>>) {
        // Families tend to be alike: size the next like the last.
        let mut capacity = 0;
        if let Some(cur) = self.current.take() {
            capacity = cur.samples.len().min(4096);
            out.push(cur);
        }
        let kind = match self.names.get_mut(name) {
            Some(info) => {
                self.interleaved |= info.started;
                info.started = true;
                info.kind.unwrap_or(MetricType::Unknown)
            }
            None => {
                self.names.insert(name.into(), NameInfo { started: true, ..NameInfo::default() });
                MetricType::Unknown
            }
        };
        self.current = Some(MetricFamily {
            name: Cow::Owned(name.to_owned()),
            metric_type: kind,
            help: None,
            unit: None,
            samples: Vec::with_capacity(capacity),
        });
    }

    /// A `#` line: `# HELP`, `# TYPE`, or a comment (ignored).
    fn comment(
        &mut self,
        line: &str,
        hash: usize,
        line_no: usize,
        out: &mut Vec<MetricFamily<'a>>,
    ) -> Result<(), ParseError> {
        let b = line.as_bytes();
        let blanks =
            |from: usize| b.get(from..).unwrap_or(&[]).iter().take_while(|&&c| c == b' ' || c == b'\t').count();
        let gap = blanks(hash + 1);
        if gap == 0 {
            return Ok(());
        }
        let kw_at = hash + 1 + gap;
        let keyword = match b.get(kw_at..kw_at + 4) {
            Some(b"HELP") => "HELP",
            Some(b"TYPE") => "TYPE",
            _ => return Ok(()),
        };
        let gap2 = blanks(kw_at + 4);
        if gap2 == 0 {
            // `# HELPER ...` or `# HELP` alone: a comment.
            return Ok(());
        }
        let name_at = kw_at + 4 + gap2;
        let n = metric_name_len(b.get(name_at..).unwrap_or(&[]));
        if n == 0 {
            return Err(err(line_no, line, name_at, format!("expected a metric name after {keyword}")));
        }
        let name = line.get(name_at..name_at + n).unwrap_or("");
        let after = name_at + n;
        let text = match b.get(after) {
            None => "",
            Some(b' ' | b'\t') => line.get(after + 1..).unwrap_or(""),
            Some(_) => {
                return Err(err(
                    line_no,
                    line,
                    after,
                    format!(
                        "expected a space and the {} after the metric name",
                        if keyword == "HELP" { "help text" } else { "type" }
                    ),
                ))
            }
        };
        let info = self.names.get(name).copied().unwrap_or_default();
        if keyword == "TYPE" {
            let kind = kind_from_type(text).ok_or_else(|| {
                err(
                    line_no,
                    line,
                    (after + 1).min(line.len()),
                    format!("invalid metric type {text:?}: expected counter, gauge, histogram, summary or untyped"),
                )
            })?;
            if info.kind.is_some() {
                return Err(err(line_no, line, hash, format!("second TYPE line for metric name {name:?}")));
            }
            if info.has_samples {
                return Err(err(
                    line_no,
                    line,
                    hash,
                    format!("TYPE line for {name:?} after its samples: TYPE must come before the first sample"),
                ));
            }
            if let Some(info) = self.name_info(name) {
                info.kind = Some(kind);
            }
            if self.current.as_ref().map(|c| c.name.as_ref()) != Some(name) {
                self.start_family(name, out);
            }
            if let Some(cur) = self.current.as_mut() {
                cur.metric_type = kind;
            }
        } else {
            if info.has_help {
                return Err(err(line_no, line, hash, format!("second HELP line for metric name {name:?}")));
            }
            let help = unescape_help(text, Escapes::PrometheusHelp).unwrap_or(Cow::Borrowed(text));
            if let Some(info) = self.name_info(name) {
                info.has_help = true;
            }
            if self.current.as_ref().map(|c| c.name.as_ref()) != Some(name) {
                self.start_family(name, out);
            }
            if let Some(cur) = self.current.as_mut() {
                cur.help = (!help.is_empty()).then(|| Cow::Owned(help.into_owned()));
            }
        }
        Ok(())
    }
}
