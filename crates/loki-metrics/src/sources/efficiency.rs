//! `metrics/efficiency/*.json`: one cost record per iteration.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use serde_json::value::RawValue;

use super::file::{self, FileKey, OpenError};
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

/// A folder unchanged since its last listing is listed again after this long
/// anyway, to catch a record rewritten in place (which leaves the folder's
/// own mtime alone).
const FULL_LISTING_INTERVAL: Duration = Duration::from_secs(30);

/// Records modified this recently (or unusable) are re-checked on every
/// collection: a writer may still be filling them in.
const HOT_WINDOW_NS: i128 = 10_000_000_000;

/// What one `*.json` entry of the folder holds.
#[derive(Debug, Clone, PartialEq)]
enum Entry {
    /// A record read from a regular file with this identity.
    Record(FileKey, Record),
    /// An entry that could not be read as a record.
    Unusable(String),
}

/// The efficiency folder's records, re-read only when a file's
/// (inode, size, mtime) changes.
///
/// While the folder itself is unchanged (same inode, size and mtime: no file
/// added, removed or renamed), a collection does not list it: it re-checks
/// only the "hot" records (recently modified or unusable ones) and reuses the
/// rest, so it costs O(change) rather than O(files). A full listing still
/// happens every [`FULL_LISTING_INTERVAL`].
#[derive(Debug, Default)]
pub(crate) struct EfficiencyState {
    entries: BTreeMap<OsString, Entry>,
    hot: BTreeSet<OsString>,
    listed: Option<(FileKey, Instant)>,
}

/// The folder's total and what went wrong on the way.
#[derive(Debug, Default)]
pub(crate) struct EfficiencyTotal {
    pub cost_usd: f64,
    pub warnings: Vec<String>,
    /// A record or the folder itself could not be used.
    pub failed: bool,
}

fn now_ns() -> i128 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i128)
}

impl EfficiencyState {
    pub(crate) fn total(&mut self, dir: &Path, prices: &PriceTable, cap: u64) -> EfficiencyTotal {
        let mut out = EfficiencyTotal::default();
        let dir_meta = match file::stat(dir) {
            Ok(meta) if meta.is_dir() => meta,
            Ok(meta) => {
                *self = EfficiencyState::default();
                out.failed = true;
                out.warnings.push(format!("is {}, not a directory; cost 0", file::describe_type(&meta)));
                return out;
            }
            Err(OpenError::Missing) => {
                *self = EfficiencyState::default();
                return out;
            }
            Err(OpenError::Unusable(why)) => {
                *self = EfficiencyState::default();
                out.failed = true;
                out.warnings.push(format!("cannot be read: {why}; cost 0"));
                return out;
            }
        };
        let dir_key = FileKey::of(&dir_meta);
        let unchanged =
            matches!(self.listed, Some((key, at)) if key == dir_key && at.elapsed() < FULL_LISTING_INTERVAL);
        if unchanged {
            let hot: Vec<OsString> = self.hot.iter().cloned().collect();
            for name in hot {
                self.refresh(&name, &dir.join(&name), false, cap);
            }
        } else {
            // The key is taken before listing: a change during the listing
            // moves the folder's mtime past it, so the next collection lists again.
            let listed_at = Instant::now();
            if let Err(why) = self.list(dir, cap) {
                *self = EfficiencyState::default();
                out.failed = true;
                out.warnings.push(format!("cannot be listed: {why}; cost 0"));
                return out;
            }
            self.listed = Some((dir_key, listed_at));
        }
        self.sum(prices, out)
    }

    /// Lists the folder and brings every `*.json` entry up to date.
    fn list(&mut self, dir: &Path, cap: u64) -> Result<(), String> {
        let listing = std::fs::read_dir(dir).map_err(|e| file::io_message(&e))?;
        let mut present = BTreeSet::new();
        for entry in listing.flatten() {
            let name = entry.file_name();
            let Some(text) = name.to_str() else { continue };
            if !text.ends_with(".json") || text.starts_with('.') {
                continue;
            }
            let is_file = entry.file_type().is_ok_and(|t| t.is_file());
            if self.refresh(&name, &entry.path(), is_file, cap) {
                present.insert(name);
            }
        }
        self.entries.retain(|name, _| present.contains(name));
        self.hot.retain(|name| present.contains(name));
        Ok(())
    }

    /// Brings one entry up to date; false if it no longer exists.
    /// `listed_as_file`: the directory entry says it is a regular file.
    fn refresh(&mut self, name: &OsString, path: &Path, listed_as_file: bool, cap: u64) -> bool {
        let cached = match self.entries.get(name) {
            Some(Entry::Record(key, _)) => Some(*key),
            _ => None,
        };
        // A new regular file is opened directly: the open is non-blocking and
        // re-checked on the handle, so the stat can be skipped.
        if !(cached.is_none() && listed_as_file) {
            let meta = match file::stat(path) {
                Ok(meta) => meta,
                Err(OpenError::Missing) => return self.forget(name),
                Err(OpenError::Unusable(why)) => return self.unusable(name, why),
            };
            if !meta.file_type().is_file() {
                // Becoming a file again takes a rename or a new entry, which
                // changes the folder: no need to keep checking it.
                self.entries.insert(
                    name.clone(),
                    Entry::Unusable(format!("is {}, not a regular file", file::describe_type(&meta))),
                );
                self.hot.remove(name);
                return true;
            }
            let key = FileKey::of(&meta);
            if cached == Some(key) {
                self.mark(name, key, false);
                return true;
            }
        }
        match read_record(path, cap) {
            Ok((key, record)) => {
                let invalid = matches!(record, Record::Invalid(_));
                self.entries.insert(name.clone(), Entry::Record(key, record));
                self.mark(name, key, invalid);
                true
            }
            Err(OpenError::Missing) => self.forget(name),
            Err(OpenError::Unusable(why)) => self.unusable(name, why),
        }
    }

    fn forget(&mut self, name: &OsString) -> bool {
        self.entries.remove(name);
        self.hot.remove(name);
        false
    }

    fn unusable(&mut self, name: &OsString, why: String) -> bool {
        self.entries.insert(name.clone(), Entry::Unusable(why));
        self.hot.insert(name.clone());
        true
    }

    /// Keeps `name` hot while it is invalid or was modified recently.
    fn mark(&mut self, name: &OsString, key: FileKey, invalid: bool) {
        if invalid || now_ns() - key.mtime_ns() < HOT_WINDOW_NS {
            self.hot.insert(name.clone());
        } else {
            self.hot.remove(name);
        }
    }

    fn sum(&self, prices: &PriceTable, mut out: EfficiencyTotal) -> EfficiencyTotal {
        let fallback = prices.fallback();
        let mut unknown_models = BTreeSet::new();
        let mut problems: Vec<String> = Vec::new();
        let mut sum = 0.0f64;
        // A fixed (name) order makes the floating-point sum reproducible.
        for (name, entry) in &self.entries {
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

fn read_record(path: &Path, cap: u64) -> Result<(FileKey, Record), OpenError> {
    let (handle, meta) = file::open_checked(path)?;
    let key = FileKey::of(&meta);
    let bytes = file::read_capped(handle, &meta, cap).map_err(OpenError::Unusable)?;
    Ok((key, parse_record(&bytes)))
}
