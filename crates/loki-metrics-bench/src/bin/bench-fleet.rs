//! `bench-fleet CLI ROOT [COUNTS] [REQUESTS]`: one exporter (`CLI serve
//! --projects`) serving 1, 100 and 1,000 (COUNTS, comma-separated)
//! S-sized projects, one of them written to every 50 ms, side by side in one
//! run: warm `GET /metrics` p50 and p99 over REQUESTS sequential requests,
//! the time from a write to the scrape that shows it (median of 5), the
//! projects the last collection read, and the exporter's RSS.
//!
//! The projects are generated once under ROOT/projects (kept between runs).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use loki_metrics_bench::{generate, SIZES};
use loki_metrics_server::client::{fetch_blocking, FetchOptions};

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn get(url: &str) -> Option<String> {
    fetch_blocking(url, &FetchOptions { timeout: Duration::from_secs(30), ..FetchOptions::default() })
        .ok()
        .map(|r| r.body)
}

fn rss_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn registry(path: &Path, dirs: &[PathBuf]) -> std::io::Result<()> {
    let entries: Vec<String> = dirs
        .iter()
        .enumerate()
        .map(|(i, d)| format!(r#""p{i}":{{"id":"p{i}","path":"{}","name":"p{i:04}","alias":null}}"#, d.display()))
        .collect();
    std::fs::write(path, format!(r#"{{"version":"1.0","projects":{{{}}}}}"#, entries.join(",")))
}

struct Exporter(Child);

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn run(cli: &Path, root: &Path, counts: &[usize], requests: usize) -> std::io::Result<()> {
    let most = counts.iter().copied().max().unwrap_or(1);
    let s = &SIZES[0];
    let started = Instant::now();
    let dirs: Vec<PathBuf> = (0..most).map(|i| root.join(format!("projects/p{i:04}"))).collect();
    for dir in &dirs {
        generate(&dir.join(".loki"), s)?;
    }
    eprintln!("{most} S-sized projects ready in {:.1?}", started.elapsed());
    println!("| projects | warm GET p50 | warm GET p99 | write → visible (median of 5) | projects read per collection (sampled during the warm phase) | exporter RSS (VmRSS / VmHWM) |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for &n in counts {
        let reg = root.join(format!("registry-{n}.json"));
        registry(&reg, &dirs[..n])?;
        let port = free_port()?;
        let child = Command::new(cli)
            .args(["serve", "--projects"])
            .arg(&reg)
            .args(["--port", &port.to_string(), "--cache-ttl", "2", "--log-level", "warn"])
            .stdout(Stdio::null())
            .spawn()?;
        let pid = child.id();
        let _exporter = Exporter(child);
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        while get(&format!("{base}/health")).is_none() {
            if Instant::now() > deadline {
                return Err(std::io::Error::other("the exporter did not start"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let cold = Instant::now();
        get(&format!("{base}/metrics"));
        let cold = cold.elapsed();
        // Let the watches settle and the first full reads pass: every project
        // watched, and a collection that read (almost) nothing.
        let health_url = format!("{base}/health");
        let fleet_field = |key: &str| {
            get(&health_url)
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|h| h["fleet"][key].as_u64())
        };
        let settle = Instant::now();
        while settle.elapsed() < Duration::from_secs(120)
            && (fleet_field("watched") != Some(n as u64)
                || !matches!(fleet_field("read_by_last_collection"), Some(0 | 1)))
        {
            get(&format!("{base}/metrics"));
            std::thread::sleep(Duration::from_millis(500));
        }
        eprintln!("  ({n} projects: settled in {:.1?})", settle.elapsed());
        let events = dirs[0].join(".loki/events.jsonl");
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let stop = Arc::clone(&stop);
            let events = events.clone();
            std::thread::spawn(move || {
                let mut file = std::fs::OpenOptions::new().append(true).open(&events).ok();
                while !stop.load(Ordering::Relaxed) {
                    if let Some(f) = file.as_mut() {
                        let _ = f.write_all(b"{\"type\":\"bench\"}\n");
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
        };
        let url = format!("{base}/metrics");
        let health = format!("{base}/health");
        let read_count = || {
            get(&health)
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|h| h["fleet"]["read_by_last_collection"].as_u64())
        };
        let mut reads = Vec::new();
        let mut times: Vec<Duration> = (0..requests)
            .map(|i| {
                let t = Instant::now();
                get(&url);
                let took = t.elapsed();
                if i % 20 == 0 {
                    reads.extend(read_count());
                }
                std::thread::sleep(Duration::from_millis(5));
                took
            })
            .collect();
        stop.store(true, Ordering::Relaxed);
        let _ = writer.join();
        times.sort();
        // Write, then scrape until the new count shows.
        let one = format!("{base}/metrics?project=p0000");
        let count = |text: &str| {
            text.lines()
                .find(|l| l.starts_with("loki_events_total{"))
                .and_then(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        };
        let mut visible = Vec::new();
        for _ in 0..5 {
            let before = get(&one).as_deref().and_then(count).unwrap_or(0);
            std::fs::OpenOptions::new().append(true).open(&events)?.write_all(b"{\"type\":\"bench\"}\n")?;
            let t = Instant::now();
            loop {
                if get(&one).as_deref().and_then(count).is_some_and(|c| c > before) {
                    break;
                }
                if t.elapsed() > Duration::from_secs(30) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            visible.push(t.elapsed());
        }
        visible.sort();
        let health: serde_json::Value = get(&health).and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
        let watched = &health["fleet"]["watched"];
        let mean = reads.iter().sum::<u64>() as f64 / reads.len().max(1) as f64;
        let most = reads.iter().max().copied().unwrap_or(0);
        println!(
            "| {n} | {:.2?} | {:.2?} | {:.0?} | mean {mean:.1}, max {most} (of {n}; {watched} watched) | {:.1} / {:.1} MB |",
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            visible[visible.len() / 2],
            rss_kb(pid, "VmRSS:") as f64 / 1024.0,
            rss_kb(pid, "VmHWM:") as f64 / 1024.0,
        );
        eprintln!("  ({n} projects: cold first GET {cold:.1?})");
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(cli), Some(root)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: bench-fleet CLI ROOT [COUNTS (1,100,1000)] [REQUESTS (400)]");
        return ExitCode::from(2);
    };
    let counts: Vec<usize> = args
        .get(3)
        .map_or("1,100,1000", String::as_str)
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .filter(|c| *c > 0)
        .collect();
    let requests = args.get(4).and_then(|r| r.parse().ok()).unwrap_or(400);
    match run(Path::new(cli), Path::new(root), &counts, requests) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
