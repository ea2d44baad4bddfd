//! Lenient, allocation-light access to JSON sources.
//!
//! Fields the metrics use are captured as borrowed [`RawValue`]s and
//! interpreted one by one, so a wrong-typed or out-of-range field is a warning
//! about that field alone; everything else is skipped without being built.
//! Skipping is syntactic, so a number such as `1e400` in any field never fails
//! the whole document.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// The JSON type of a raw value, for messages.
pub(crate) fn kind(raw: &RawValue) -> &'static str {
    match raw.get().as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't') | Some(b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

pub(crate) fn is_null(raw: &RawValue) -> bool {
    raw.get() == "null"
}

/// A JSON number as written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    /// Written without fraction or exponent.
    Int(i128),
    /// Anything else (may be infinite when out of `f64` range, e.g. `1e400`).
    Float(f64),
}

impl Number {
    pub(crate) fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

/// The number in `raw`, or `None` if it is not a number.
pub(crate) fn number(raw: &RawValue) -> Option<Number> {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'-') | Some(b'0'..=b'9') => {}
        _ => return None,
    }
    if text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
        text.parse::<f64>().ok().map(Number::Float)
    } else {
        match text.parse::<i128>() {
            Ok(i) => Some(Number::Int(i)),
            Err(_) => text.parse::<f64>().ok().map(Number::Float),
        }
    }
}

/// The string in `raw` (escapes resolved), or `None` if it is not a string.
pub(crate) fn string(raw: &RawValue) -> Option<String> {
    if raw.get().starts_with('"') {
        serde_json::from_str::<String>(raw.get()).ok()
    } else {
        None
    }
}

/// Describes a value for a warning: `"abc"`, `-5`, `an object`.
pub(crate) fn show(raw: &RawValue) -> String {
    let text = raw.get();
    match raw.get().as_bytes().first() {
        Some(b'{') | Some(b'[') => kind(raw).to_owned(),
        _ if text.len() > 40 => {
            let mut end = 40;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}...", &text[..end])
        }
        _ => text.to_owned(),
    }
}

/// Why a value could not be used as a non-negative integer count.
pub(crate) enum CountError {
    Negative,
    NotInteger,
    OutOfRange,
    WrongType(&'static str),
}

impl fmt::Display for CountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CountError::Negative => f.write_str("is negative"),
            CountError::NotInteger => f.write_str("is not an integer"),
            CountError::OutOfRange => f.write_str("is out of range"),
            CountError::WrongType(kind) => write!(f, "is {kind}, not a number"),
        }
    }
}

/// A non-negative integer; with `truncate`, a finite non-negative float is truncated.
pub(crate) fn count(raw: &RawValue, truncate: bool) -> Result<u64, CountError> {
    match number(raw) {
        None => Err(CountError::WrongType(kind(raw))),
        Some(Number::Int(i)) if i < 0 => Err(CountError::Negative),
        Some(Number::Int(i)) => u64::try_from(i).map_err(|_| CountError::OutOfRange),
        Some(Number::Float(f)) if !f.is_finite() => Err(CountError::OutOfRange),
        Some(Number::Float(f)) if f < 0.0 => Err(CountError::Negative),
        Some(Number::Float(f)) if !truncate && f.fract() != 0.0 => Err(CountError::NotInteger),
        // 2^64 is the first float above u64::MAX.
        Some(Number::Float(f)) if f >= 18_446_744_073_709_551_616.0 => Err(CountError::OutOfRange),
        Some(Number::Float(f)) => Ok(f.trunc() as u64),
    }
}

/// Why `bytes` is not a usable JSON object, for a whole-document warning.
pub(crate) fn object_error(bytes: &[u8], err: &serde_json::Error) -> String {
    if err.is_data() {
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        let kind = match first {
            Some(b'[') => "an array",
            Some(b'"') => "a string",
            Some(b't') | Some(b'f') => "a boolean",
            Some(b'n') => "null",
            _ => "a number",
        };
        return format!("is {kind}, not a JSON object");
    }
    error_message(err)
}

/// Parses `bytes` as one JSON object and returns the raw values of the
/// `wanted` keys (the last one wins if a key repeats).
pub(crate) fn object_fields<'a>(
    bytes: &'a [u8],
    wanted: &[&str],
) -> Result<Vec<Option<&'a RawValue>>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let fields = de.deserialize_map(FieldsVisitor { wanted })?;
    de.end()?;
    Ok(fields)
}

/// Like [`object_fields`] on an already-captured raw value.
pub(crate) fn raw_object_fields<'a>(
    raw: &'a RawValue,
    wanted: &[&str],
) -> Result<Vec<Option<&'a RawValue>>, serde_json::Error> {
    object_fields(raw.get().as_bytes(), wanted)
}

/// Every `(key, value)` of a raw JSON object, in document order.
pub(crate) fn object_entries(raw: &RawValue) -> Result<Vec<(String, &RawValue)>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let entries = de.deserialize_map(EntriesVisitor)?;
    de.end()?;
    Ok(entries)
}

/// The number of elements of a raw JSON array, skipping their content.
pub(crate) fn array_len(raw: &RawValue) -> Result<u64, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let n = de.deserialize_seq(CountVisitor)?;
    de.end()?;
    Ok(n)
}

/// The elements of a JSON array (the whole document), each captured raw.
pub(crate) fn array_elements(bytes: &[u8]) -> Result<Vec<&RawValue>, serde_json::Error> {
    serde_json::from_slice::<Vec<&RawValue>>(bytes)
}

/// Like [`array_elements`] on an already-captured raw value.
pub(crate) fn raw_array_elements(raw: &RawValue) -> Result<Vec<&RawValue>, serde_json::Error> {
    serde_json::from_str::<Vec<&RawValue>>(raw.get())
}

struct FieldsVisitor<'w> {
    wanted: &'w [&'w str],
}

impl<'de> Visitor<'de> for FieldsVisitor<'_> {
    type Value = Vec<Option<&'de RawValue>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = vec![None; self.wanted.len()];
        while let Some(slot) = map.next_key_seed(KeySeed { wanted: self.wanted })? {
            match slot {
                Some(i) => out[i] = Some(map.next_value::<&RawValue>()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

struct KeySeed<'w> {
    wanted: &'w [&'w str],
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.wanted.iter().position(|w| *w == key))
    }
}

struct EntriesVisitor;

impl<'de> Visitor<'de> for EntriesVisitor {
    type Value = Vec<(String, &'de RawValue)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, &RawValue>()? {
            out.push((k, v));
        }
        Ok(out)
    }
}

struct CountVisitor;

impl<'de> Visitor<'de> for CountVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
        let mut n = 0u64;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            n += 1;
        }
        Ok(n)
    }
}

/// Short form of a serde_json error for a warning.
pub(crate) fn error_message(err: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match err.classify() {
        Category::Eof => format!("truncated JSON (ends at line {} column {})", err.line(), err.column()),
        Category::Data => format!("unexpected JSON: {err}"),
        Category::Syntax | Category::Io => format!("invalid JSON: {err}"),
    }
}
