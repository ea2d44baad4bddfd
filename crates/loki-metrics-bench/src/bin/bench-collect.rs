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
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use loki_metrics::{Format, LineCount, Options};
use loki_metrics_bench::{median_time, peak_rss_bytes};

struct Size {
    name: &'static str,
    events: u64,
    efficiency: u64,
    tasks: u64,
    /// The old endpoint's median per call and peak RSS, from the issue.
    old: &'static str,
}

const SIZES: [Size; 4] = [
    Size { name: "S", events: 1_000, efficiency: 20, tasks: 40, old: "0.46 ms / 42 MB" },
    Size { name: "M", events: 100_000, efficiency: 1_000, tasks: 2_000, old: "45 ms / 80 MB" },
    Size { name: "L", events: 2_000_000, efficiency: 10_000, tasks: 20_000, old: "0.92 s / 839 MB" },
    Size { name: "XL", events: 10_000_000, efficiency: 10_000, tasks: 20_000, old: "5.5 s / 4.1 GB" },
];

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
        generate(&dir, size);
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

/// Writes a realistic directory of `size`, unless it is already there.
fn generate(dir: &Path, size: &Size) {
    let marker = dir.join(".complete");
    if marker.exists() {
        return;
    }
    let started = Instant::now();
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir.join("state")).expect("mkdir");
    fs::create_dir_all(dir.join("metrics/efficiency")).expect("mkdir");
    let task =
        |i: u64| format!(r#"{{"id":"task-{i}","title":"Implement feature {i}","priority":"high","attempts":1}}"#);
    let queue = |from: u64, n: u64| (from..from + n).map(task).collect::<Vec<_>>().join(",");
    let t = size.tasks;
    let state = format!(
        r#"{{"version":"5.38.0","mode":"autonomous","iteration":{},"startedAt":"2026-01-05T10:00:00Z","tasks":{{"pending":[{}],"inProgress":[{}],"review":[],"completed":[{}],"failed":[{}]}},"agents":[]}}"#,
        size.efficiency,
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
    for i in 0..size.efficiency {
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
    let mut events = BufWriter::with_capacity(1 << 20, fs::File::create(dir.join("events.jsonl")).expect("events"));
    for i in 0..size.events {
        writeln!(
            events,
            r#"{{"ts":"2026-01-05T10:{:02}:{:02}Z","type":"tool_call","iteration":{},"agent":"agent-{}","detail":"ok"}}"#,
            (i / 60) % 60,
            i % 60,
            i / 1000,
            i % 8
        )
        .expect("write");
    }
    events.flush().expect("flush");
    fs::write(marker, "").expect("marker");
    eprintln!("generated {} in {:.1} s", size.name, started.elapsed().as_secs_f64());
}
