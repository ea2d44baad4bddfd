//! The exporter over real HTTP on 127.0.0.1, with raw HTTP/1.1 requests (so
//! every header is visible) and the crate's own client for TLS.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use loki_metrics::Options;
use loki_metrics_server::client::{fetch_blocking, FetchOptions};
use loki_metrics_server::{ClientTrust, FetchError, RunningServer, Server, ServerConfig};

/// Prometheus 2.42's scrape `Accept` header.
const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }
}

fn parse_answer(raw: &[u8]) -> Answer {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete response head");
    let head = std::str::from_utf8(&raw[..end]).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status code");
    let headers =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())).collect();
    let mut body = raw[end + 4..].to_vec();
    let answer = Answer { status, headers, body: Vec::new() };
    if answer.header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        body = dechunk(&body);
    }
    Answer { body, ..answer }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").expect("chunk size line");
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line_end]).expect("hex").trim(), 16).expect("chunk size");
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// Sends one request (`Connection: close`) and reads the whole answer.
fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read answer");
    parse_answer(&raw)
}

fn get(addr: SocketAddr, path: &str) -> Answer {
    request(addr, "GET", path, &[])
}

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::write(
        root.join("dashboard-state.json"),
        r#"{"mode":"autonomous","iteration":7,"startedAt":"2026-01-05T10:00:00Z",
            "tasks":{"pending":[{},{}],"inProgress":[{}],"review":[{}],"completed":[{},{},{}],"failed":[]},
            "agents":[{"status":"active"},{"status":"idle"}]}"#,
    )
    .expect("write state");
    std::fs::create_dir_all(root.join("metrics/efficiency")).expect("mkdir");
    std::fs::write(root.join("metrics/efficiency/iteration-1.json"), r#"{"cost_usd":1.25}"#).expect("write efficiency");
    std::fs::write(root.join("events.jsonl"), "{}\n{}\n{}\n").expect("write events");
    dir
}

fn config(dir: &Path) -> ServerConfig {
    let mut config = ServerConfig::new(Options::new(dir));
    config.port = 0;
    config.cache_ttl = Duration::ZERO;
    config.worker_threads = 1;
    config
}

/// [`config`] requiring the bearer token `s3cret-token`.
fn with_token(dir: &Path) -> ServerConfig {
    ServerConfig { token: Some("s3cret-token".to_owned()), ..config(dir) }
}

fn start(config: ServerConfig) -> RunningServer {
    Server::start(config).expect("server starts")
}

#[test]
fn get_metrics_answers_prometheus_text_by_default() {
    let dir = fixture();
    let server = start(config(dir.path()));
    let answer = get(server.local_addr(), "/metrics");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    let text = answer.text();
    assert!(text.contains("loki_iteration_current 7\n"), "{text}");
    assert!(text.contains("loki_tasks_total{status=\"completed\"} 3\n"));
    assert!(text.contains("loki_cost_usd 1.25\n"));
    assert!(text.contains("loki_events_total 3\n"));
    assert!(!text.contains("# EOF"));
}

#[test]
fn prometheus_scrape_accept_header_gets_openmetrics() {
    let dir = fixture();
    let server = start(config(dir.path()));
    let answer = request(server.local_addr(), "GET", "/metrics", &[("Accept", PROMETHEUS_ACCEPT)]);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/openmetrics-text; version=1.0.0; charset=utf-8"));
    let text = answer.text();
    assert!(text.contains("# TYPE loki_events counter\n"));
    assert!(text.ends_with("# EOF\n"));
}

#[test]
fn text_plain_preferred_over_openmetrics_gets_prometheus_text() {
    let dir = fixture();
    let server = start(config(dir.path()));
    let answer = request(
        server.local_addr(),
        "GET",
        "/metrics",
        &[("Accept", "application/openmetrics-text;q=0.3,text/plain;version=0.0.4;q=0.9")],
    );
    assert_eq!(answer.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
}

#[test]
fn head_on_metrics_sends_the_headers_and_no_body() {
    let dir = fixture();
    let server = start(config(dir.path()));
    let get_answer = get(server.local_addr(), "/metrics");
    let head = request(server.local_addr(), "HEAD", "/metrics", &[]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-type"), get_answer.header("content-type"));
    assert_eq!(head.header("content-length"), Some(get_answer.body.len().to_string().as_str()));
}

#[test]
fn gzip_is_used_when_the_client_accepts_it() {
    let dir = fixture();
    let server = start(config(dir.path()));
    let plain = get(server.local_addr(), "/metrics").text();
    let answer = request(server.local_addr(), "GET", "/metrics", &[("Accept-Encoding", "gzip")]);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-encoding"), Some("gzip"));
    let mut decoded = String::new();
    flate2::read::GzDecoder::new(&answer.body[..]).read_to_string(&mut decoded).expect("valid gzip");
    assert_eq!(decoded, plain);
}

#[test]
fn gzip_follows_the_accept_encoding_weights() {
    let dir = fixture();
    let server = start(config(dir.path()));
    for (accept_encoding, gzip) in [
        ("gzip", true),
        ("GZIP", true),
        ("x-gzip", true),
        ("deflate, gzip;q=0.5", true),
        ("gzip; q=1.0", true),
        ("*", true),
        ("br, *;q=0.1", true),
        ("gzip;q=0", false),
        ("gzip;q=0.000", false),
        ("*;q=0", false),
        ("gzip;q=0, *", false),
        ("*, gzip;q=0", false),
        ("identity", false),
        ("br, zstd", false),
        ("gzip;q=2", false),
        ("gzip;q=abc", false),
        ("", false),
    ] {
        let answer = request(server.local_addr(), "GET", "/metrics", &[("Accept-Encoding", accept_encoding)]);
        assert_eq!(answer.status, 200, "{accept_encoding:?}");
        assert_eq!(answer.header("content-encoding"), gzip.then_some("gzip"), "Accept-Encoding: {accept_encoding:?}");
        assert_eq!(answer.header("vary"), Some("Accept, Accept-Encoding"));
    }
}

#[test]
fn a_gzipped_answer_has_a_length_and_follows_changes_in_the_data() {
    let dir = fixture();
    let mut cfg = config(dir.path());
    cfg.cache_ttl = Duration::from_secs(3600);
    let server = start(cfg);
    let gz = |accept: &str| {
        let answer =
            request(server.local_addr(), "GET", "/metrics", &[("Accept-Encoding", "gzip"), ("Accept", accept)]);
        assert_eq!(answer.header("content-length"), Some(answer.body.len().to_string().as_str()));
        let mut text = String::new();
        flate2::read::GzDecoder::new(&answer.body[..]).read_to_string(&mut text).expect("valid gzip");
        (answer.body, text)
    };
    let (first, text) = gz("text/plain");
    assert!(text.contains("loki_events_total 3\n"), "{text}");
    // Within the cache TTL the same compressed bytes are served; each format has its own.
    assert_eq!(gz("text/plain").0, first);
    let (_, om) = gz(PROMETHEUS_ACCEPT);
    assert!(om.ends_with("# EOF\n"), "{om}");
    drop(server);
    // With every scrape a new collection, the compressed text follows the data.
    let server = start(config(dir.path()));
    let events = || {
        let answer = request(server.local_addr(), "GET", "/metrics", &[("Accept-Encoding", "gzip")]);
        let mut text = String::new();
        flate2::read::GzDecoder::new(&answer.body[..]).read_to_string(&mut text).expect("valid gzip");
        text
    };
    assert!(events().contains("loki_events_total 3\n"));
    std::fs::write(dir.path().join("events.jsonl"), "{}\n{}\n{}\n{}\n").expect("append");
    let text = events();
    assert!(text.contains("loki_events_total 4\n"), "{text}");
}

#[test]
fn no_gzip_without_accept_encoding() {
    let dir = fixture();
    let server = start(config(dir.path()));
    let answer = get(server.local_addr(), "/metrics");
    assert_eq!(answer.header("content-encoding"), None);
}

#[test]
fn health_reports_the_directory_and_its_warnings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("absent");
    let server = start(config(&missing));
    let answer = get(server.local_addr(), "/health");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    let json: serde_json::Value = serde_json::from_slice(&answer.body).expect("JSON");
    assert_eq!(json["status"], "ok");
    assert_eq!(json["loki_dir"], missing.to_string_lossy().as_ref());
    assert_eq!(json["loki_dir_exists"], false);
    let warnings = json["warnings"].as_array().expect("warnings array");
    assert!(
        warnings.iter().any(|w| w["source"] == "."
            && w["path"] == missing.to_string_lossy().as_ref()
            && w["message"] == "the directory does not exist; all values are fallbacks"),
        "{json}"
    );
}

#[test]
fn an_unknown_path_is_404() {
    let dir = fixture();
    let server = start(config(dir.path()));
    assert_eq!(get(server.local_addr(), "/nope").status, 404);
    assert_eq!(get(server.local_addr(), "/metrics/extra").status, 404);
    assert_eq!(get(server.local_addr(), "/api/v1/nope").status, 404);
    // `/` is the status page (tests/status_page.rs).
    assert_eq!(get(server.local_addr(), "/").header("content-type"), Some("text/html; charset=utf-8"));
}

#[test]
fn another_method_on_metrics_is_405_with_allow() {
    let dir = fixture();
    let server = start(config(dir.path()));
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let answer = request(server.local_addr(), method, "/metrics", &[("Content-Length", "0")]);
        assert_eq!(answer.status, 405, "{method}");
        let allow = answer.header("allow").expect("Allow header");
        assert!(allow.contains("GET") && allow.contains("HEAD"), "{allow}");
    }
}

#[test]
fn another_method_on_health_is_405_with_allow() {
    let dir = fixture();
    let server = start(config(dir.path()));
    let answer = request(server.local_addr(), "POST", "/health", &[("Content-Length", "0")]);
    assert_eq!(answer.status, 405);
    assert!(answer.header("allow").is_some_and(|a| a.contains("GET")));
}

#[test]
fn a_configured_path_serves_metrics_and_the_default_path_is_404() {
    let dir = fixture();
    let mut config = config(dir.path());
    config.path = "/custom/loki".to_owned();
    let server = start(config);
    assert!(server.url().ends_with("/custom/loki"));
    assert_eq!(get(server.local_addr(), "/custom/loki").status, 200);
    assert_eq!(get(server.local_addr(), "/metrics").status, 404);
}

#[test]
fn an_oversized_header_gets_431() {
    let dir = fixture();
    let server = start(config(dir.path()));
    let big = "x".repeat(64 * 1024);
    let answer = request(server.local_addr(), "GET", "/metrics", &[("X-Big", &big)]);
    assert_eq!(answer.status, 431);
}

#[test]
fn too_many_header_fields_get_431() {
    let dir = fixture();
    let server = start(config(dir.path()));
    let names: Vec<String> = (0..200).map(|i| format!("X-H{i}")).collect();
    let headers: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
    let answer = request(server.local_addr(), "GET", "/metrics", &headers);
    assert_eq!(answer.status, 431);
}

#[test]
fn bad_loki_data_still_answers_200_with_fallbacks() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("dashboard-state.json"), "{not json").expect("write");
    std::fs::create_dir(dir.path().join("events.jsonl")).expect("a directory in its place");
    std::fs::write(dir.path().join("loki.pid"), "banana").expect("write");
    std::fs::create_dir_all(dir.path().join("metrics/efficiency")).expect("mkdir");
    std::fs::write(dir.path().join("metrics/efficiency/a.json"), "[1,2]").expect("write");
    let server = start(config(dir.path()));
    for accept in ["text/plain", PROMETHEUS_ACCEPT] {
        let answer = request(server.local_addr(), "GET", "/metrics", &[("Accept", accept)]);
        assert_eq!(answer.status, 200);
        assert!(answer.text().contains("loki_events_total 0\n"));
    }
    assert_eq!(get(server.local_addr(), "/health").status, 200);
}

#[test]
fn with_a_token_requests_without_it_get_401() {
    let dir = fixture();
    let server = start(with_token(dir.path()));
    let missing = get(server.local_addr(), "/metrics");
    assert_eq!(missing.status, 401);
    assert!(missing.header("www-authenticate").is_some_and(|v| v.starts_with("Bearer")));
    for wrong in ["Bearer s3cret-tokeN", "Bearer s3cret-token-longer", "Basic s3cret-token", "Bearer "] {
        let answer = request(server.local_addr(), "GET", "/metrics", &[("Authorization", wrong)]);
        assert_eq!(answer.status, 401, "{wrong}");
    }
}

#[test]
fn with_a_token_health_without_it_answers_only_the_bare_status() {
    let dir = fixture();
    let server = start(with_token(dir.path()));
    for headers in [&[][..], &[("Authorization", "Bearer wrong-token")]] {
        let answer = request(server.local_addr(), "GET", "/health", headers);
        assert_eq!(answer.status, 200, "{headers:?}");
        assert_eq!(answer.header("content-type"), Some("application/json"));
        assert_eq!(answer.text(), "{\"status\":\"ok\"}\n", "{headers:?}");
    }
    let head = request(server.local_addr(), "HEAD", "/health", &[]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(get(server.local_addr(), "/metrics").status, 401, "the metrics still need the token");
    let post = request(server.local_addr(), "POST", "/health", &[("Content-Length", "0")]);
    assert_eq!(post.status, 401, "only GET and HEAD get the bare status");
}

#[test]
fn with_a_token_health_with_it_answers_the_full_body() {
    let dir = fixture();
    let server = start(with_token(dir.path()));
    let answer = request(server.local_addr(), "GET", "/health", &[("Authorization", "Bearer s3cret-token")]);
    assert_eq!(answer.status, 200);
    let json: serde_json::Value = serde_json::from_slice(&answer.body).expect("JSON");
    assert_eq!(json["status"], "ok");
    assert_eq!(json["loki_dir"], dir.path().to_string_lossy().as_ref());
    assert_eq!(json["loki_dir_exists"], true);
    assert!(json["warnings"].is_array(), "{json}");
}

#[test]
fn with_a_token_the_right_bearer_gets_200() {
    let dir = fixture();
    let server = start(with_token(dir.path()));
    for header in ["Bearer s3cret-token", "bearer s3cret-token"] {
        let answer = request(server.local_addr(), "GET", "/metrics", &[("Authorization", header)]);
        assert_eq!(answer.status, 200, "{header}");
    }
    let fetched = fetch_blocking(
        server.url(),
        &FetchOptions { token: Some("s3cret-token".to_owned()), ..FetchOptions::default() },
    )
    .expect("fetch with token");
    assert!(fetched.body.contains("loki_events_total 3\n"));
}

#[test]
fn without_a_token_no_authorization_is_needed() {
    let dir = fixture();
    let server = start(config(dir.path()));
    let answer = request(server.local_addr(), "GET", "/metrics", &[("Authorization", "Bearer anything")]);
    assert_eq!(answer.status, 200);
}

fn generated_certificate(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).expect("certificate");
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).expect("write cert");
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).expect("write key");
    (cert_path, key_path)
}

#[test]
fn tls_serves_https_with_a_certificate_generated_at_test_time() {
    let dir = fixture();
    let certs = tempfile::tempdir().expect("tempdir");
    let (cert, key) = generated_certificate(certs.path());
    let mut config = config(dir.path());
    config.tls_cert = Some(cert.clone());
    config.tls_key = Some(key);
    let server = start(config);
    assert!(server.url().starts_with("https://127.0.0.1:"));
    let fetched = fetch_blocking(
        server.url(),
        &FetchOptions {
            trust: ClientTrust::CaFile(cert),
            accept: Some(PROMETHEUS_ACCEPT.to_owned()),
            ..FetchOptions::default()
        },
    )
    .expect("HTTPS fetch");
    assert!(fetched.body.ends_with("# EOF\n"));
    assert_eq!(fetched.content_type.as_deref(), Some("application/openmetrics-text; version=1.0.0; charset=utf-8"));
}

#[test]
fn tls_with_an_untrusted_certificate_fails_the_handshake() {
    let dir = fixture();
    let certs = tempfile::tempdir().expect("tempdir");
    let (cert, key) = generated_certificate(certs.path());
    let mut config = config(dir.path());
    config.tls_cert = Some(cert);
    config.tls_key = Some(key);
    let server = start(config);
    let result = fetch_blocking(server.url(), &FetchOptions::default());
    assert!(matches!(result, Err(FetchError::Tls { .. })), "{result:?}");
    let insecure =
        fetch_blocking(server.url(), &FetchOptions { trust: ClientTrust::Insecure, ..FetchOptions::default() });
    assert!(insecure.is_ok(), "{insecure:?}");
}

#[test]
fn plain_http_to_a_tls_server_gets_no_metrics() {
    let dir = fixture();
    let certs = tempfile::tempdir().expect("tempdir");
    let (cert, key) = generated_certificate(certs.path());
    let mut config = config(dir.path());
    config.tls_cert = Some(cert);
    config.tls_key = Some(key);
    let server = start(config);
    let url = server.url().replacen("https://", "http://", 1);
    assert!(fetch_blocking(&url, &FetchOptions::default()).is_err());
}

#[test]
fn a_tls_key_without_a_certificate_is_a_config_error() {
    let dir = fixture();
    let mut config = config(dir.path());
    config.tls_key = Some(dir.path().join("key.pem"));
    assert!(matches!(Server::start(config), Err(loki_metrics_server::ServeError::Config(_))));
}

#[test]
fn an_unreadable_certificate_is_a_tls_error() {
    let dir = fixture();
    let mut config = config(dir.path());
    config.tls_cert = Some(dir.path().join("absent-cert.pem"));
    config.tls_key = Some(dir.path().join("absent-key.pem"));
    assert!(matches!(Server::start(config), Err(loki_metrics_server::ServeError::Tls(_))));
}

/// A FIFO nothing writes to: opening it for reading would block forever.
#[cfg(unix)]
fn fifo(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("fifo.pem");
    let status = std::process::Command::new("mkfifo").arg(&path).status().expect("mkfifo runs");
    assert!(status.success());
    path
}

#[cfg(unix)]
#[test]
fn a_fifo_as_the_certificate_is_a_tls_error_not_a_hang() {
    let dir = fixture();
    let mut config = config(dir.path());
    config.tls_cert = Some(fifo(dir.path()));
    config.tls_key = config.tls_cert.clone();
    match Server::start(config) {
        Err(loki_metrics_server::ServeError::Tls(message)) => {
            assert!(message.contains("not a regular file"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_as_the_ca_file_is_a_tls_error_not_a_hang() {
    let dir = fixture();
    let server = start(config(dir.path()));
    let url = server.url().replacen("http://", "https://", 1);
    let trust = ClientTrust::CaFile(fifo(dir.path()));
    let result = fetch_blocking(&url, &FetchOptions { trust, ..FetchOptions::default() });
    assert!(
        matches!(&result, Err(FetchError::Tls { reason, .. }) if reason.contains("not a regular file")),
        "{result:?}"
    );
}

#[test]
fn a_token_or_accept_that_is_no_header_value_is_refused_before_connecting() {
    // Port 9 (discard) is closed here: a connection attempt would be a Connect error.
    let url = "http://127.0.0.1:9/metrics";
    for options in [
        FetchOptions { token: Some("a\nb".to_owned()), ..FetchOptions::default() },
        FetchOptions { token: Some(String::new()), ..FetchOptions::default() },
        FetchOptions { accept: Some("text/plain\r\nX: y".to_owned()), ..FetchOptions::default() },
    ] {
        let result = fetch_blocking(url, &options);
        assert!(matches!(result, Err(FetchError::InvalidHeader(_))), "{result:?}");
    }
}

#[test]
fn a_port_out_of_range_is_an_invalid_url_not_the_default_port() {
    for url in
        ["http://127.0.0.1:99999/metrics", "http://127.0.0.1:8x/", "http://[::1]:65536/", "http://u:p@localhost:70000/"]
    {
        let result = fetch_blocking(url, &FetchOptions::default());
        assert!(
            matches!(&result, Err(FetchError::InvalidUrl { reason, .. }) if reason.contains("port")),
            "{url}: {result:?}"
        );
    }
}

#[test]
fn an_empty_host_or_one_with_control_characters_is_a_config_error() {
    let dir = fixture();
    for host in ["", "127.0.0.1\0", "local host", "127.0.0.1\n"] {
        let mut config = config(dir.path());
        config.host = host.to_owned();
        assert!(matches!(Server::start(config), Err(loki_metrics_server::ServeError::Config(_))), "{host:?}");
    }
}

#[test]
fn a_port_in_use_is_a_bind_error() {
    let dir = fixture();
    let first = start(config(dir.path()));
    let mut second = config(dir.path());
    second.port = first.local_addr().port();
    assert!(matches!(Server::start(second), Err(loki_metrics_server::ServeError::Bind { .. })));
}

#[test]
fn shutdown_stops_accepting_connections() {
    let dir = fixture();
    let server = start(config(dir.path()));
    let addr = server.local_addr();
    assert_eq!(get(addr, "/metrics").status, 200);
    server.shutdown().expect("clean shutdown");
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn fetch_from_a_closed_port_is_a_connect_error_naming_the_url() {
    let dir = fixture();
    let server = start(config(dir.path()));
    let url = server.url().to_owned();
    server.shutdown().expect("shutdown");
    match fetch_blocking(&url, &FetchOptions::default()) {
        Err(e @ FetchError::Connect { .. }) => assert!(e.to_string().contains(&url)),
        other => panic!("expected a connect error, got {other:?}"),
    }
}

#[test]
fn fetch_of_a_non_200_is_a_status_error() {
    let dir = fixture();
    let server = start(config(dir.path()));
    let url = format!("http://{}/nope", server.local_addr());
    assert!(matches!(fetch_blocking(&url, &FetchOptions::default()), Err(FetchError::Status { status: 404, .. })));
}

#[test]
fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let dir = fixture();
    let mut config = config(dir.path());
    config.limits.header_read_timeout = Duration::from_millis(300);
    let server = start(config);
    let mut stream = TcpStream::connect(server.local_addr()).expect("connect");
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n").expect("partial head");
    stream.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let started = Instant::now();
    let mut buf = Vec::new();
    // EOF (or a reset) within the deadline, not a read timeout.
    match stream.read_to_end(&mut buf) {
        Ok(_) => {}
        Err(e) => assert!(
            !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut),
            "still open after {:?}",
            started.elapsed()
        ),
    }
    assert!(started.elapsed() < Duration::from_secs(4));
}

/// Sends `GET /nope` on `stream` and reads the whole 404: the connection is
/// then certainly admitted and idle between keep-alive requests.
fn answered_keep_alive(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.write_all(b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n").expect("send");
    stream.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !seen.ends_with(b"not found\n") {
        let n = stream.read(&mut buf).expect("read");
        assert!(n > 0, "closed early");
        seen.extend_from_slice(&buf[..n]);
    }
    stream
}

/// Whether the server has closed `stream` (EOF or reset) within 5 s.
fn closed_by_server(stream: &mut TcpStream) -> bool {
    stream.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let mut buf = [0u8; 64];
    match stream.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut),
    }
}

#[test]
fn at_the_connection_limit_a_new_connection_closes_the_idle_one() {
    let dir = fixture();
    let mut config = config(dir.path());
    config.limits.max_connections = 1;
    let server = start(config);
    let addr = server.local_addr();
    let mut idle = answered_keep_alive(addr);
    let fetched =
        fetch_blocking(server.url(), &FetchOptions { timeout: Duration::from_secs(5), ..FetchOptions::default() });
    assert!(fetched.is_ok_and(|f| f.body.contains("loki_events_total 3\n")), "the newcomer is served at once");
    assert!(closed_by_server(&mut idle), "the idle keep-alive connection made room");
}

#[test]
fn at_the_connection_limit_the_longest_waiting_connection_is_closed_first() {
    let dir = fixture();
    let mut config = config(dir.path());
    config.limits.max_connections = 2;
    let server = start(config);
    let addr = server.local_addr();
    let mut half_sent = TcpStream::connect(addr).expect("connect");
    half_sent.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n").expect("partial head");
    // Answered after `half_sent` was admitted, so it has waited less.
    let mut recent = answered_keep_alive(addr);
    assert_eq!(get(addr, "/metrics").status, 200);
    assert!(closed_by_server(&mut half_sent), "the half-sent head, waiting longest, made room");
    recent.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").expect("the recent one still works");
    let mut buf = [0u8; 12];
    recent.read_exact(&mut buf).expect("an answer on the kept connection");
    assert_eq!(&buf, b"HTTP/1.1 200");
}

#[test]
fn ten_times_the_connection_limit_in_idle_connections_does_not_delay_a_scrape() {
    let dir = fixture();
    let mut config = config(dir.path());
    config.limits.max_connections = 16;
    let server = start(config);
    let addr = server.local_addr();
    let idle: Vec<TcpStream> = (0..160)
        .map(|i| {
            let mut s = TcpStream::connect(addr).expect("connect");
            if i % 2 == 0 {
                s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n").expect("partial");
            }
            s
        })
        .collect();
    let started = Instant::now();
    assert_eq!(get(addr, "/metrics").status, 200);
    // The old design queued this behind the 10 s header-read timeout.
    assert!(started.elapsed() < Duration::from_secs(2), "scrape took {:?}", started.elapsed());
    drop(idle);
}

#[test]
fn idle_half_open_connections_do_not_delay_a_scrape() {
    let dir = fixture();
    let mut config = config(dir.path());
    config.cache_ttl = Duration::from_secs(1);
    let server = start(config);
    let addr = server.local_addr();
    let time_scrapes = || {
        let mut times: Vec<Duration> = (0..20)
            .map(|_| {
                let t = Instant::now();
                assert_eq!(get(addr, "/metrics").status, 200);
                t.elapsed()
            })
            .collect();
        times.sort();
        times[times.len() / 2]
    };
    let usual = time_scrapes();
    let idle: Vec<TcpStream> = (0..200)
        .map(|i| {
            let mut s = TcpStream::connect(addr).expect("connect");
            if i % 2 == 0 {
                // Half a request head, never finished.
                s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n").expect("partial");
            }
            s
        })
        .collect();
    let with_idle = time_scrapes();
    assert!(
        with_idle <= usual * 5 + Duration::from_millis(20),
        "median scrape {with_idle:?} with 200 idle connections, {usual:?} without"
    );
    drop(idle);
}

#[test]
fn the_exporter_never_holds_more_than_max_connections() {
    let dir = fixture();
    let mut config = config(dir.path());
    config.limits.max_connections = 4;
    let server = start(config);
    let addr = server.local_addr();
    let mut idle: Vec<TcpStream> = (0..40).map(|_| TcpStream::connect(addr).expect("connect")).collect();
    // Served, so every earlier connection has been admitted or closed.
    assert_eq!(get(addr, "/metrics").status, 200);
    let mut still_open = 0;
    for stream in &mut idle {
        stream.set_read_timeout(Some(Duration::from_millis(20))).expect("timeout");
        let mut buf = [0u8; 16];
        match stream.read(&mut buf) {
            Ok(0) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                still_open += 1
            }
            Err(_) => {}
            Ok(n) => panic!("an idle connection got {n} bytes"),
        }
    }
    assert!(still_open <= 4, "{still_open} of 40 idle connections still held with max_connections = 4");
}
