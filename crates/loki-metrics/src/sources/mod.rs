//! Readers, one per `.loki` source, and the state that lets a [`SourceState`]
//! re-read only what changed.

mod agents;
mod dashboard_state;
mod efficiency;
mod events;
mod file;
mod folder;
mod json;
mod pid;
mod pricing;
#[cfg(feature = "test-family")]
mod test_answer;

use std::path::Path;
use std::time::{Instant, SystemTime};

use crate::families;
use crate::{ExporterInfo, Options, SessionStatus, Snapshot, Source, Warning, DEFAULT_MAX_ITERATIONS};
use agents::AgentCounts;
use dashboard_state::{DashboardState, Mode};
use efficiency::EfficiencyState;
use events::EventsCounter;
pub use events::LineCount;
use file::{FileKey, OpenError};
use pricing::PriceTable;

/// What reading a JSON source gave.
#[derive(Debug, Clone)]
enum Parsed<T> {
    Value(T, Vec<String>),
    Unusable(String),
}

/// A JSON source and the result of its last read, keyed by the file's identity.
#[derive(Debug)]
struct JsonSource<T> {
    last: Option<(FileKey, Parsed<T>)>,
}

impl<T> Default for JsonSource<T> {
    fn default() -> Self {
        JsonSource { last: None }
    }
}

/// What a JSON source yields for one collection.
enum Read<'a, T> {
    Missing,
    Unusable(String),
    Value(&'a T, &'a [String]),
}

impl<T> JsonSource<T> {
    /// Re-reads and re-parses `path` only if its (inode, size, mtime) changed.
    fn read(
        &mut self,
        path: &Path,
        cap: u64,
        parse: impl FnOnce(&[u8], &mut Vec<String>) -> Result<T, String>,
    ) -> Read<'_, T> {
        let meta = match file::stat(path) {
            Ok(meta) => meta,
            Err(OpenError::Missing) => {
                self.last = None;
                return Read::Missing;
            }
            Err(OpenError::Unusable(why)) => {
                self.last = None;
                return Read::Unusable(why);
            }
        };
        let unchanged =
            meta.file_type().is_file() && matches!(&self.last, Some((key, _)) if *key == FileKey::of(&meta));
        if !unchanged {
            self.last = None;
            let (handle, meta) = match file::open_regular(path) {
                Ok(opened) => opened,
                Err(OpenError::Missing) => return Read::Missing,
                Err(OpenError::Unusable(why)) => return Read::Unusable(why),
            };
            let key = FileKey::of(&meta);
            let parsed = match file::read_capped(handle, &meta, cap) {
                Err(why) => Parsed::Unusable(why),
                Ok(bytes) => {
                    let mut warnings = Vec::new();
                    match parse(&bytes, &mut warnings) {
                        Ok(value) => Parsed::Value(value, warnings),
                        Err(why) => Parsed::Unusable(why),
                    }
                }
            };
            self.last = Some((key, parsed));
        }
        match &self.last {
            Some((_, Parsed::Value(value, warnings))) => Read::Value(value, warnings),
            Some((_, Parsed::Unusable(why))) => Read::Unusable(why.clone()),
            None => Read::Missing,
        }
    }
}

/// Everything learned from earlier collections of one directory, so the next
/// one reads only what changed: `events.jsonl` from the last offset, each
/// JSON source and efficiency record only when its (inode, size, mtime) moved.
///
/// [`crate::collect`] uses a fresh one; a long-lived exporter keeps one.
#[derive(Debug, Default)]
pub struct SourceState {
    state: JsonSource<DashboardState>,
    agents: JsonSource<AgentCounts>,
    pricing: JsonSource<PriceTable>,
    efficiency: EfficiencyState,
    events: EventsCounter,
}

/// Warnings of one collection, and which existing sources failed.
struct Report {
    warnings: Vec<Warning>,
    failed: Vec<Source>,
}

impl Report {
    /// The source exists but could not be used (wholly or partly).
    fn failed(&mut self, source: Source, message: impl Into<String>) {
        self.warnings.push(Warning::new(source, message));
        if !self.failed.contains(&source) {
            self.failed.push(source);
        }
    }

    /// Worth knowing, but nothing that exists failed.
    fn note(&mut self, source: Source, message: impl Into<String>) {
        self.warnings.push(Warning::new(source, message));
    }
}

impl SourceState {
    /// Collects a snapshot of the directory named by `options`.
    pub fn collect(&mut self, options: &Options) -> Snapshot {
        let started = Instant::now();
        let now = options.now.unwrap_or_else(SystemTime::now);
        let mut report = Report { warnings: Vec::new(), failed: Vec::new() };
        let iteration_max = resolve_max_iterations(options, &mut report);
        let mut snapshot = Snapshot::empty(iteration_max);
        self.read_directory(options, now, &mut snapshot, &mut report);
        report.failed.sort();
        snapshot.set_failed_sources(report.failed);
        snapshot.warnings = report.warnings;
        if options.exporter_metrics {
            snapshot.set_exporter(Some(ExporterInfo {
                collect_seconds: started.elapsed().as_secs_f64(),
                version: crate::VERSION.to_owned(),
            }));
        }
        snapshot
    }

    fn read_directory(&mut self, options: &Options, now: SystemTime, snapshot: &mut Snapshot, report: &mut Report) {
        let dir = options.loki_dir.as_path();
        match file::stat(dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(meta) => {
                *self = SourceState::default();
                report.failed(
                    Source::Directory,
                    format!("the directory is {}; all values are fallbacks", file::describe_type(&meta)),
                );
                return;
            }
            Err(OpenError::Missing) => {
                *self = SourceState::default();
                report.note(Source::Directory, "the directory does not exist; all values are fallbacks");
                return;
            }
            Err(OpenError::Unusable(why)) => {
                *self = SourceState::default();
                report.failed(
                    Source::Directory,
                    format!("the directory cannot be read: {why}; all values are fallbacks"),
                );
                return;
            }
        }
        #[cfg(feature = "test-family")]
        test_answer::read(snapshot);
        // A large unread stretch of events.jsonl (a cold start on a long
        // session) is counted on a second thread while the JSON sources and
        // the efficiency records are read; small increments stay inline.
        let events_path = dir.join(Source::Events.path());
        if self.events.unread_bytes(&events_path) >= PARALLEL_EVENTS_BYTES {
            let mut events = std::mem::take(&mut self.events);
            let counted = std::thread::scope(|scope| {
                let worker = scope.spawn(move || {
                    let n = events.count(&events_path);
                    (events, n)
                });
                self.read_json_sources(options, now, snapshot, report);
                worker.join()
            });
            let n = match counted {
                Ok((events, n)) => {
                    self.events = events;
                    n
                }
                Err(_) => Err("could not be counted (internal error)".to_owned()),
            };
            record_events(n, snapshot, report);
        } else {
            self.read_json_sources(options, now, snapshot, report);
            let n = self.events.count(&events_path);
            record_events(n, snapshot, report);
        }
    }

    /// Everything but `events.jsonl`.
    fn read_json_sources(&mut self, options: &Options, now: SystemTime, snapshot: &mut Snapshot, report: &mut Report) {
        let dir = options.loki_dir.as_path();
        let cap = options.json_size_cap;

        // dashboard-state.json
        let state = match self.state.read(&dir.join(Source::DashboardState.path()), cap, dashboard_state::parse) {
            Read::Value(state, warnings) => {
                for w in warnings {
                    report.failed(Source::DashboardState, w.clone());
                }
                Some(state.clone())
            }
            Read::Unusable(why) => {
                report.failed(Source::DashboardState, format!("{why}; its values fall back"));
                None
            }
            Read::Missing => {
                report.note(Source::DashboardState, "does not exist; mode, iteration, tasks and startedAt fall back");
                None
            }
        };

        // loki.pid
        let pid = match pid::read(&dir.join(Source::Pid.path())) {
            Ok(pid) => pid,
            Err(why) => {
                report.failed(Source::Pid, why);
                None
            }
        };
        let alive_by_pid = pid.is_some_and(|p| p.alive);

        let mode = state.as_ref().map_or(Mode::Undecided, |s| s.mode);
        let status = match mode {
            Mode::Paused => SessionStatus::Paused,
            Mode::Running => SessionStatus::Running,
            Mode::Undecided if alive_by_pid => SessionStatus::Running,
            Mode::Undecided => SessionStatus::Stopped,
        };
        snapshot.set_session_status(status);
        if let Some(state) = &state {
            snapshot.set(&families::ITERATION_CURRENT, &[], state.iteration);
            snapshot.set_tasks(state.tasks);
        }

        // loki_uptime_seconds
        let started_at = match state.as_ref().and_then(|s| s.started_at) {
            Some(t) => Some(t),
            None if alive_by_pid => pid.and_then(|p| p.mtime),
            None => None,
        };
        if let Some(started_at) = started_at {
            match now.duration_since(started_at) {
                Ok(elapsed) => {
                    snapshot.set(&families::UPTIME_SECONDS, &[], (elapsed.as_secs_f64() * 10.0).round() / 10.0)
                }
                Err(_) => report.note(Source::DashboardState, "the session start is in the future; uptime 0"),
            }
        }

        // Agents: state/agents.json, else dashboard-state.json's `agents`.
        let from_file = match self.agents.read(&dir.join(Source::Agents.path()), cap, agents::parse) {
            Read::Value(counts, warnings) => {
                for w in warnings {
                    report.failed(Source::Agents, w.clone());
                }
                Some(*counts).filter(|c| c.total > 0)
            }
            Read::Unusable(why) => {
                report.failed(Source::Agents, format!("{why}; using dashboard-state.json agents"));
                None
            }
            Read::Missing => None,
        };
        if let Some(agents) = from_file.or_else(|| state.as_ref().and_then(|s| s.agents)) {
            snapshot.set(&families::AGENTS_ACTIVE, &[], agents.active);
            snapshot.set(&families::AGENTS_TOTAL, &[], agents.total);
        }

        // Cost: pricing.json over the defaults, then the efficiency records.
        let default_prices;
        let prices = match self.pricing.read(&dir.join(Source::Pricing.path()), cap, pricing::parse) {
            Read::Value(table, warnings) => {
                for w in warnings {
                    report.failed(Source::Pricing, w.clone());
                }
                table
            }
            Read::Unusable(why) => {
                report.failed(Source::Pricing, format!("{why}; default prices used"));
                default_prices = PriceTable::default();
                &default_prices
            }
            Read::Missing => {
                default_prices = PriceTable::default();
                &default_prices
            }
        };
        let cost = self.efficiency.total(&dir.join(Source::Efficiency.path()), prices, cap);
        snapshot.set(&families::COST_USD, &[], cost.cost_usd);
        for w in cost.warnings {
            if cost.failed {
                report.failed(Source::Efficiency, w);
            } else {
                report.note(Source::Efficiency, w);
            }
        }
    }
}

/// Unread `events.jsonl` bytes above which counting gets its own thread.
const PARALLEL_EVENTS_BYTES: u64 = 16 * 1024 * 1024;

fn record_events(counted: Result<Option<u64>, String>, snapshot: &mut Snapshot, report: &mut Report) {
    match counted {
        Ok(Some(n)) => snapshot.set(&families::EVENTS_TOTAL, &[], n),
        Ok(None) => {}
        Err(why) => report.failed(Source::Events, format!("{why}; events counted as 0")),
    }
}

fn resolve_max_iterations(options: &Options, report: &mut Report) -> u64 {
    if let Some(max) = options.max_iterations {
        if max > 0 {
            return max;
        }
        report.note(
            Source::Options,
            format!("max_iterations 0 is not a positive integer; using {DEFAULT_MAX_ITERATIONS}"),
        );
        return DEFAULT_MAX_ITERATIONS;
    }
    let Some(raw) = std::env::var_os("LOKI_MAX_ITERATIONS") else {
        return DEFAULT_MAX_ITERATIONS;
    };
    let text = raw.to_string_lossy();
    match text.trim().parse::<u64>() {
        Ok(max) if max > 0 => max,
        _ if text.trim().is_empty() => DEFAULT_MAX_ITERATIONS,
        _ => {
            let shown: String = text.chars().take(40).collect();
            report.note(
                Source::Options,
                format!("LOKI_MAX_ITERATIONS={shown:?} is not a positive integer; using {DEFAULT_MAX_ITERATIONS}"),
            );
            DEFAULT_MAX_ITERATIONS
        }
    }
}

#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_dashboard_state(bytes: &[u8], warnings: &mut Vec<String>) -> Result<(), String> {
    dashboard_state::parse(bytes, warnings).map(drop)
}

#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_agents(bytes: &[u8], warnings: &mut Vec<String>) -> Result<(), String> {
    agents::parse(bytes, warnings).map(drop)
}

#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_efficiency_record(bytes: &[u8]) {
    let _ = efficiency::parse_record(bytes);
}

#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_pricing(bytes: &[u8], warnings: &mut Vec<String>) -> Result<(), String> {
    pricing::parse(bytes, warnings).map(drop)
}

#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_pid(bytes: &[u8]) -> Result<i32, String> {
    pid::parse_pid(bytes)
}
