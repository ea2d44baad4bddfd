//! Hostile `.loki` trees that need a second process or user: valid output,
//! a warning, no hang, and the right values once the files are sane again.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

fn render_as_unprivileged(dir: &Path) -> Output {
    let bin = env!("CARGO_BIN_EXE_loki-metrics");
    let args = ["render", "--format", "json", "--loki-dir", dir.to_str().expect("utf-8 path")];
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let mut command = if root {
        // Root reads everything: drop to `nobody` for this run.
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", bin]).args(args);
        c
    } else {
        let mut c = Command::new(bin);
        c.args(args);
        c
    };
    command.env_remove("LOKI_MAX_ITERATIONS").output().expect("run loki-metrics")
}

#[test]
fn a_source_unreadable_for_permissions_is_a_warning_and_recovers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).expect("chmod tmp");
    let dir = tmp.path().join(".loki");
    fs::create_dir_all(dir.join("metrics/efficiency")).expect("mkdir");
    fs::write(dir.join("dashboard-state.json"), r#"{"mode":"running","iteration":5}"#).expect("write");
    fs::write(dir.join("events.jsonl"), "{}\n{}\n").expect("write");
    fs::write(dir.join("metrics/efficiency/1.json"), r#"{"cost_usd": 1.5}"#).expect("write");
    for p in ["", "metrics", "metrics/efficiency"] {
        fs::set_permissions(dir.join(p), fs::Permissions::from_mode(0o755)).expect("chmod dir");
    }
    for f in ["dashboard-state.json", "events.jsonl", "metrics/efficiency/1.json"] {
        fs::set_permissions(dir.join(f), fs::Permissions::from_mode(0o000)).expect("chmod 000");
    }
    let out = render_as_unprivileged(&dir);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    let warnings = json["warnings"].to_string();
    assert_eq!(warnings.matches("permission denied").count(), 3, "{warnings}");
    assert_eq!(json["iteration_current"], 0);
    assert_eq!(json["events_total"], 0);

    for f in ["dashboard-state.json", "events.jsonl", "metrics/efficiency/1.json"] {
        fs::set_permissions(dir.join(f), fs::Permissions::from_mode(0o644)).expect("chmod 644");
    }
    let out = render_as_unprivileged(&dir);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    assert_eq!(json["warnings"], serde_json::json!([]));
    assert_eq!(
        (json["iteration_current"].as_u64(), json["events_total"].as_u64(), json["cost_usd"].as_f64()),
        (Some(5), Some(2), Some(1.5))
    );
}

#[test]
fn one_hundred_thousand_efficiency_files_are_summed_with_bounded_warnings() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join(".loki");
    let eff = dir.join("metrics/efficiency");
    fs::create_dir_all(&eff).expect("mkdir");
    for i in 0..100_000u32 {
        let body = if i % 1000 == 999 { "not json".to_owned() } else { r#"{"cost_usd": 0.01}"#.to_owned() };
        fs::write(eff.join(format!("iteration-{i}.json")), body).expect("write");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_loki-metrics"))
        .args(["render", "--format", "json", "--loki-dir"])
        .arg(&dir)
        .output()
        .expect("run");
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    // 99,900 valid records of 0.01.
    assert_eq!(json["cost_usd"].as_f64(), Some(999.0));
    let warnings = json["warnings"].as_array().expect("warnings");
    let efficiency: Vec<_> = warnings.iter().filter(|w| w["source"] == "metrics/efficiency").collect();
    assert_eq!(efficiency.len(), 21, "20 listed + a summary");
    assert!(efficiency[20]["message"].as_str().unwrap_or("").starts_with("80 more"));
}
