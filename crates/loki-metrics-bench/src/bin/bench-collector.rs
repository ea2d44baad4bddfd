//! `bench-collector generate <S|M|L> DIR`: writes a benchmark `.loki` directory.
//! `bench-collector recollect DIR [RUNS]`: times a first collection, then a
//! re-collection after one appended event (median of RUNS), and peak RSS.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use loki_metrics::{Collector, Format, Options};
use loki_metrics_bench::{median_time, peak_rss_bytes};

struct Size {
    events: u64,
    efficiency_files: u64,
    tasks: u64,
}

fn size(name: &str) -> Option<Size> {
    match name {
        "S" => Some(Size {
            events: 1_000,
            efficiency_files: 20,
            tasks: 40,
        }),
        "M" => Some(Size {
            events: 100_000,
            efficiency_files: 1_000,
            tasks: 2_000,
        }),
        "L" => Some(Size {
            events: 2_000_000,
            efficiency_files: 10_000,
            tasks: 20_000,
        }),
        _ => None,
    }
}

fn generate(size: &Size, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("metrics/efficiency"))?;
    std::fs::create_dir_all(dir.join("state"))?;
    let mut events = BufWriter::new(std::fs::File::create(dir.join("events.jsonl"))?);
    for i in 0..size.events {
        writeln!(
            events,
            r#"{{"timestamp":"2026-01-05T10:00:00Z","type":"tool_call","iteration":{},"agent":"agent-{}","seq":{i}}}"#,
            i / 100,
            i % 8
        )?;
    }
    events.flush()?;
    for i in 0..size.efficiency_files {
        let record = if i % 3 == 0 {
            format!(r#"{{"iteration":{i},"cost_usd":0.{:04}}}"#, i % 10_000)
        } else {
            format!(
                r#"{{"iteration":{i},"model":"sonnet","input_tokens":{},"output_tokens":{}}}"#,
                1000 + i,
                100 + i
            )
        };
        std::fs::write(
            dir.join(format!("metrics/efficiency/iteration-{i}.json")),
            record,
        )?;
    }
    let task = |i: u64| {
        format!(
            r#"{{"id":"task-{i}","title":"Task {i}","priority":"high","assignee":"agent-{}"}}"#,
            i % 8
        )
    };
    let queue = |from: u64, n: u64| (from..from + n).map(task).collect::<Vec<_>>().join(",");
    let q = size.tasks / 4;
    let state = format!(
        r#"{{"mode":"autonomous","iteration":{},"startedAt":"2026-01-05T10:00:00Z","tasks":{{"pending":[{}],"inProgress":[{}],"review":[],"completed":[{}],"failed":[{}]}},"agents":[{{"status":"active"}},{{"status":"idle"}}]}}"#,
        size.efficiency_files,
        queue(0, q),
        queue(q, q),
        queue(2 * q, q),
        queue(3 * q, size.tasks - 3 * q)
    );
    std::fs::write(dir.join("dashboard-state.json"), state)?;
    std::fs::write(
        dir.join("state/agents.json"),
        r#"[{"id":"a1","status":"active"},{"id":"a2","status":"active"},{"id":"a3","status":"idle"}]"#,
    )?;
    Ok(())
}

fn recollect(dir: &Path, runs: usize) -> std::io::Result<()> {
    let collector = Collector::new(Options::new(dir), Duration::ZERO);
    let t = Instant::now();
    let first = collector.collect();
    println!(
        "first collection: {:?} ({} events)",
        t.elapsed(),
        first.events_total
    );
    let mut events = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("events.jsonl"))?;
    let mut last = first.events_total;
    let median = median_time(runs, || {
        let _ = events.write_all(b"{\"type\":\"bench\"}\n");
        let snapshot = collector.collect();
        let _ = collector.render(Format::Prometheus);
        last = snapshot.events_total;
    });
    println!("re-collection after one appended event: median {median:?} over {runs} runs (events now {last})");
    let idle = median_time(runs, || {
        collector.collect();
    });
    println!("re-collection with nothing changed: median {idle:?}");
    let cached = Collector::new(Options::new(dir), Duration::from_secs(3600));
    cached.render(Format::Prometheus);
    let warm = median_time(10_000, || {
        let _ = cached.render(Format::Prometheus);
    });
    println!("warm cached render: median {warm:?}");
    if let Some(rss) = peak_rss_bytes() {
        println!("peak RSS: {:.1} MB", rss as f64 / 1e6);
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("generate") if args.len() == 4 => match size(&args[2]) {
            Some(s) => generate(&s, Path::new(&args[3])),
            None => {
                eprintln!("size must be S, M or L");
                return ExitCode::from(2);
            }
        },
        Some("recollect") if args.len() >= 3 => {
            let runs = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(50);
            recollect(Path::new(&args[2]), runs)
        }
        _ => {
            eprintln!("usage: bench-collector generate <S|M|L> DIR | recollect DIR [RUNS]");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
