//! The parser benchmarks' exposition texts (bench-parse, bench/c_bench.rs):
//! two shapes of 2,000 families × 100 samples with 4 labels each.

/// Families in the benchmark text.
pub const FAMILIES: usize = 2_000;
/// Samples in each family.
pub const SAMPLES_PER_FAMILY: usize = 100;

/// A small deterministic generator (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// The shape of a benchmark text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Gauges with labels method/handler/status/instance and random values
    /// (25 MB; the text the parser benchmark has always used).
    Gauges,
    /// Counters with labels service/region/instance/path: `makeText` of
    /// `bench/node_bench.mjs`, byte for byte in Prometheus 0.0.4.
    Counters,
}

impl Shape {
    /// Both shapes, in the order the benchmarks report them.
    pub const ALL: [Shape; 2] = [Shape::Gauges, Shape::Counters];

    /// The name `--shape` takes.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Gauges => "gauges",
            Shape::Counters => "counters",
        }
    }
}

impl std::str::FromStr for Shape {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Shape::ALL.into_iter().find(|shape| shape.name() == s).ok_or_else(|| format!("unknown shape {s:?}"))
    }
}

/// Appends family `i` (100 samples, 4 labels each) of the gauge text to `out`.
pub fn push_family(out: &mut String, i: usize, rng: &mut Rng, openmetrics: bool) {
    use std::fmt::Write;
    const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
    const STATUS: [&str; 5] = ["200", "201", "404", "500", "503"];
    let name = format!("bench_family_{i:04}_seconds");
    let _ = writeln!(out, "# HELP {name} Synthetic latency family number {i} of the parser benchmark.");
    let _ = writeln!(out, "# TYPE {name} gauge");
    if openmetrics {
        let _ = writeln!(out, "# UNIT {name} seconds");
    }
    for j in 0..SAMPLES_PER_FAMILY {
        let r = rng.next_u64();
        let value = (r >> 11) as f64 / (1u64 << 53) as f64 * 10_000.0;
        let _ = writeln!(
            out,
            "{name}{{method=\"{}\",handler=\"/api/v1/r{j:03}\",status=\"{}\",instance=\"10.0.{}.{}:9100\"}} {value}",
            METHODS[j % 4],
            STATUS[(r % 5) as usize],
            i % 256,
            j,
        );
    }
}

/// Appends family `f` of the counter text to `out`: `makeText` of
/// `bench/node_bench.mjs`. OpenMetrics names the family without `_total`,
/// which its samples then carry.
pub fn push_counter_family(out: &mut String, f: usize, openmetrics: bool) {
    use std::fmt::Write;
    let sample = format!("bench_family_{f:04}_requests_total");
    let family = if openmetrics { &sample[..sample.len() - "_total".len()] } else { &sample[..] };
    let _ = writeln!(out, "# HELP {family} Requests handled by the benchmark service, family {f}.");
    let _ = writeln!(out, "# TYPE {family} counter");
    for s in 0..SAMPLES_PER_FAMILY {
        // Exact in f64 and printed as JavaScript prints it ("3", "1.75").
        let value = (f * SAMPLES_PER_FAMILY + s) as f64 * 1.25 + 0.5;
        let _ = writeln!(
            out,
            "{sample}{{service=\"checkout-{}\",region=\"eu-west-{}\",instance=\"10.1.{}.{s}:9100\",path=\"/api/v2/orders/{s}\"}} {value}",
            s % 7,
            s % 3,
            f % 250,
        );
    }
}

/// The gauge text: 2,000 families, 200,000 samples.
pub fn bench_text(openmetrics: bool) -> String {
    bench_text_of(FAMILIES, openmetrics)
}

/// The gauge text with `families` families (100 samples each).
pub fn bench_text_of(families: usize, openmetrics: bool) -> String {
    shape_text_of(Shape::Gauges, families, openmetrics)
}

/// The text of `shape`: 2,000 families, 200,000 samples.
pub fn shape_text(shape: Shape, openmetrics: bool) -> String {
    shape_text_of(shape, FAMILIES, openmetrics)
}

/// The text of `shape` with `families` families (100 samples each).
pub fn shape_text_of(shape: Shape, families: usize, openmetrics: bool) -> String {
    let mut out = String::with_capacity(families * (14 << 10));
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    for i in 0..families {
        match shape {
            Shape::Gauges => push_family(&mut out, i, &mut rng, openmetrics),
            Shape::Counters => push_counter_family(&mut out, i, openmetrics),
        }
    }
    if openmetrics {
        out.push_str("# EOF\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use loki_metrics::parse::{parse, ParseFormat};

    #[test]
    fn counter_text_is_the_node_benchmarks_make_text() {
        // `makeText(2, 100)` of bench/node_bench.mjs, as Node prints it.
        let text = shape_text_of(Shape::Counters, 2, false);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[..4],
            [
                "# HELP bench_family_0000_requests_total Requests handled by the benchmark service, family 0.",
                "# TYPE bench_family_0000_requests_total counter",
                r#"bench_family_0000_requests_total{service="checkout-0",region="eu-west-0",instance="10.1.0.0:9100",path="/api/v2/orders/0"} 0.5"#,
                r#"bench_family_0000_requests_total{service="checkout-1",region="eu-west-1",instance="10.1.0.1:9100",path="/api/v2/orders/1"} 1.75"#,
            ]
        );
        assert_eq!(
            lines.last(),
            Some(
                &r#"bench_family_0001_requests_total{service="checkout-1",region="eu-west-0",instance="10.1.1.99:9100",path="/api/v2/orders/99"} 249.25"#
            )
        );
    }

    #[test]
    fn every_shape_parses_in_both_formats() {
        for shape in Shape::ALL {
            for (format, openmetrics) in [(ParseFormat::Prometheus, false), (ParseFormat::OpenMetrics, true)] {
                let text = shape_text_of(shape, 3, openmetrics);
                let families = parse(&text, format).unwrap_or_else(|e| panic!("{shape:?} as {format}: {e}"));
                assert_eq!(families.len(), 3);
                assert!(families.iter().all(|f| f.samples.len() == SAMPLES_PER_FAMILY));
            }
        }
    }

    #[test]
    fn shape_names_round_trip() {
        for shape in Shape::ALL {
            assert_eq!(shape.name().parse::<Shape>(), Ok(shape));
        }
        assert!("histograms".parse::<Shape>().is_err());
    }
}
