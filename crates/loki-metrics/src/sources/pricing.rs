//! Model prices: the defaults, and `pricing.json` merged over them.

use std::collections::HashMap;

use super::json;

/// USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Price {
    pub input: f64,
    pub output: f64,
}

/// The model whose price unknown models get.
pub(crate) const FALLBACK_MODEL: &str = "sonnet";

const DEFAULTS: [(&str, Price); 6] = [
    ("opus", Price { input: 5.0, output: 25.0 }),
    ("sonnet", Price { input: 3.0, output: 15.0 }),
    ("haiku", Price { input: 1.0, output: 5.0 }),
    ("gpt-5.3-codex", Price { input: 1.50, output: 12.0 }),
    ("gemini-3-pro", Price { input: 1.25, output: 10.0 }),
    ("gemini-3-flash", Price { input: 0.10, output: 0.40 }),
];

/// Prices by lower-cased model name.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PriceTable {
    prices: HashMap<String, Price>,
}

impl Default for PriceTable {
    fn default() -> Self {
        PriceTable { prices: DEFAULTS.iter().map(|(m, p)| ((*m).to_owned(), *p)).collect() }
    }
}

impl PriceTable {
    /// The price of `model` (any case), or `None` if unknown.
    pub(crate) fn get(&self, model: &str) -> Option<Price> {
        match self.prices.get(model) {
            Some(p) => Some(*p),
            None => self.prices.get(&model.to_lowercase()).copied(),
        }
    }

    pub(crate) fn fallback(&self) -> Price {
        self.get(FALLBACK_MODEL).unwrap_or(DEFAULTS[1].1)
    }
}

/// Parses `pricing.json` (`{"models": {"<model>": {"input": .., "output": ..}}}`)
/// and merges it over the defaults. Bad entries are skipped with a warning.
pub(crate) fn parse(bytes: &[u8], warnings: &mut Vec<String>) -> Result<PriceTable, String> {
    let fields = json::object_fields(bytes, &["models"]).map_err(|e| json::object_error(bytes, &e))?;
    let mut table = PriceTable::default();
    let Some(models) = fields[0] else {
        warnings.push("has no \"models\" object; default prices used".to_owned());
        return Ok(table);
    };
    let entries = json::object_entries(models)
        .map_err(|_| format!("\"models\" is {}, not an object; default prices used", json::kind(models)))?;
    for (model, raw) in entries {
        let key = model.to_lowercase();
        let base = table.prices.get(&key).copied();
        let Ok(fields) = json::raw_object_fields(raw, &["input", "output"]) else {
            warnings.push(format!("price of {model:?} is {}, not an object; skipped", json::kind(raw)));
            continue;
        };
        let mut price = |name: &str, raw: Option<&serde_json::value::RawValue>, default: Option<f64>| -> Option<f64> {
            let Some(raw) = raw else {
                if default.is_none() {
                    warnings.push(format!("price of {model:?} has no {name:?}; skipped"));
                }
                return default;
            };
            match json::number(raw).map(json::Number::as_f64) {
                Some(v) if v.is_finite() && v >= 0.0 => Some(v),
                _ => {
                    warnings.push(format!(
                        "price {model:?}.{name} {} is not a non-negative number; skipped",
                        json::show(raw)
                    ));
                    None
                }
            }
        };
        let input = price("input", fields[0], base.map(|p| p.input));
        let output = price("output", fields[1], base.map(|p| p.output));
        if let (Some(input), Some(output)) = (input, output) {
            table.prices.insert(key, Price { input, output });
        }
    }
    Ok(table)
}
