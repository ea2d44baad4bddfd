//! `loki-metrics demo` as a user runs it: the simulated session it serves
//! gives every default family a sample, so the demo shows them all.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::process::Stdio;
use std::time::{Duration, Instant};

use loki_metrics::families::{self, Group};
use loki_metrics::parse::{parse, ParseFormat};

mod process;

use process::{bin, Running};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("its address").port()
}

/// `loki-metrics demo` on `port` with `args`, quiet; stopped as Ctrl-C
/// would stop it (it then removes its directory) when dropped.
fn start_demo(port: u16, args: &[&str]) -> Running {
    let child = bin()
        .args(["demo", "--port", &port.to_string(), "--log-level", "warn"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run loki-metrics demo");
    Running(child)
}

/// The sample names of one scrape through `loki-metrics fetch`, if it answered.
fn scrape(port: u16) -> Option<(String, BTreeSet<String>)> {
    let out = bin().args(["fetch", "--port", &port.to_string()]).output().expect("run loki-metrics fetch");
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).expect("UTF-8 metrics");
    let names = parse(&text, ParseFormat::Prometheus)
        .expect("valid exposition text")
        .iter()
        .flat_map(|f| f.samples.iter().map(|s| s.name.to_string()))
        .collect();
    Some((text, names))
}

#[test]
fn demo_serves_a_sample_of_every_default_family() {
    let port = free_port();
    let _demo = start_demo(port, &["--rate", "20"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut missing: Vec<&str> = Vec::new();
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Some((text, names)) = scrape(port) {
            missing = families::group(Group::Default).map(|f| f.name).filter(|n| !names.contains(*n)).collect();
            last = text;
            if missing.is_empty() {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(!last.is_empty(), "the demo never answered on port {port}");
    assert!(missing.is_empty(), "families without a sample: {missing:?}\n{last}");
    assert!(last.contains("\nloki_session_status 1\n"), "the demo session runs:\n{last}");
    assert!(last.contains("\nloki_budget_exceeded 0\n"), "the demo stays under budget:\n{last}");
}

#[test]
fn the_demo_run_ends_stopped_at_the_maximum_it_reports() {
    let port = free_port();
    let _demo = start_demo(port, &["--rate", "200", "--max-iterations", "20"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Some((text, _)) = scrape(port) {
            last = text;
            // Stopped at the end, not before the simulator's first write (an
            // empty directory reads stopped too).
            if last.contains("\nloki_session_status 0\n") && last.contains("\nloki_iteration_current 20\n") {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(last.contains("\nloki_session_status 0\n"), "the run never ended:\n{last}");
    assert!(last.contains("\nloki_iteration_current 20\n"), "{last}");
    assert!(last.contains("\nloki_iteration_max 20\n"), "{last}");
}
