//! `metrics/budget.json` (run.sh writes it when `LOKI_BUDGET_LIMIT` is set)
//! and the limit in the environment.

use super::json;

/// The parts of `metrics/budget.json` the metrics use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Budget {
    /// `limit`, else `budget_limit`: a finite number ≥ 0.
    pub limit: Option<f64>,
    /// `exceeded` is `true`.
    pub exceeded: bool,
}

/// Parses the document; `Err` when it is not a JSON object.
pub(crate) fn parse(bytes: &[u8], warnings: &mut Vec<String>) -> Result<Budget, String> {
    let fields = json::object_fields(bytes, &["limit", "budget_limit", "exceeded"])
        .map_err(|e| json::object_error(bytes, &e))?;
    let mut limit = |name: &str, raw: Option<&serde_json::value::RawValue>| -> Option<f64> {
        let raw = raw.filter(|r| !json::is_null(r))?;
        match json::number(raw).map(json::Number::as_f64) {
            Some(v) if v.is_finite() && v >= 0.0 => Some(v),
            _ => {
                warnings.push(format!("{name} {} is not a finite number ≥ 0; ignored", json::show(raw)));
                None
            }
        }
    };
    let limit = limit("limit", fields[0]).or_else(|| limit("budget_limit", fields[1]));
    let exceeded = match fields[2] {
        Some(raw) if raw.get() == "true" => true,
        Some(raw) if raw.get() == "false" || json::is_null(raw) => false,
        Some(raw) => {
            warnings.push(format!("exceeded is {}, not a boolean; read as false", json::show(raw)));
            false
        }
        None => false,
    };
    Ok(Budget { limit, exceeded })
}

/// `LOKI_BUDGET_LIMIT` as run.sh accepts it (digits, optionally a fraction;
/// above 0); `Err` with a warning for anything else that is set.
pub(crate) fn env_limit(value: Option<String>) -> Result<Option<f64>, String> {
    let Some(value) = value else { return Ok(None) };
    let text = value.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match text.parse::<f64>() {
        Ok(v) if digits(whole) && digits(fraction) && v > 0.0 && v.is_finite() => Ok(Some(v)),
        _ => {
            let shown: String = text.chars().take(40).collect();
            Err(format!("LOKI_BUDGET_LIMIT={shown:?} is not a positive amount; no budget limit"))
        }
    }
}
