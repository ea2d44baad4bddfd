//! `loki-metrics render` as a user runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_loki-metrics"));
    c.env_remove("LOKI_DIR").env_remove("LOKI_MAX_ITERATIONS").env_remove("LOKI_METRICS_EXPORTER_METRICS");
    c
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(name)
}

fn run(c: &mut Command) -> Output {
    c.output().expect("run loki-metrics")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

#[test]
fn render_prints_the_golden_output_of_a_fixture() {
    let case = fixture("running");
    let now = std::fs::read_to_string(case.join("now")).expect("now");
    for (format, file) in [("prometheus", "expected.prom"), ("openmetrics", "expected.om"), ("json", "expected.json")] {
        let o =
            run(bin().args(["render", "--format", format, "--now", now.trim(), "--loki-dir"]).arg(case.join(".loki")));
        assert!(o.status.success());
        assert_eq!(stdout(&o), std::fs::read_to_string(case.join(file)).expect("expected file"), "{format}");
    }
}

#[test]
fn loki_dir_falls_back_to_the_env_variable() {
    let case = fixture("paused");
    let o = run(bin().env("LOKI_DIR", case.join(".loki")).args(["render"]));
    assert!(stdout(&o).contains("loki_session_status 2\n"));
}

#[test]
fn bad_sources_print_warnings_on_stderr_and_still_exit_0_with_valid_output() {
    let o = run(bin().args(["render", "--loki-dir"]).arg(fixture("state-truncated").join(".loki")));
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("warning: dashboard-state.json: truncated JSON"), "{err}");
    assert!(stdout(&o).contains("loki_session_status 0\n"));
}

#[test]
fn quiet_suppresses_warnings() {
    let o = run(bin().args(["render", "-q", "--loki-dir"]).arg(fixture("state-truncated").join(".loki")));
    assert!(o.status.success());
    assert!(o.stderr.is_empty());
}

#[test]
fn max_iterations_option_sets_the_gauge() {
    let o = run(bin().args(["render", "--max-iterations", "50", "--loki-dir"]).arg(fixture("running").join(".loki")));
    assert!(stdout(&o).contains("loki_iteration_max 50\n"));
}

#[test]
fn an_invalid_max_iterations_env_value_is_a_warning_not_a_usage_error() {
    let o = run(bin()
        .env("LOKI_MAX_ITERATIONS", "many")
        .args(["render", "--loki-dir"])
        .arg(fixture("running").join(".loki")));
    assert!(o.status.success());
    assert!(stdout(&o).contains("loki_iteration_max 1000\n"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("LOKI_MAX_ITERATIONS"));
}

#[test]
fn usage_errors_exit_non_zero_with_a_clear_message() {
    for args in [
        &["render", "--format", "xml"][..],
        &["render", "--now", "yesterday"],
        &["render", "--max-iterations", "0"],
        &["frobnicate"],
    ] {
        let o = run(bin().args(args));
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty());
        assert!(String::from_utf8_lossy(&o.stderr).contains("error:"), "{args:?}");
    }
}

#[test]
fn help_and_version_work() {
    let o = run(bin().arg("--version"));
    assert!(o.status.success());
    assert_eq!(stdout(&o).trim(), format!("loki-metrics {}", env!("CARGO_PKG_VERSION")));
    let o = run(bin().args(["render", "--help"]));
    assert!(o.status.success());
    let help = stdout(&o);
    for flag in ["--loki-dir", "--format", "--now", "--max-iterations", "[env: LOKI_DIR="] {
        assert!(help.contains(flag), "{flag} missing from help");
    }
}

#[test]
fn a_missing_directory_warning_names_the_directory_as_given() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let o = run(bin().current_dir(tmp.path()).env("LOKI_DIR", "./typo/.loki").arg("render"));
    assert!(o.status.success());
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "warning: ./typo/.loki: the directory does not exist; all values are fallbacks\n"
    );
}
