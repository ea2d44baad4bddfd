//! Benchmark of a cold `collect + render` on generated `.loki` directories.
//!
//! `bench-collect [--sizes S,M,L,XL] [--data DIR] [--runs N]`
//!
//! Each size is generated once under DIR (default `bench-data/`) and measured
//! in a fresh child process, so the peak RSS reported is that size's alone.
//! Timings are medians of N runs with a warm page cache and a cold reader
//! (nothing remembered between runs), next to the figures the issue gives for
//! Loki Mode's old endpoint on this machine class.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use loki_metrics::{Format, LineCount, Options};
use loki_metrics_bench::{generate, median_time, peak_rss_bytes, SIZES};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("measure") {
        let dir = PathBuf::from(&args[2]);
        let runs: usize = args[3].parse().expect("runs");
        measure(&dir, runs);
        return;
    }
    let mut sizes = "S,M,L,XL".to_owned();
    let mut data = PathBuf::from("bench-data");
    let mut runs = 0usize;
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--sizes" => sizes = it.next().expect("--sizes VALUE").clone(),
            "--data" => data = PathBuf::from(it.next().expect("--data DIR")),
            "--runs" => runs = it.next().expect("--runs N").parse().expect("number"),
            other => panic!("unknown argument {other}"),
        }
    }
    println!("| size | events.jsonl | efficiency files | tasks | ours: median collect+render | ours: peak RSS | events counting | old endpoint (issue) |");
    println!("|---|---|---|---|---|---|---|---|");
    for size in SIZES.iter().filter(|s| sizes.split(',').any(|n| n == s.name)) {
        let dir = data.join(size.name).join(".loki");
        generate(&dir, size).expect("generate the benchmark directory");
        let n = if runs > 0 {
            runs
        } else if size.events >= 2_000_000 {
            5
        } else {
            51
        };
        let out = Command::new(std::env::current_exe().expect("exe"))
            .args(["measure", dir.to_str().expect("utf-8 path"), &n.to_string()])
            .output()
            .expect("child");
        let text = String::from_utf8_lossy(&out.stdout);
        let field = |k: &str| text.lines().find_map(|l| l.strip_prefix(k)).map(str::trim).unwrap_or("?").to_owned();
        let bytes = fs::metadata(dir.join("events.jsonl")).map(|m| m.len()).unwrap_or(0);
        println!(
            "| {} | {} lines ({:.1} MB) | {} | {} | {} | {} | {} | {} |",
            size.name,
            size.events,
            bytes as f64 / 1e6,
            size.efficiency,
            size.tasks,
            field("median="),
            field("peak_rss="),
            field("count_rate="),
            size.old
        );
    }
}

fn measure(dir: &Path, runs: usize) {
    let options = Options::new(dir);
    let mut sink = 0usize;
    let median = median_time(runs, || {
        let snapshot = loki_metrics::collect(&options);
        sink += loki_metrics::render(&snapshot, Format::Prometheus).len();
    });
    // Events counting alone: read + count, from a warm page cache.
    let events = dir.join("events.jsonl");
    let bytes = fs::metadata(&events).map(|m| m.len()).unwrap_or(0);
    let count_time = median_time(runs.min(11), || {
        let mut lines = LineCount::default();
        let mut f = fs::File::open(&events).expect("events");
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = std::io::Read::read(&mut f, &mut buf).expect("read");
            if n == 0 {
                break;
            }
            lines.feed(&buf[..n]);
        }
        sink += lines.total() as usize;
    });
    println!("median={}", fmt_duration(median));
    println!("peak_rss={:.1} MB", peak_rss_bytes().unwrap_or(0) as f64 / 1e6);
    println!("count_rate={:.2} GB/s", bytes as f64 / count_time.as_secs_f64() / 1e9);
    println!("sink={sink}");
}

fn fmt_duration(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        format!("{:.1} µs", d.as_secs_f64() * 1e6)
    } else if d < Duration::from_secs(1) {
        format!("{:.2} ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}
