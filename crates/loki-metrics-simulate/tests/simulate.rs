//! The simulated sessions: what they write is what the core reads back, as
//! the rules of SPEC §3 say, and `keep_at_most` really bounds the files (the
//! steady long soak relies on it).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tempfile::TempDir;

use loki_metrics::families::{self, Family};
use loki_metrics::{collect, Options, SampleValue, SessionStatus, Snapshot, Value};
use loki_metrics_simulate::{
    SessionKind, Simulator, DEFAULT_BUDGET_LIMIT_USD, DEFAULT_MAX_ITERATIONS, LOKI_VERSION, PROVIDER,
};

fn start() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000)
}

/// A session of `kind` after `steps` updates with seed 7, in a fresh directory.
struct Session {
    dir: TempDir,
    loki: PathBuf,
    sim: Simulator,
}

impl Session {
    fn new(kind: SessionKind, steps: u64) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let loki = dir.path().join(".loki");
        let sim = simulate(&loki, kind, 7, steps);
        Session { dir, loki, sim }
    }

    fn read(&self) -> Snapshot {
        read(&self.loki, &self.sim)
    }
}

fn simulate(loki: &Path, kind: SessionKind, seed: u64, steps: u64) -> Simulator {
    let mut sim = Simulator::of_kind(kind, loki, seed, start(), None).expect("a simulator");
    for _ in 0..steps {
        sim.step().expect("a step");
    }
    sim
}

/// A collection of the session. A skill session's is made at the session's
/// own clock (it is alive while its `updatedAt` is fresh); a run.sh session's
/// at the system clock (it is alive by its PID files, written just now).
fn read(loki: &Path, sim: &Simulator) -> Snapshot {
    let mut options = Options::new(loki);
    if sim.kind() == SessionKind::Skill {
        options.now = Some(sim.now());
    }
    options.max_iterations = Some(1000);
    collect(&options)
}

fn efficiency_names(loki: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(loki.join("metrics/efficiency"))
        .expect("the efficiency folder")
        .map(|e| e.expect("an entry").file_name().into_string().expect("a UTF-8 name"))
        .collect();
    names.sort();
    names
}

fn number(snap: &Snapshot, name: &str, labels: &[(&str, &str)]) -> f64 {
    snap.value(name, labels).unwrap_or_else(|| panic!("no sample {name}{labels:?}")).to_f64()
}

/// Every sample of `family`, as (labels, value).
fn samples(snap: &Snapshot, family: &Family) -> Vec<(Vec<(String, String)>, Value)> {
    snap.family(family)
        .map(|f| {
            f.samples
                .iter()
                .map(|s| (s.labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), s.value))
                .collect()
        })
        .unwrap_or_default()
}

fn dashboard_iteration(loki: &Path) -> u64 {
    let state: serde_json::Value =
        serde_json::from_slice(&fs::read(loki.join("dashboard-state.json")).expect("dashboard-state.json"))
            .expect("JSON");
    state["iteration"].as_u64().expect("an iteration")
}

#[test]
fn the_core_reads_back_a_run_session() {
    let session = Session::new(SessionKind::Run, 1_000);
    let (loki, sim, snap) = (&session.loki, &session.sim, session.read());
    assert!(snap.warnings.is_empty(), "{:?}", snap.warnings);
    assert_eq!(snap.session_status(), SessionStatus::Running);
    assert_eq!(snap.events_total(), sim.events_written());
    let c = sim.counts();
    assert_eq!(
        (snap.tasks().pending, snap.tasks().in_progress, snap.tasks().completed, snap.tasks().failed),
        (c.pending, c.in_progress, c.completed, c.failed)
    );
    assert_eq!(efficiency_names(loki).len(), 100);
    assert!(snap.cost_usd() > 0.0);
    assert!((snap.cost_usd() - sim.cost_usd()).abs() < 1e-6, "{} vs {}", snap.cost_usd(), sim.cost_usd());
    assert_eq!(
        number(&snap, "loki_state_updated_timestamp_seconds", &[]),
        sim.now().duration_since(SystemTime::UNIX_EPOCH).expect("after 1970").as_secs_f64()
    );
}

#[test]
fn the_live_iteration_comes_from_autonomy_state_not_the_frozen_dashboard() {
    let session = Session::new(SessionKind::Run, 400);
    let (loki, sim, snap) = (&session.loki, &session.sim, session.read());
    assert_eq!(sim.iteration(), 41);
    assert_eq!(snap.iteration_current(), sim.iteration());
    assert_eq!(dashboard_iteration(loki), sim.frozen_iteration());
    assert!(snap.iteration_current() > sim.frozen_iteration());
}

#[test]
fn tokens_and_model_costs_add_up_to_the_cost() {
    let session = Session::new(SessionKind::Run, 400);
    let (sim, snap) = (&session.sim, session.read());
    let tokens: Vec<u64> = families::TOKEN_KINDS
        .iter()
        .map(|kind| snap.value("loki_tokens_total", &[("kind", kind)]).expect("a token sample").to_u64())
        .collect();
    assert_eq!(tokens, sim.tokens());
    let [input, _, cache_read, _] = sim.tokens();
    assert!(cache_read >= 4 * input, "cache reads dominate: {:?}", sim.tokens());
    let by_model = samples(&snap, &families::MODEL_COST_USD);
    assert!(by_model.len() >= 3, "several models: {by_model:?}");
    let sum: f64 = by_model.iter().map(|(_, v)| v.to_f64()).sum();
    assert!((sum - snap.cost_usd()).abs() <= 1e-6 * by_model.len() as f64, "{sum} vs {}", snap.cost_usd());
}

#[test]
fn receipts_are_counted_by_the_verdict_written() {
    let session = Session::new(SessionKind::Run, 1_000);
    let (sim, snap) = (&session.sim, session.read());
    let written = sim.receipts();
    assert_eq!(written.total(), 25, "one receipt every 4 iterations");
    assert!(written.by_verdict.iter().all(|n| *n > 0), "every verdict written: {written:?}");
    assert_eq!(number(&snap, "loki_receipts_total", &[]), written.total() as f64);
    for (verdict, n) in families::RECEIPT_VERDICTS.iter().zip(written.by_verdict) {
        assert_eq!(number(&snap, "loki_receipts_by_verdict", &[("verdict", verdict)]), n as f64, "{verdict}");
    }
    assert_eq!(number(&snap, "loki_receipts_with_provenance", &[("kind", "attestation")]), written.attestation as f64);
    assert_eq!(number(&snap, "loki_receipts_with_provenance", &[("kind", "gpg")]), written.gpg as f64);
    assert!(written.attestation > 0 && written.gpg > 0, "{written:?}");
}

#[test]
fn budget_checklist_and_session_info_are_present() {
    let session = Session::new(SessionKind::Run, 400);
    let snap = session.read();
    assert_eq!(number(&snap, "loki_budget_limit_usd", &[]), DEFAULT_BUDGET_LIMIT_USD);
    assert_eq!(number(&snap, "loki_budget_exceeded", &[]), 0.0);
    let checklist: Vec<f64> = families::CHECKLIST_STATUSES
        .iter()
        .map(|status| number(&snap, "loki_checklist_items", &[("status", status)]))
        .collect();
    assert_eq!(checklist.iter().sum::<f64>(), 20.0, "{checklist:?}");
    assert!(checklist[0] > 0.0, "items get verified: {checklist:?}");
    let info = samples(&snap, &families::SESSION_INFO);
    let labels: BTreeMap<String, String> = info[0].0.iter().cloned().collect();
    assert_eq!(labels.get("version").map(String::as_str), Some(LOKI_VERSION));
    assert_eq!(labels.get("provider").map(String::as_str), Some(PROVIDER));
    assert_eq!(labels.get("project").map(String::as_str), session.dir.path().file_name().and_then(|n| n.to_str()));
    assert!(labels.contains_key("phase"), "{labels:?}");
}

#[test]
fn a_finished_run_reads_stopped_without_its_pid_files() {
    let Session { dir: _dir, loki, mut sim } = Session::new(SessionKind::Run, 100);
    let pid = std::process::id();
    assert!(loki.join(format!("pids/{pid}.json")).exists());
    sim.finish().expect("the final state");
    assert!(!loki.join("loki.pid").exists());
    assert!(!loki.join(format!("pids/{pid}.json")).exists());
    let snap = read(&loki, &sim);
    assert!(snap.warnings.is_empty(), "{:?}", snap.warnings);
    assert_eq!(snap.session_status(), SessionStatus::Stopped);
    assert_eq!(snap.uptime_seconds(), 0.0);
}

#[test]
fn a_run_over_budget_pauses_as_run_sh_does() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let loki = dir.path().join(".loki");
    let mut sim = Simulator::new(&loki, 7, start(), None).expect("a simulator");
    sim.set_budget_limit(1.0).expect("budget.json");
    while !sim.budget_exceeded() {
        sim.step().expect("a step");
        assert!(sim.updates() < 10_000, "the budget never ran out");
    }
    let iteration = sim.iteration();
    for _ in 0..50 {
        sim.step().expect("a step");
    }
    assert_eq!(sim.iteration(), iteration, "the loop waits while paused");
    assert!(loki.join("PAUSE").exists() && loki.join("signals/BUDGET_EXCEEDED").exists());
    let budget: serde_json::Value =
        serde_json::from_slice(&fs::read(loki.join("metrics/budget.json")).expect("budget.json")).expect("JSON");
    assert_eq!(budget["exceeded"], true);
    assert!(budget["exceeded_at"].is_string() && budget["budget_used"].as_f64() >= Some(1.0), "{budget}");
    let snap = read(&loki, &sim);
    assert!(snap.warnings.is_empty(), "{:?}", snap.warnings);
    assert_eq!(snap.session_status(), SessionStatus::Paused);
    assert_eq!(number(&snap, "loki_budget_exceeded", &[]), 1.0);
    assert_eq!(number(&snap, "loki_budget_limit_usd", &[]), 1.0);
}

#[test]
fn the_core_reads_back_a_skill_session() {
    let Session { dir: _dir, loki, mut sim } = Session::new(SessionKind::Skill, 1_000);
    for absent in ["dashboard-state.json", "loki.pid", "events.jsonl", "metrics/efficiency", "autonomy-state.json"] {
        assert!(!loki.join(absent).exists(), "{absent}");
    }
    let snap = read(&loki, &sim);
    assert!(snap.warnings.is_empty(), "{:?}", snap.warnings);
    assert_eq!(snap.session_status(), SessionStatus::Running);
    let c = sim.counts();
    assert_eq!(
        (snap.tasks().pending, snap.tasks().in_progress, snap.tasks().completed, snap.tasks().failed),
        (c.pending, c.in_progress, c.completed, c.failed)
    );
    assert!(c.completed > 0 && c.in_progress + c.pending > 0, "{c:?}");
    let info = samples(&snap, &families::SESSION_INFO);
    let labels: BTreeMap<String, String> = info[0].0.iter().cloned().collect();
    assert_eq!(labels.get("provider").map(String::as_str), Some(PROVIDER));
    assert!(labels.contains_key("phase"), "{labels:?}");
    assert_eq!(
        number(&snap, "loki_state_updated_timestamp_seconds", &[]),
        sim.now().duration_since(SystemTime::UNIX_EPOCH).expect("after 1970").as_secs_f64()
    );
    sim.finish().expect("the final state");
    let snap = read(&loki, &sim);
    assert!(snap.warnings.is_empty(), "{:?}", snap.warnings);
    assert_eq!(snap.session_status(), SessionStatus::Stopped);
}

#[test]
fn keep_at_most_bounds_records_receipts_and_finished_tasks() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let loki = dir.path().join(".loki");
    let mut sim = Simulator::new(&loki, 7, start(), None).expect("a simulator");
    sim.keep_at_most(10);
    let mut sizes = Vec::new();
    for step in 1..=2_500 {
        sim.step().expect("a step");
        let c = sim.counts();
        assert!(c.completed <= 10 && c.failed <= 10, "step {step}: {c:?}");
        if step % 500 == 0 {
            sizes.push(fs::metadata(loki.join("dashboard-state.json")).expect("dashboard-state.json").len());
        }
    }
    // The newest 10 records (iterations 241..=250), nothing older.
    let expected: Vec<String> = {
        let mut v: Vec<String> = (241..=250).map(|i| format!("iteration-{i}.json")).collect();
        v.sort();
        v
    };
    assert_eq!(efficiency_names(&loki), expected);
    // The newest 10 receipts (runs 53..=62).
    let mut receipts: Vec<String> = fs::read_dir(loki.join("proofs"))
        .expect("proofs")
        .map(|e| e.expect("an entry").file_name().into_string().expect("a UTF-8 name"))
        .collect();
    receipts.sort();
    let mut expected: Vec<String> = (53..=62).map(|n| format!("run-{n}")).collect();
    expected.sort();
    assert_eq!(receipts, expected);
    assert_eq!(sim.counts().completed, 10, "the session finished more than 10 tasks");
    // The state stopped growing: the last four samples are within a small band.
    let (lo, hi) = (sizes[1..].iter().min().expect("samples"), sizes[1..].iter().max().expect("samples"));
    assert!(hi - lo < 2_000, "dashboard-state.json sizes {sizes:?}");
    let snap = read(&loki, &sim);
    assert!(snap.warnings.is_empty(), "{:?}", snap.warnings);
    assert_eq!(snap.events_total(), sim.events_written());
    assert_eq!(snap.tasks().completed, 10);
    assert_eq!(number(&snap, "loki_receipts_total", &[]), 10.0);
}

/// Every file under `root` with its bytes, by relative path.
fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(&folder).expect("a folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let bytes = fs::read(&path).expect("a file");
                out.insert(path.strip_prefix(root).expect("under root").to_path_buf(), bytes);
            }
        }
    }
    out
}

#[test]
fn a_seed_writes_the_same_session() {
    for kind in [SessionKind::Run, SessionKind::Skill] {
        let dir = tempfile::tempdir().expect("a temp dir");
        let loki = dir.path().join(".loki");
        // The same directory each time: the project's path is part of the state.
        let write = |seed: u64| {
            if loki.exists() {
                fs::remove_dir_all(&loki).expect("a clean directory");
            }
            let mut sim = simulate(&loki, kind, seed, 300);
            sim.finish().expect("the final state");
            tree(&loki)
        };
        let first = write(7);
        assert!(first.len() > 5, "{kind:?}: {:?}", first.keys());
        assert_eq!(first, write(7), "{kind:?}");
        assert_ne!(first, write(8), "{kind:?}");
    }
}

#[test]
fn a_long_lived_exporter_follows_every_update() {
    // One SourceState across collections, as `serve` keeps it: the incremental
    // readers (records, receipts, the registry) see additions and removals.
    for (kind, keep) in [(SessionKind::Run, None), (SessionKind::Run, Some(5)), (SessionKind::Skill, None)] {
        let dir = tempfile::tempdir().expect("a temp dir");
        let loki = dir.path().join(".loki");
        let mut sim = Simulator::of_kind(kind, &loki, 7, start(), None).expect("a simulator");
        if let Some(n) = keep {
            sim.keep_at_most(n);
        }
        let mut state = loki_metrics::SourceState::default();
        let mut collect = |sim: &Simulator| {
            let mut options = Options::new(&loki);
            options.max_iterations = Some(1000);
            if kind == SessionKind::Skill {
                options.now = Some(sim.now());
            }
            state.collect(&options)
        };
        for step in 1..=500 {
            sim.step().expect("a step");
            let snap = collect(&sim);
            assert!(snap.warnings.is_empty(), "{kind:?} step {step}: {:?}", snap.warnings);
            assert_eq!(snap.session_status(), SessionStatus::Running, "{kind:?} step {step}");
            let c = sim.counts();
            let t = snap.tasks();
            assert_eq!(
                (t.pending, t.in_progress, t.completed, t.failed),
                (c.pending, c.in_progress, c.completed, c.failed)
            );
            if kind == SessionKind::Run {
                assert_eq!(snap.iteration_current(), sim.iteration(), "step {step}");
                assert_eq!(snap.events_total(), sim.events_written(), "step {step}");
                assert_eq!(number(&snap, "loki_receipts_total", &[]), sim.receipts().total() as f64, "step {step}");
            }
        }
        sim.finish().expect("the final state");
        let snap = collect(&sim);
        assert!(snap.warnings.is_empty(), "{kind:?}: {:?}", snap.warnings);
        assert_eq!(snap.session_status(), SessionStatus::Stopped, "{kind:?}");
    }
}

fn autonomy_status(loki: &Path) -> String {
    let state: serde_json::Value =
        serde_json::from_slice(&fs::read(loki.join("autonomy-state.json")).expect("autonomy-state.json"))
            .expect("JSON");
    state["status"].as_str().expect("a status").to_owned()
}

#[test]
fn a_run_ends_at_its_maximum_iteration_as_run_sh_does() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let loki = dir.path().join(".loki");
    let mut sim = Simulator::new(&loki, 7, start(), None).expect("a simulator");
    sim.set_max_iterations(30);
    while !sim.ended() {
        sim.step().expect("a step");
        assert!(sim.iteration() <= 30, "past the maximum at update {}", sim.updates());
        assert!(sim.updates() <= 300, "the run never ended");
    }
    assert_eq!((sim.iteration(), sim.updates()), (30, 300), "the 30th iteration ends at the 300th update");
    assert_eq!(autonomy_status(&loki), "max_iterations_reached");
    assert!(!loki.join("loki.pid").exists() && !loki.join(format!("pids/{}.json", std::process::id())).exists());
    let written = tree(&loki);
    sim.step().expect("an update after the end");
    sim.finish().expect("finish after the end");
    assert_eq!(sim.updates(), 300, "an ended run takes no more updates");
    assert_eq!(tree(&loki), written, "an ended run writes nothing more");
    let snap = read(&loki, &sim);
    assert!(snap.warnings.is_empty(), "{:?}", snap.warnings);
    assert_eq!(snap.session_status(), SessionStatus::Stopped);
    assert_eq!(snap.iteration_current(), 30);
    assert_eq!(snap.uptime_seconds(), 0.0);
    assert_eq!(efficiency_names(&loki).len(), 30, "one record per iteration, the last one's too");
}

#[test]
fn the_default_run_approaches_its_budget_over_demos_first_half_hour() {
    // demo: seed 42, 5 updates/s, the default budget and maximum. --keep
    // bounds the files only (the cost counts every record written), so the
    // 10 000 updates stay quick.
    const DEMO_RATE: f64 = 5.0;
    let dir = tempfile::tempdir().expect("a temp dir");
    let loki = dir.path().join(".loki");
    let mut sim = Simulator::new(&loki, 42, start(), None).expect("a simulator");
    sim.keep_at_most(10);
    // Minutes into the demo at which the cost passes each alert's share of the budget.
    let mut crossed: [Option<f64>; 2] = [None; 2];
    while !sim.ended() {
        sim.step().expect("a step");
        for (share, at) in [0.8, 0.9].into_iter().zip(&mut crossed) {
            if at.is_none() && sim.cost_usd() > share * DEFAULT_BUDGET_LIMIT_USD {
                *at = Some(sim.updates() as f64 / DEMO_RATE / 60.0);
            }
        }
        assert!(!sim.budget_exceeded(), "the budget ran out at iteration {}", sim.iteration());
    }
    assert_eq!(sim.iteration(), DEFAULT_MAX_ITERATIONS);
    let ended_at = sim.updates() as f64 / DEMO_RATE / 60.0;
    let share = sim.cost_usd() / DEFAULT_BUDGET_LIMIT_USD;
    eprintln!(
        "80 % at {:?} min, 90 % at {:?} min, ended at {ended_at:.2} min, ${:.2} ({share:.3})",
        crossed[0],
        crossed[1],
        sim.cost_usd()
    );
    let warned_at = crossed[0].expect("the cost reaches LokiBudgetWarning's 80 %");
    assert!((25.0..=31.0).contains(&warned_at), "the 80 % warning at {warned_at:.1} min");
    assert!((0.85..1.0).contains(&share), "the run ends at {share:.3} of its budget");
    assert!(ended_at <= 35.0, "the run ends at {ended_at:.1} min");
    let snap = read(&loki, &sim);
    assert_eq!(snap.session_status(), SessionStatus::Stopped);
    assert_eq!(number(&snap, "loki_budget_exceeded", &[]), 0.0);
}
