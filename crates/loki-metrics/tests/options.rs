//! The option rules of `tests/options/cases.txt`, through the core's one
//! resolver (`OptionInputs::resolve_with_env`); the CLI, Python, Node and C
//! suites run the same cases through their front ends.

#[path = "../../../tests/options/cases.rs"]
mod cases;

use cases::Outcome;
use loki_metrics::{check_option_names, Error, OptionInputs, Snapshot, OPTION_NAMES};

fn inputs(given: &[(String, String)], now: &str) -> Result<OptionInputs, Error> {
    let known: Vec<&str> = OPTION_NAMES.iter().map(|o| o.snake).collect();
    check_option_names(given.iter().map(|(k, _)| k.as_str()), &known)?;
    let mut inputs = OptionInputs { now: Some(loki_metrics::parse_rfc3339(now)?), ..OptionInputs::default() };
    for (k, v) in given {
        match k.as_str() {
            "loki_dir" => inputs.loki_dir = Some(v.into()),
            "max_iterations" => inputs.max_iterations = Some(v.parse().expect("a number")),
            "json_size_cap" => inputs.json_size_cap = Some(v.parse().expect("a number")),
            "exporter_metrics" => inputs.exporter_metrics = Some(v == "true"),
            "stale_after" => inputs.stale_after = Some(loki_metrics::parse_seconds(v).expect("seconds")),
            other => unreachable!("checked above: {other}"),
        }
    }
    Ok(inputs)
}

pub fn check_snapshot(name: &str, snapshot: &Snapshot, checks: &[(String, String)]) {
    for (k, v) in checks {
        match k.as_str() {
            "iteration_current" => assert_eq!(snapshot.iteration_current().to_string(), *v, "{name}"),
            "iteration_max" => assert_eq!(snapshot.iteration_max().to_string(), *v, "{name}"),
            "exporter" => assert_eq!(snapshot.exporter().is_some(), v == "yes", "{name}"),
            "session_status" => assert_eq!(snapshot.session_status().as_str(), v, "{name}"),
            "failed" => assert!(snapshot.failed_sources().iter().any(|s| s.path() == v), "{name}"),
            other => panic!("{name}: unknown check {other}"),
        }
    }
}

#[test]
fn every_case_resolves_as_the_table_says() {
    let root = cases::root(env!("CARGO_MANIFEST_DIR"));
    let now = cases::now(&root);
    for case in cases::cases(&root) {
        let env = |name: &str| case.env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let resolved = inputs(&case.given, &now).and_then(|i| i.resolve_with_env(env));
        match (&case.outcome, resolved) {
            (Outcome::Ok(checks), Ok(mut options)) => {
                // LOKI_MAX_ITERATIONS is read at collection: resolve it here from the case's env.
                if options.max_iterations.is_none() {
                    options.max_iterations = env("LOKI_MAX_ITERATIONS").map(|v| v.parse().expect("a number"));
                }
                check_snapshot(&case.name, &loki_metrics::collect(&options), checks);
            }
            (Outcome::Error(option), Err(Error::InvalidOption { name, .. })) => {
                assert_eq!(name, option, "{}", case.name)
            }
            (Outcome::Unknown(option), Err(e @ Error::UnknownOption { .. })) => {
                assert!(e.to_string().contains(option.as_str()), "{}: {e}", case.name)
            }
            (expected, got) => panic!("{}: expected {expected:?}, got {got:?}", case.name),
        }
    }
}

#[test]
fn an_unknown_option_suggests_the_closest_name() {
    let known = ["loki_dir", "max_iterations"];
    let e = check_option_names(["loki_dri"], &known).expect_err("unknown");
    assert_eq!(e.to_string(), "unknown option \"loki_dri\": did you mean \"loki_dir\"?");
    let e = check_option_names(["colour"], &known).expect_err("unknown");
    assert_eq!(e.to_string(), "unknown option \"colour\"");
    assert!(check_option_names(["max_iterations"], &known).is_ok());
}
