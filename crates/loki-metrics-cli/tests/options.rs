//! The option rules of `tests/options/cases.txt`, through the CLI's flags
//! (`loki-metrics render --format json`).

#[path = "../../../tests/options/cases.rs"]
mod cases;

use std::process::Command;

use cases::Outcome;

#[test]
fn every_case_behaves_as_the_table_says_through_the_cli() {
    let root = cases::root(env!("CARGO_MANIFEST_DIR"));
    let now = cases::now(&root);
    for case in cases::cases(&root) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_loki-metrics"));
        cmd.args(["render", "--quiet", "--format", "json", "--now", &now]);
        for var in ["LOKI_DIR", "LOKI_MAX_ITERATIONS", "LOKI_METRICS_EXPORTER_METRICS", "LOKI_METRICS_STALE_AFTER"] {
            cmd.env_remove(var);
        }
        cmd.envs(case.env.iter().map(|(k, v)| (k, v)));
        for (k, v) in &case.given {
            let flag = format!("--{}", k.replace('_', "-"));
            match k.as_str() {
                "exporter_metrics" if v == "true" => {
                    cmd.arg(flag);
                }
                _ => {
                    cmd.args([flag.as_str(), v]);
                }
            }
        }
        let out = cmd.output().expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        match &case.outcome {
            Outcome::Ok(checks) => {
                assert!(out.status.success(), "{}: {stderr}", case.name);
                let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
                for (k, v) in checks {
                    let ok = match k.as_str() {
                        "iteration_current" | "iteration_max" => {
                            json[k].as_u64().map(|n| n.to_string()).as_deref() == Some(v.as_str())
                        }
                        "exporter" => json.get("exporter").is_some() == (v == "yes"),
                        "session_status" => json["session_status"] == v.as_str(),
                        "failed" => {
                            json["failed_sources"].as_array().is_some_and(|a| a.iter().any(|s| s == v.as_str()))
                        }
                        other => panic!("unknown check {other}"),
                    };
                    assert!(ok, "{}: {k}={v} in {json}", case.name);
                }
            }
            Outcome::Error(option) | Outcome::Unknown(option) => {
                assert_eq!(out.status.code(), Some(2), "{}: {stderr}", case.name);
                let flag = format!("--{}", option.replace('_', "-"));
                assert!(stderr.contains(&flag), "{}: {stderr:?} does not name {flag}", case.name);
            }
        }
    }
}
