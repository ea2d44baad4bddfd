//! OpenMetrics text format 1.0.0.

use super::{for_each_family, push_escaped, push_sample};
use crate::Snapshot;

/// Appends `snapshot` as OpenMetrics 1.0.0: per family `# HELP`, `# TYPE`,
/// `# UNIT` (if any) under the family name (counters without `_total`), the
/// samples, and a final `# EOF`.
pub fn render_openmetrics(snapshot: &Snapshot, out: &mut String) {
    for_each_family(snapshot, |family, samples| {
        let name = family.openmetrics_name();
        out.push_str("# HELP ");
        out.push_str(name);
        out.push(' ');
        push_escaped(out, family.help, true);
        out.push_str("\n# TYPE ");
        out.push_str(name);
        out.push(' ');
        out.push_str(family.metric_type.as_str());
        out.push('\n');
        if let Some(unit) = family.unit {
            out.push_str("# UNIT ");
            out.push_str(name);
            out.push(' ');
            out.push_str(unit);
            out.push('\n');
        }
        for sample in samples {
            push_sample(out, family.name, sample);
        }
    });
    out.push_str("# EOF\n");
}
