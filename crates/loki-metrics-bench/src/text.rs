//! The parser benchmarks' exposition text (bench-parse, bench/c_bench.rs).

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

/// Appends family `i` (100 samples, 4 labels each) to `out`.
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

/// The benchmark text: 2,000 families, 200,000 samples.
pub fn bench_text(openmetrics: bool) -> String {
    bench_text_of(FAMILIES, openmetrics)
}

/// The benchmark text with `families` families (100 samples each).
pub fn bench_text_of(families: usize, openmetrics: bool) -> String {
    let mut out = String::with_capacity(families * (14 << 10));
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    for i in 0..families {
        push_family(&mut out, i, &mut rng, openmetrics);
    }
    if openmetrics {
        out.push_str("# EOF\n");
    }
    out
}
