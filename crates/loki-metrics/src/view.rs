//! What a person sees of a session: the values of a [`Snapshot`] arranged for
//! the exporter's status page (`GET /`), its JSON (`GET /api/v1/status`) and
//! `loki-metrics watch`, with a bounded [`History`] of the last hour.
//!
//! One model for all three: the page, its script and the terminal view show
//! the same [`SessionView`], and its `display` texts are formatted here once,
//! so no front end formats a number of its own.

use std::collections::VecDeque;
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::families::{self, Family, Series};
use crate::{SampleValue, Snapshot, Value};

/// Points a [`History`] keeps: one hour at the default step of 10 s.
pub const HISTORY_CAPACITY: usize = 360;
/// The default time between two history points.
pub const DEFAULT_HISTORY_STEP: Duration = Duration::from_secs(10);
/// The fraction of the budget at which the page (and the shipped
/// `LokiBudgetWarning` alert) warns.
pub const BUDGET_WARNING_RATIO: f64 = 0.8;
/// The fraction of the budget at which the page (and `LokiBudgetCritical`) is critical.
pub const BUDGET_CRITICAL_RATIO: f64 = 0.9;

/// A duration for people: `42 s`, `5 min`, `16 min 40 s`, `2 h 3 min`, `3 d 4 h`.
pub fn duration_text(d: Duration) -> String {
    let s = d.as_secs();
    let (days, hours, minutes, seconds) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds} s"),
        (0, 0, _) if seconds == 0 => format!("{minutes} min"),
        (0, 0, _) => format!("{minutes} min {seconds} s"),
        (0, _, 0) => format!("{hours} h"),
        (0, _, _) => format!("{hours} h {minutes} min"),
        (_, 0, _) => format!("{days} d"),
        _ => format!("{days} d {hours} h"),
    }
}

/// Dollars for people: `$1.82`, `$0.0042` below a cent, `$12,345.67`.
pub fn usd_text(v: f64) -> String {
    if !v.is_finite() {
        return format!("${v}");
    }
    if v != 0.0 && v.abs() < 0.01 {
        return format!("${v:.4}");
    }
    let cents = format!("{:.2}", v.abs());
    let (whole, fraction) = cents.split_once('.').unwrap_or((&cents, "00"));
    let sign = if v < 0.0 { "-" } else { "" };
    format!("${sign}{}.{fraction}", group_thousands(whole))
}

/// A count for people: `1,880,663`.
pub fn count_text(n: u64) -> String {
    group_thousands(&n.to_string())
}

fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Where the spend stands against the budget, with the shipped alerts' thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetLevel {
    /// No budget is known.
    None,
    /// Below [`BUDGET_WARNING_RATIO`] of the limit.
    Ok,
    /// At least [`BUDGET_WARNING_RATIO`] of the limit.
    Warning,
    /// At least [`BUDGET_CRITICAL_RATIO`] of the limit.
    Critical,
    /// `loki_budget_exceeded` is 1, or the spend reached the limit.
    Exceeded,
}

impl BudgetLevel {
    /// The level of `cost` against `limit` (a limit of 0 or less is no budget).
    pub fn of(cost: f64, limit: Option<f64>, exceeded: bool) -> Self {
        if exceeded {
            return BudgetLevel::Exceeded;
        }
        match limit.filter(|l| *l > 0.0) {
            None => BudgetLevel::None,
            Some(l) if cost >= l => BudgetLevel::Exceeded,
            Some(l) if cost > BUDGET_CRITICAL_RATIO * l => BudgetLevel::Critical,
            Some(l) if cost > BUDGET_WARNING_RATIO * l => BudgetLevel::Warning,
            Some(_) => BudgetLevel::Ok,
        }
    }
}

/// One labelled value: a task status, a model, a verdict, a token kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Labelled {
    /// The label value (`completed`, `opus`, ...).
    pub label: String,
    /// The sample's value.
    pub value: f64,
    /// The value for people (`41`, `$0.95`).
    pub text: String,
}

/// A warning of the last collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarningView {
    /// The source's path in `.loki` (`events.jsonl`, `.` for the directory).
    pub source: String,
    /// What was wrong and what was used instead.
    pub message: String,
}

/// One point of a [`History`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HistoryPoint {
    /// When, in seconds since the Unix epoch.
    pub t: f64,
    /// `loki_cost_usd`.
    pub cost_usd: f64,
    /// `loki_events_total`.
    pub events_total: u64,
    /// Events per second since the previous point (0 for the first, and
    /// after the counter went back).
    pub events_per_second: f64,
    /// `loki_iteration_current`.
    pub iteration: u64,
    /// Tasks pending or in progress.
    pub tasks_open: u64,
    /// Tasks completed.
    pub tasks_completed: u64,
}

/// The last [`HISTORY_CAPACITY`] points of one session: fixed memory, however
/// long the exporter runs (about 20 KB).
#[derive(Debug, Clone)]
pub struct History {
    points: VecDeque<HistoryPoint>,
}

impl Default for History {
    fn default() -> Self {
        History { points: VecDeque::with_capacity(HISTORY_CAPACITY) }
    }
}

impl History {
    /// Adds the values of `snapshot` at `now`, dropping the oldest point when full.
    pub fn record(&mut self, snapshot: &Snapshot, now: SystemTime) {
        let t = unix_seconds(now);
        let events_total = snapshot.events_total();
        let events_per_second = match self.points.back() {
            Some(last) if t > last.t && events_total >= last.events_total => {
                (events_total - last.events_total) as f64 / (t - last.t)
            }
            _ => 0.0,
        };
        let tasks = snapshot.tasks();
        if self.points.len() == HISTORY_CAPACITY {
            self.points.pop_front();
        }
        self.points.push_back(HistoryPoint {
            t,
            cost_usd: snapshot.cost_usd(),
            events_total,
            events_per_second,
            iteration: snapshot.iteration_current(),
            tasks_open: tasks.pending + tasks.in_progress,
            tasks_completed: tasks.completed,
        });
    }

    /// The points, oldest first.
    pub fn points(&self) -> impl ExactSizeIterator<Item = &HistoryPoint> {
        self.points.iter()
    }

    /// The number of points held.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// No point yet.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The memory the points may take, whatever the uptime (allocated up front).
    pub fn capacity_bytes() -> usize {
        HISTORY_CAPACITY * std::mem::size_of::<HistoryPoint>()
    }
}

fn unix_seconds(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Events per second over the last [`RATE_WINDOW`] of `points` (since the
/// counter last went back, if it did); 0 with fewer than two points.
fn recent_rate(points: &[&HistoryPoint]) -> f64 {
    let Some(last) = points.last() else { return 0.0 };
    let first = points
        .iter()
        .rev()
        .take_while(|p| p.events_total <= last.events_total)
        .take_while(|p| last.t - p.t <= RATE_WINDOW.as_secs_f64())
        .last()
        .unwrap_or(last);
    if last.t > first.t {
        (last.events_total - first.events_total) as f64 / (last.t - first.t)
    } else {
        0.0
    }
}

/// The span [`SessionView::events_per_second`] averages over.
pub const RATE_WINDOW: Duration = Duration::from_secs(60);

/// A chart of one history series: an SVG polyline in a 100 × 30 box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    /// What it shows (`cost`, `events_rate`, `iteration`, `tasks_open`).
    pub key: String,
    /// Its title for people.
    pub title: String,
    /// The `points` attribute of an SVG `<polyline>` in `viewBox="0 0 100 30"`.
    pub points: String,
    /// The smallest and largest value shown, for people.
    pub range_text: String,
    /// The values, oldest first (what `watch` draws as a sparkline).
    pub values: Vec<f64>,
}

/// The width and height of a [`Chart`]'s view box.
pub const CHART_BOX: (f64, f64) = (100.0, 30.0);

fn chart(key: &str, title: &str, values: Vec<f64>, text: impl Fn(f64) -> String) -> Chart {
    let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let (w, h) = CHART_BOX;
    let span = if hi > lo { hi - lo } else { 1.0 };
    let step = if values.len() > 1 { w / (values.len() - 1) as f64 } else { 0.0 };
    let points = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{:.1},{:.1}", i as f64 * step, h - 1.0 - (v - lo) / span * (h - 2.0)))
        .collect::<Vec<_>>()
        .join(" ");
    let range_text =
        if values.is_empty() { "no data yet".to_owned() } else { format!("{} – {}", text(lo), text(hi)) };
    Chart { key: key.to_owned(), title: title.to_owned(), points, range_text, values }
}

/// One session as a person sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    /// The project's name.
    pub project: String,
    /// The `.loki` directory.
    pub loki_dir: String,
    /// `running`, `paused` or `stopped`.
    pub status: String,
    /// Why, in the words of the status rules (`PID 4242 (loki.pid) is not alive`).
    pub status_reason: String,
    /// `loki_iteration_current`.
    pub iteration: u64,
    /// `loki_iteration_max`.
    pub iteration_max: u64,
    /// `loki_tasks_total` by status.
    pub tasks: Vec<Labelled>,
    /// `loki_agents_active`.
    pub agents_active: u64,
    /// `loki_agents_total`.
    pub agents_total: u64,
    /// `loki_cost_usd`.
    pub cost_usd: f64,
    /// `loki_budget_limit_usd`, when known.
    pub budget_limit_usd: Option<f64>,
    /// Spend against the budget.
    pub budget_level: BudgetLevel,
    /// `loki_model_cost_usd`, costliest first.
    pub model_cost_usd: Vec<Labelled>,
    /// `loki_tokens_total` by kind.
    pub tokens: Vec<Labelled>,
    /// `loki_events_total`.
    pub events_total: u64,
    /// Events per second over the last minute of history ([`RATE_WINDOW`]).
    pub events_per_second: f64,
    /// `loki_receipts_total`.
    pub receipts_total: u64,
    /// `loki_receipts_by_verdict`.
    pub receipts_by_verdict: Vec<Labelled>,
    /// `loki_checklist_items` (empty without a checklist).
    pub checklist: Vec<Labelled>,
    /// `loki_session_info`'s labels (version, provider, phase, project).
    pub info: Vec<(String, String)>,
    /// `loki_uptime_seconds`.
    pub uptime_seconds: f64,
    /// Seconds since `loki_state_updated_timestamp_seconds`, when known.
    pub state_age_seconds: Option<f64>,
    /// The last collection's warnings.
    pub warnings: Vec<WarningView>,
    /// The last hour: cost, events rate, iteration, open tasks.
    pub charts: Vec<Chart>,
    /// Every value above formatted for people, by key (`status`, `iteration`,
    /// `cost`, `budget`, `uptime`, `state_age`, ...).
    pub display: Vec<(String, String)>,
}

fn labelled(snapshot: &Snapshot, family: &Family, text: impl Fn(f64) -> String) -> Vec<Labelled> {
    let Some(f) = snapshot.family(family) else { return Vec::new() };
    let label = match family.series {
        Series::Each { label, .. } => label,
        _ => family.labels.first().copied().unwrap_or(""),
    };
    f.samples
        .iter()
        .map(|s| {
            let value = s.value.to_f64();
            Labelled { label: s.label(label).unwrap_or("").to_owned(), value, text: text(value) }
        })
        .collect()
}

fn count(v: f64) -> String {
    count_text(v as u64)
}

impl SessionView {
    /// The view of `snapshot`, collected from `loki_dir` at `now`, as
    /// `project`, with the charts of `history`.
    pub fn new(project: &str, loki_dir: &Path, snapshot: &Snapshot, history: &History, now: SystemTime) -> Self {
        let get = |family: &Family| snapshot.value(family.name, &[]);
        let cost_usd = snapshot.cost_usd();
        let budget_limit_usd = get(&families::BUDGET_LIMIT_USD).map(Value::to_f64);
        let exceeded = get(&families::BUDGET_EXCEEDED).is_some_and(|v| v.to_u64() == 1);
        let budget_level = BudgetLevel::of(cost_usd, budget_limit_usd, exceeded);
        let mut model_cost_usd = labelled(snapshot, &families::MODEL_COST_USD, usd_text);
        model_cost_usd.sort_by(|a, b| b.value.total_cmp(&a.value).then_with(|| a.label.cmp(&b.label)));
        let info = snapshot
            .family(&families::SESSION_INFO)
            .and_then(|f| f.samples.first())
            .map(|s| s.labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
            .unwrap_or_default();
        let state_age_seconds = get(&families::STATE_UPDATED_TIMESTAMP_SECONDS)
            .map(|t| (unix_seconds(now) - t.to_f64()).max(0.0))
            .filter(|age| age.is_finite());
        let points: Vec<&HistoryPoint> = history.points().collect();
        let series = |f: fn(&HistoryPoint) -> f64| points.iter().map(|p| f(p)).collect::<Vec<f64>>();
        let charts = vec![
            chart("cost", "Cost", series(|p| p.cost_usd), usd_text),
            chart("events_rate", "Events per second", series(|p| p.events_per_second), |v| format!("{v:.2}")),
            chart("iteration", "Iteration", series(|p| p.iteration as f64), count),
            chart("tasks_open", "Open tasks", series(|p| p.tasks_open as f64), count),
        ];
        let events_per_second = recent_rate(&points);
        let status = snapshot.session_status().as_str().to_owned();
        let iteration = snapshot.iteration_current();
        let iteration_max = snapshot.iteration_max();
        let uptime_seconds = snapshot.uptime_seconds();
        let budget_text = match budget_limit_usd {
            Some(limit) if limit > 0.0 => {
                format!("{} of {} ({:.0}%)", usd_text(cost_usd), usd_text(limit), cost_usd / limit * 100.0)
            }
            _ => format!("{} (no budget set)", usd_text(cost_usd)),
        };
        let display = vec![
            ("status".to_owned(), status.clone()),
            ("iteration".to_owned(), format!("{} / {}", count_text(iteration), count_text(iteration_max))),
            ("cost".to_owned(), usd_text(cost_usd)),
            ("budget".to_owned(), budget_text),
            (
                "agents".to_owned(),
                format!("{} active of {}", count_text(snapshot.agents_active()), count_text(snapshot.agents_total())),
            ),
            ("events".to_owned(), count_text(snapshot.events_total())),
            ("events_rate".to_owned(), format!("{events_per_second:.2}/s")),
            ("receipts".to_owned(), count_text(get(&families::RECEIPTS_TOTAL).map_or(0, Value::to_u64))),
            ("uptime".to_owned(), duration_text(Duration::from_secs_f64(uptime_seconds.max(0.0)))),
            (
                "state_age".to_owned(),
                state_age_seconds.map_or_else(|| "unknown".to_owned(), |a| duration_text(Duration::from_secs_f64(a))),
            ),
        ];
        SessionView {
            project: project.to_owned(),
            loki_dir: loki_dir.to_string_lossy().into_owned(),
            status,
            status_reason: snapshot.status_reason().to_owned(),
            iteration,
            iteration_max,
            tasks: labelled(snapshot, &families::TASKS_TOTAL, count),
            agents_active: snapshot.agents_active(),
            agents_total: snapshot.agents_total(),
            cost_usd,
            budget_limit_usd,
            budget_level,
            model_cost_usd,
            tokens: labelled(snapshot, &families::TOKENS_TOTAL, count),
            events_total: snapshot.events_total(),
            events_per_second,
            receipts_total: get(&families::RECEIPTS_TOTAL).map_or(0, Value::to_u64),
            receipts_by_verdict: labelled(snapshot, &families::RECEIPTS_BY_VERDICT, count),
            checklist: labelled(snapshot, &families::CHECKLIST_ITEMS, count),
            info,
            uptime_seconds,
            state_age_seconds,
            warnings: snapshot
                .warnings
                .iter()
                .map(|w| WarningView { source: w.source.path().to_owned(), message: w.message.clone() })
                .collect(),
            charts,
            display,
        }
    }

    /// The display text of `key`, if there is one.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.display.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// `GET /api/v1/status`: every project the exporter serves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusPage {
    /// The library version.
    pub version: String,
    /// When the page was made, in seconds since the Unix epoch.
    pub generated_at: f64,
    /// Seconds between two history points.
    pub history_step_seconds: f64,
    /// Points each history keeps.
    pub history_capacity: usize,
    /// One view per project.
    pub projects: Vec<SessionView>,
}

impl StatusPage {
    /// A page of `projects` at `now`.
    pub fn new(projects: Vec<SessionView>, now: SystemTime, history_step: Duration) -> Self {
        StatusPage {
            version: crate::VERSION.to_owned(),
            generated_at: unix_seconds(now),
            history_step_seconds: history_step.as_secs_f64(),
            history_capacity: HISTORY_CAPACITY,
            projects,
        }
    }
}

/// The name a session is shown under: `loki_session_info`'s `project`, else
/// the name of the directory holding `.loki`, else the directory itself.
pub fn project_name(loki_dir: &Path, snapshot: &Snapshot) -> String {
    let from_info = snapshot
        .family(&families::SESSION_INFO)
        .and_then(|f| f.samples.first())
        .and_then(|s| s.label("project"))
        .filter(|p| !p.is_empty());
    if let Some(name) = from_info {
        return name.to_owned();
    }
    let absolute = std::path::absolute(loki_dir).unwrap_or_else(|_| loki_dir.to_path_buf());
    let holder = if absolute.file_name().is_some_and(|n| n == ".loki") { absolute.parent() } else { Some(&*absolute) };
    holder
        .and_then(Path::file_name)
        .map_or_else(|| loki_dir.to_string_lossy().into_owned(), |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        let cases =
            [(0, "0 s"), (42, "42 s"), (300, "5 min"), (1000, "16 min 40 s"), (3600, "1 h"), (7380, "2 h 3 min")];
        for (secs, text) in cases {
            assert_eq!(duration_text(Duration::from_secs(secs)), text);
        }
        assert_eq!(duration_text(Duration::from_secs(86_400)), "1 d");
        assert_eq!(duration_text(Duration::from_secs(3 * 86_400 + 4 * 3600 + 5)), "3 d 4 h");
    }

    #[test]
    fn dollars_and_counts_are_grouped() {
        assert_eq!(usd_text(1.817389), "$1.82");
        assert_eq!(usd_text(0.0), "$0.00");
        assert_eq!(usd_text(0.0042), "$0.0042");
        assert_eq!(usd_text(12_345.678), "$12,345.68");
        assert_eq!(usd_text(-3.5), "$-3.50");
        assert_eq!(count_text(1_880_663), "1,880,663");
        assert_eq!(count_text(999), "999");
    }

    #[test]
    fn budget_levels_follow_the_shipped_alerts() {
        assert_eq!(BudgetLevel::of(10.0, None, false), BudgetLevel::None);
        assert_eq!(BudgetLevel::of(10.0, Some(0.0), false), BudgetLevel::None);
        assert_eq!(BudgetLevel::of(40.0, Some(50.0), false), BudgetLevel::Ok, "exactly 80% does not warn (>)");
        assert_eq!(BudgetLevel::of(40.1, Some(50.0), false), BudgetLevel::Warning);
        assert_eq!(BudgetLevel::of(45.1, Some(50.0), false), BudgetLevel::Critical);
        assert_eq!(BudgetLevel::of(50.0, Some(50.0), false), BudgetLevel::Exceeded);
        assert_eq!(BudgetLevel::of(1.0, Some(50.0), true), BudgetLevel::Exceeded);
    }

    #[test]
    fn history_is_bounded_and_rates_follow_the_counter() {
        let mut history = History::default();
        let mut snapshot = Snapshot::empty(1000);
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_600_000);
        for i in 0..(HISTORY_CAPACITY as u64 + 10) {
            snapshot.set_events_total(i * 20);
            history.record(&snapshot, t0 + Duration::from_secs(i * 10));
        }
        assert_eq!(history.len(), HISTORY_CAPACITY);
        assert_eq!(history.points().next().map(|p| p.events_total), Some(200), "the 10 oldest were dropped");
        assert!(history.points().skip(1).all(|p| p.events_per_second == 2.0));
        snapshot.set_events_total(5);
        history.record(&snapshot, t0 + Duration::from_secs(100_000));
        assert_eq!(history.points().last().map(|p| p.events_per_second), Some(0.0), "a counter reset is no rate");
    }

    #[test]
    fn the_events_rate_averages_the_last_minute() {
        let point = |t: f64, events_total: u64| HistoryPoint {
            t,
            cost_usd: 0.0,
            events_total,
            events_per_second: 0.0,
            iteration: 0,
            tasks_open: 0,
            tasks_completed: 0,
        };
        let points = [point(0.0, 0), point(50.0, 1000), point(60.0, 1000), point(110.0, 1600)];
        let refs: Vec<&HistoryPoint> = points.iter().collect();
        assert_eq!(recent_rate(&refs), 600.0 / 60.0, "from t=50, the oldest point within 60 s");
        let reset = [point(0.0, 500), point(10.0, 20), point(20.0, 40)];
        let refs: Vec<&HistoryPoint> = reset.iter().collect();
        assert_eq!(recent_rate(&refs), 2.0, "counted since the counter went back");
        assert_eq!(recent_rate(&refs[..1]), 0.0);
        assert_eq!(recent_rate(&[]), 0.0);
    }

    #[test]
    fn charts_span_their_box() {
        let c = chart("x", "X", vec![1.0, 3.0, 2.0], count);
        assert_eq!(c.points, "0.0,29.0 50.0,1.0 100.0,15.0");
        assert_eq!(c.range_text, "1 – 3");
        let flat = chart("x", "X", vec![4.0, 4.0], count);
        assert_eq!(flat.points, "0.0,29.0 100.0,29.0");
        assert_eq!(chart("x", "X", Vec::new(), count).range_text, "no data yet");
    }

    #[test]
    fn a_project_is_named_by_its_session_info_else_its_directory() {
        let snapshot = Snapshot::empty(1000);
        assert_eq!(project_name(Path::new("/home/dev/app/.loki"), &snapshot), "app");
        assert_eq!(project_name(Path::new("/srv/state"), &snapshot), "state");
        let mut named = Snapshot::empty(1000);
        named.set(&families::SESSION_INFO, &[("project", "todo-api")], 1u64);
        assert_eq!(project_name(Path::new("/home/dev/app/.loki"), &named), "todo-api");
    }
}
