//! The simulated session: what it writes is what the core reads back, and
//! `keep_at_most` really bounds the files (the steady long soak relies on it).

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use loki_metrics::{collect, Options};
use loki_metrics_server::simulate::Simulator;

fn start() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000)
}

fn efficiency_names(loki: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(loki.join("metrics/efficiency"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn the_core_reads_back_what_the_simulator_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let loki = dir.path().join(".loki");
    let mut sim = Simulator::new(&loki, 7, start(), None).unwrap();
    for _ in 0..2_000 {
        sim.step().unwrap();
    }
    let snap = collect(&Options::new(&loki));
    assert!(snap.warnings.is_empty(), "{:?}", snap.warnings);
    assert_eq!(snap.events_total, sim.events_written());
    let c = sim.counts();
    assert_eq!(
        (snap.tasks.pending, snap.tasks.in_progress, snap.tasks.completed, snap.tasks.failed),
        (c.pending, c.in_progress, c.completed, c.failed)
    );
    assert_eq!(snap.iteration_current, 201);
    assert_eq!(efficiency_names(&loki).len(), 200);
    assert!(snap.cost_usd > 0.0);
}

#[test]
fn keep_at_most_bounds_records_and_finished_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let loki = dir.path().join(".loki");
    let mut sim = Simulator::new(&loki, 7, start(), None).unwrap();
    sim.keep_at_most(25);
    let mut sizes = Vec::new();
    for step in 1..=5_000 {
        sim.step().unwrap();
        let c = sim.counts();
        assert!(c.completed <= 25 && c.failed <= 25, "step {step}: {c:?}");
        if step % 1_000 == 0 {
            sizes.push(fs::metadata(loki.join("dashboard-state.json")).unwrap().len());
        }
    }
    // The newest 25 records (iterations 476..=500), nothing older.
    let expected: Vec<String> = {
        let mut v: Vec<String> = (476..=500).map(|i| format!("iteration-{i}.json")).collect();
        v.sort();
        v
    };
    assert_eq!(efficiency_names(&loki), expected);
    assert_eq!(sim.counts().completed, 25, "the session finished more than 25 tasks");
    // The state stopped growing: the last four samples are within a small band.
    let (lo, hi) = (sizes[1..].iter().min().unwrap(), sizes[1..].iter().max().unwrap());
    assert!(hi - lo < 2_000, "dashboard-state.json sizes {sizes:?}");
    let snap = collect(&Options::new(&loki));
    assert!(snap.warnings.is_empty(), "{:?}", snap.warnings);
    assert_eq!(snap.events_total, sim.events_written());
    assert_eq!(snap.tasks.completed, 25);
}

#[test]
fn a_seed_writes_the_same_session() {
    let read = |seed: u64| {
        let dir = tempfile::tempdir().unwrap();
        let loki = dir.path().join(".loki");
        let mut sim = Simulator::new(&loki, seed, start(), None).unwrap();
        for _ in 0..300 {
            sim.step().unwrap();
        }
        sim.finish().unwrap();
        (
            fs::read(loki.join("dashboard-state.json")).unwrap(),
            fs::read(loki.join("events.jsonl")).unwrap(),
            fs::read(loki.join("metrics/efficiency/iteration-30.json")).unwrap(),
        )
    };
    assert_eq!(read(7), read(7));
    assert_ne!(read(7).0, read(8).0);
}
