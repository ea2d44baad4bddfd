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
    let child = bin()
        .args(["demo", "--port", &port.to_string(), "--rate", "20", "--log-level", "warn"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run loki-metrics demo");
    let _demo = Running(child);
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
