//! `loki-metrics simulate` as a user runs it: both kinds of session end as
//! Loki Mode ends them, and `render` reads them back without a warning.

use std::path::Path;
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_loki-metrics"));
    c.env_remove("LOKI_DIR").env_remove("LOKI_MAX_ITERATIONS").env_remove("LOKI_BUDGET_LIMIT");
    c
}

fn simulate(loki: &Path, args: &[&str]) -> Output {
    bin()
        .args(["simulate", "--rate", "50", "--duration", "1", "--loki-dir"])
        .arg(loki)
        .args(args)
        .output()
        .expect("run loki-metrics simulate")
}

fn render(loki: &Path) -> (String, String) {
    let o = bin().args(["render", "--loki-dir"]).arg(loki).output().expect("run loki-metrics render");
    assert!(o.status.success());
    (String::from_utf8(o.stdout).expect("UTF-8"), String::from_utf8(o.stderr).expect("UTF-8"))
}

/// Simulates a session with `args` until `--duration` ends it, then renders
/// it: no warnings, and stopped.
fn finished(args: &[&str]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let loki = dir.path().join(".loki");
    assert!(simulate(&loki, args).status.success());
    let (metrics, warnings) = render(&loki);
    assert!(warnings.is_empty(), "{warnings}");
    assert!(metrics.contains("\nloki_session_status 0\n"), "{metrics}");
    (dir, metrics)
}

#[test]
fn a_finished_run_session_reads_stopped_without_its_pid_file() {
    let (dir, metrics) = finished(&[]);
    assert!(!dir.path().join(".loki/loki.pid").exists());
    assert!(metrics.contains("\nloki_budget_exceeded 0\n"), "{metrics}");
}

#[test]
fn a_finished_skill_session_reads_stopped_from_session_json() {
    let (dir, metrics) = finished(&["--kind", "skill"]);
    assert!(dir.path().join(".loki/session.json").exists() && !dir.path().join(".loki/dashboard-state.json").exists());
    let info = metrics.lines().find(|l| l.starts_with("loki_session_info{")).expect("a session info sample");
    assert!(info.contains("provider=\"claude\"") && info.contains("version=\""), "{info}");
}

#[test]
fn a_budget_limit_must_be_positive() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let o = simulate(&dir.path().join(".loki"), &["--budget-limit", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--budget-limit"));
}

#[test]
fn a_run_ends_at_its_maximum_iteration_before_the_duration() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let loki = dir.path().join(".loki");
    let began = std::time::Instant::now();
    let o = bin()
        .args(["simulate", "--rate", "2000", "--duration", "60", "--max-iterations", "25", "--loki-dir"])
        .arg(&loki)
        .output()
        .expect("run loki-metrics simulate");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(began.elapsed().as_secs() < 30, "the run did not end at its maximum: {:?}", began.elapsed());
    let (metrics, warnings) = render(&loki);
    assert!(warnings.is_empty(), "{warnings}");
    assert!(metrics.contains("\nloki_session_status 0\n"), "{metrics}");
    assert!(metrics.contains("\nloki_iteration_current 25\n"), "{metrics}");
    assert!(metrics.contains("\nloki_budget_exceeded 0\n"), "{metrics}");
    let state = std::fs::read_to_string(loki.join("autonomy-state.json")).expect("autonomy-state.json");
    assert!(state.contains("\"status\":\"max_iterations_reached\""), "{state}");
    assert!(!loki.join("loki.pid").exists());
}

#[test]
fn the_maximum_iteration_comes_from_loki_max_iterations() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let loki = dir.path().join(".loki");
    let o = bin()
        .env("LOKI_MAX_ITERATIONS", "3")
        .args(["simulate", "--rate", "2000", "--duration", "60", "--loki-dir"])
        .arg(&loki)
        .output()
        .expect("run loki-metrics simulate");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (metrics, _) = render(&loki);
    assert!(metrics.contains("\nloki_iteration_current 3\n"), "{metrics}");
}
