//! Model prices: the defaults, and `pricing.json` merged over them.

use std::collections::HashMap;

use super::json;

/// USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Price {
    pub input: f64,
    pub output: f64,
    /// Cache reads; by default a tenth of `input`.
    pub cache_read: f64,
    /// Cache writes (creation); by default 1.25 × `input`.
    pub cache_write: f64,
}

impl Price {
    /// A price with the default cache tiers.
    const fn new(input: f64, output: f64) -> Self {
        Price { input, output, cache_read: input * 0.1, cache_write: input * 1.25 }
    }

    /// The cost of input, output, cache-read and cache-creation tokens.
    pub(crate) fn cost(&self, tokens: &[f64; 4]) -> f64 {
        let rates = [self.input, self.output, self.cache_read, self.cache_write];
        tokens.iter().zip(rates).map(|(n, rate)| n / 1e6 * rate).sum()
    }
}

/// The model whose price unknown models get.
pub(crate) const FALLBACK_MODEL: &str = "sonnet";

/// Loki Mode 9.x's table (`dashboard/server.py` `_DEFAULT_PRICING`) plus the
/// two Gemini entries of 5.38 that older sessions still name.
const DEFAULTS: [(&str, Price); 11] = [
    ("fable", Price::new(10.0, 50.0)),
    ("claude-fable-5", Price::new(10.0, 50.0)),
    ("opus", Price::new(5.0, 25.0)),
    ("sonnet", Price::new(3.0, 15.0)),
    ("haiku", Price::new(1.0, 5.0)),
    ("gpt-5.3-codex", Price::new(1.50, 12.0)),
    ("gpt-5.6-sol", Price::new(2.50, 20.0)),
    ("gpt-5.6-terra", Price::new(1.50, 12.0)),
    ("gpt-5.6-luna", Price::new(0.50, 4.0)),
    ("gemini-3-pro", Price::new(1.25, 10.0)),
    ("gemini-3-flash", Price::new(0.10, 0.40)),
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
        self.get(FALLBACK_MODEL).unwrap_or(DEFAULTS[3].1)
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
    let entries =
        json::object_entries(models).map_err(|_| format!("\"models\" is {}, not an object", json::kind(models)))?;
    for (model, raw) in entries {
        let key = model.to_lowercase();
        let base = table.prices.get(&key).copied();
        let Ok(fields) = json::raw_object_fields(raw, &["input", "output", "cache_read", "cache_write"]) else {
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
            // Cache tiers not given follow this entry's input price.
            let mut entry = Price::new(input, output);
            if let Some(rate) = fields[2].and_then(|raw| price("cache_read", Some(raw), None)) {
                entry.cache_read = rate;
            }
            if let Some(rate) = fields[3].and_then(|raw| price("cache_write", Some(raw), None)) {
                entry.cache_write = rate;
            }
            table.prices.insert(key, entry);
        }
    }
    Ok(table)
}
