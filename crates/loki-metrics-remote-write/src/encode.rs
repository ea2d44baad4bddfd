//! Families to a `WriteRequest`: one series per sample, labels sorted,
//! external labels added where the sample has no label of that name, one
//! metadata entry per family; and the snappy (raw block) compression.

use loki_metrics_exposition::{MetricFamily, SampleValue, Value};
use prost::Message;

use crate::proto::{Label, MetricMetadata, MetricType, Sample, TimeSeries, WriteRequest};
use crate::RemoteWriteError;

/// Labels added to every series sent (`--external-label k=v`): valid
/// Prometheus label names, none reserved (`__` prefix), each once, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExternalLabels(Vec<(String, String)>);

impl ExternalLabels {
    /// Validates `pairs`: each name `[a-zA-Z_][a-zA-Z0-9_]*` without the
    /// reserved `__` prefix, given once, with a non-empty value.
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Result<Self, RemoteWriteError> {
        let mut labels: Vec<(String, String)> = Vec::new();
        for (name, value) in pairs {
            check_label_name(&name)?;
            if value.is_empty() {
                return Err(RemoteWriteError::InvalidLabel {
                    label: name,
                    reason: "the value is empty (Prometheus reads an empty label as no label)".to_owned(),
                });
            }
            if labels.iter().any(|(n, _)| *n == name) {
                return Err(RemoteWriteError::InvalidLabel { label: name, reason: "given twice".to_owned() });
            }
            labels.push((name, value));
        }
        labels.sort();
        Ok(ExternalLabels(labels))
    }

    /// Parses `name=value` pairs (the value may contain `=`).
    pub fn parse<'a>(pairs: impl IntoIterator<Item = &'a str>) -> Result<Self, RemoteWriteError> {
        let split = pairs.into_iter().map(|pair| match pair.split_once('=') {
            Some((name, value)) => Ok((name.to_owned(), value.to_owned())),
            None => {
                Err(RemoteWriteError::InvalidLabel { label: pair.to_owned(), reason: "expected NAME=VALUE".to_owned() })
            }
        });
        ExternalLabels::new(split.collect::<Result<Vec<_>, _>>()?)
    }

    /// The labels, sorted by name.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
}

/// Refuses what Prometheus would not accept as a label name given by a
/// user: not `[a-zA-Z_][a-zA-Z0-9_]*`, or reserved (`__` prefix).
pub fn check_label_name(name: &str) -> Result<(), RemoteWriteError> {
    let invalid =
        |reason: &str| Err(RemoteWriteError::InvalidLabel { label: name.to_owned(), reason: reason.to_owned() });
    let mut chars = name.chars();
    match chars.next() {
        None => return invalid("the name is empty"),
        Some(c) if !(c.is_ascii_alphabetic() || c == '_') => {
            return invalid("a label name starts with a letter or _");
        }
        Some(_) => {}
    }
    if !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return invalid("a label name has only letters, digits and _");
    }
    if name.starts_with("__") {
        return invalid("names starting with __ are reserved for Prometheus");
    }
    Ok(())
}

/// The protocol's metric type of a family type.
pub fn metric_type(t: loki_metrics_exposition::MetricType) -> MetricType {
    use loki_metrics_exposition::MetricType as T;
    match t {
        T::Counter => MetricType::Counter,
        T::Gauge => MetricType::Gauge,
        T::Histogram => MetricType::Histogram,
        T::GaugeHistogram => MetricType::Gaugehistogram,
        T::Summary => MetricType::Summary,
        T::StateSet => MetricType::Stateset,
        T::Info => MetricType::Info,
        T::Unknown => MetricType::Unknown,
    }
}

/// One series per sample: `__name__` the sample name (`loki_events_total`),
/// the sample's labels, then the external labels it does not have itself
/// (the sample's own label wins, as with Prometheus' `external_labels`);
/// labels with an empty value are left out (Prometheus has no such label);
/// sorted by name. A sample's own timestamp wins over `timestamp_ms`.
pub fn time_series(
    families: &[MetricFamily<'_, Value>],
    external: &ExternalLabels,
    timestamp_ms: i64,
) -> Vec<TimeSeries> {
    let mut out = Vec::with_capacity(families.iter().map(|f| f.samples.len()).sum());
    for family in families {
        for sample in &family.samples {
            let mut labels = Vec::with_capacity(1 + sample.labels.len() + external.0.len());
            labels.push(Label { name: "__name__".to_owned(), value: sample.name.to_string() });
            for (name, value) in &sample.labels {
                if !value.is_empty() {
                    labels.push(Label { name: name.to_string(), value: value.to_string() });
                }
            }
            for (name, value) in &external.0 {
                if !sample.labels.iter().any(|(n, v)| n == name && !v.is_empty()) {
                    labels.push(Label { name: name.clone(), value: value.clone() });
                }
            }
            labels.sort_by(|a, b| a.name.cmp(&b.name));
            let timestamp = sample.timestamp.map_or(timestamp_ms, |seconds| (seconds * 1000.0).round() as i64);
            out.push(TimeSeries { labels, samples: vec![Sample { value: sample.value.to_f64(), timestamp }] });
        }
    }
    out
}

/// One metadata entry per family, named as Prometheus names the family it
/// scraped from OpenMetrics text (its preferred format): the family name,
/// `loki_events` for the counter whose samples are `loki_events_total`.
pub fn metadata(families: &[MetricFamily<'_, Value>]) -> Vec<MetricMetadata> {
    families
        .iter()
        .map(|f| MetricMetadata {
            r#type: metric_type(f.metric_type) as i32,
            metric_family_name: f.name.to_string(),
            help: f.help.as_deref().unwrap_or("").to_owned(),
            unit: f.unit.as_deref().unwrap_or("").to_owned(),
        })
        .collect()
}

/// The `WriteRequest` of `families` at `timestamp_ms`.
pub fn write_request(
    families: &[MetricFamily<'_, Value>],
    external: &ExternalLabels,
    timestamp_ms: i64,
) -> WriteRequest {
    WriteRequest { timeseries: time_series(families, external, timestamp_ms), metadata: metadata(families) }
}

/// The body of a remote-write POST: the snappy-compressed (raw block
/// format, not framed) protobuf `WriteRequest` of `families`.
pub fn encode(families: &[MetricFamily<'_, Value>], external: &ExternalLabels, timestamp_ms: i64) -> Vec<u8> {
    compress(&write_request(families, external, timestamp_ms).encode_to_vec())
}

/// Snappy, raw block format (what `Content-Encoding: snappy` means in
/// remote write). snap refuses only inputs of 4 GiB and more, which the
/// queue bound keeps requests far below; such an input gives an empty body.
pub fn compress(protobuf: &[u8]) -> Vec<u8> {
    snap::raw::Encoder::new().compress_vec(protobuf).unwrap_or_default()
}

/// The inverse of [`compress`].
pub fn decompress(body: &[u8]) -> Result<Vec<u8>, snap::Error> {
    snap::raw::Decoder::new().decompress_vec(body)
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use loki_metrics_exposition::{MetricType as FamilyType, Sample as FamilySample};

    use super::*;

    /// A sample: its name, labels and value.
    type Spec = (&'static str, Vec<(&'static str, &'static str)>, Value);

    fn family(name: &'static str, t: FamilyType, samples: Vec<Spec>) -> MetricFamily<'static, Value> {
        MetricFamily {
            name: Cow::Borrowed(name),
            metric_type: t,
            help: Some(Cow::Borrowed("help text")),
            unit: None,
            samples: samples
                .into_iter()
                .map(|(n, labels, value)| FamilySample {
                    name: Cow::Borrowed(n),
                    labels: labels.into_iter().map(|(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v))).collect(),
                    value,
                    timestamp: None,
                    exemplar: None,
                })
                .collect(),
        }
    }

    fn families() -> Vec<MetricFamily<'static, Value>> {
        vec![
            family("loki_events", FamilyType::Counter, vec![("loki_events_total", vec![], Value::Int(7))]),
            family(
                "loki_tasks_total",
                FamilyType::Gauge,
                vec![
                    ("loki_tasks_total", vec![("status", "pending")], Value::Int(3)),
                    ("loki_tasks_total", vec![("status", "failed")], Value::Int(1)),
                ],
            ),
            family(
                "loki_session",
                FamilyType::Info,
                vec![(
                    "loki_session_info",
                    vec![("version", "9.20.0"), ("project", "app"), ("phase", "")],
                    Value::Int(1),
                )],
            ),
            family("loki_cost_usd", FamilyType::Gauge, vec![("loki_cost_usd", vec![], Value::Float(1.25))]),
        ]
    }

    fn labels(series: &TimeSeries) -> Vec<(&str, &str)> {
        series.labels.iter().map(|l| (l.name.as_str(), l.value.as_str())).collect()
    }

    fn external() -> ExternalLabels {
        ExternalLabels::parse(["project=fleet-a", "instance=laptop:1"]).expect("valid")
    }

    #[test]
    fn the_body_decompresses_and_decodes_to_one_series_per_sample() {
        let body = encode(&families(), &external(), 1_700_000_000_123);
        let decoded = WriteRequest::decode(decompress(&body).expect("snappy").as_slice()).expect("protobuf");
        assert_eq!(decoded.timeseries.len(), 5);
        assert_eq!(
            labels(&decoded.timeseries[0]),
            vec![("__name__", "loki_events_total"), ("instance", "laptop:1"), ("project", "fleet-a")]
        );
        assert_eq!(decoded.timeseries[0].samples, vec![Sample { value: 7.0, timestamp: 1_700_000_000_123 }]);
        assert_eq!(
            labels(&decoded.timeseries[2]),
            vec![
                ("__name__", "loki_tasks_total"),
                ("instance", "laptop:1"),
                ("project", "fleet-a"),
                ("status", "failed")
            ]
        );
        assert_eq!(decoded.timeseries[4].samples[0].value, 1.25);
    }

    #[test]
    fn labels_are_sorted_by_name() {
        for series in write_request(&families(), &external(), 0).timeseries {
            let names: Vec<&str> = series.labels.iter().map(|l| l.name.as_str()).collect();
            let mut sorted = names.clone();
            sorted.sort_unstable();
            assert_eq!(names, sorted);
        }
    }

    #[test]
    fn a_sample_label_wins_over_an_external_label_of_the_same_name_and_empty_labels_are_left_out() {
        let request = write_request(&families(), &external(), 0);
        assert_eq!(
            labels(&request.timeseries[3]),
            vec![
                ("__name__", "loki_session_info"),
                ("instance", "laptop:1"),
                ("project", "app"),
                ("version", "9.20.0")
            ]
        );
    }

    #[test]
    fn metadata_is_one_entry_per_family_named_as_openmetrics_names_the_family() {
        let request = write_request(&families(), &ExternalLabels::default(), 0);
        let names: Vec<(&str, i32)> =
            request.metadata.iter().map(|m| (m.metric_family_name.as_str(), m.r#type)).collect();
        assert_eq!(
            names,
            vec![
                ("loki_events", MetricType::Counter as i32),
                ("loki_tasks_total", MetricType::Gauge as i32),
                ("loki_session", MetricType::Info as i32),
                ("loki_cost_usd", MetricType::Gauge as i32),
            ]
        );
        assert_eq!(request.metadata[0].help, "help text");
    }

    #[test]
    fn a_sample_timestamp_wins_over_the_collection_time() {
        let mut f = families();
        f[0].samples[0].timestamp = Some(1_600_000_000.5);
        let request = write_request(&f, &ExternalLabels::default(), 42);
        assert_eq!(request.timeseries[0].samples[0].timestamp, 1_600_000_000_500);
        assert_eq!(request.timeseries[1].samples[0].timestamp, 42);
    }

    #[test]
    fn snappy_round_trips_the_raw_block_format() {
        let protobuf = write_request(&families(), &external(), 5).encode_to_vec();
        let body = compress(&protobuf);
        assert_ne!(&body[..4], b"\xff\x06\x00\x00", "not the framed format's stream identifier");
        assert_eq!(decompress(&body).expect("snappy"), protobuf);
    }

    #[test]
    fn external_label_names_are_checked_as_prometheus_checks_them() {
        for good in ["instance=a", "host=b", "_x=c", "project=has=equals", "A1_b=d"] {
            assert!(ExternalLabels::parse([good]).is_ok(), "{good}");
        }
        for bad in ["__name__=x", "__tenant=y", "1abc=x", "a-b=x", "=x", "noequals", "a.b=x", "ü=x", "host="] {
            assert!(ExternalLabels::parse([bad]).is_err(), "{bad}");
        }
        assert!(ExternalLabels::parse(["a=1", "a=2"]).is_err(), "a name twice");
        let parsed = ExternalLabels::parse(["z=1", "a=2"]).expect("valid");
        assert_eq!(parsed.pairs(), &[("a".to_owned(), "2".to_owned()), ("z".to_owned(), "1".to_owned())]);
    }
}
