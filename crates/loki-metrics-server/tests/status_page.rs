//! The status page (`GET /`) and its JSON (`GET /api/v1/status`) over real
//! HTTP on 127.0.0.1. The page in a real browser is tested by
//! tests/integration/status_page.mjs (headless Chromium).

use std::path::Path;
use std::time::{Duration, Instant};

use loki_metrics::view::StatusPage;
use loki_metrics::Options;
use loki_metrics_server::client::{fetch_blocking, FetchOptions};
use loki_metrics_server::{FetchError, RunningServer, Server, ServerConfig};

fn config(dir: &Path) -> ServerConfig {
    let mut config = ServerConfig::new(Options::new(dir));
    config.port = 0;
    config.cache_ttl = Duration::ZERO;
    config.worker_threads = 1;
    config.history_step = Duration::from_millis(50);
    config
}

fn session(root: &Path, project: &str) {
    std::fs::write(
        root.join("dashboard-state.json"),
        format!(
            r#"{{"mode":"autonomous","iteration":7,"version":"9.22.12","provider":"claude","phase":"</style><script>alert(1)</script>",
                "project":{{"name":{}}},
                "tasks":{{"pending":[{{}},{{}}],"inProgress":[{{}}],"completed":[{{}},{{}},{{}}],"failed":[]}}}}"#,
            serde_json::Value::from(project)
        ),
    )
    .expect("write state");
    std::fs::create_dir_all(root.join("metrics/efficiency")).expect("mkdir");
    std::fs::write(root.join("metrics/efficiency/iteration-1.json"), r#"{"cost_usd":42.5,"model":"opus"}"#)
        .expect("write efficiency");
    std::fs::write(root.join("metrics/budget.json"), r#"{"limit":50}"#).expect("write budget");
    std::fs::write(root.join("events.jsonl"), "{}\n{}\n{}\n").expect("write events");
}

fn start(config: ServerConfig) -> RunningServer {
    Server::start(config).expect("server starts")
}

fn get(
    server: &RunningServer,
    path: &str,
    token: Option<&str>,
) -> Result<loki_metrics_server::client::FetchResponse, FetchError> {
    let url = format!("http://{}{path}", server.local_addr());
    fetch_blocking(&url, &FetchOptions { token: token.map(str::to_owned), ..FetchOptions::default() })
}

fn status(server: &RunningServer) -> StatusPage {
    let body = get(server, "/api/v1/status", None).expect("status JSON").body;
    serde_json::from_str(&body).expect("a StatusPage")
}

#[test]
fn the_json_holds_the_values_render_prints() {
    let dir = tempfile::tempdir().expect("tempdir");
    session(dir.path(), "todo-api");
    let server = start(config(dir.path()));
    let page = status(&server);
    assert_eq!(page.projects.len(), 1);
    let p = &page.projects[0];
    let snapshot = loki_metrics::collect(&Options::new(dir.path()));
    assert_eq!(p.project, "todo-api");
    assert_eq!(p.status, snapshot.session_status().as_str());
    assert_eq!(p.status_reason, snapshot.status_reason());
    assert_eq!(p.iteration, 7);
    assert_eq!(p.cost_usd, 42.5);
    assert_eq!(p.budget_limit_usd, Some(50.0));
    assert_eq!(p.budget_level, loki_metrics::view::BudgetLevel::Warning, "42.5 of 50 is past 80%, not 90%");
    assert_eq!(p.text("budget"), Some("$42.50 of $50.00 (85%)"));
    assert_eq!(p.text("iteration"), Some("7 / 1,000"));
    let tasks: Vec<(&str, f64)> = p.tasks.iter().map(|t| (t.label.as_str(), t.value)).collect();
    assert_eq!(tasks, [("pending", 2.0), ("in_progress", 1.0), ("completed", 3.0), ("failed", 0.0)]);
    assert_eq!(p.events_total, 3);
    assert_eq!(page.history_capacity, loki_metrics::view::HISTORY_CAPACITY);
}

#[test]
fn the_history_fills_without_scrapes_and_stays_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    session(dir.path(), "app");
    let server = start(config(dir.path()));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let page = status(&server);
        let values = page.projects[0].charts[0].values.len();
        if values == loki_metrics::view::HISTORY_CAPACITY {
            break;
        }
        assert!(values <= loki_metrics::view::HISTORY_CAPACITY, "{values} points");
        assert!(Instant::now() < deadline, "only {values} points after 60 s at a 50 ms step");
        std::thread::sleep(Duration::from_millis(500));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(status(&server).projects[0].charts[0].values.len(), loki_metrics::view::HISTORY_CAPACITY);
}

#[test]
fn the_page_is_html_under_a_strict_policy_with_untrusted_text_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hostile = "\"><img src=x onerror=alert(1)></style><script>alert(2)</script>";
    session(dir.path(), hostile);
    let server = start(config(dir.path()));
    let url = format!("http://{}/", server.local_addr());
    let answer = fetch_blocking(&url, &FetchOptions::default()).expect("page");
    assert_eq!(answer.content_type.as_deref(), Some("text/html; charset=utf-8"));
    let html = answer.body;
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(!html.contains("<img"), "hostile markup reached the page");
    assert!(!html.contains("<script>alert"), "hostile script reached the page");
    assert_eq!(html.matches("<script>").count(), 1, "only the page's own script");
    assert_eq!(html.matches("</style>").count(), 1, "only the page's own stylesheet ends");
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"), "the name is shown as text");
    assert!(html.contains("href=\"metrics\"") && html.contains("href=\"health\""), "links to /metrics and /health");
}

#[test]
fn the_page_headers_forbid_everything_but_its_own_script_and_style() {
    let dir = tempfile::tempdir().expect("tempdir");
    session(dir.path(), "app");
    let server = start(config(dir.path()));
    let mut stream = std::net::TcpStream::connect(server.local_addr()).expect("connect");
    use std::io::{Read, Write};
    stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").expect("send");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read");
    let head = raw.split("\r\n\r\n").next().unwrap_or("").to_ascii_lowercase();
    let csp = head.lines().find_map(|l| l.strip_prefix("content-security-policy: ")).expect("a CSP header");
    assert!(csp.starts_with("default-src 'none'; script-src 'sha256-"), "{csp}");
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(head.contains("x-content-type-options: nosniff"), "{head}");
    assert!(head.contains("cache-control: no-store"), "{head}");
}

#[test]
fn with_a_token_the_page_and_its_json_need_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    session(dir.path(), "app");
    let server = start(ServerConfig { token: Some("s3cret-token".to_owned()), ..config(dir.path()) });
    for path in ["/", "/api/v1/status"] {
        match get(&server, path, None) {
            Err(FetchError::Status { status, .. }) => assert_eq!(status, 401, "{path}"),
            other => panic!("{path} without the token: {other:?}"),
        }
        assert!(get(&server, path, Some("s3cret-token")).is_ok(), "{path} with the token");
    }
}

#[test]
fn with_the_metrics_on_slash_there_is_no_page_but_the_json_remains() {
    let dir = tempfile::tempdir().expect("tempdir");
    session(dir.path(), "app");
    let server = start(ServerConfig { path: "/".to_owned(), ..config(dir.path()) });
    let body = get(&server, "/", None).expect("metrics").body;
    assert!(body.contains("loki_iteration_current 7\n"), "{body}");
    assert_eq!(status(&server).projects.len(), 1);
}

#[test]
fn the_api_path_cannot_be_the_metrics_path_and_the_step_is_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = ServerConfig { path: "/api/v1/status".to_owned(), ..config(dir.path()) };
    assert!(Server::start(bad).expect_err("refused").to_string().contains("/api/v1/status"));
    let bad = ServerConfig { history_step: Duration::from_millis(1), ..config(dir.path()) };
    assert!(Server::start(bad).expect_err("refused").to_string().contains("history step"));
}
