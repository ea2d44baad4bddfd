//! Readers, one per `.loki` source, and the state that lets a [`SourceState`]
//! re-read only what changed.

mod agents;
mod autonomy_state;
mod budget;
mod checklist;
mod dashboard_state;
mod efficiency;
mod events;
pub(crate) mod file;
mod folder;
mod json;
mod orchestrator;
mod pid;
mod pricing;
mod queue;
mod receipts;
mod skill_session;
mod status;
#[cfg(feature = "test-family")]
mod test_answer;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use crate::families;
use crate::{ExporterInfo, Options, Snapshot, Source, TaskCounts, Warning, DEFAULT_MAX_ITERATIONS};
use agents::AgentCounts;
use autonomy_state::AutonomyState;
use budget::Budget;
use dashboard_state::DashboardState;
use efficiency::EfficiencyState;
use events::EventsCounter;
pub use events::LineCount;
use file::{FileKey, OpenError};
use orchestrator::Orchestrator;
use pid::{Liveness, PidRegistry, SessionPids};
use pricing::PriceTable;
use receipts::ReceiptsState;
use skill_session::SkillSession;
use status::{DashboardLiveness, SkillLiveness, StatusInputs};

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
    /// The modification time of the file last read, if it was read.
    fn mtime(&self) -> Option<SystemTime> {
        let ns = u64::try_from(self.last.as_ref()?.0.mtime_ns()).ok()?;
        SystemTime::UNIX_EPOCH.checked_add(Duration::from_nanos(ns))
    }

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
            // The `stat` above already refused what is not a regular file, so
            // no device is ever opened; the open itself is non-blocking and
            // re-checks the type on the handle, against a swap in between.
            if !meta.file_type().is_file() {
                return Read::Unusable(format!("is {}, not a regular file", file::describe_type(&meta)));
            }
            let (handle, meta) = match file::open_checked(path) {
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
    autonomy: JsonSource<AutonomyState>,
    session: JsonSource<SkillSession>,
    orchestrator: JsonSource<Orchestrator>,
    queues: [JsonSource<u64>; 4],
    agents: JsonSource<AgentCounts>,
    pricing: JsonSource<PriceTable>,
    budget: JsonSource<Budget>,
    checklist: JsonSource<[u64; 3]>,
    efficiency: EfficiencyState,
    session_pids: SessionPids,
    registry: PidRegistry,
    receipts: ReceiptsState,
    events: EventsCounter,
}

/// Reads one JSON source through its cache: field warnings and an unusable
/// file mark `source` failed (`unusable` says what falls back); a missing
/// file is `None` silently. `name` prefixes the messages of a file that is
/// not the source's own path (a queue file).
#[allow(clippy::too_many_arguments)]
fn read_json<'a, T>(
    cache: &'a mut JsonSource<T>,
    dir: &Path,
    path: &str,
    source: Source,
    cap: u64,
    parse: impl FnOnce(&[u8], &mut Vec<String>) -> Result<T, String>,
    unusable: &str,
    report: &mut Report,
) -> Option<&'a T> {
    let prefix =
        if path == source.path() { String::new() } else { format!("{}: ", path.rsplit('/').next().unwrap_or(path)) };
    match cache.read(&dir.join(path), cap, parse) {
        Read::Value(value, warnings) => {
            for w in warnings {
                report.failed(source, format!("{prefix}{w}"));
            }
            Some(value)
        }
        Read::Unusable(why) => {
            report.failed(source, format!("{prefix}{why}; {unusable}"));
            None
        }
        Read::Missing => None,
    }
}

/// Whether a control or signal file exists (any type; it is never opened).
fn exists(path: &Path) -> bool {
    !matches!(file::stat(path), Err(OpenError::Missing))
}

/// A time as Unix seconds, to the millisecond.
fn unix_seconds(t: SystemTime) -> f64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => (d.as_millis() as f64) / 1000.0,
        Err(e) => -((e.duration().as_millis() as f64) / 1000.0),
    }
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
                snapshot.set_status_reason(format!("the .loki directory is {}", file::describe_type(&meta)));
                report.failed(
                    Source::Directory,
                    format!("the directory is {}; all values are fallbacks", file::describe_type(&meta)),
                );
                return;
            }
            Err(OpenError::Missing) => {
                *self = SourceState::default();
                snapshot.set_status_reason("the .loki directory does not exist");
                report.note(Source::Directory, "the directory does not exist; all values are fallbacks");
                return;
            }
            Err(OpenError::Unusable(why)) => {
                *self = SourceState::default();
                snapshot.set_status_reason("the .loki directory cannot be read");
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

        let state = read_json(
            &mut self.state,
            dir,
            Source::DashboardState.path(),
            Source::DashboardState,
            cap,
            dashboard_state::parse,
            "its values fall back",
            report,
        )
        .cloned();
        let state_written = state.as_ref().and_then(|s| s.timestamp).or_else(|| self.state.mtime());
        let autonomy = read_json(
            &mut self.autonomy,
            dir,
            Source::AutonomyState.path(),
            Source::AutonomyState,
            cap,
            autonomy_state::parse,
            "the iteration falls back",
            report,
        )
        .cloned();
        let session = read_json(
            &mut self.session,
            dir,
            Source::Session.path(),
            Source::Session,
            cap,
            skill_session::parse,
            "read as no skill session",
            report,
        )
        .cloned();
        let session_written =
            session.as_ref().and_then(|s| s.updated_at.or(s.started_at)).or_else(|| self.session.mtime());
        if state.is_none() && session.is_none() && !exists(&dir.join(Source::DashboardState.path())) {
            report.note(Source::DashboardState, "does not exist; mode, iteration, tasks and startedAt fall back");
        }
        let orchestrator = read_json(
            &mut self.orchestrator,
            dir,
            Source::Orchestrator.path(),
            Source::Orchestrator,
            cap,
            orchestrator::parse,
            "its values fall back",
            report,
        )
        .cloned();

        // Liveness: loki.pid, parallel sessions, the process registry.
        let pid_path = dir.join(Source::Pid.path());
        let pid = match pid::read(&pid_path) {
            Ok(Some(p)) => {
                let mut liveness = Liveness::default();
                liveness.probed(p.pid, p.alive, p.mtime);
                liveness
            }
            Ok(None) => Liveness::default(),
            Err(why) => {
                report.failed(Source::Pid, why);
                Liveness { present: true, ..Liveness::default() }
            }
        };
        let sessions = self.session_pids.probe(&dir.join(Source::Sessions.path()), cap);
        let registry = self.registry.probe(&dir.join(Source::PidRegistry.path()), cap);
        for (liveness, source) in [(&sessions, Source::Sessions), (&registry, Source::PidRegistry)] {
            for w in &liveness.warnings {
                report.failed(source, w.clone());
            }
        }

        // loki_session_status and loki_uptime_seconds
        let inputs = StatusInputs {
            stop: exists(&dir.join("STOP")),
            pause: exists(&dir.join("PAUSE")),
            pid,
            sessions,
            registry,
            // An unusable session.json still exists: it says nothing is alive.
            skill: match &session {
                Some(s) => {
                    Some(SkillLiveness { running: s.running, updated: session_written, started_at: s.started_at })
                }
                None if exists(&dir.join(Source::Session.path())) => {
                    Some(SkillLiveness { running: false, updated: None, started_at: None })
                }
                None => None,
            },
            dashboard: state.as_ref().map(|s| DashboardLiveness {
                mode: s.mode,
                written: state_written,
                started_at: s.started_at,
            }),
        };
        let decision = status::decide(&inputs, now, options.stale_after);
        snapshot.set_session_status(decision.status);
        snapshot.set_status_reason(decision.reason);
        if let Some((started, source)) = decision.started {
            match now.duration_since(started) {
                Ok(elapsed) => {
                    snapshot.set(&families::UPTIME_SECONDS, &[], (elapsed.as_secs_f64() * 10.0).round() / 10.0)
                }
                Err(_) => report.note(source, "the session start is in the future; uptime 0"),
            }
        }

        // loki_iteration_current: the live loop's count first.
        let iteration = autonomy
            .as_ref()
            .and_then(|a| a.iteration)
            .or_else(|| state.as_ref().and_then(|s| s.iteration))
            .or_else(|| orchestrator.as_ref().and_then(|o| o.iteration));
        if let Some(iteration) = iteration {
            snapshot.set(&families::ITERATION_CURRENT, &[], iteration);
        }

        // loki_tasks_total: dashboard-state.json, else the queue files.
        match &state {
            Some(state) => snapshot.set_tasks(state.tasks),
            None => {
                let mut counts = [0u64; 4];
                for ((cache, path), n) in self.queues.iter_mut().zip(queue::FILES).zip(counts.iter_mut()) {
                    if let Some(len) =
                        read_json(cache, dir, path, Source::Queue, cap, queue::parse, "counted as 0", report)
                    {
                        *n = *len;
                    }
                }
                let [pending, in_progress, completed, failed] = counts;
                snapshot.set_tasks(TaskCounts { pending, in_progress, completed, failed });
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

        // Cost and tokens: pricing.json over the defaults, then the efficiency records.
        let default_prices = PriceTable::default();
        let prices = read_json(
            &mut self.pricing,
            dir,
            Source::Pricing.path(),
            Source::Pricing,
            cap,
            pricing::parse,
            "default prices used",
            report,
        )
        .unwrap_or(&default_prices);
        let cost = self.efficiency.total(&dir.join(Source::Efficiency.path()), prices, cap);
        snapshot.set(&families::COST_USD, &[], cost.cost_usd);
        for (kind, n) in families::TOKEN_KINDS.iter().zip(cost.tokens) {
            snapshot.set(&families::TOKENS_TOTAL, &[("kind", kind)], n);
        }
        for (model, usd) in &cost.by_model {
            snapshot.set(&families::MODEL_COST_USD, &[("model", model)], *usd);
        }
        for w in cost.warnings {
            if cost.failed {
                report.failed(Source::Efficiency, w);
            } else {
                report.note(Source::Efficiency, w);
            }
        }

        // Evidence Receipts.
        let receipts = self.receipts.count(&dir.join(Source::Proofs.path()), cap);
        snapshot.set(&families::RECEIPTS_TOTAL, &[], receipts.total);
        for (verdict, n) in families::RECEIPT_VERDICTS.iter().zip(receipts.by_verdict) {
            snapshot.set(&families::RECEIPTS_BY_VERDICT, &[("verdict", verdict)], n);
        }
        for (kind, n) in families::PROVENANCE_KINDS.iter().zip(receipts.provenance) {
            snapshot.set(&families::RECEIPTS_WITH_PROVENANCE, &[("kind", kind)], n);
        }
        for w in receipts.warnings {
            if receipts.failed {
                report.failed(Source::Proofs, w);
            } else {
                report.note(Source::Proofs, w);
            }
        }

        // Budget: metrics/budget.json, else the environment; the signal file.
        let budget_path = dir.join(Source::Budget.path());
        let budget = read_json(
            &mut self.budget,
            dir,
            Source::Budget.path(),
            Source::Budget,
            cap,
            budget::parse,
            "no budget read from it",
            report,
        )
        .copied();
        let env_limit = match budget::env_limit(std::env::var("LOKI_BUDGET_LIMIT").ok()) {
            Ok(limit) => limit,
            Err(why) => {
                report.note(Source::Options, why);
                None
            }
        };
        if let Some(limit) = budget.and_then(|b| b.limit).or(env_limit) {
            snapshot.set(&families::BUDGET_LIMIT_USD, &[], limit);
        }
        let signal = exists(&dir.join("signals/BUDGET_EXCEEDED"));
        if signal || exists(&budget_path) {
            let exceeded = signal || budget.is_some_and(|b| b.exceeded);
            snapshot.set(&families::BUDGET_EXCEEDED, &[], u64::from(exceeded));
        }

        // loki_session_info: each label from the first source that has it.
        let info = state.as_ref().map(|s| s.info.clone()).unwrap_or_default();
        let provider = info.provider.or_else(|| session.as_ref().and_then(|s| s.provider.clone()));
        let phase = info.phase.or_else(|| orchestrator.as_ref().and_then(|o| o.phase.clone()));
        let version = info.version.or_else(|| orchestrator.as_ref().and_then(|o| o.version.clone()));
        let values = [version, provider, phase, info.project];
        let labels: Vec<(&str, &str)> = families::SESSION_INFO_LABELS
            .iter()
            .zip(&values)
            .filter_map(|(name, value)| Some((*name, value.as_deref()?)))
            .collect();
        snapshot.set(&families::SESSION_INFO, &labels, 1u64);

        // loki_state_updated_timestamp_seconds
        let written = if state.is_some() { state_written } else { session.as_ref().and(session_written) };
        if let Some(written) = written {
            snapshot.set(&families::STATE_UPDATED_TIMESTAMP_SECONDS, &[], unix_seconds(written));
        }

        // loki_checklist_items
        if let Some(counts) = read_json(
            &mut self.checklist,
            dir,
            Source::Checklist.path(),
            Source::Checklist,
            cap,
            checklist::parse,
            "no checklist samples",
            report,
        ) {
            for (status, n) in families::CHECKLIST_STATUSES.iter().zip(counts) {
                snapshot.set(&families::CHECKLIST_ITEMS, &[("status", status)], *n);
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
    let raw = std::env::var_os("LOKI_MAX_ITERATIONS");
    match crate::max_iterations_from_env(raw.as_deref().map(|v| v.to_string_lossy()).as_deref()) {
        Ok(max) => max,
        Err(warning) => {
            report.note(Source::Options, warning);
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
