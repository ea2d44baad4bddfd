//! The simulated session: what it writes is what the core reads back, and
//! `keep_at_most` really bounds the files (the steady long soak relies on it).

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use loki_metrics::{collect, Options};
use loki_metrics_simulate::Simulator;

fn start() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000)
}

fn efficiency_names(loki: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(loki.join("metrics/efficiency"))
        .expect("the efficiency folder")
        .map(|e| e.expect("an entry").file_name().into_string().expect("a UTF-8 name"))
        .collect();
    names.sort();
    names
}

#[test]
fn the_core_reads_back_what_the_simulator_wrote() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let loki = dir.path().join(".loki");
    let mut sim = Simulator::new(&loki, 7, start(), None).expect("a simulator");
    for _ in 0..1_000 {
        sim.step().expect("a step");
    }
    let snap = collect(&Options::new(&loki));
    assert!(snap.warnings.is_empty(), "{:?}", snap.warnings);
    assert_eq!(snap.events_total(), sim.events_written());
    let c = sim.counts();
    assert_eq!(
        (snap.tasks().pending, snap.tasks().in_progress, snap.tasks().completed, snap.tasks().failed),
        (c.pending, c.in_progress, c.completed, c.failed)
    );
    assert_eq!(snap.iteration_current(), 101);
    assert_eq!(efficiency_names(&loki).len(), 100);
    assert!(snap.cost_usd() > 0.0);
}

#[test]
fn keep_at_most_bounds_records_and_finished_tasks() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let loki = dir.path().join(".loki");
    let mut sim = Simulator::new(&loki, 7, start(), None).expect("a simulator");
    sim.keep_at_most(25);
    let mut sizes = Vec::new();
    for step in 1..=2_500 {
        sim.step().expect("a step");
        let c = sim.counts();
        assert!(c.completed <= 25 && c.failed <= 25, "step {step}: {c:?}");
        if step % 500 == 0 {
            sizes.push(fs::metadata(loki.join("dashboard-state.json")).expect("dashboard-state.json").len());
        }
    }
    // The newest 25 records (iterations 226..=250), nothing older.
    let expected: Vec<String> = {
        let mut v: Vec<String> = (226..=250).map(|i| format!("iteration-{i}.json")).collect();
        v.sort();
        v
    };
    assert_eq!(efficiency_names(&loki), expected);
    assert_eq!(sim.counts().completed, 25, "the session finished more than 25 tasks");
    // The state stopped growing: the last four samples are within a small band.
    let (lo, hi) = (sizes[1..].iter().min().expect("samples"), sizes[1..].iter().max().expect("samples"));
    assert!(hi - lo < 2_000, "dashboard-state.json sizes {sizes:?}");
    let snap = collect(&Options::new(&loki));
    assert!(snap.warnings.is_empty(), "{:?}", snap.warnings);
    assert_eq!(snap.events_total(), sim.events_written());
    assert_eq!(snap.tasks().completed, 25);
}

#[test]
fn a_seed_writes_the_same_session() {
    let read = |seed: u64| {
        let dir = tempfile::tempdir().expect("a temp dir");
        let loki = dir.path().join(".loki");
        let mut sim = Simulator::new(&loki, seed, start(), None).expect("a simulator");
        for _ in 0..300 {
            sim.step().expect("a step");
        }
        sim.finish().expect("the final state");
        (
            fs::read(loki.join("dashboard-state.json")).expect("dashboard-state.json"),
            fs::read(loki.join("events.jsonl")).expect("events.jsonl"),
            fs::read(loki.join("metrics/efficiency/iteration-30.json")).expect("a record"),
        )
    };
    assert_eq!(read(7), read(7));
    assert_ne!(read(7).0, read(8).0);
}
