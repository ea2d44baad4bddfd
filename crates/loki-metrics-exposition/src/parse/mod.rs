//! Parsing of exposition text: Prometheus text 0.0.4 and OpenMetrics 1.0.
//!
//! [`parse`] reads a whole text and borrows from it where it can: names and
//! label values without escapes are slices of the input. [`families`] yields
//! the same families one at a time, for a program that uses each and drops
//! it (faster, and memory for one family instead of all). [`FamilyReader`]
//! reads any [`BufRead`](std::io::BufRead) one family at a time, for inputs
//! too large to hold in memory: lent ([`FamilyReader::next_family`], slices
//! of its buffer, as fast as `parse`) or owned (its `Iterator`). [`lint`]
//! reports what `promtool check metrics` would warn about.
//!
//! OpenMetrics is checked strictly against every MUST of the 1.0 text format
//! (see `openmetrics.rs`); Prometheus 0.0.4 is read as Prometheus' own text
//! parser reads it, plus the checks of the reference Go text parser
//! (`expfmt`): HELP and TYPE at most once per family, TYPE before samples,
//! no repeated label names.
//!
//! ```
//! use loki_metrics_exposition::parse::{parse, ParseFormat};
//! let families = parse("# TYPE a counter\na_total 1\n# EOF\n", ParseFormat::Auto)?;
//! assert_eq!(families[0].name, "a");
//! assert_eq!(families[0].samples[0].value, 1.0);
//! # Ok::<(), loki_metrics_exposition::parse::ParseError>(())
//! ```

mod assemble;
mod families;
mod lexer;
mod lint;
mod number;
mod openmetrics;
mod prometheus;
mod stream;

use std::fmt;
use std::str::FromStr;

pub use crate::model::{Exemplar, Label, MetricFamily, MetricType, Sample};

pub use families::{families, Families};
pub use lint::{lint, LintWarning};
pub use stream::{FamilyReader, AUTO_DETECT_LIMIT, MAX_LINE_BYTES};

/// Which text format to parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ParseFormat {
    /// Prometheus text format 0.0.4.
    Prometheus,
    /// OpenMetrics 1.0 text format, strictly.
    OpenMetrics,
    /// OpenMetrics when the text's last line is `# EOF`, else Prometheus.
    #[default]
    Auto,
}

impl ParseFormat {
    /// The name accepted by [`ParseFormat::from_str`].
    pub fn as_str(self) -> &'static str {
        match self {
            ParseFormat::Prometheus => "prometheus",
            ParseFormat::OpenMetrics => "openmetrics",
            ParseFormat::Auto => "auto",
        }
    }

    /// Resolves [`ParseFormat::Auto`] for a whole text.
    pub fn detect(self, text: &str) -> ParseFormat {
        match self {
            ParseFormat::Auto if ends_with_eof_line(text) => ParseFormat::OpenMetrics,
            ParseFormat::Auto => ParseFormat::Prometheus,
            concrete => concrete,
        }
    }
}

fn ends_with_eof_line(text: &str) -> bool {
    let body = text.strip_suffix('\n').unwrap_or(text);
    match body.strip_suffix("# EOF") {
        Some(before) => before.is_empty() || before.ends_with('\n'),
        None => false,
    }
}

impl From<crate::TextFormat> for ParseFormat {
    fn from(format: crate::TextFormat) -> Self {
        match format {
            crate::TextFormat::Prometheus => ParseFormat::Prometheus,
            crate::TextFormat::OpenMetrics => ParseFormat::OpenMetrics,
        }
    }
}

impl fmt::Display for ParseFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a [`ParseFormat`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownParseFormat(pub String);

impl fmt::Display for UnknownParseFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown format {:?} (expected prometheus, openmetrics or auto)", self.0)
    }
}

impl std::error::Error for UnknownParseFormat {}

impl FromStr for ParseFormat {
    type Err = UnknownParseFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match crate::TextFormat::from_name(s) {
            Some(format) => Ok(format.into()),
            None if s.trim().eq_ignore_ascii_case("auto") => Ok(ParseFormat::Auto),
            None => Err(UnknownParseFormat(s.to_owned())),
        }
    }
}

/// Why a text is not a valid exposition, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What was wrong, saying what was expected.
    pub message: String,
}

impl ParseError {
    /// An error at the character of `line_text` that starts at byte `offset`.
    pub(crate) fn at(line_no: usize, line_text: &str, offset: usize, message: String) -> Self {
        let prefix = line_text.get(..offset.min(line_text.len())).unwrap_or(line_text);
        ParseError { line: line_no, column: prefix.chars().count() + 1, message }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses a whole exposition text.
///
/// In Prometheus 0.0.4 a family whose samples are split by other families
/// (allowed there) is returned once, with all its samples in input order.
pub fn parse(text: &str, format: ParseFormat) -> Result<Vec<MetricFamily<'_>>, ParseError> {
    let mut runs = families(text, format);
    let mut out = Vec::new();
    for family in &mut runs {
        out.push(family?);
    }
    if runs.resumed() {
        merge_interleaved(&mut out);
    }
    Ok(out)
}

/// The families as a JSON array (see [`MetricFamily`]'s `Serialize`: labels
/// as an object in input order, NaN and infinities as `"NaN"`, `"+Inf"`,
/// `"-Inf"`).
pub fn to_json(families: &[MetricFamily<'_>]) -> String {
    // Serializing strings, numbers and maps into a String cannot fail.
    serde_json::to_string(families).unwrap_or_else(|_| String::from("[]"))
}

/// Joins the runs of a 0.0.4 family split by other families into its first run.
fn merge_interleaved(families: &mut Vec<MetricFamily<'_>>) {
    use std::collections::HashMap;
    let mut first: HashMap<String, usize> = HashMap::new();
    let mut repeated = false;
    for (i, f) in families.iter().enumerate() {
        if first.insert(f.name.to_string(), i).is_some() {
            repeated = true;
        }
    }
    if !repeated {
        return;
    }
    first.clear();
    let mut merged: Vec<MetricFamily<'_>> = Vec::with_capacity(families.len());
    for f in families.drain(..) {
        match first.get(f.name.as_ref()).and_then(|&i| merged.get_mut(i)) {
            Some(target) => {
                target.samples.extend(f.samples);
                if target.help.is_none() {
                    target.help = f.help;
                }
                if target.metric_type == MetricType::Unknown {
                    target.metric_type = f.metric_type;
                }
            }
            None => {
                first.insert(f.name.to_string(), merged.len());
                merged.push(f);
            }
        }
    }
    *families = merged;
}
