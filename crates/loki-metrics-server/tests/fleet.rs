//! Several projects in one exporter, over real HTTP on 127.0.0.1: the
//! fleet's exposition, `?project=`, the registry changing under it, and the
//! status page listing every project.

use std::path::Path;
use std::time::{Duration, Instant};

use loki_metrics::fleet::ProjectSource;
use loki_metrics::view::StatusPage;
use loki_metrics::Options;
use loki_metrics_server::client::{fetch_blocking, FetchOptions};
use loki_metrics_server::{FetchError, RunningServer, Server, ServerConfig};

fn project(root: &Path, name: &str, iteration: u64) -> std::path::PathBuf {
    let loki = root.join(name).join(".loki");
    std::fs::create_dir_all(&loki).expect("mkdir");
    write_state(&loki, iteration);
    loki
}

fn write_state(loki: &Path, iteration: u64) {
    std::fs::write(
        loki.join("dashboard-state.json"),
        format!(r#"{{"mode":"autonomous","iteration":{iteration},"project":{{"name":"from-state"}}}}"#),
    )
    .expect("write state");
}

fn registry(path: &Path, entries: &[(&str, &Path, Option<&str>)]) {
    let projects: serde_json::Map<String, serde_json::Value> = entries
        .iter()
        .map(|(name, dir, alias)| {
            (
                (*name).to_owned(),
                serde_json::json!({"id": name, "path": dir, "name": name, "alias": alias, "status": "running"}),
            )
        })
        .collect();
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::json!({"version": "1.0", "projects": projects}).to_string()).expect("write");
    std::fs::rename(&tmp, path).expect("rename");
}

fn start(sources: Vec<ProjectSource>, ttl: Duration) -> RunningServer {
    let mut config = ServerConfig::new(Options::new("unused-in-fleet-mode"));
    config.port = 0;
    config.cache_ttl = ttl;
    config.worker_threads = 1;
    config.projects = sources;
    Server::start(config).expect("server starts")
}

fn get(server: &RunningServer, path: &str) -> Result<String, FetchError> {
    let url = format!("http://{}{path}", server.local_addr());
    fetch_blocking(&url, &FetchOptions::default()).map(|r| r.body)
}

fn metrics(server: &RunningServer) -> String {
    get(server, "/metrics").expect("metrics")
}

/// Polls `/metrics` until `check` holds, for at most `limit`.
fn eventually(server: &RunningServer, limit: Duration, what: &str, check: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + limit;
    loop {
        let text = metrics(server);
        if check(&text) {
            return text;
        }
        assert!(Instant::now() < deadline, "{what} not seen within {limit:?}:\n{text}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn every_family_once_with_every_project_labelled() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let a = project(tmp.path(), "alpha", 3);
    let b = project(tmp.path(), "beta", 5);
    let server = start(vec![ProjectSource::Dir(a), ProjectSource::Dir(b)], Duration::ZERO);
    let text = metrics(&server);
    assert_eq!(text.matches("# TYPE loki_iteration_current gauge\n").count(), 1, "{text}");
    // Both projects are called "from-state" by their state: made unique in path order.
    assert!(text.contains("loki_iteration_current{project=\"from-state\"} 3\n"), "{text}");
    assert!(text.contains("loki_iteration_current{project=\"from-state-2\"} 5\n"), "{text}");
    let one = get(&server, "/metrics?project=from-state-2").expect("one project");
    assert!(one.contains("loki_iteration_current{project=\"from-state-2\"} 5\n"), "{one}");
    assert!(!one.contains("project=\"from-state\""), "{one}");
    match get(&server, "/metrics?project=nope") {
        Err(FetchError::Status { status, .. }) => assert_eq!(status, 404),
        other => panic!("unknown project: {other:?}"),
    }
    let page: StatusPage = serde_json::from_str(&get(&server, "/api/v1/status").expect("status")).expect("JSON");
    let names: Vec<&str> = page.projects.iter().map(|p| p.project.as_str()).collect();
    assert_eq!(names, ["from-state", "from-state-2"]);
    let health: serde_json::Value = serde_json::from_str(&get(&server, "/health").expect("health")).expect("JSON");
    assert_eq!(health["projects"].as_array().map(Vec::len), Some(2), "{health}");
}

#[test]
fn the_output_follows_the_registry_within_one_ttl() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let reg = tmp.path().join("projects.json");
    let a = project(tmp.path(), "alpha", 1);
    let b = project(tmp.path(), "beta", 2);
    let alpha_dir = a.parent().expect("project dir").to_owned();
    let beta_dir = b.parent().expect("project dir").to_owned();
    registry(&reg, &[("alpha", &alpha_dir, None)]);
    let ttl = Duration::from_millis(500);
    let limit = ttl * 4;
    let server = start(vec![ProjectSource::Registry(reg.clone())], ttl);
    let text = metrics(&server);
    assert!(text.contains("loki_iteration_current{project=\"alpha\"} 1\n"), "{text}");

    // Added, with an alias.
    registry(&reg, &[("alpha", &alpha_dir, None), ("beta", &beta_dir, Some("the-beta"))]);
    eventually(&server, limit, "the added project", |t| t.contains("loki_iteration_current{project=\"the-beta\"} 2\n"));
    // Its .loki deleted: still served, as a missing directory; then recreated.
    std::fs::remove_dir_all(&b).expect("rm");
    eventually(&server, limit, "the deleted .loki", |t| t.contains("loki_iteration_current{project=\"the-beta\"} 0\n"));
    std::fs::create_dir_all(&b).expect("mkdir");
    write_state(&b, 7);
    eventually(&server, limit, "the recreated .loki", |t| {
        t.contains("loki_iteration_current{project=\"the-beta\"} 7\n")
    });
    // Removed.
    registry(&reg, &[("beta", &beta_dir, Some("the-beta"))]);
    eventually(&server, limit, "the removed project", |t| !t.contains("project=\"alpha\""));
    // A bad registry is a warning, not an empty page: the valid exposition
    // stays parseable, /health names the problem.
    std::fs::write(&reg, "{ not json").expect("write");
    let text = eventually(&server, limit, "a bad registry", |t| !t.contains("project=\"the-beta\""));
    assert!(text.contains("# TYPE loki_iteration_current gauge\n"), "families are still listed: {text}");
    let health: serde_json::Value = serde_json::from_str(&get(&server, "/health").expect("health")).expect("JSON");
    assert!(health["warnings"].to_string().contains("is not JSON"), "{health}");
    // Fixed again.
    registry(&reg, &[("beta", &beta_dir, Some("the-beta"))]);
    eventually(&server, limit, "the fixed registry", |t| t.contains("project=\"the-beta\""));
}

#[test]
fn one_directory_and_no_fleet_flags_serves_exactly_as_before() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let a = project(tmp.path(), "alpha", 3);
    let mut config = ServerConfig::new(Options::new(&a));
    config.port = 0;
    config.cache_ttl = Duration::ZERO;
    config.worker_threads = 1;
    let server = Server::start(config).expect("server starts");
    let text = metrics(&server);
    let rendered = loki_metrics::render(&loki_metrics::collect(&Options::new(&a)), loki_metrics::Format::Prometheus);
    assert_eq!(text, rendered);
    assert!(!text.contains("project=\"alpha\""));
    assert!(get(&server, "/metrics?project=from-state").expect("its own name").contains("loki_iteration_current 3\n"));
}

#[test]
fn a_scrape_reads_only_the_projects_that_changed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dirs: Vec<_> = (0..20).map(|i| project(tmp.path(), &format!("p{i:02}"), i)).collect();
    for dir in &dirs {
        // No project.name: each is named by its directory, p00 to p19.
        std::fs::write(dir.join("dashboard-state.json"), r#"{"mode":"autonomous"}"#).expect("write state");
    }
    let ttl = Duration::from_millis(200);
    let mut config = ServerConfig::new(Options::new("unused-in-fleet-mode"));
    config.port = 0;
    config.cache_ttl = ttl;
    config.worker_threads = 1;
    config.projects = vec![ProjectSource::Glob(format!("{}/*/.loki", tmp.path().display()))];
    // No periodic full check during the test: only notifications mark changes.
    config.full_check = Duration::from_secs(3600);
    config.options.exporter_metrics = true;
    let server = Server::start(config).expect("server starts");
    let fleet = std::sync::Arc::clone(server.fleet());
    metrics(&server);
    let deadline = Instant::now() + Duration::from_secs(10);
    while fleet.stats().watched < 20 {
        assert!(Instant::now() < deadline, "watched: {:?}", fleet.stats());
        std::thread::sleep(Duration::from_millis(50));
    }
    // Every project was marked when its watch began; read them all once, then
    // let collections with nothing changed pass.
    std::thread::sleep(ttl * 2);
    metrics(&server);
    std::thread::sleep(ttl * 2);
    metrics(&server);
    assert_eq!(fleet.stats().last_read, 0, "nothing changed: {:?}", fleet.stats());

    std::fs::write(dirs[7].join("events.jsonl"), "{}\n{}\n").expect("write events");
    let names = |t: &str| t.contains("loki_events_total{project=\"p07\"} 2\n");
    let text = eventually(&server, ttl * 10, "the change in one project", names);
    assert!(text.contains("loki_events_total{project=\"p06\"} 0\n"), "{text}");
    assert_eq!(fleet.stats().last_read, 1, "only the changed project was read: {:?}", fleet.stats());
    // The same counts, as the exporter's own metrics.
    for line in
        ["loki_exporter_projects 20\n", "loki_exporter_projects_watched 20\n", "loki_exporter_projects_read 1\n"]
    {
        assert!(text.contains(line), "{line:?} in {text}");
    }
}
