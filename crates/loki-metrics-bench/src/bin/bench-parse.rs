//! Parser benchmark: MB/s of `parse` (Prometheus 0.0.4 and OpenMetrics) and
//! of the streaming reader (OpenMetrics; families lent by `next_family`, and
//! owned from its iterator) on two 25 MB texts of 200,000
//! samples in 2,000 families with 4 labels each (`gauges`, the text this
//! benchmark always used, and `counters`, `makeText` of
//! `bench/node_bench.mjs`), and the peak RSS of a streaming parse of a 1 GB
//! text synthesised on the fly. Every figure is a median of `--runs` runs.
//!
//! ```text
//! bench-parse [--runs N]      # everything, human-readable, then one JSON line
//! bench-parse --emit FILE [--shape gauges|counters] [--format prometheus|openmetrics]
//!                             # write a benchmark text (default gauges,
//!                             # prometheus) and exit
//! bench-parse --stream-gb N   # (child) stream N GiB and print peak RSS
//! bench-parse --repeat FORMAT [N] [--shape S]
//!                             # parse one text N times (profiling aid)
//! bench-parse --callgrind FORMAT [FAMILIES] [--shape S]
//!                             # parse a FAMILIES-family text (default 200,
//!                             # ~2.5 MB) once, for instruction counts
//! ```
//!
//! `--callgrind` takes `prometheus`, `openmetrics` or `stream` (the
//! streaming reader on OpenMetrics text, families lent by `next_family`). Only `measured` does the parsing,
//! so count just it:
//!
//! ```text
//! valgrind --tool=callgrind --toggle-collect='*measured*' \
//!     target/release/bench-parse --callgrind openmetrics
//! ```
//!
//! The last line of the full run is JSON: the gauge text's figures at the top
//! level (`parse_prometheus_mb_s`, `parse_openmetrics_mb_s`,
//! `stream_openmetrics_mb_s`, `bytes_*`), each shape's under `shapes`, and
//! `stream_1gib`.

use std::io::{BufReader, Read};
use std::process::ExitCode;
use std::time::Duration;

use loki_metrics::parse::{families, parse, FamilyReader, ParseFormat};
use loki_metrics_bench::text::{push_family, shape_text, shape_text_of, Rng, Shape, FAMILIES, SAMPLES_PER_FAMILY};
use loki_metrics_bench::{median_time, peak_rss_bytes};
use serde_json::{json, Value};

/// Timed runs of each measurement by default (the median is reported).
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
        "stream" => lent_samples(BufReader::new(text.as_bytes())),
        "openmetrics" => parse(text, ParseFormat::OpenMetrics).map_or(0, |f| samples(&f)),
        _ => parse(text, ParseFormat::Prometheus).map_or(0, |f| samples(&f)),
    }
}

/// The samples of an OpenMetrics input read with `FamilyReader::next_family`
/// (families lent, nothing copied), or 0 on an error.
fn lent_samples(input: impl std::io::BufRead) -> usize {
    let mut reader = FamilyReader::new(input, ParseFormat::OpenMetrics);
    let mut samples = 0;
    while let Some(family) = reader.next_family() {
        match family {
            Ok(f) => samples += f.samples.len(),
            Err(_) => return 0,
        }
    }
    samples
}

/// The options every mode shares, taken out of the arguments wherever they are;
/// what remains are the mode's positional arguments.
struct Options {
    shape: Shape,
    format: ParseFormat,
    runs: usize,
    rest: Vec<String>,
}

fn options(args: &[String]) -> Result<Options, String> {
    let mut o = Options { shape: Shape::Gauges, format: ParseFormat::Prometheus, runs: RUNS, rest: Vec::new() };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--shape" => o.shape = value()?.parse()?,
            "--format" => o.format = value()?.parse().map_err(|e| format!("{e}"))?,
            "--runs" => o.runs = value()?.parse().map_err(|_| "--runs takes a number".to_owned())?,
            _ => o.rest.push(arg.clone()),
        }
    }
    Ok(o)
}

/// `--callgrind MODE [FAMILIES]`: one parse of a small text, for callgrind.
fn callgrind_mode(args: &[String], shape: Shape) -> ExitCode {
    let mode = args.first().map_or("prometheus", String::as_str);
    if !matches!(mode, "prometheus" | "openmetrics" | "stream") {
        eprintln!("usage: bench-parse --callgrind prometheus|openmetrics|stream [FAMILIES] [--shape gauges|counters]");
        return ExitCode::from(2);
    }
    let families: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(200).max(1);
    let text = shape_text_of(shape, families, mode != "prometheus");
    let samples = measured(std::hint::black_box(&text), mode);
    let expected = families * SAMPLES_PER_FAMILY;
    println!("{mode} ({}): {} bytes, {samples} samples", shape.name(), text.len());
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
    let mut reader = FamilyReader::new(BufReader::with_capacity(64 << 10, source), ParseFormat::OpenMetrics);
    while let Some(f) = reader.next_family() {
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

/// One shape's median MB/s: `parse` of both formats, and streaming.
fn measure(shape: Shape, runs: usize) -> Value {
    let prom = shape_text(shape, false);
    let om = shape_text(shape, true);
    let check = |text: &str, format| match parse(text, format) {
        Ok(f) => f.iter().map(|f| f.samples.len()).sum::<usize>(),
        Err(e) => panic!("the {} text does not parse as {format}: {e}", shape.name()),
    };
    assert_eq!(check(&prom, ParseFormat::Prometheus), FAMILIES * SAMPLES_PER_FAMILY);
    assert_eq!(check(&om, ParseFormat::OpenMetrics), FAMILIES * SAMPLES_PER_FAMILY);

    let t_prom = median_time(runs, || {
        std::hint::black_box(parse(std::hint::black_box(&prom), ParseFormat::Prometheus).map(|f| f.len()).ok());
    });
    let t_om = median_time(runs, || {
        std::hint::black_box(parse(std::hint::black_box(&om), ParseFormat::OpenMetrics).map(|f| f.len()).ok());
    });
    // `families`: each family read (its samples counted) and dropped.
    let each = |text: &str, format| families(text, format).map(|f| f.map_or(0, |f| f.samples.len())).sum::<usize>();
    let t_each_prom = median_time(runs, || {
        std::hint::black_box(each(std::hint::black_box(&prom), ParseFormat::Prometheus));
    });
    let t_each_om = median_time(runs, || {
        std::hint::black_box(each(std::hint::black_box(&om), ParseFormat::OpenMetrics));
    });
    let t_stream = median_time(runs, || {
        std::hint::black_box(lent_samples(BufReader::new(std::hint::black_box(om.as_bytes()))));
    });
    let t_owned = median_time(runs, || {
        let n =
            FamilyReader::new(BufReader::new(om.as_bytes()), ParseFormat::OpenMetrics).filter(Result::is_ok).count();
        std::hint::black_box(n);
    });
    println!(
        "{}: {:.1} MB Prometheus 0.0.4 / {:.1} MB OpenMetrics, {} families, {} samples, 4 labels each",
        shape.name(),
        prom.len() as f64 / 1e6,
        om.len() as f64 / 1e6,
        FAMILIES,
        FAMILIES * SAMPLES_PER_FAMILY
    );
    let r_prom = mb_per_s(prom.len(), t_prom);
    let r_om = mb_per_s(om.len(), t_om);
    let r_each_prom = mb_per_s(prom.len(), t_each_prom);
    let r_each_om = mb_per_s(om.len(), t_each_om);
    let r_stream = mb_per_s(om.len(), t_stream);
    let r_owned = mb_per_s(om.len(), t_owned);
    println!("  parse prometheus   median {:>8.1} ms  {r_prom:>7.1} MB/s", t_prom.as_secs_f64() * 1e3);
    println!("  parse openmetrics  median {:>8.1} ms  {r_om:>7.1} MB/s", t_om.as_secs_f64() * 1e3);
    println!(
        "  families prometheus median {:>7.1} ms  {r_each_prom:>7.1} MB/s (each family dropped as read)",
        t_each_prom.as_secs_f64() * 1e3
    );
    println!(
        "  families openmetrics median {:>6.1} ms  {r_each_om:>7.1} MB/s (each family dropped as read)",
        t_each_om.as_secs_f64() * 1e3
    );
    println!(
        "  stream openmetrics median {:>8.1} ms  {r_stream:>7.1} MB/s (families lent)",
        t_stream.as_secs_f64() * 1e3
    );
    println!("  stream, owned      median {:>8.1} ms  {r_owned:>7.1} MB/s (the Iterator)", t_owned.as_secs_f64() * 1e3);
    let tenth = |x: f64| (x * 10.0).round() / 10.0;
    json!({
        "bytes_prometheus": prom.len(),
        "bytes_openmetrics": om.len(),
        "parse_prometheus_mb_s": tenth(r_prom),
        "parse_openmetrics_mb_s": tenth(r_om),
        "families_prometheus_mb_s": tenth(r_each_prom),
        "families_openmetrics_mb_s": tenth(r_each_om),
        "stream_openmetrics_mb_s": tenth(r_stream),
        "stream_owned_openmetrics_mb_s": tenth(r_owned),
    })
}

/// The 1 GiB streaming parse, in a child process of its own (its peak RSS
/// must not include the 25 MB texts).
fn stream_1gib() -> Value {
    let child =
        std::env::current_exe().and_then(|exe| std::process::Command::new(exe).args(["--stream-gb", "1"]).output());
    match child {
        Ok(out) if out.status.success() => {
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("the streaming child's output: {e}"))
        }
        Ok(out) => {
            eprintln!("streaming child failed: {}", String::from_utf8_lossy(&out.stderr));
            json!({})
        }
        Err(e) => {
            eprintln!("cannot run streaming child: {e}");
            json!({})
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let o = match options(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("bench-parse: {e}");
            return ExitCode::from(2);
        }
    };
    let rest = &o.rest;
    match rest.first().map(String::as_str) {
        Some("--emit") => {
            let Some(path) = rest.get(1) else {
                eprintln!("usage: bench-parse --emit FILE [--shape gauges|counters] [--format prometheus|openmetrics]");
                return ExitCode::from(2);
            };
            let openmetrics = match o.format {
                ParseFormat::Prometheus => false,
                ParseFormat::OpenMetrics => true,
                _ => {
                    eprintln!("bench-parse: --emit writes prometheus or openmetrics");
                    return ExitCode::from(2);
                }
            };
            if let Err(e) = std::fs::write(path, shape_text(o.shape, openmetrics)) {
                eprintln!("cannot write {path}: {e}");
                return ExitCode::from(1);
            }
            return ExitCode::SUCCESS;
        }
        Some("--repeat") => {
            // Profiling aid: parse one 25 MB text N times in one format.
            let format = rest.get(1).and_then(|s| s.parse().ok()).unwrap_or(ParseFormat::Prometheus);
            let n: usize = rest.get(2).and_then(|s| s.parse().ok()).unwrap_or(10).max(1);
            let text = shape_text(o.shape, format == ParseFormat::OpenMetrics);
            let start = std::time::Instant::now();
            for _ in 0..n {
                std::hint::black_box(parse(&text, format).map(|f| f.len()).ok());
            }
            let t = start.elapsed() / n as u32;
            println!("{format} ({}): {:.1} MB/s", o.shape.name(), mb_per_s(text.len(), t));
            return ExitCode::SUCCESS;
        }
        Some("--callgrind") => return callgrind_mode(&rest[1..], o.shape),
        Some("--stream-gb") => {
            let gib = rest.get(1).and_then(|s| s.parse().ok()).unwrap_or(1);
            return stream_child(gib);
        }
        Some(other) => {
            eprintln!("bench-parse: unknown argument {other:?}");
            return ExitCode::from(2);
        }
        None => {}
    }

    let runs = o.runs.max(1);
    println!("medians of {runs} runs");
    let shapes: Vec<(Shape, Value)> = Shape::ALL.into_iter().map(|shape| (shape, measure(shape, runs))).collect();
    let stream = stream_1gib();
    println!("stream 1 GiB (synthesised gauges, OpenMetrics): {stream}");

    // The gauge text's figures stay at the top level, where earlier readers
    // (bench/parse_bench.py, bench/compare.sh) find them.
    let mut out = shapes[0].1.clone();
    out["runs"] = json!(runs);
    out["shapes"] = shapes.iter().map(|(shape, v)| (shape.name().to_owned(), v.clone())).collect();
    out["stream_1gib"] = stream;
    println!("{out}");
    ExitCode::SUCCESS
}
