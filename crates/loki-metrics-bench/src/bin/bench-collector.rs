//! `bench-collector generate <S|M|L|XL> DIR`: writes a benchmark `.loki` directory.
//! `bench-collector recollect DIR [RUNS]`: times a first collection, then a
//! re-collection after one appended event and after one new Evidence Receipt
//! (medians of RUNS, the writes themselves not timed), and peak RSS. The receipts it adds stay in DIR.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use loki_metrics::{Collector, Format, Options};
use loki_metrics_bench::{generate, median_time, median_time_after, peak_rss_bytes, SIZES};

fn recollect(dir: &Path, runs: usize) -> std::io::Result<()> {
    let collector = Collector::new(Options::new(dir), Duration::ZERO);
    let t = Instant::now();
    let first = collector.collect();
    println!("first collection: {:?} ({} events)", t.elapsed(), first.events_total());
    let mut events = std::fs::OpenOptions::new().append(true).open(dir.join("events.jsonl"))?;
    let mut last = first.events_total();
    let median = median_time_after(
        runs,
        || {
            let _ = events.write_all(b"{\"type\":\"bench\"}\n");
        },
        || {
            let snapshot = collector.collect();
            let _ = collector.render(Format::Prometheus);
            last = snapshot.events_total();
        },
    );
    println!("re-collection after one appended event: median {median:?} over {runs} runs (events now {last})");
    let mut n = 0u64;
    let mut receipts = first.value("loki_receipts_total", &[]).map_or(0, |v| v.to_u64());
    // Receipts arrive minutes apart in a session: each run's receipt is aged
    // past the reader's 10 s "recently written" window before the next run, so
    // every run measures one new receipt in a folder of settled ones.
    let mut previous: Option<std::path::PathBuf> = None;
    let after_receipt = median_time_after(
        runs,
        || {
            if let Some(path) = previous.take() {
                let aged = std::time::SystemTime::now() - Duration::from_secs(60);
                let _ = std::fs::File::options().write(true).open(&path).and_then(|f| f.set_modified(aged));
            }
            n += 1;
            let run = dir.join(format!("proofs/bench-recollect-{}-{n}", std::process::id()));
            let _ = std::fs::create_dir_all(&run);
            let path = run.join("proof.json");
            let _ = std::fs::write(&path, br#"{"honesty":{"headline":"VERIFIED"}}"#);
            previous = Some(path);
        },
        || {
            let snapshot = collector.collect();
            let _ = collector.render(Format::Prometheus);
            receipts = snapshot.value("loki_receipts_total", &[]).map_or(0, |v| v.to_u64());
        },
    );
    println!(
        "re-collection after one new receipt: median {after_receipt:?} over {runs} runs (receipts now {receipts})"
    );
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
        Some("generate") if args.len() == 4 => match SIZES.iter().find(|s| s.name == args[2]) {
            Some(s) => generate(Path::new(&args[3]), s),
            None => {
                eprintln!("size must be S, M, L or XL");
                return ExitCode::from(2);
            }
        },
        Some("recollect") if args.len() >= 3 => {
            let runs = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(50);
            recollect(Path::new(&args[2]), runs)
        }
        _ => {
            eprintln!("usage: bench-collector generate <S|M|L|XL> DIR | recollect DIR [RUNS]");
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
