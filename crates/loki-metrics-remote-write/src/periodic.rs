//! Remote write beside an exporter: a [`PeriodicPush`] collects a fleet
//! every interval and queues it, on a thread of its own (a scrape never
//! waits for it), and adds remote write's counters to the fleet's
//! exposition when exporter metrics are on.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use loki_metrics::families::{Family, Group, Json, Series};
use loki_metrics::fleet::Fleet;
use loki_metrics::{MetricFamily, MetricType, Value};
use tokio::sync::oneshot;

use crate::{RemoteWriteConfig, RemoteWriteError, RemoteWriteStats, RemoteWriter, StatsHandle};

const COUNTER: Family = Family {
    name: "loki_remote_write_samples_sent_total",
    metric_type: MetricType::Counter,
    help: "Samples the remote-write receiver accepted",
    unit: None,
    labels: &[],
    source: "the exporter's remote write (--remote-write)",
    group: Group::Exporter,
    series: Series::Single,
    fallback: Value::Int(0),
    json: Json::Derived,
};

/// `loki_remote_write_samples_sent_total`.
pub const SAMPLES_SENT: Family = COUNTER;
/// `loki_remote_write_samples_failed_total`: refused for good (a 4xx other than 429).
pub const SAMPLES_FAILED: Family = Family {
    name: "loki_remote_write_samples_failed_total",
    help: "Samples the remote-write receiver refused for good (a 4xx other than 429; not retried)",
    ..COUNTER
};
/// `loki_remote_write_samples_dropped_total`: pushed out of the full queue.
pub const SAMPLES_DROPPED: Family = Family {
    name: "loki_remote_write_samples_dropped_total",
    help: "Samples dropped unsent: pushed out of the full queue while the receiver could not be reached",
    ..COUNTER
};
/// `loki_remote_write_queue_samples`: waiting to be sent.
pub const QUEUE_SAMPLES: Family = Family {
    name: "loki_remote_write_queue_samples",
    metric_type: MetricType::Gauge,
    help: "Samples waiting to be sent (queued or being sent)",
    ..COUNTER
};
/// `loki_remote_write_last_success_timestamp_seconds`: absent before the first success.
pub const LAST_SUCCESS: Family = Family {
    name: "loki_remote_write_last_success_timestamp_seconds",
    metric_type: MetricType::Gauge,
    help: "Unix time the receiver last accepted a request",
    unit: Some("seconds"),
    ..COUNTER
};

/// Remote write's counters as families.
pub fn stats_families(stats: &RemoteWriteStats) -> Vec<MetricFamily<'static, Value>> {
    let mut values = vec![
        (&SAMPLES_SENT, Some(Value::Int(stats.samples_sent))),
        (&SAMPLES_FAILED, Some(Value::Int(stats.samples_failed))),
        (&SAMPLES_DROPPED, Some(Value::Int(stats.samples_dropped))),
        (&QUEUE_SAMPLES, Some(Value::Int(stats.queue_length))),
    ];
    values.push((&LAST_SUCCESS, stats.last_success_unix_seconds.map(Value::Float)));
    values
        .into_iter()
        .map(|(family, value)| {
            let mut f = family.to_metric_family();
            f.samples = value.map(|v| family.sample(Vec::new(), v)).into_iter().collect();
            f
        })
        .collect()
}

fn unix_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Queues `collect()` every `interval` until `stop` completes, then one last one.
pub async fn periodically(
    writer: &RemoteWriter,
    interval: Duration,
    collect: impl Fn() -> Vec<MetricFamily<'static, Value>>,
    stop: impl Future<Output = ()>,
) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                writer.enqueue(&collect(), unix_ms());
            }
            () = &mut stop => break,
        }
    }
    writer.enqueue(&collect(), unix_ms());
}

/// A thread sending a fleet's collections every interval; [`stop`](PeriodicPush::stop) ends it.
#[derive(Debug)]
pub struct PeriodicPush {
    stop: oneshot::Sender<()>,
    thread: std::thread::JoinHandle<RemoteWriteStats>,
    stats: StatsHandle,
}

impl PeriodicPush {
    /// Starts sending `fleet`'s collections to `config`'s receiver every
    /// `interval`; with the fleet's exporter metrics on, its exposition
    /// gains remote write's counters. At [`stop`](PeriodicPush::stop), one
    /// last collection is sent within the config's timeout.
    pub fn start(fleet: Arc<Fleet>, config: RemoteWriteConfig, interval: Duration) -> Result<Self, RemoteWriteError> {
        crate::inputs::positive("interval", interval)?;
        let deadline = config.timeout;
        let writer = RemoteWriter::start(config)?;
        let stats = writer.stats_handle();
        let for_fleet = stats.clone();
        fleet.add_families(Box::new(move || stats_families(&for_fleet.stats())));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| RemoteWriteError::Runtime(e.to_string()))?;
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("loki-remote-write-collect".to_owned())
            .spawn(move || {
                runtime.block_on(periodically(&writer, interval, || fleet.families(), async {
                    let _ = stopped.await;
                }));
                writer.shutdown(deadline)
            })
            .map_err(|e| RemoteWriteError::Runtime(e.to_string()))?;
        Ok(PeriodicPush { stop, thread, stats })
    }

    /// The sender's counters now.
    pub fn stats(&self) -> RemoteWriteStats {
        self.stats.stats()
    }

    /// Sends one last collection (within the config's timeout), stops, and
    /// returns the final counters.
    pub fn stop(self) -> RemoteWriteStats {
        let _ = self.stop.send(());
        self.thread.join().unwrap_or_default()
    }
}
