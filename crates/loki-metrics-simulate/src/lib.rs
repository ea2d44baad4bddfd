//! Writes a live `.loki` directory the way Loki Mode 9.x does, for either kind
//! of session (see [`SessionKind`]):
//!
//! * a **run.sh session** (`loki start`): `dashboard-state.json` replaced
//!   atomically at every update by the status monitor (its `iteration` frozen
//!   at the value the run started with), `autonomy-state.json` with the live
//!   iteration, `loki.pid` and the `pids/` registry, `events.jsonl` appended
//!   (sometimes a line in two writes, as a reader can catch it), one
//!   `metrics/efficiency/iteration-N.json` per iteration, `metrics/budget.json`,
//!   Evidence Receipts under `proofs/`, the PRD checklist and
//!   `state/orchestrator.json`;
//! * a **skill session** (Loki Mode run as a Claude Code skill): `session.json`
//!   touched at every update, `state/orchestrator.json` and the task queues
//!   `queue/*.json`, nothing else.
//!
//! Tasks move through the queues, agents come and go. Given a kind, a seed, a
//! start time and an update interval, the files' contents are the same on
//! every run (the PID aside).

#![deny(missing_docs)]

mod run_session;
mod skill_session;

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};

/// A small deterministic generator (SplitMix64): the same seed gives the
/// same session.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0; 0 gives 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Which kind of Loki Mode session is simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SessionKind {
    /// `loki start` / `loki run`: run.sh and its status monitor.
    #[default]
    Run,
    /// Loki Mode invoked as a Claude Code skill, without run.sh.
    Skill,
}

impl SessionKind {
    /// Its name: `run` or `skill`.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Run => "run",
            SessionKind::Skill => "skill",
        }
    }
}

/// The Loki Mode version the simulated session claims.
pub const LOKI_VERSION: &str = "9.22.12";
/// The provider the simulated session runs.
pub const PROVIDER: &str = "claude";
/// `metrics/budget.json`'s limit unless [`Simulator::set_budget_limit`] says
/// otherwise, chosen with the efficiency records' prices so that `demo`'s
/// cost approaches it over the demo's first half hour and never reaches it.
///
/// The arithmetic, at `demo`'s 5 updates/s: an iteration is
/// [`UPDATES_PER_ITERATION`] = 10 updates, 2 s, so the default maximum of
/// 1000 iterations ends the run after 2000 s (33 min 20 s). A record costs
/// $0.044 on average (2250 input, 1650 output, 8 × 2250 cache-read and
/// 0.85 × 2250 cache-creation tokens; sonnet $0.044, opus $0.073, haiku
/// $0.015, drawn equally; see `run_session::MODELS`), so a run ends near
/// $44, 88 % of this $50 limit, give or take 2 % with the seed. With demo's
/// seed 42 it ends at $45.74 (91.5 %): LokiBudgetWarning's 80 % ($40) is
/// crossed 29 min 18 s in, LokiBudgetCritical's 90 % 32 min 52 s in, and the
/// limit never (a test checks these at seed 42). A soak that must not end
/// passes a larger limit and maximum.
pub const DEFAULT_BUDGET_LIMIT_USD: f64 = 50.0;
/// The run's last iteration unless [`Simulator::set_max_iterations`] says
/// otherwise: run.sh's `LOKI_MAX_ITERATIONS` default, which is also the
/// exporter's `loki_iteration_max` default.
pub const DEFAULT_MAX_ITERATIONS: u64 = loki_metrics::DEFAULT_MAX_ITERATIONS;

/// The SDLC phases a session goes through, in order (it stays in the last).
const PHASES: [&str; 7] =
    ["BOOTSTRAP", "DISCOVERY", "ARCHITECTURE", "INFRASTRUCTURE", "DEVELOPMENT", "QA", "DEPLOYMENT"];
/// Iterations spent in each phase but the last.
const ITERATIONS_PER_PHASE: u64 = 6;
const EVENT_TYPES: [&str; 6] =
    ["task_created", "task_started", "task_completed", "agent_message", "tool_call", "checkpoint"];
/// Updates per iteration: one efficiency record is written every this many.
const UPDATES_PER_ITERATION: u64 = 10;

/// Task counts of one written state (what the exporter must report): from
/// `dashboard-state.json` in a run.sh session, the queue files in a skill session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WrittenCounts {
    /// `tasks.pending`.
    pub pending: u64,
    /// `tasks.inProgress`.
    pub in_progress: u64,
    /// `tasks.completed`.
    pub completed: u64,
    /// `tasks.failed`.
    pub failed: u64,
}

/// The Evidence Receipts on disk, as the simulator wrote them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WrittenReceipts {
    /// By verdict: `VERIFIED`, `VERIFIED WITH GAPS`, `NOT VERIFIED`, any other headline.
    pub by_verdict: [u64; 4],
    /// With a `verification.attestation`.
    pub attestation: u64,
    /// With a `verification.gpg_signature`.
    pub gpg: u64,
}

impl WrittenReceipts {
    /// All receipts on disk.
    pub fn total(&self) -> u64 {
        self.by_verdict.iter().sum()
    }
}

/// A simulated Loki Mode session writing into one directory.
#[derive(Debug)]
pub struct Simulator {
    kind: SessionKind,
    dir: PathBuf,
    rng: SplitMix64,
    start: SystemTime,
    update_interval: Duration,
    updates: u64,
    iteration: u64,
    next_task: u64,
    next_agent: u64,
    pending: Vec<u64>,
    in_progress: Vec<u64>,
    review: Vec<u64>,
    completed: Vec<u64>,
    failed: Vec<u64>,
    /// (id, active)
    agents: Vec<(u64, bool)>,
    record: Option<File>,
    keep: Option<usize>,
    max_iterations: u64,
    /// The run reached its maximum iteration and ended: updates do nothing.
    ended: bool,
    run: Option<run_session::RunFiles>,
    skill: Option<skill_session::SkillFiles>,
}

fn timestamp(t: SystemTime) -> String {
    match jiff::Timestamp::try_from(t) {
        Ok(ts) => ts.round(jiff::Unit::Millisecond).unwrap_or(ts).to_string(),
        Err(_) => "1970-01-01T00:00:00Z".to_owned(),
    }
}

/// Writes `bytes` to `path` the way Loki Mode does: a temp file in the same
/// folder (a dot name, so readers skip it), then a rename over the target.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
    }
    fs::rename(&tmp, path)
}

fn write_json(path: &Path, value: &Value) -> io::Result<()> {
    write_atomically(path, value.to_string().as_bytes())
}

/// Removes a file; one already gone is fine.
fn remove_file(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

impl Simulator {
    /// A run.sh session: see [`Simulator::of_kind`].
    pub fn new(dir: &Path, seed: u64, start: SystemTime, record: Option<&Path>) -> io::Result<Self> {
        Simulator::of_kind(SessionKind::Run, dir, seed, start, record)
    }

    /// Prepares `dir` (created if needed; `events.jsonl` is appended to if it
    /// exists) and writes the first state of a session of `kind`. `record`,
    /// if given, gets one line `pending in_progress completed failed` per
    /// state written, before it becomes visible.
    pub fn of_kind(
        kind: SessionKind,
        dir: &Path,
        seed: u64,
        start: SystemTime,
        record: Option<&Path>,
    ) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let record = match record {
            Some(path) => Some(OpenOptions::new().create(true).append(true).open(path)?),
            None => None,
        };
        let mut sim = Simulator {
            kind,
            dir: dir.to_owned(),
            rng: SplitMix64::new(seed),
            start,
            update_interval: Duration::from_millis(100),
            updates: 0,
            iteration: 1,
            next_task: 1,
            next_agent: 1,
            pending: Vec::new(),
            in_progress: Vec::new(),
            review: Vec::new(),
            completed: Vec::new(),
            failed: Vec::new(),
            agents: Vec::new(),
            record,
            keep: None,
            max_iterations: DEFAULT_MAX_ITERATIONS,
            ended: false,
            run: None,
            skill: None,
        };
        for _ in 0..5 {
            sim.pending.push(sim.next_task);
            sim.next_task += 1;
        }
        for _ in 0..3 {
            sim.agents.push((sim.next_agent, true));
            sim.next_agent += 1;
        }
        match kind {
            SessionKind::Run => sim.start_run()?,
            SessionKind::Skill => sim.start_skill()?,
        }
        Ok(sim)
    }

    /// Bounds the session's files: at most `n` efficiency records and `n`
    /// Evidence Receipts (the oldest is removed when a new one is written)
    /// and at most `n` completed and `n` failed tasks (the oldest are
    /// dropped). The files then stop growing, apart from `events.jsonl`: a
    /// steady session for long soaks. `n` = 0 is treated as 1.
    pub fn keep_at_most(&mut self, n: usize) {
        self.keep = Some(n.max(1));
    }

    /// Sets the run's maximum iteration (run.sh's `LOKI_MAX_ITERATIONS`,
    /// default 1000; 0 is treated as 1): when that iteration ends, the run
    /// ends as run.sh's does (see [`Simulator::ended`]). A skill session has
    /// no maximum.
    pub fn set_max_iterations(&mut self, max: u64) {
        self.max_iterations = max.max(1);
    }

    /// The run's maximum iteration.
    pub fn max_iterations(&self) -> u64 {
        self.max_iterations
    }

    /// Whether the run ended at its maximum iteration: `autonomy-state.json`
    /// says `max_iterations_reached`, `dashboard-state.json` `mode` "stopped",
    /// the PID files are gone, and further updates write nothing.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Sets how far the session's clock moves per update (default 100 ms):
    /// with the real interval between updates, the timestamps written are
    /// those of the writes.
    pub fn set_update_interval(&mut self, interval: Duration) {
        self.update_interval = interval;
    }

    /// The kind of session.
    pub fn kind(&self) -> SessionKind {
        self.kind
    }

    /// Updates made so far.
    pub fn updates(&self) -> u64 {
        self.updates
    }

    /// The live iteration (`autonomy-state.json`'s `iterationCount`).
    pub fn iteration(&self) -> u64 {
        self.iteration
    }

    /// The task counts of the state last written.
    pub fn counts(&self) -> WrittenCounts {
        let in_progress = match self.kind {
            // The queues have no review stage: a task under review is still in progress.
            SessionKind::Skill => self.in_progress.len() + self.review.len(),
            SessionKind::Run => self.in_progress.len(),
        };
        WrittenCounts {
            pending: self.pending.len() as u64,
            in_progress: in_progress as u64,
            completed: self.completed.len() as u64,
            failed: self.failed.len() as u64,
        }
    }

    /// The session's clock, the time its last update was written: a virtual
    /// one, `start` plus one update interval per update, keeps the files
    /// reproducible.
    pub fn now(&self) -> SystemTime {
        self.start + self.update_interval.saturating_mul(u32::try_from(self.updates).unwrap_or(u32::MAX))
    }

    /// The phase of the current iteration.
    fn phase(&self) -> &'static str {
        let i = (self.iteration.saturating_sub(1) / ITERATIONS_PER_PHASE) as usize;
        PHASES[i.min(PHASES.len() - 1)]
    }

    /// One update: task moves, agents, maybe a new iteration, and the
    /// session's live files; nothing once the run has [`ended`](Simulator::ended).
    pub fn step(&mut self) -> io::Result<()> {
        if self.ended {
            return Ok(());
        }
        self.updates += 1;
        match self.kind {
            SessionKind::Run => self.step_run(),
            SessionKind::Skill => self.step_skill(),
        }
    }

    /// Ends the session as Loki Mode does: run.sh writes `mode` "stopped" and
    /// removes `loki.pid` and its registry records; a skill session writes
    /// `status` "stopped". A run that already [`ended`](Simulator::ended) is left as it is.
    pub fn finish(&mut self) -> io::Result<()> {
        if self.ended {
            return Ok(());
        }
        match self.kind {
            SessionKind::Run => self.finish_run(),
            SessionKind::Skill => self.finish_skill(),
        }
    }

    fn task(&self, id: u64, status: &str) -> Value {
        json!({"id": format!("task-{id}"), "title": format!("Task {id}"), "status": status})
    }

    fn write_record(&mut self) -> io::Result<()> {
        let c = self.counts();
        if let Some(record) = &mut self.record {
            writeln!(record, "{} {} {} {}", c.pending, c.in_progress, c.completed, c.failed)?;
            record.flush()?;
        }
        Ok(())
    }

    /// A new iteration starts every [`UPDATES_PER_ITERATION`] updates.
    fn iteration_ends(&self) -> bool {
        self.updates % UPDATES_PER_ITERATION == 0
    }

    fn move_tasks(&mut self) {
        if self.pending.len() < 30 && self.rng.chance(40) {
            self.pending.push(self.next_task);
            self.next_task += 1;
        }
        if !self.pending.is_empty() && self.in_progress.len() < 6 && self.rng.chance(40) {
            let task = self.pending.remove(0);
            self.in_progress.push(task);
        }
        if !self.in_progress.is_empty() && self.rng.chance(35) {
            let i = self.rng.below(self.in_progress.len() as u64) as usize;
            let task = self.in_progress.remove(i);
            self.review.push(task);
        }
        if !self.review.is_empty() && self.rng.chance(35) {
            let task = self.review.remove(0);
            if self.rng.chance(10) {
                self.failed.push(task);
            } else {
                self.completed.push(task);
            }
        }
        if let Some(n) = self.keep {
            for list in [&mut self.completed, &mut self.failed] {
                if list.len() > n {
                    list.drain(..list.len() - n);
                }
            }
        }
    }

    fn change_agents(&mut self) {
        if self.agents.len() < 8 && self.rng.chance(5) {
            self.agents.push((self.next_agent, true));
            self.next_agent += 1;
        } else if self.agents.len() > 1 && self.rng.chance(4) {
            let i = self.rng.below(self.agents.len() as u64) as usize;
            self.agents.remove(i);
        }
        if !self.agents.is_empty() && self.rng.chance(15) {
            let i = self.rng.below(self.agents.len() as u64) as usize;
            self.agents[i].1 = !self.agents[i].1;
        }
    }

    /// `state/orchestrator.json` as run.sh sets it up (the skill reads and
    /// updates the same file).
    fn write_orchestrator(&self) -> io::Result<()> {
        let path = self.dir.join(loki_metrics::Source::Orchestrator.path());
        fs::create_dir_all(path.parent().unwrap_or(&self.dir))?;
        write_json(
            &path,
            &json!({
                "version": LOKI_VERSION,
                "currentPhase": self.phase(),
                "startedAt": timestamp(self.start),
                "agents": {},
                "metrics": {
                    "tasksCompleted": self.completed.len(),
                    "tasksFailed": self.failed.len(),
                    "retries": 0,
                },
            }),
        )
    }
}

/// How long and how fast [`run`] writes.
#[derive(Debug, Clone)]
pub struct SimulateConfig {
    /// The `.loki` directory to write.
    pub loki_dir: PathBuf,
    /// Which kind of session to write.
    pub kind: SessionKind,
    /// Seed of the session's random choices.
    pub seed: u64,
    /// Updates per second.
    pub rate: f64,
    /// Stop after this long; `None` runs until `stop` is set.
    pub duration: Option<Duration>,
    /// The session's start time (`startedAt`, event timestamps).
    pub start: SystemTime,
    /// Append each written state's task counts here (for soak tests).
    pub record: Option<PathBuf>,
    /// Bound the session's files (see [`Simulator::keep_at_most`]).
    pub keep: Option<usize>,
    /// The run.sh session's budget in USD (see [`Simulator::set_budget_limit`]).
    pub budget_limit: f64,
    /// The run.sh session's last iteration (see [`Simulator::set_max_iterations`]).
    pub max_iterations: u64,
}

/// Runs a session at `config.rate` updates per second until the duration
/// passes, `stop` is set or the run ends at its maximum iteration, then
/// writes the final state. Returns the updates made.
pub fn run(config: &SimulateConfig, stop: &AtomicBool) -> io::Result<u64> {
    let mut sim =
        Simulator::of_kind(config.kind, &config.loki_dir, config.seed, config.start, config.record.as_deref())?;
    if let Some(n) = config.keep {
        sim.keep_at_most(n);
    }
    sim.set_budget_limit(config.budget_limit)?;
    sim.set_max_iterations(config.max_iterations);
    let rate = if config.rate.is_finite() && config.rate > 0.0 { config.rate } else { 1.0 };
    sim.set_update_interval(Duration::from_secs_f64(1.0 / rate));
    let began = Instant::now();
    while !stop.load(Ordering::Relaxed) && !sim.ended() {
        let elapsed = began.elapsed();
        if config.duration.is_some_and(|d| elapsed >= d) {
            break;
        }
        let due = Duration::from_secs_f64(sim.updates() as f64 / rate);
        if due > elapsed {
            // Short naps keep `stop` responsive at low rates.
            std::thread::sleep((due - elapsed).min(Duration::from_millis(100)));
            continue;
        }
        sim.step()?;
    }
    sim.finish()?;
    Ok(sim.updates())
}
