//! `metrics/efficiency/*.json`: one cost record per iteration.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::value::RawValue;

use super::folder::{Entry, FolderProblem, FolderSpec, RecordFolder};
use super::json;
use super::pricing::PriceTable;

/// What one record contributes, before prices are applied.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Record {
    /// A usable `cost_usd`.
    Cost(f64),
    /// Tokens to be priced for `model` (lower-cased; `None` is the default model).
    Tokens { input: f64, output: f64, model: Option<String> },
    /// Adds nothing; the message says why.
    Invalid(String),
}

/// Parses one record. Never fails: a bad record is [`Record::Invalid`].
pub(crate) fn parse_record(bytes: &[u8]) -> Record {
    let fields = match json::object_fields(bytes, &["cost_usd", "input_tokens", "output_tokens", "model"]) {
        Ok(fields) => fields,
        Err(e) => return Record::Invalid(format!("{}; adds nothing", json::object_error(bytes, &e))),
    };
    let [cost, input, output, model] = fields[..] else { unreachable!("one slot per wanted key") };
    let mut cost_problem = None;
    if let Some(raw) = cost.filter(|r| !json::is_null(r)) {
        match cost_value(raw) {
            Ok(v) => return Record::Cost(v),
            Err(why) => cost_problem = Some(why),
        }
    }
    if input.is_none() && output.is_none() {
        return Record::Invalid(match cost_problem {
            Some(why) => format!("{why} and there are no tokens; adds nothing"),
            None => "has neither cost_usd nor input_tokens/output_tokens; adds nothing".to_owned(),
        });
    }
    let tokens = |name: &str, raw: Option<&RawValue>| -> Result<f64, String> {
        let Some(raw) = raw.filter(|r| !json::is_null(r)) else {
            return Ok(0.0);
        };
        match json::number(raw).map(json::Number::as_f64) {
            Some(v) if v.is_finite() && v >= 0.0 => Ok(v),
            _ => Err(format!("{name} {} is not a non-negative number; adds nothing", json::show(raw))),
        }
    };
    let input = match tokens("input_tokens", input) {
        Ok(v) => v,
        Err(why) => return Record::Invalid(why),
    };
    let output = match tokens("output_tokens", output) {
        Ok(v) => v,
        Err(why) => return Record::Invalid(why),
    };
    let model = match model.filter(|r| !json::is_null(r)) {
        None => None,
        Some(raw) => match json::string(raw) {
            Some(name) => Some(name.to_lowercase()),
            None => return Record::Invalid(format!("model is {}, not a string; adds nothing", json::kind(raw))),
        },
    };
    Record::Tokens { input, output, model }
}

/// `cost_usd` as a finite non-negative number; a numeric string is accepted.
fn cost_value(raw: &RawValue) -> Result<f64, String> {
    let value = match json::number(raw) {
        Some(n) => Some(n.as_f64()),
        None => json::string(raw).and_then(|s| parse_decimal(&s)),
    };
    match value {
        Some(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Some(v) if v.is_finite() => Err(format!("cost_usd {} is negative", json::show(raw))),
        _ => Err(format!("cost_usd {} is not a finite number", json::show(raw))),
    }
}

/// A plain decimal (`0.25`, `-1`, `1e3`); not `inf`, `nan`, hex or `_`.
fn parse_decimal(text: &str) -> Option<f64> {
    let t = text.trim();
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    let ok = digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && digits.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
    if ok {
        t.parse::<f64>().ok()
    } else {
        None
    }
}

/// Most per-file warnings kept from one collection; the rest are summarised.
const MAX_FILE_WARNINGS: usize = 20;

/// The efficiency records: a [`RecordFolder`] of `*.json` files.
const SPEC: FolderSpec<Record> = FolderSpec {
    accept: |name| name.ends_with(".json"),
    file_in_entry: None,
    parse: parse_record,
    invalid: |record| matches!(record, Record::Invalid(_)),
};

/// The efficiency folder's records, re-read only when a file changes.
#[derive(Debug, Default)]
pub(crate) struct EfficiencyState {
    folder: RecordFolder<Record>,
}

/// The folder's total and what went wrong on the way.
#[derive(Debug, Default)]
pub(crate) struct EfficiencyTotal {
    pub cost_usd: f64,
    pub warnings: Vec<String>,
    /// A record or the folder itself could not be used.
    pub failed: bool,
}

impl EfficiencyState {
    pub(crate) fn total(&mut self, dir: &Path, prices: &PriceTable, cap: u64) -> EfficiencyTotal {
        let mut out = EfficiencyTotal::default();
        if let Err(FolderProblem::NotADirectory(why) | FolderProblem::Unreadable(why)) =
            self.folder.refresh(dir, &SPEC, cap)
        {
            out.failed = true;
            out.warnings.push(format!("{why}; cost 0"));
            return out;
        }
        self.sum(prices, out)
    }

    fn sum(&self, prices: &PriceTable, mut out: EfficiencyTotal) -> EfficiencyTotal {
        let fallback = prices.fallback();
        let mut unknown_models = BTreeSet::new();
        let mut problems: Vec<String> = Vec::new();
        let mut sum = 0.0f64;
        // A fixed (name) order makes the floating-point sum reproducible.
        for (name, entry) in self.folder.entries() {
            let cost = match entry {
                Entry::Record(_, Record::Cost(c)) => *c,
                Entry::Record(_, Record::Tokens { input, output, model }) => {
                    let price = match model.as_deref() {
                        None => fallback,
                        Some(m) => prices.get(m).unwrap_or_else(|| {
                            unknown_models.insert(m.to_owned());
                            fallback
                        }),
                    };
                    input / 1e6 * price.input + output / 1e6 * price.output
                }
                Entry::Record(_, Record::Invalid(why)) | Entry::Unusable(why) => {
                    problems.push(format!("{}: {why}", name.to_string_lossy()));
                    continue;
                }
            };
            if (sum + cost).is_finite() {
                sum += cost;
            } else {
                problems.push(format!("{}: cost would overflow the total; adds nothing", name.to_string_lossy()));
            }
        }
        out.cost_usd = (sum * 1e6).round() / 1e6;
        if !out.cost_usd.is_finite() {
            out.cost_usd = sum;
        }
        out.failed = !problems.is_empty();
        let extra = problems.len().saturating_sub(MAX_FILE_WARNINGS);
        problems.truncate(MAX_FILE_WARNINGS);
        out.warnings = problems;
        if extra > 0 {
            out.warnings.push(format!("{extra} more record(s) with problems not listed"));
        }
        for model in unknown_models {
            out.warnings.push(format!("unknown model {model:?} priced as {}", super::pricing::FALLBACK_MODEL));
        }
        out
    }
}
