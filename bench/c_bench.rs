//! The Rust-core side of the C ABI benchmark (bench/c_bench.sh runs it next
//! to bench/c_bench.c, on the same data, in the same run).
//!
//! `c_bench_core generate DATA` writes `DATA/S/.loki` (events.jsonl 1k lines,
//! 20 efficiency files, 40 tasks, as bench-collect's S) and `DATA/parse.prom`
//! (200,000 samples in 2,000 families, 4 labels each, about 25 MB).
//! `c_bench_core measure DATA RUNS` prints, in process CPU time, the same
//! work bench/c_bench.c does through the C ABI:
//! `collect_render_us=` (collect + Prometheus render, median per call) and
//! `parse_mb_s=` (parse + drop of the 25 MB text, fastest of 11).

use std::fmt::Write as _;
use std::fs;
use std::io::{BufWriter, Write};
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
    generate_loki(&data.join("S/.loki"), 1_000, 20, 40);
    generate_text(&data.join("parse.prom"), 2_000, 100);
}

/// The same shape as bench-collect's generator (crates/loki-metrics-bench).
fn generate_loki(dir: &Path, events: u64, efficiency: u64, tasks: u64) {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir.join("state")).expect("mkdir");
    fs::create_dir_all(dir.join("metrics/efficiency")).expect("mkdir");
    let task =
        |i: u64| format!(r#"{{"id":"task-{i}","title":"Implement feature {i}","priority":"high","attempts":1}}"#);
    let queue = |from: u64, n: u64| (from..from + n).map(task).collect::<Vec<_>>().join(",");
    let t = tasks;
    let state = format!(
        r#"{{"version":"5.38.0","mode":"autonomous","iteration":{efficiency},"startedAt":"2026-01-05T10:00:00Z","tasks":{{"pending":[{}],"inProgress":[{}],"review":[],"completed":[{}],"failed":[{}]}},"agents":[]}}"#,
        queue(0, t / 4),
        queue(t / 4, t / 8),
        queue(t / 4 + t / 8, t / 2),
        queue(t / 4 + t / 8 + t / 2, t - t / 4 - t / 8 - t / 2)
    );
    fs::write(dir.join("dashboard-state.json"), state).expect("state");
    let agents: Vec<String> = (0..8)
        .map(|i| {
            format!(
                r#"{{"id":"agent-{i}","status":"{}","pid":{}}}"#,
                if i % 2 == 0 { "active" } else { "idle" },
                1000 + i
            )
        })
        .collect();
    fs::write(dir.join("state/agents.json"), format!("[{}]", agents.join(","))).expect("agents");
    for i in 0..efficiency {
        let record = if i % 2 == 0 {
            format!(r#"{{"iteration":{i},"cost_usd":0.0{}}}"#, i % 90 + 10)
        } else {
            format!(
                r#"{{"iteration":{i},"input_tokens":{},"output_tokens":{},"model":"sonnet"}}"#,
                10_000 + i,
                2_000 + i
            )
        };
        fs::write(dir.join(format!("metrics/efficiency/iteration-{i}.json")), record).expect("record");
    }
    let mut out = BufWriter::new(fs::File::create(dir.join("events.jsonl")).expect("events"));
    for i in 0..events {
        writeln!(
            out,
            r#"{{"ts":"2026-01-05T10:{:02}:{:02}Z","type":"tool_call","iteration":{},"agent":"agent-{}","detail":"ok"}}"#,
            (i / 60) % 60,
            i % 60,
            i / 1000,
            i % 8
        )
        .expect("write");
    }
    out.flush().expect("flush");
}

/// `families` Prometheus families of `per_family` samples, 4 labels each.
fn generate_text(path: &Path, families: usize, per_family: usize) {
    let mut text = String::with_capacity(26 << 20);
    for f in 0..families {
        let name = format!("app_http_requests_{f:04}_total");
        let _ = writeln!(text, "# HELP {name} Requests handled by route {f}, by method, status and instance.");
        let _ = writeln!(text, "# TYPE {name} counter");
        for s in 0..per_family {
            let _ = writeln!(
                text,
                r#"{name}{{method="{}",route="/api/items/{s}",status="{}",instance="w-{:02}:9100"}} {}.{} 1767614400{:03}"#,
                ["GET", "POST", "PUT", "DELETE"][s % 4],
                [200, 201, 404, 500][(s / 4) % 4],
                s % 32,
                (f * 7919 + s * 104_729) % 1_000_000,
                s % 1000,
                s % 1000
            );
        }
    }
    fs::write(path, text).expect("parse.prom");
}
