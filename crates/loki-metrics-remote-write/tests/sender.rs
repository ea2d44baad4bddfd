//! The sender against real HTTP receivers on loopback (a thread answering
//! canned statuses and recording what it received).

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use loki_metrics_exposition::{MetricFamily, MetricType, Sample, Value};
use loki_metrics_remote_write::{RemoteWriteConfig, RemoteWriter};

/// One received request: its headers (lower-cased names) and body.
#[derive(Debug, Clone)]
struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A receiver answering each request with the next status of `statuses`
/// (the last one repeated).
fn receiver(statuses: Vec<u16>) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/api/v1/write", listener.local_addr().expect("addr"));
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&log);
    std::thread::spawn(move || {
        for (i, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut headers = Vec::new();
            let mut line = String::new();
            reader.read_line(&mut line).expect("request line");
            loop {
                line.clear();
                reader.read_line(&mut line).expect("header");
                let trimmed = line.trim_end();
                if trimmed.is_empty() {
                    break;
                }
                if let Some((k, v)) = trimmed.split_once(':') {
                    headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
                }
            }
            let length: usize =
                headers.iter().find(|(k, _)| k == "content-length").map_or(0, |(_, v)| v.parse().expect("length"));
            let mut body = vec![0; length];
            reader.read_exact(&mut body).expect("body");
            seen.lock().expect("lock").push(Received { headers, body });
            let status = statuses[i.min(statuses.len() - 1)];
            let _ = write!(stream, "HTTP/1.1 {status} X\r\nContent-Length: 3\r\nConnection: close\r\n\r\nno\n");
        }
    });
    (url, log)
}

fn families(value: u64) -> Vec<MetricFamily<'static, Value>> {
    vec![MetricFamily {
        name: Cow::Borrowed("loki_tasks_total"),
        metric_type: MetricType::Gauge,
        help: Some(Cow::Borrowed("Number of tasks by status")),
        unit: None,
        samples: ["pending", "completed"]
            .into_iter()
            .map(|status| Sample {
                name: Cow::Borrowed("loki_tasks_total"),
                labels: vec![(Cow::Borrowed("status"), Cow::Borrowed(status))],
                value: Value::Int(value),
                timestamp: None,
                exemplar: None,
            })
            .collect(),
    }]
}

fn config(url: &str) -> RemoteWriteConfig {
    let mut config = RemoteWriteConfig::new(url);
    config.min_backoff = Duration::from_millis(10);
    config.max_backoff = Duration::from_millis(40);
    config.timeout = Duration::from_secs(2);
    config
}

fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_request_carries_the_remote_write_headers_and_a_decodable_body() {
    let (url, log) = receiver(vec![204]);
    let writer = RemoteWriter::start(config(&url)).expect("start");
    writer.enqueue(&families(3), 1000);
    let stats = writer.shutdown(Duration::from_secs(5));
    assert_eq!((stats.samples_sent, stats.samples_failed, stats.samples_dropped, stats.queue_length), (2, 0, 0, 0));
    assert!(stats.last_success_unix_seconds.is_some());
    let received = log.lock().expect("lock").clone();
    assert_eq!(received.len(), 1);
    let header = |name: &str| received[0].headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    assert_eq!(header("content-encoding"), Some("snappy"));
    assert_eq!(header("content-type"), Some("application/x-protobuf"));
    assert_eq!(header("x-prometheus-remote-write-version"), Some("0.1.0"));
    assert_eq!(header("user-agent"), Some(concat!("loki-metrics/", env!("CARGO_PKG_VERSION"))));
    let protobuf = snap::raw::Decoder::new().decompress_vec(&received[0].body).expect("snappy");
    let request = <loki_metrics_remote_write::proto::WriteRequest as prost::Message>::decode(protobuf.as_slice())
        .expect("protobuf");
    assert_eq!(request.timeseries.len(), 2);
    assert_eq!(request.metadata.len(), 1);
}

#[test]
fn server_errors_are_retried_until_accepted() {
    let (url, log) = receiver(vec![503, 500, 429, 204]);
    let writer = RemoteWriter::start(config(&url)).expect("start");
    writer.enqueue(&families(1), 1000);
    wait_for("the sample delivered", || writer.stats().samples_sent == 2);
    let stats = writer.shutdown(Duration::from_secs(1));
    assert_eq!(log.lock().expect("lock").len(), 4);
    assert_eq!((stats.samples_sent, stats.samples_failed, stats.requests), (2, 0, 4));
}

#[test]
fn a_400_is_not_retried_and_counts_as_failed() {
    let (url, log) = receiver(vec![400]);
    let writer = RemoteWriter::start(config(&url)).expect("start");
    writer.enqueue(&families(1), 1000);
    wait_for("the refusal counted", || writer.stats().samples_failed == 2);
    std::thread::sleep(Duration::from_millis(300));
    writer.enqueue(&families(2), 2000);
    let stats = writer.shutdown(Duration::from_secs(2));
    assert_eq!(log.lock().expect("lock").len(), 2, "one request per collection, no retry");
    assert_eq!((stats.samples_sent, stats.samples_failed, stats.samples_dropped), (0, 4, 0));
    assert!(stats.last_error.as_deref().is_some_and(|e| e.contains("400")), "{stats:?}");
}

#[test]
fn with_no_receiver_the_queue_stays_bounded_and_the_rest_is_dropped_at_the_deadline() {
    // A port nobody listens on: connections are refused.
    let port = TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let mut config = config(&format!("http://127.0.0.1:{port}/api/v1/write"));
    config.queue_samples = 5;
    let writer = RemoteWriter::start(config).expect("start");
    for t in 0..10 {
        writer.enqueue(&families(t), 1000 + t as i64);
    }
    let stats = writer.stats();
    // At most the bound queued, plus a request in flight made of what was queued.
    assert!(stats.queue_length <= 2 * 5, "{stats:?}");
    let started = Instant::now();
    let stats = writer.shutdown(Duration::from_millis(300));
    assert!(started.elapsed() < Duration::from_secs(3), "shutdown keeps to its deadline");
    assert_eq!(stats.samples_sent, 0);
    assert_eq!(stats.samples_dropped, 20, "every sample is accounted for: {stats:?}");
    assert_eq!(stats.queue_length, 0);
}

#[test]
fn a_periodic_push_sends_a_fleet_and_its_counters_join_the_fleets_exposition() {
    let (url, log) = receiver(vec![204]);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("events.jsonl"), "{}\n{}\n").expect("events");
    let options = loki_metrics::Options { exporter_metrics: true, ..loki_metrics::Options::new(dir.path()) };
    let fleet = Arc::new(loki_metrics::fleet::Fleet::single(options, Duration::ZERO));
    let push =
        loki_metrics_remote_write::PeriodicPush::start(Arc::clone(&fleet), config(&url), Duration::from_millis(50))
            .expect("starts");
    wait_for("two requests", || log.lock().expect("lock").len() >= 2);
    let text = fleet.render(loki_metrics::Format::OpenMetrics);
    assert!(text.contains("# TYPE loki_remote_write_samples_sent counter\n"), "{text}");
    assert!(!text.contains("loki_remote_write_samples_sent_total 0\n"), "some samples were sent: {text}");
    assert!(text.contains("loki_remote_write_last_success_timestamp_seconds "), "{text}");
    assert!(text.ends_with("# EOF\n") && text.matches("# EOF").count() == 1, "{text}");
    loki_metrics::parse::parse(&text, loki_metrics::parse::ParseFormat::OpenMetrics).expect("valid OpenMetrics");
    let stats = push.stop();
    assert!(stats.samples_sent > 0 && stats.samples_failed == 0, "{stats:?}");
}
