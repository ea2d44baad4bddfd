//! The text encoders: Prometheus 0.0.4 and OpenMetrics 1.0.0, over
//! [`MetricFamily`]s. They name no metric: what they write is the families'.

use crate::model::{Label, MetricFamily, Sample, SampleValue};
use crate::number::write_f64;
use crate::TextFormat;

/// Appends `families` to `out` in `format`.
pub fn encode_into<V: SampleValue>(families: &[MetricFamily<'_, V>], format: TextFormat, out: &mut String) {
    match format {
        TextFormat::Prometheus => encode_prometheus(families, out),
        TextFormat::OpenMetrics => encode_openmetrics(families, out),
    }
}

/// `families` in `format`.
pub fn encode<V: SampleValue>(families: &[MetricFamily<'_, V>], format: TextFormat) -> String {
    let mut out = String::with_capacity(128 * families.len().max(1));
    encode_into(families, format, &mut out);
    out
}

/// Appends `families` as Prometheus text 0.0.4: per family `# HELP` (when it
/// has help) and `# TYPE` under its 0.0.4 name, then its samples. Timestamps
/// are written in milliseconds; exemplars and units have no 0.0.4 form.
pub fn encode_prometheus<V: SampleValue>(families: &[MetricFamily<'_, V>], out: &mut String) {
    for family in families {
        let name = family.prometheus_name();
        if let Some(help) = &family.help {
            out.push_str("# HELP ");
            out.push_str(&name);
            out.push(' ');
            push_escaped(out, help, false);
            out.push('\n');
        }
        out.push_str("# TYPE ");
        out.push_str(&name);
        out.push(' ');
        out.push_str(family.metric_type.prometheus_str());
        out.push('\n');
        for sample in &family.samples {
            push_sample_line(out, sample);
            if let Some(ts) = sample.timestamp {
                out.push(' ');
                write_f64(out, (ts * 1000.0).round());
            }
            out.push('\n');
        }
    }
}

/// Appends `families` as OpenMetrics 1.0.0: per family `# HELP`, `# TYPE`,
/// `# UNIT` (when present) under its OpenMetrics name, its samples with their
/// timestamps (seconds) and exemplars, and a final `# EOF`.
pub fn encode_openmetrics<V: SampleValue>(families: &[MetricFamily<'_, V>], out: &mut String) {
    for family in families {
        let name = family.openmetrics_name();
        if let Some(help) = &family.help {
            out.push_str("# HELP ");
            out.push_str(name);
            out.push(' ');
            push_escaped(out, help, true);
            out.push('\n');
        }
        out.push_str("# TYPE ");
        out.push_str(name);
        out.push(' ');
        out.push_str(family.metric_type.as_str());
        out.push('\n');
        if let Some(unit) = &family.unit {
            out.push_str("# UNIT ");
            out.push_str(name);
            out.push(' ');
            out.push_str(unit);
            out.push('\n');
        }
        for sample in &family.samples {
            push_sample_line(out, sample);
            if let Some(ts) = sample.timestamp {
                out.push(' ');
                write_f64(out, ts);
            }
            if let Some(exemplar) = &sample.exemplar {
                out.push_str(" # ");
                push_labels(out, &exemplar.labels, true);
                out.push(' ');
                write_f64(out, exemplar.value);
                if let Some(ts) = exemplar.timestamp {
                    out.push(' ');
                    write_f64(out, ts);
                }
            }
            out.push('\n');
        }
    }
    out.push_str("# EOF\n");
}

/// `name{labels} value`, without timestamp, exemplar or newline.
fn push_sample_line<V: SampleValue>(out: &mut String, sample: &Sample<'_, V>) {
    out.push_str(&sample.name);
    push_labels(out, &sample.labels, false);
    out.push(' ');
    sample.value.write_text(out);
}

/// `{k="v",...}`; nothing for an empty set unless `always` (exemplars write `{}`).
fn push_labels(out: &mut String, labels: &[Label<'_>], always: bool) {
    if labels.is_empty() && !always {
        return;
    }
    out.push('{');
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(k);
        out.push_str("=\"");
        push_escaped(out, v, true);
        out.push('"');
    }
    out.push('}');
}

/// Appends `s` with `\\` and newlines escaped, and `"` too when `quote` is set.
fn push_escaped(out: &mut String, s: &str, quote: bool) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quote => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}
