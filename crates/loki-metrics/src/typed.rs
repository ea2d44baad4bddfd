//! The snapshot's typed view: each family with a JSON key under that key, in
//! the shape its [`Json`] says, then `failed_sources` and `warnings`, and the
//! exporter families under `exporter` when they are on. The JSON encoding is
//! this view with snake_case keys; the bindings' typed conveniences (Python
//! attributes, Node's plain object) are this view too, so a new catalogue row
//! reaches them with no binding change.

use std::borrow::Cow;

use loki_metrics_exposition::{Sample, SampleValue, Value};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::families::{self, Family, Group, Json, Series};
use crate::{Error, ExporterInfo, Snapshot, Source, Warning};

/// How the typed view spells its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyCase {
    /// `iteration_current`, `in_progress`: the JSON encoding, Python.
    Snake,
    /// `iterationCurrent`, `inProgress`: JavaScript. The catalogue's keys and
    /// the fixed label values of [`Series::Each`] families are renamed, never
    /// data (model names, label names of [`Json::Labels`]). Numbers follow
    /// JavaScript too: an integer above 2^32 − 1 is written as a float (a JS
    /// number, exact up to 2^53 − 1, where napi would make a `BigInt`), and a
    /// count read back must be at most 2^53 − 1.
    Camel,
}

/// The largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

impl KeyCase {
    /// `key` (a snake_case name) as this case spells it.
    pub fn spell(self, key: &str) -> Cow<'_, str> {
        match self {
            KeyCase::Snake => Cow::Borrowed(key),
            KeyCase::Camel if !key.contains('_') => Cow::Borrowed(key),
            KeyCase::Camel => {
                let mut out = String::with_capacity(key.len());
                let mut upper = false;
                for c in key.chars() {
                    match c {
                        '_' if !out.is_empty() => upper = true,
                        c if upper => {
                            out.extend(c.to_uppercase());
                            upper = false;
                        }
                        c => out.push(c),
                    }
                }
                Cow::Owned(out)
            }
        }
    }
}

impl Snapshot {
    /// The typed view, keys spelled in `case` (serialize it with any serde
    /// format; `KeyCase::Snake` to JSON is [`to_json`](Snapshot::to_json)).
    pub fn typed_view(&self, case: KeyCase) -> TypedView<'_> {
        TypedView { snapshot: self, case }
    }

    /// The typed view as a `serde_json::Value` (its objects are ordered as
    /// `serde_json`'s `preserve_order` feature decides; serialize
    /// [`typed_view`](Snapshot::typed_view) directly for the view's order).
    pub fn to_json_value(&self, case: KeyCase) -> serde_json::Value {
        serde_json::to_value(self.typed_view(case)).unwrap_or(serde_json::Value::Null)
    }

    /// A snapshot from its typed view, keys spelled in `case`. Unknown keys
    /// are ignored; every key of a family that always has samples is
    /// required; `null` for a family without fixed samples means none.
    pub fn from_typed(data: SnapshotData, case: KeyCase) -> Result<Snapshot, Error> {
        Reader { case }.snapshot(&data.0)
    }

    /// [`from_typed`](Snapshot::from_typed) of a `serde_json::Value`.
    pub fn from_json_value(value: serde_json::Value, case: KeyCase) -> Result<Snapshot, Error> {
        let data = SnapshotData::deserialize(value)
            .map_err(|_| Error::SnapshotKeyType { key: String::new(), expected: "JSON data" })?;
        Snapshot::from_typed(data, case)
    }

    /// Whether the exporter families are on.
    fn exporter_on(&self) -> bool {
        families::group(Group::Exporter).any(|f| self.family(f).is_some())
    }
}

/// A snapshot's typed view, serializable (see [`Snapshot::typed_view`]).
#[derive(Debug, Clone, Copy)]
pub struct TypedView<'a> {
    snapshot: &'a Snapshot,
    case: KeyCase,
}

impl Serialize for TypedView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (snapshot, case) = (self.snapshot, self.case);
        let mut map = s.serialize_map(None)?;
        let top = GroupView { snapshot, group: Group::Default, case };
        for (key, value) in top.entries() {
            map.serialize_entry(&key, &value)?;
        }
        map.serialize_entry(&case.spell("failed_sources"), snapshot.failed_sources())?;
        map.serialize_entry(&case.spell("warnings"), &snapshot.warnings)?;
        for group in Group::ALL {
            if let Some(key) = group.json_key() {
                if group != Group::Exporter || snapshot.exporter_on() {
                    map.serialize_entry(&case.spell(key), &GroupView { snapshot, group, case })?;
                }
            }
        }
        map.end()
    }
}

/// The JSON encoding is the snake_case typed view.
impl Serialize for Snapshot {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.typed_view(KeyCase::Snake).serialize(s)
    }
}

/// Reads the JSON encoding back (see [`Snapshot::from_typed`]).
impl<'de> Deserialize<'de> for Snapshot {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Snapshot::from_typed(SnapshotData::deserialize(d)?, KeyCase::Snake).map_err(de::Error::custom)
    }
}

/// The keys of one group's families.
struct GroupView<'a> {
    snapshot: &'a Snapshot,
    group: Group,
    case: KeyCase,
}

impl<'a> GroupView<'a> {
    fn entries(&self) -> impl Iterator<Item = (Cow<'static, str>, FamilyView<'a>)> + '_ {
        families::group(self.group).filter_map(move |family| {
            let key = family.json.key()?;
            let samples = self.snapshot.family(family).map_or(&[][..], |f| &f.samples[..]);
            Some((self.case.spell(key), FamilyView { family, samples, case: self.case }))
        })
    }
}

impl Serialize for GroupView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (key, value) in self.entries() {
            map.serialize_entry(&key, &value)?;
        }
        map.end()
    }
}

/// One family's key, as its [`Json`] shape says.
struct FamilyView<'a> {
    family: &'static Family,
    samples: &'a [Sample<'static, Value>],
    case: KeyCase,
}

/// An integer as the case writes it.
fn write_integer<S: Serializer>(s: S, n: u64, case: KeyCase) -> Result<S::Ok, S::Error> {
    match case {
        KeyCase::Camel if n > u64::from(u32::MAX) => s.serialize_f64(n as f64),
        _ => s.serialize_u64(n),
    }
}

/// A sample value: an integer or a number, as it is.
struct ValueView(Value, KeyCase);

impl Serialize for ValueView {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Int(n) => write_integer(s, n, self.1),
            Value::Float(v) => s.serialize_f64(v),
        }
    }
}

/// A sample's labels, by name.
struct LabelsView<'a>(&'a Sample<'static, Value>);

impl Serialize for LabelsView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.labels.len()))?;
        for (name, value) in &self.0.labels {
            map.serialize_entry(name.as_ref(), value.as_ref())?;
        }
        map.end()
    }
}

impl Serialize for FamilyView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let first = self.samples.first();
        let first_label = first.and_then(|s| s.labels.first()).map(|(_, v)| v.as_ref());
        match (self.family.json, first) {
            (Json::Derived, _) => s.serialize_unit(),
            (Json::ByLabel(_), _) => {
                let mut map = s.serialize_map(Some(self.samples.len()))?;
                let fixed = matches!(self.family.series, Series::Each { .. });
                for sample in self.samples {
                    let key = sample.labels.first().map_or("", |(_, v)| v.as_ref());
                    let key = if fixed { self.case.spell(key) } else { Cow::Borrowed(key) };
                    map.serialize_entry(&key, &ValueView(sample.value, self.case))?;
                }
                map.end()
            }
            (_, None) => s.serialize_none(),
            (Json::Integer(_), Some(sample)) => write_integer(s, sample.value.to_u64(), self.case),
            (Json::Float(_), Some(sample)) => s.serialize_f64(sample.value.to_f64()),
            (Json::Named(_, names), Some(sample)) => {
                let index = usize::try_from(sample.value.to_u64()).ok();
                s.serialize_str(index.and_then(|i| names.get(i)).unwrap_or(&names[0]))
            }
            (Json::Label(_), Some(_)) => s.serialize_str(first_label.unwrap_or("")),
            (Json::Labels(_), Some(sample)) => LabelsView(sample).serialize(s),
        }
    }
}

/// A snapshot's typed view as read from any serde format (JSON text, a
/// `serde_json::Value`, napi's JavaScript values), before
/// [`Snapshot::from_typed`] checks it. Nesting deeper than a snapshot can
/// be is refused, so a cyclic JavaScript object cannot recurse forever.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotData(Datum);

/// How deep a typed view may nest (a snapshot's is 3: `warnings[0].source`).
const MAX_DEPTH: u32 = 16;

impl<'de> Deserialize<'de> for SnapshotData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        DatumSeed(MAX_DEPTH).deserialize(d).map(SnapshotData)
    }
}

/// Data of any serde format, numbers kept as they came (an integer exactly,
/// a float with NaN and the infinities, which JSON values cannot hold).
#[derive(Debug, Clone, PartialEq)]
enum Datum {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    List(Vec<Datum>),
    Map(Vec<(String, Datum)>),
}

impl Datum {
    /// The value at `key` of a map (the last one, as JSON objects keep it).
    fn get(&self, key: &str) -> Option<&Datum> {
        match self {
            Datum::Map(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

struct DatumSeed(u32);

impl<'de> DeserializeSeed<'de> for DatumSeed {
    type Value = Datum;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Datum, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DatumSeed {
    type Value = Datum;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON-like data")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Datum, E> {
        Ok(Datum::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Datum, E> {
        Ok(Datum::Int(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Datum, E> {
        Ok(Datum::Int(v.into()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Datum, E> {
        Ok(Datum::Int(v))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Datum, E> {
        Ok(i128::try_from(v).map_or(Datum::Float(v as f64), Datum::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Datum, E> {
        Ok(Datum::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Datum, E> {
        Ok(Datum::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Datum, E> {
        Ok(Datum::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Datum, E> {
        Ok(Datum::Null)
    }
    fn visit_none<E>(self) -> Result<Datum, E> {
        Ok(Datum::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Datum, D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Datum, A::Error> {
        let depth = self.0.checked_sub(1).ok_or_else(|| de::Error::custom("nested too deeply"))?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(DatumSeed(depth))? {
            items.push(item);
        }
        Ok(Datum::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Datum, A::Error> {
        let depth = self.0.checked_sub(1).ok_or_else(|| de::Error::custom("nested too deeply"))?;
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            entries.push((key, map.next_value_seed(DatumSeed(depth))?));
        }
        Ok(Datum::Map(entries))
    }
}

/// A number as JavaScript writes it (`-1`, `1.5`, `NaN`, `Infinity`, `1e300`),
/// for error messages.
fn number_text(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else if v.abs() >= 1e21 {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Reads a typed view back, naming each key as `case` spells it.
struct Reader {
    case: KeyCase,
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

fn type_error(key: &str, expected: &'static str) -> Error {
    Error::SnapshotKeyType { key: key.to_owned(), expected }
}

fn value_error(key: &str, reason: String) -> Error {
    Error::SnapshotKeyValue { key: key.to_owned(), reason }
}

impl Reader {
    fn snapshot(&self, data: &Datum) -> Result<Snapshot, Error> {
        if !matches!(data, Datum::Map(_)) {
            return Err(type_error("", "an object"));
        }
        let mut snapshot = Snapshot::empty(0);
        self.group(&mut snapshot, Group::Default, data, "")?;
        let failed = self.required(data, "", "failed_sources")?;
        let Datum::List(failed) = failed.1 else { return Err(type_error(&failed.0, "an array")) };
        let sources =
            failed.iter().enumerate().map(|(i, d)| self.source(d, &format!("{}[{i}]", self.key("", "failed_sources"))));
        snapshot.set_failed_sources(sources.collect::<Result<_, _>>()?);
        let (key, warnings) = self.required(data, "", "warnings")?;
        let Datum::List(warnings) = warnings else { return Err(type_error(&key, "an array")) };
        snapshot.warnings = warnings
            .iter()
            .enumerate()
            .map(|(i, w)| self.warning(w, &format!("{key}[{i}]")))
            .collect::<Result<_, _>>()?;
        for group in Group::ALL {
            let Some(group_key) = group.json_key() else { continue };
            let key = self.key("", group_key);
            match data.get(&key) {
                None | Some(Datum::Null) => continue,
                Some(object @ Datum::Map(_)) => {
                    if group == Group::Exporter {
                        snapshot.set_exporter(Some(ExporterInfo { collect_seconds: 0.0, version: String::new() }));
                    }
                    self.group(&mut snapshot, group, object, &key)?;
                }
                Some(_) => return Err(type_error(&key, "an object")),
            }
        }
        Ok(snapshot)
    }

    /// `key` under `parent`, spelled.
    fn key(&self, parent: &str, key: &str) -> String {
        join(parent, &self.case.spell(key))
    }

    /// The value at `key` of `object`, which must have it; with its path.
    fn required<'d>(&self, object: &'d Datum, parent: &str, key: &str) -> Result<(String, &'d Datum), Error> {
        let spelled = self.case.spell(key);
        let path = join(parent, &spelled);
        match object.get(&spelled) {
            Some(value) => Ok((path, value)),
            None => Err(Error::SnapshotKeyMissing { key: path }),
        }
    }

    fn group(&self, snapshot: &mut Snapshot, group: Group, object: &Datum, parent: &str) -> Result<(), Error> {
        for family in families::group(group) {
            let Some(key) = family.json.key() else { continue };
            let (path, value) = self.required(object, parent, key)?;
            self.family(snapshot, family, value, &path)?;
        }
        Ok(())
    }

    fn family(&self, snapshot: &mut Snapshot, family: &Family, value: &Datum, key: &str) -> Result<(), Error> {
        let fixed = family.series != Series::Dynamic;
        if *value == Datum::Null && !fixed && !matches!(family.json, Json::ByLabel(_)) {
            return Ok(());
        }
        match family.json {
            Json::Derived => {}
            Json::Integer(_) => snapshot.set(family, &[], self.count(value, key)?),
            Json::Float(_) => snapshot.set(family, &[], self.number(value, key)?),
            Json::Named(_, names) => {
                let Datum::Str(name) = value else { return Err(type_error(key, "a string")) };
                let Some(code) = names.iter().position(|n| n == name) else {
                    let names = names.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ");
                    return Err(value_error(key, format!("must be one of {names}. Received {name:?}")));
                };
                snapshot.set(family, &[], code as u64);
            }
            Json::ByLabel(_) => {
                let Datum::Map(entries) = value else { return Err(type_error(key, "an object")) };
                match family.series {
                    Series::Each { label, values } => {
                        for v in values {
                            let (path, n) = self.required(value, key, v)?;
                            snapshot.set(family, &[(label, v)], self.sample_value(family, n, &path)?);
                        }
                    }
                    _ => {
                        let Some(label) = family.labels.first() else { return Ok(()) };
                        for (k, n) in entries {
                            let n = self.sample_value(family, n, &join(key, k))?;
                            snapshot.set(family, &[(label, k)], n);
                        }
                    }
                }
            }
            Json::Label(_) => {
                let Datum::Str(text) = value else { return Err(type_error(key, "a string")) };
                // A fixed label is the catalogue's (e.g. this library's version): checked, not kept.
                if let (false, Some(label)) = (fixed, family.labels.first()) {
                    snapshot.set(family, &[(label, text)], family.fallback);
                }
            }
            Json::Labels(_) => {
                let Datum::Map(entries) = value else { return Err(type_error(key, "an object")) };
                let mut labels = Vec::with_capacity(entries.len());
                for (name, text) in entries {
                    let path = join(key, name);
                    let Some(name) = family.labels.iter().find(|l| *l == name) else {
                        return Err(value_error(&path, format!("is not a label of {}", family.name)));
                    };
                    let Datum::Str(text) = text else { return Err(type_error(&path, "a string")) };
                    labels.push((*name, text.as_str()));
                }
                labels.sort_by_key(|(name, _)| family.labels.iter().position(|l| l == name));
                snapshot.set(family, &labels, family.fallback);
            }
        }
        Ok(())
    }

    /// A sample value of `family`'s kind: a count for integer families, else any number.
    fn sample_value(&self, family: &Family, value: &Datum, key: &str) -> Result<Value, Error> {
        match family.fallback {
            Value::Int(_) => self.count(value, key).map(Value::Int),
            Value::Float(_) => self.number(value, key).map(Value::Float),
        }
    }

    /// An integer ≥ 0: exact, or an integral float (as JavaScript numbers
    /// come) up to 2^53 − 1; in `KeyCase::Camel`, at most 2^53 − 1 either way.
    fn count(&self, value: &Datum, key: &str) -> Result<u64, Error> {
        let limit = match self.case {
            KeyCase::Snake => u64::MAX,
            KeyCase::Camel => MAX_SAFE_INTEGER,
        };
        let refused = |received: String| value_error(key, format!("must be an integer >= 0. Received {received}"));
        match *value {
            Datum::Int(n) => u64::try_from(n).ok().filter(|n| *n <= limit).ok_or_else(|| refused(n.to_string())),
            Datum::Float(v) if v.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER as f64).contains(&v) => Ok(v as u64),
            Datum::Float(v) => Err(refused(number_text(v))),
            _ => Err(type_error(key, "an integer")),
        }
    }

    fn number(&self, value: &Datum, key: &str) -> Result<f64, Error> {
        match *value {
            Datum::Int(n) => Ok(n as f64),
            Datum::Float(v) => Ok(v),
            _ => Err(type_error(key, "a number")),
        }
    }

    fn source(&self, value: &Datum, key: &str) -> Result<Source, Error> {
        let Datum::Str(path) = value else { return Err(type_error(key, "a string")) };
        Source::from_path(path).ok_or_else(|| value_error(key, format!("is not a .loki source path: {path:?}")))
    }

    fn warning(&self, value: &Datum, key: &str) -> Result<Warning, Error> {
        if !matches!(value, Datum::Map(_)) {
            return Err(type_error(key, "an object"));
        }
        let (path, source) = self.required(value, key, "source")?;
        let source = self.source(source, &path)?;
        let (path, message) = self.required(value, key, "message")?;
        let Datum::Str(message) = message else { return Err(type_error(&path, "a string")) };
        Ok(Warning { source, message: message.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MetricType;

    /// A family without fixed samples, shaped as `json`.
    const fn dynamic(json: Json, labels: &'static [&'static str], fallback: Value) -> Family {
        Family {
            name: "loki_coming",
            metric_type: MetricType::Gauge,
            help: "",
            unit: None,
            labels,
            source: "",
            group: Group::Default,
            series: Series::Dynamic,
            fallback,
            json,
        }
    }

    fn view(family: &'static Family, samples: &[(&[(&'static str, &'static str)], Value)]) -> String {
        let samples: Vec<_> = samples
            .iter()
            .map(|(labels, v)| {
                family.sample(labels.iter().map(|(k, v)| (Cow::Borrowed(*k), Cow::Borrowed(*v))).collect(), *v)
            })
            .collect();
        serde_json::to_string(&FamilyView { family, samples: &samples, case: KeyCase::Camel }).expect("serializes")
    }

    static COST_BY_MODEL: Family = dynamic(Json::ByLabel("model_cost_usd"), &["model"], Value::Float(0.0));
    static LIMIT: Family = dynamic(Json::Float("budget_limit_usd"), &[], Value::Float(0.0));
    static INFO: Family = dynamic(Json::Labels("session_info"), &["version", "project_name"], Value::Int(1));

    #[test]
    fn a_dynamic_by_label_family_keys_its_samples_by_label_value_verbatim() {
        let samples: &[(&[(&str, &str)], Value)] =
            &[(&[("model", "claude_opus")], Value::Float(1.5)), (&[("model", "gpt-4.1")], Value::Int(2))];
        assert_eq!(view(&COST_BY_MODEL, samples), r#"{"claude_opus":1.5,"gpt-4.1":2}"#);
        assert_eq!(view(&COST_BY_MODEL, &[]), "{}");
    }

    #[test]
    fn a_family_without_a_sample_is_null() {
        assert_eq!(view(&LIMIT, &[]), "null");
        assert_eq!(view(&LIMIT, &[(&[], Value::Float(2.5))]), "2.5");
        assert_eq!(view(&INFO, &[]), "null");
    }

    #[test]
    fn an_info_family_is_its_labels_with_their_names_verbatim() {
        let samples: &[(&[(&str, &str)], Value)] = &[(&[("version", "5.1"), ("project_name", "x")], Value::Int(1))];
        assert_eq!(view(&INFO, samples), r#"{"version":"5.1","project_name":"x"}"#);
    }

    #[test]
    fn counts_come_exact_or_as_safe_integral_floats() {
        let (snake, camel) = (Reader { case: KeyCase::Snake }, Reader { case: KeyCase::Camel });
        assert_eq!(snake.count(&Datum::Float(3.0), "k"), Ok(3));
        assert_eq!(snake.count(&Datum::Int(i128::from(u64::MAX)), "k"), Ok(u64::MAX));
        assert!(camel.count(&Datum::Int(1 << 53), "k").is_err());
        assert!(snake.count(&Datum::Float(1e300), "k").is_err());
        assert_eq!(
            snake.count(&Datum::Float(f64::NAN), "k"),
            Err(value_error("k", "must be an integer >= 0. Received NaN".into()))
        );
        assert!(camel.number(&Datum::Float(f64::NEG_INFINITY), "k").is_ok_and(|v| v == f64::NEG_INFINITY));
    }
}
