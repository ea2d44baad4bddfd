//! `serve` and `demo` started as a user starts them, on loopback: what they
//! print is the address they bound, and a busy port is an error printed
//! before (instead of) any banner.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

mod process;

use process::{bin, Running};

/// Starts `args` and returns the first stderr line containing `marker`
/// (within 30 s) with the running process.
fn start_and_read(args: &[&str], marker: &'static str) -> (Running, String) {
    let mut child = bin().args(args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("start loki-metrics");
    let stderr = child.stderr.take().expect("piped stderr");
    let running = Running(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { return };
            if line.contains(marker) {
                let _ = tx.send(line);
            }
        }
    });
    let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| panic!("no {marker:?} line from {args:?}"));
    (running, line)
}

/// The port of the first `http://127.0.0.1:PORT/metrics` in `line`.
fn port_in(line: &str) -> u16 {
    let rest = line.split("http://127.0.0.1:").nth(1).unwrap_or_else(|| panic!("no loopback URL in {line:?}"));
    let port = rest.strip_suffix("/metrics").or_else(|| rest.split_once("/metrics").map(|(p, _)| p));
    port.and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("no port in {line:?}"))
}

fn fetch_succeeds(port: u16) -> bool {
    let out = bin().args(["fetch", "--port", &port.to_string()]).output().expect("run loki-metrics fetch");
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains("loki_session_status")
}

#[test]
fn demo_on_port_0_prints_the_port_it_bound_and_serves_there() {
    let (_demo, line) = start_and_read(&["demo", "--port", "0", "--log-level", "warn"], "curl ");
    let port = port_in(&line);
    assert_ne!(port, 0, "{line}");
    assert!(fetch_succeeds(port), "nothing answers at the printed address: {line}");
}

#[test]
fn serve_on_port_0_logs_the_port_it_bound_and_serves_there() {
    let dir = tempfile::tempdir().expect("tempdir");
    let loki = dir.path().to_str().expect("UTF-8 path");
    let (_serve, line) = start_and_read(&["serve", "--port", "0", "--loki-dir", loki], "listening on ");
    let port = port_in(&line);
    assert_ne!(port, 0, "{line}");
    assert!(fetch_succeeds(port), "nothing answers at the logged address: {line}");
}

#[test]
fn on_a_busy_port_demo_prints_only_the_error_and_exits_1() {
    let busy = TcpListener::bind("127.0.0.1:0").expect("a port to keep busy");
    let port = busy.local_addr().expect("its address").port().to_string();
    let out = bin().args(["demo", "--port", &port]).output().expect("run loki-metrics demo");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.starts_with("error: "), "the error comes first: {err}");
    assert!(err.contains(&port), "the error names the address: {err}");
    assert!(!err.contains("curl") && !err.contains("simulating"), "no banner for a server that never ran: {err}");
}

#[test]
fn on_a_busy_port_serve_prints_only_the_error_and_exits_1() {
    let busy = TcpListener::bind("127.0.0.1:0").expect("a port to keep busy");
    let port = busy.local_addr().expect("its address").port().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = bin().args(["serve", "--port", &port, "--loki-dir"]).arg(dir.path()).output().expect("run serve");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.starts_with("error: "), "the error comes first: {err}");
    assert!(!err.contains("listening on"), "no listening line for a server that never ran: {err}");
}
