//! The Rust-core side of the C ABI benchmark (bench/c_bench.sh runs it next
//! to bench/c_bench.c, on the same data, in the same run).
//!
//! `c_bench_core generate DATA` writes `DATA/S/.loki` (bench-collect's S) and
//! `DATA/parse.prom` (bench-parse's text: 200,000 samples in 2,000 families,
//! 4 labels each, about 25 MB), with the generators of `loki-metrics-bench`.
//! `c_bench_core measure DATA RUNS` prints, in process CPU time, the same
//! work bench/c_bench.c does through the C ABI:
//! `collect_render_us=` (collect + Prometheus render, median per call) and
//! `parse_mb_s=` (parse + drop of the 25 MB text, fastest of 11).

use std::fs;
use std::path::Path;
use std::time::Duration;

use loki_metrics::parse::{parse, ParseFormat};
use loki_metrics::{Format, Options};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("generate") if args.len() == 3 => generate(Path::new(&args[2])),
        Some("measure") if args.len() == 4 => measure(Path::new(&args[2]), args[3].parse().expect("RUNS")),
        _ => {
            eprintln!("usage: c_bench_core generate DATA | c_bench_core measure DATA RUNS");
            std::process::exit(2);
        }
    }
}

/// Process CPU time, as bench/c_bench.c reads it: the machine is shared, and
/// CPU time leaves out the time this process waits for a core.
struct Instant(Duration);

impl Instant {
    fn now() -> Self {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: a valid out-pointer; CLOCK_PROCESS_CPUTIME_ID always exists on Linux.
        unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
        Instant(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
    }

    fn elapsed(&self) -> Duration {
        Instant::now().0.saturating_sub(self.0)
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Parse runs per process; the fastest counts (interference only ever slows
/// a run down).
const PARSE_RUNS: usize = 11;

fn fastest(times: Vec<Duration>) -> Duration {
    times.into_iter().min().unwrap_or_default()
}

fn measure(data: &Path, runs: usize) {
    let options = Options::new(data.join("S/.loki"));
    let mut sink = 0usize;
    let times = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let snapshot = loki_metrics::collect(&options);
            sink += loki_metrics::render(&snapshot, Format::Prometheus).len();
            t.elapsed()
        })
        .collect();
    println!("collect_render_us={:.2}", median(times).as_secs_f64() * 1e6);

    let text = fs::read_to_string(data.join("parse.prom")).expect("parse.prom (run generate first)");
    let times = (0..PARSE_RUNS)
        .map(|_| {
            let t = Instant::now();
            let families = parse(&text, ParseFormat::Auto).expect("valid text");
            sink += families.len();
            drop(families);
            t.elapsed()
        })
        .collect();
    println!("parse_mb_s={:.1}", text.len() as f64 / fastest(times).as_secs_f64() / 1e6);
    println!("sink={sink}");
}

fn generate(data: &Path) {
    loki_metrics_bench::generate(&data.join("S/.loki"), &loki_metrics_bench::SIZES[0]).expect("S/.loki");
    fs::write(data.join("parse.prom"), loki_metrics_bench::text::bench_text(false)).expect("parse.prom");
}
