//! Shared helpers of the benchmark binaries in `src/bin/`.

pub mod text;

use std::fs;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// Runs `f` `runs` times and returns the median wall time.
pub fn median_time(runs: usize, f: impl FnMut()) -> Duration {
    median_time_after(runs, || {}, f)
}

/// Runs `prepare` then `f`, `runs` times, and returns the median wall time
/// of `f` alone (e.g. a re-collection after `prepare` wrote a file).
pub fn median_time_after(runs: usize, mut prepare: impl FnMut(), mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            prepare();
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// Peak resident set size of this process so far, in bytes (Linux `VmHWM`).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// A benchmark directory size (the issue's S, M, L, XL).
pub struct Size {
    /// S, M, L or XL.
    pub name: &'static str,
    /// Lines of events.jsonl.
    pub events: u64,
    /// Files in metrics/efficiency.
    pub efficiency: u64,
    /// Tasks across the queues.
    pub tasks: u64,
    /// Evidence Receipts (`proofs/<run>/proof.json`) and `pids/*.json` records, each.
    pub receipts: u64,
    /// The old endpoint's median per call and peak RSS, from the issue.
    pub old: &'static str,
}

/// The four sizes.
pub const SIZES: [Size; 4] = [
    Size { name: "S", events: 1_000, efficiency: 20, tasks: 40, receipts: 5, old: "0.46 ms / 42 MB" },
    Size { name: "M", events: 100_000, efficiency: 1_000, tasks: 2_000, receipts: 50, old: "45 ms / 80 MB" },
    Size { name: "L", events: 2_000_000, efficiency: 10_000, tasks: 20_000, receipts: 200, old: "0.92 s / 839 MB" },
    Size { name: "XL", events: 10_000_000, efficiency: 10_000, tasks: 20_000, receipts: 200, old: "5.5 s / 4.1 GB" },
];

/// Writes a realistic directory of `size`, unless it is already there.
pub fn generate(dir: &Path, size: &Size) -> std::io::Result<()> {
    // Bumped when the generator writes more: older directories are rewritten.
    let marker = dir.join(".complete-v2");
    if marker.exists() {
        return Ok(());
    }
    let started = Instant::now();
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir.join("state"))?;
    fs::create_dir_all(dir.join("metrics/efficiency"))?;
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
    fs::write(dir.join("dashboard-state.json"), state)?;
    let agents: Vec<String> = (0..8)
        .map(|i| {
            format!(
                r#"{{"id":"agent-{i}","status":"{}","pid":{}}}"#,
                if i % 2 == 0 { "active" } else { "idle" },
                1000 + i
            )
        })
        .collect();
    fs::write(dir.join("state/agents.json"), format!("[{}]", agents.join(",")))?;
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
        fs::write(dir.join(format!("metrics/efficiency/iteration-{i}.json")), record)?;
    }
    for i in 0..size.receipts {
        let run = dir.join(format!("proofs/run-{i:05}"));
        fs::create_dir_all(&run)?;
        let headline = ["VERIFIED", "VERIFIED WITH GAPS", "NOT VERIFIED"][(i % 3) as usize];
        let attestation =
            if i % 4 == 0 { r#","attestation":{"predicateType":"https://slsa.dev/provenance/v1"}"# } else { "" };
        fs::write(
            run.join("proof.json"),
            format!(
                r#"{{"run_id":"run-{i:05}","honesty":{{"headline":"{headline}","gaps":[]}},"verification":{{"hash":"sha256:{i:064x}"{attestation}}},"files_changed":["src/main.rs"]}}"#
            ),
        )?;
        // A session's registry: the wrapper (dead here) and its helpers.
        fs::create_dir_all(dir.join("pids"))?;
        let pid = 3_000_000 + i;
        let kind = if i == 0 { r#","kind":"wrapper""# } else { "" };
        fs::write(
            dir.join(format!("pids/{pid}.json")),
            format!(
                r#"{{"pid":{pid},"label":"worker-{i}","started":"2026-01-05T10:00:00Z","ppid":1,"extra":""{kind}}}"#
            ),
        )?;
    }
    let mut events = BufWriter::with_capacity(1 << 20, fs::File::create(dir.join("events.jsonl"))?);
    for i in 0..size.events {
        writeln!(
            events,
            r#"{{"ts":"2026-01-05T10:{:02}:{:02}Z","type":"tool_call","iteration":{},"agent":"agent-{}","detail":"ok"}}"#,
            (i / 60) % 60,
            i % 60,
            i / 1000,
            i % 8
        )?;
    }
    events.flush()?;
    fs::write(marker, "")?;
    eprintln!("generated {} in {:.1} s", size.name, started.elapsed().as_secs_f64());
    Ok(())
}
