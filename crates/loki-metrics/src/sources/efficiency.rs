//! `metrics/efficiency/*.json`: one cost record per iteration.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::value::RawValue;

use super::folder::{Entry, FolderProblem, FolderSpec, RecordFolder};
use super::json;
use super::pricing::PriceTable;

/// What one record contributes, before prices are applied.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Record {
    /// A usable record.
    Usage(Usage),
    /// Adds nothing; the message says why.
    Invalid(String),
}

/// One iteration's usage.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Usage {
    /// A usable `cost_usd` (else the tokens are priced).
    pub cost: Option<f64>,
    /// Input, output, cache-read and cache-creation tokens, in the order of
    /// `loki_tokens_total`'s `kind` values.
    pub tokens: [f64; 4],
    /// `model`, lower-cased; `None` is the default model.
    pub model: Option<String>,
    /// A token field that could not be used next to a usable `cost_usd`.
    pub note: Option<String>,
}

/// The token fields, in the order of [`Usage::tokens`].
const TOKEN_FIELDS: [&str; 4] = ["input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens"];

/// Parses one record. Never fails: a bad record is [`Record::Invalid`].
pub(crate) fn parse_record(bytes: &[u8]) -> Record {
    let wanted = ["cost_usd", "model", TOKEN_FIELDS[0], TOKEN_FIELDS[1], TOKEN_FIELDS[2], TOKEN_FIELDS[3]];
    let fields = match json::object_fields(bytes, &wanted) {
        Ok(fields) => fields,
        Err(e) => return Record::Invalid(format!("{}; adds nothing", json::object_error(bytes, &e))),
    };
    let [cost, model, ref token_fields @ ..] = fields[..] else { unreachable!("one slot per wanted key") };
    let cost = match cost.filter(|r| !json::is_null(r)) {
        None => Ok(None),
        Some(raw) => cost_value(raw).map(Some),
    };
    let mut tokens = [0.0; 4];
    let mut token_problem = None;
    for ((slot, raw), name) in tokens.iter_mut().zip(token_fields).zip(TOKEN_FIELDS) {
        let Some(raw) = raw.filter(|r| !json::is_null(r)) else { continue };
        match json::number(raw).map(json::Number::as_f64) {
            Some(v) if v.is_finite() && v >= 0.0 => *slot = v,
            _ => {
                token_problem.get_or_insert_with(|| format!("{name} {} is not a non-negative number", json::show(raw)));
            }
        }
    }
    let model = match model.filter(|r| !json::is_null(r)) {
        None => None,
        Some(raw) => match json::string(raw) {
            Some(name) => Some(name.to_lowercase()),
            None => return Record::Invalid(format!("model is {}, not a string; adds nothing", json::kind(raw))),
        },
    };
    match (cost, token_problem) {
        (Ok(Some(cost)), note) => {
            let note = note.map(|why| format!("{why}; those tokens not counted"));
            Record::Usage(Usage { cost: Some(cost), tokens, model, note })
        }
        (Ok(None), None) if token_fields.iter().all(Option::is_none) => {
            Record::Invalid("has neither cost_usd nor token counts; adds nothing".to_owned())
        }
        (Ok(None), None) => Record::Usage(Usage { cost: None, tokens, model, note: None }),
        (Err(why), None) if token_fields.iter().all(Option::is_none) => {
            Record::Invalid(format!("{why} and there are no tokens; adds nothing"))
        }
        (Err(why), None) => {
            let note = Some(format!("{why}; its tokens priced instead"));
            Record::Usage(Usage { cost: None, tokens, model, note })
        }
        (_, Some(why)) => Record::Invalid(format!("{why}; adds nothing")),
    }
}

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

/// At most this many models get a `loki_model_cost_usd` sample of their own
/// (the costliest); the rest are summed as `other`.
pub(crate) const MAX_MODELS: usize = 32;

/// The `model` label of the models past [`MAX_MODELS`].
pub(crate) const OTHER_MODEL: &str = "other";

const SPEC: FolderSpec<Record> = FolderSpec {
    accept: |name| name.ends_with(".json"),
    file_in_entry: None,
    hidden: false,
    parse: parse_record,
    invalid: |record| matches!(record, Record::Invalid(_)),
};

/// The folder's records, kept between collections, and their last sum.
#[derive(Debug, Default)]
pub(crate) struct EfficiencyState {
    folder: RecordFolder<Record>,
    /// The sum of the records at a folder generation and price table: a
    /// session has thousands of records, and most collections change none.
    last: Option<(u64, PriceTable, EfficiencyTotal)>,
}

/// The cost of one collection.
#[derive(Debug, Default, Clone)]
pub(crate) struct EfficiencyTotal {
    /// Rounded to 6 decimals.
    pub cost_usd: f64,
    /// Tokens by kind (input, output, cache read, cache creation).
    pub tokens: [u64; 4],
    /// Cost by model, each rounded to 6 decimals, sorted by name with
    /// `other` last.
    pub by_model: Vec<(String, f64)>,
    pub warnings: Vec<String>,
    /// Something that exists could not be used.
    pub failed: bool,
}

impl EfficiencyState {
    /// Refreshes the records in `dir` and sums them at `prices`.
    pub(crate) fn total(&mut self, dir: &Path, prices: &PriceTable, cap: u64) -> EfficiencyTotal {
        let mut out = EfficiencyTotal::default();
        if let Err(FolderProblem::NotADirectory(why) | FolderProblem::Unreadable(why)) =
            self.folder.refresh(dir, &SPEC, cap)
        {
            out.failed = true;
            out.warnings.push(format!("{why}; cost 0"));
            return out;
        }
        let generation = self.folder.generation();
        if let Some((at, at_prices, total)) = &self.last {
            if *at == generation && at_prices == prices {
                return total.clone();
            }
        }
        let total = self.sum(prices, out);
        self.last = Some((generation, prices.clone(), total.clone()));
        total
    }

    fn sum(&self, prices: &PriceTable, mut out: EfficiencyTotal) -> EfficiencyTotal {
        let mut unknown_models = BTreeSet::new();
        let mut problems: Vec<String> = Vec::new();
        let mut notes: Vec<String> = Vec::new();
        let mut sum = 0.0f64;
        let mut tokens = [0.0f64; 4];
        let mut by_model: BTreeMap<&str, f64> = BTreeMap::new();
        for (name, entry) in self.folder.entries() {
            let usage = match entry {
                Entry::Record(_, Record::Usage(usage)) => usage,
                Entry::Record(_, Record::Invalid(why)) | Entry::Unusable(why) => {
                    problems.push(format!("{}: {why}", name.to_string_lossy()));
                    continue;
                }
            };
            if let Some(note) = &usage.note {
                notes.push(format!("{}: {note}", name.to_string_lossy()));
            }
            let model = usage.model.as_deref().unwrap_or(super::pricing::FALLBACK_MODEL);
            let cost = match usage.cost {
                Some(cost) => cost,
                None => {
                    let price = prices.get(model).unwrap_or_else(|| {
                        unknown_models.insert(model.to_owned());
                        prices.fallback()
                    });
                    price.cost(&usage.tokens)
                }
            };
            if !(sum + cost).is_finite() {
                problems.push(format!("{}: cost would overflow the total; adds nothing", name.to_string_lossy()));
                continue;
            }
            sum += cost;
            *by_model.entry(model).or_insert(0.0) += cost;
            for (total, n) in tokens.iter_mut().zip(usage.tokens) {
                *total += n;
            }
        }
        out.cost_usd = round6(sum);
        out.tokens = tokens.map(|n| if n >= u64::MAX as f64 { u64::MAX } else { n as u64 });
        out.by_model = top_models(by_model);
        out.failed = !problems.is_empty();
        let extra = problems.len().saturating_sub(MAX_FILE_WARNINGS);
        problems.truncate(MAX_FILE_WARNINGS);
        out.warnings = problems;
        if extra > 0 {
            out.warnings.push(format!("{extra} more record(s) with problems not listed"));
        }
        let extra_notes = notes.len().saturating_sub(MAX_FILE_WARNINGS);
        notes.truncate(MAX_FILE_WARNINGS);
        out.warnings.extend(notes);
        if extra_notes > 0 {
            out.warnings.push(format!("{extra_notes} more record(s) with unusable fields not listed"));
        }
        for model in unknown_models {
            out.warnings.push(format!("unknown model {model:?} priced as {}", super::pricing::FALLBACK_MODEL));
        }
        out
    }
}

/// A cost rounded to 6 decimals (kept as is if rounding overflows).
fn round6(v: f64) -> f64 {
    let rounded = (v * 1e6).round() / 1e6;
    if rounded.is_finite() {
        rounded
    } else {
        v
    }
}

/// The [`MAX_MODELS`] costliest models by name, the rest summed as `other`
/// (which sorts last).
fn top_models(by_model: BTreeMap<&str, f64>) -> Vec<(String, f64)> {
    let mut ranked: Vec<(&str, f64)> = by_model.into_iter().collect();
    if ranked.len() > MAX_MODELS {
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        // A model that is itself named `other` joins the bucket of that name.
        let own_other = ranked.iter().position(|(m, _)| *m == OTHER_MODEL).map(|i| ranked.remove(i).1);
        let keep = MAX_MODELS.min(ranked.len());
        let other: f64 = ranked[keep..].iter().map(|(_, c)| c).sum::<f64>() + own_other.unwrap_or(0.0);
        ranked.truncate(keep);
        ranked.sort_by(|a, b| a.0.cmp(b.0));
        let mut out: Vec<(String, f64)> = ranked.into_iter().map(|(m, c)| (m.to_owned(), round6(c))).collect();
        out.push((OTHER_MODEL.to_owned(), round6(other)));
        return out;
    }
    ranked.into_iter().map(|(m, c)| (m.to_owned(), round6(c))).collect()
}
