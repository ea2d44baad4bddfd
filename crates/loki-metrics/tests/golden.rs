//! Every golden fixture in `tests/fixtures/` renders byte-identically.

use std::path::{Path, PathBuf};

use loki_metrics::{Format, Options};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// `(case name, options)` for every fixture, with its fixed `now`.
fn cases() -> Vec<(String, PathBuf, Options)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(fixtures_dir()).expect("tests/fixtures exists") {
        let dir = entry.expect("readable fixtures dir").path();
        if !dir.is_dir() {
            continue;
        }
        let now = std::fs::read_to_string(dir.join("now")).expect("every fixture has a `now` file");
        let mut options = Options::new(dir.join(".loki")).with_now_rfc3339(&now).expect("valid now");
        options.max_iterations = None;
        let name = dir.file_name().expect("named").to_string_lossy().into_owned();
        out.push((name, dir, options));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 30, "expected the full fixture set, found {}", out.len());
    out
}

/// `expected` against `actual` as a unified-style line diff: `-` expected,
/// `+` actual, two lines of context around each change.
fn line_diff(expected: &str, actual: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    // Longest common subsequence table, from the ends (the fixtures are short).
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let mut ops = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', a[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', a[i]));
            i += 1;
        } else {
            ops.push(('+', b[j]));
            j += 1;
        }
    }
    let near_change = |k: usize| ops[k.saturating_sub(2)..(k + 3).min(ops.len())].iter().any(|(op, _)| *op != ' ');
    let mut out = String::new();
    let mut skipped = false;
    for (k, (op, line)) in ops.iter().enumerate() {
        if near_change(k) {
            if skipped {
                out.push_str("   ...\n");
                skipped = false;
            }
            out.push_str(&format!(" {op} {line}\n"));
        } else {
            skipped = true;
        }
    }
    if skipped {
        out.push_str("   ...\n");
    }
    if expected.ends_with('\n') != actual.ends_with('\n') {
        out.push_str(" (the files differ in their final newline)\n");
    }
    out
}

#[test]
fn line_diff_shows_changed_lines_with_context() {
    let diff = line_diff("a\nb\nc\nd\ne\nf\ng\n", "a\nb\nc\nD\ne\nf\ng\n");
    assert_eq!(diff, "   ...\n   b\n   c\n - d\n + D\n   e\n   f\n   ...\n");
}

/// Every fixture's expected outputs are what the library renders now.
///
/// `LOKI_METRICS_BLESS=1 cargo test -p loki-metrics --test golden` rewrites
/// them instead; review the diff (`git diff tests/fixtures`) before committing.
#[test]
fn every_fixture_renders_its_expected_files_byte_for_byte() {
    // LOKI_MAX_ITERATIONS would change loki_iteration_max in every fixture.
    assert!(std::env::var_os("LOKI_MAX_ITERATIONS").is_none(), "unset LOKI_MAX_ITERATIONS to run the golden tests");
    let bless = std::env::var_os("LOKI_METRICS_BLESS").is_some();
    let mut failures = Vec::new();
    for (name, dir, options) in cases() {
        let snapshot = loki_metrics::collect(&options);
        for (format, file) in [
            (Format::Prometheus, "expected.prom"),
            (Format::OpenMetrics, "expected.om"),
            (Format::Json, "expected.json"),
        ] {
            let actual = loki_metrics::render(&snapshot, format);
            if bless {
                std::fs::write(dir.join(file), &actual).unwrap_or_else(|e| panic!("{name}/{file}: {e}"));
                continue;
            }
            let expected = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{name}/{file}: {e}"));
            if actual != expected {
                failures
                    .push(format!("{name}/{file} is stale (- expected, + actual):\n{}", line_diff(&expected, &actual)));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{}\nIf the change is intended: LOKI_METRICS_BLESS=1 cargo test -p loki-metrics --test golden, then review git diff tests/fixtures",
        failures.join("\n")
    );
}

#[test]
fn every_fixture_json_round_trips_through_serde() {
    for (name, dir, _) in cases() {
        let text = std::fs::read_to_string(dir.join("expected.json")).expect("expected.json");
        let snapshot: loki_metrics::Snapshot = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(snapshot.to_json(), text, "{name}");
    }
}

#[test]
fn a_second_collection_with_the_same_state_gives_the_same_snapshot() {
    for (name, _, options) in cases() {
        let mut state = loki_metrics::SourceState::default();
        let first = state.collect(&options);
        let second = state.collect(&options);
        assert_eq!(first, second, "{name}: incremental re-collection changed the result");
    }
}

/// Every fixture's status and the reason the status rules give for it, one
/// line per fixture, in `tests/status/reasons.txt` (blessed like the
/// expected files; outside `tests/fixtures/`, whose every entry is a fixture).
#[test]
fn every_fixture_gives_its_expected_status_reason() {
    let mut actual = String::from("# fixture: status — reason (the status page and `watch` show the reason)\n");
    for (name, _, options) in cases() {
        let snapshot = loki_metrics::collect(&options);
        actual.push_str(&format!("{name}: {} — {}\n", snapshot.session_status().as_str(), snapshot.status_reason()));
    }
    let path = fixtures_dir().join("../status/reasons.txt");
    if std::env::var_os("LOKI_METRICS_BLESS").is_some() {
        std::fs::write(&path, &actual).expect("write tests/status/reasons.txt");
        return;
    }
    let expected = std::fs::read_to_string(&path).expect("tests/status/reasons.txt");
    assert!(
        actual == expected,
        "tests/status/reasons.txt is stale (- expected, + actual):\n{}",
        line_diff(&expected, &actual)
    );
}
