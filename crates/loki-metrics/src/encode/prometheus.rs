//! Prometheus text format 0.0.4.

use super::{for_each_family, push_escaped, push_sample};
use crate::Snapshot;

/// Appends `snapshot` as Prometheus text 0.0.4: `# HELP`, `# TYPE`, samples.
pub fn render_prometheus(snapshot: &Snapshot, out: &mut String) {
    for_each_family(snapshot, |family, samples| {
        out.push_str("# HELP ");
        out.push_str(family.name);
        out.push(' ');
        push_escaped(out, family.help, false);
        out.push_str("\n# TYPE ");
        out.push_str(family.name);
        out.push(' ');
        // 0.0.4 has no `info`; an info sample is a gauge of 1.
        out.push_str(match family.metric_type {
            crate::families::MetricType::Info => "gauge",
            other => other.as_str(),
        });
        out.push('\n');
        for sample in samples {
            push_sample(out, family.name, sample);
        }
    });
}
