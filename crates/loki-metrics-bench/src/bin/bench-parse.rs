//! Parser benchmark: MB/s of `parse` and of the streaming reader on a 25 MB
//! text (200,000 samples in 2,000 families, 4 labels each), and the peak RSS
//! of a streaming parse of a 1 GB text synthesised on the fly.
//!
//! ```text
//! bench-parse                 # everything, human-readable, then one JSON line
//! bench-parse --emit FILE     # write the 25 MB Prometheus text and exit
//! bench-parse --stream-gb N   # (child) stream N GiB and print peak RSS
//! bench-parse --callgrind FORMAT [FAMILIES]
//!                             # parse a FAMILIES-family text (default 200,
//!                             # ~2.5 MB) once, for instruction counts
//! ```
//!
//! `--callgrind` takes `prometheus`, `openmetrics` or `stream` (the
//! streaming reader on OpenMetrics text). Only `measured` does the parsing,
//! so count just it:
//!
//! ```text
//! valgrind --tool=callgrind --toggle-collect='*measured*' \
//!     target/release/bench-parse --callgrind openmetrics
//! ```

use std::io::{BufReader, Read};
use std::process::ExitCode;
use std::time::Duration;

use loki_metrics::parse::{parse, FamilyReader, ParseFormat};
use loki_metrics_bench::text::{bench_text, bench_text_of, push_family, Rng, FAMILIES, SAMPLES_PER_FAMILY};
use loki_metrics_bench::{median_time, peak_rss_bytes};

const RUNS: usize = 7;

/// A reader that synthesises OpenMetrics text of at least `limit` bytes.
struct Synthetic {
    limit: u64,
    produced: u64,
    family: usize,
    rng: Rng,
    buf: String,
    pos: usize,
    finished: bool,
}

impl Read for Synthetic {
    fn read(&mut self, dst: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            if self.finished {
                return Ok(0);
            }
            self.buf.clear();
            self.pos = 0;
            if self.produced >= self.limit {
                self.buf.push_str("# EOF\n");
                self.finished = true;
            } else {
                push_family(&mut self.buf, self.family, &mut self.rng, true);
                self.family += 1;
            }
            self.produced += self.buf.len() as u64;
        }
        let n = dst.len().min(self.buf.len() - self.pos);
        dst[..n].copy_from_slice(&self.buf.as_bytes()[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn mb_per_s(bytes: usize, t: Duration) -> f64 {
    bytes as f64 / 1e6 / t.as_secs_f64()
}

/// The parse under `--callgrind`: never inlined, so that callgrind's
/// `--toggle-collect='*measured*'` counts it alone. Returns the sample count.
#[inline(never)]
fn measured(text: &str, mode: &str) -> usize {
    let samples = |families: &[loki_metrics::parse::MetricFamily<'_>]| -> usize {
        families.iter().map(|f| f.samples.len()).sum()
    };
    match mode {
        "stream" => FamilyReader::new(BufReader::new(text.as_bytes()), ParseFormat::OpenMetrics)
            .map(|f| f.map_or(0, |f| f.samples.len()))
            .sum(),
        "openmetrics" => parse(text, ParseFormat::OpenMetrics).map_or(0, |f| samples(&f)),
        _ => parse(text, ParseFormat::Prometheus).map_or(0, |f| samples(&f)),
    }
}

/// `--callgrind MODE [FAMILIES]`: one parse of a small text, for callgrind.
fn callgrind_mode(args: &[String]) -> ExitCode {
    let mode = args.first().map_or("prometheus", String::as_str);
    if !matches!(mode, "prometheus" | "openmetrics" | "stream") {
        eprintln!("usage: bench-parse --callgrind prometheus|openmetrics|stream [FAMILIES]");
        return ExitCode::from(2);
    }
    let families: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(200).max(1);
    let text = bench_text_of(families, mode != "prometheus");
    let samples = measured(std::hint::black_box(&text), mode);
    let expected = families * SAMPLES_PER_FAMILY;
    println!("{mode}: {} bytes, {samples} samples", text.len());
    if samples != expected {
        eprintln!("expected {expected} samples");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// Child mode: stream `gib` GiB and report samples and peak RSS.
fn stream_child(gib: u64) -> ExitCode {
    let limit = gib << 30;
    let source = Synthetic { limit, produced: 0, family: 0, rng: Rng(7), buf: String::new(), pos: 0, finished: false };
    let start = std::time::Instant::now();
    let mut samples = 0usize;
    let mut families = 0usize;
    for f in FamilyReader::new(BufReader::with_capacity(64 << 10, source), ParseFormat::OpenMetrics) {
        match f {
            Ok(f) => {
                families += 1;
                samples += f.samples.len();
            }
            Err(e) => {
                eprintln!("stream error: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{{\"stream_bytes\":{limit},\"stream_families\":{families},\"stream_samples\":{samples},\"stream_seconds\":{secs:.3},\"stream_peak_rss_bytes\":{}}}",
        peak_rss_bytes().unwrap_or(0)
    );
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--emit") => {
            let Some(path) = args.get(1) else {
                eprintln!("usage: bench-parse --emit FILE");
                return ExitCode::from(2);
            };
            if let Err(e) = std::fs::write(path, bench_text(false)) {
                eprintln!("cannot write {path}: {e}");
                return ExitCode::from(1);
            }
            return ExitCode::SUCCESS;
        }
        Some("--repeat") => {
            // Profiling aid: parse the 25 MB text N times in one format.
            let format = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(ParseFormat::Prometheus);
            let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10).max(1);
            let text = bench_text(format == ParseFormat::OpenMetrics);
            let start = std::time::Instant::now();
            for _ in 0..n {
                std::hint::black_box(parse(&text, format).map(|f| f.len()).ok());
            }
            let t = start.elapsed() / n as u32;
            println!("{format}: {:.1} MB/s", mb_per_s(text.len(), t));
            return ExitCode::SUCCESS;
        }
        Some("--callgrind") => return callgrind_mode(&args[1..]),
        Some("--stream-gb") => {
            let gib = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1);
            return stream_child(gib);
        }
        _ => {}
    }

    let prom = bench_text(false);
    let om = bench_text(true);
    let check = |text: &str, format| match parse(text, format) {
        Ok(f) => f.iter().map(|f| f.samples.len()).sum::<usize>(),
        Err(e) => panic!("benchmark text does not parse: {e}"),
    };
    assert_eq!(check(&prom, ParseFormat::Prometheus), FAMILIES * SAMPLES_PER_FAMILY);
    assert_eq!(check(&om, ParseFormat::OpenMetrics), FAMILIES * SAMPLES_PER_FAMILY);

    let t_prom = median_time(RUNS, || {
        std::hint::black_box(parse(std::hint::black_box(&prom), ParseFormat::Prometheus).map(|f| f.len()).ok());
    });
    let t_om = median_time(RUNS, || {
        std::hint::black_box(parse(std::hint::black_box(&om), ParseFormat::OpenMetrics).map(|f| f.len()).ok());
    });
    let t_stream = median_time(RUNS, || {
        let n =
            FamilyReader::new(BufReader::new(om.as_bytes()), ParseFormat::OpenMetrics).filter(Result::is_ok).count();
        std::hint::black_box(n);
    });
    println!(
        "text: {:.1} MB Prometheus 0.0.4 / {:.1} MB OpenMetrics, {} families, {} samples, 4 labels each",
        prom.len() as f64 / 1e6,
        om.len() as f64 / 1e6,
        FAMILIES,
        FAMILIES * SAMPLES_PER_FAMILY
    );
    let r_prom = mb_per_s(prom.len(), t_prom);
    let r_om = mb_per_s(om.len(), t_om);
    let r_stream = mb_per_s(om.len(), t_stream);
    println!("parse prometheus   median {:>8.1} ms  {r_prom:>7.1} MB/s", t_prom.as_secs_f64() * 1e3);
    println!("parse openmetrics  median {:>8.1} ms  {r_om:>7.1} MB/s", t_om.as_secs_f64() * 1e3);
    println!("stream openmetrics median {:>8.1} ms  {r_stream:>7.1} MB/s", t_stream.as_secs_f64() * 1e3);

    let child =
        std::env::current_exe().and_then(|exe| std::process::Command::new(exe).args(["--stream-gb", "1"]).output());
    let stream_json = match child {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        Ok(out) => {
            eprintln!("streaming child failed: {}", String::from_utf8_lossy(&out.stderr));
            String::from("{}")
        }
        Err(e) => {
            eprintln!("cannot run streaming child: {e}");
            String::from("{}")
        }
    };
    println!("stream 1 GiB (synthesised, OpenMetrics): {stream_json}");
    println!(
        "{{\"bytes_prometheus\":{},\"bytes_openmetrics\":{},\"parse_prometheus_mb_s\":{r_prom:.1},\"parse_openmetrics_mb_s\":{r_om:.1},\"stream_openmetrics_mb_s\":{r_stream:.1},\"stream_1gib\":{stream_json}}}",
        prom.len(),
        om.len()
    );
    ExitCode::SUCCESS
}
