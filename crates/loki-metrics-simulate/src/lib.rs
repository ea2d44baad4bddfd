//! Writes a live `.loki` directory the way Loki Mode's `run.sh` does:
//! `dashboard-state.json` and `state/agents.json` replaced atomically (temp
//! file + rename), `events.jsonl` appended (sometimes a line in two writes,
//! as a reader can catch it), one `metrics/efficiency/iteration-N.json` per
//! iteration, tasks moving through the queues, agents coming and going, and
//! a `loki.pid`. Given a seed and a start time, the files' contents are the
//! same on every run (the PID aside).

#![deny(missing_docs)]

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use loki_metrics::Source;
use serde_json::json;

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

const MODELS: [&str; 4] = ["sonnet", "opus", "haiku", "gpt-5.3-codex"];
const EVENT_TYPES: [&str; 6] =
    ["task_created", "task_started", "task_completed", "agent_message", "tool_call", "checkpoint"];
/// Updates per iteration: one efficiency record is written every this many.
const UPDATES_PER_ITERATION: u64 = 10;

/// Task counts of one written `dashboard-state.json` (what the exporter must report).
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

/// A simulated Loki Mode session writing into one directory.
#[derive(Debug)]
pub struct Simulator {
    dir: PathBuf,
    rng: SplitMix64,
    start: SystemTime,
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
    events: File,
    events_written: u64,
    record: Option<File>,
    keep: Option<usize>,
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

impl Simulator {
    /// Prepares `dir` (created if needed; `events.jsonl` is appended to if it
    /// exists) and writes the first state. `record`, if given, gets one line
    /// `pending in_progress completed failed` per state written, before it
    /// becomes visible.
    pub fn new(dir: &Path, seed: u64, start: SystemTime, record: Option<&Path>) -> io::Result<Self> {
        fs::create_dir_all(dir.join(Source::Agents.path()).parent().unwrap_or(dir))?;
        fs::create_dir_all(dir.join(Source::Efficiency.path()))?;
        write_atomically(&dir.join(Source::Pid.path()), format!("{}\n", std::process::id()).as_bytes())?;
        let events = OpenOptions::new().create(true).append(true).open(dir.join(Source::Events.path()))?;
        let record = match record {
            Some(path) => Some(OpenOptions::new().create(true).append(true).open(path)?),
            None => None,
        };
        let mut sim = Simulator {
            dir: dir.to_owned(),
            rng: SplitMix64::new(seed),
            start,
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
            events,
            events_written: 0,
            record,
            keep: None,
        };
        for _ in 0..5 {
            sim.pending.push(sim.next_task);
            sim.next_task += 1;
        }
        for _ in 0..3 {
            sim.agents.push((sim.next_agent, true));
            sim.next_agent += 1;
        }
        sim.write_state("autonomous")?;
        Ok(sim)
    }

    /// Bounds the session's files: at most `n` efficiency records (the
    /// oldest is removed when a new one is written) and at most `n`
    /// completed and `n` failed tasks in `dashboard-state.json` (the oldest
    /// are dropped). The files then stop growing, apart from `events.jsonl`:
    /// a steady session for long soaks. `n` = 0 is treated as 1.
    pub fn keep_at_most(&mut self, n: usize) {
        self.keep = Some(n.max(1));
    }

    /// Updates made so far.
    pub fn updates(&self) -> u64 {
        self.updates
    }

    /// Events appended so far by this simulator.
    pub fn events_written(&self) -> u64 {
        self.events_written
    }

    /// The task counts of the state last written.
    pub fn counts(&self) -> WrittenCounts {
        WrittenCounts {
            pending: self.pending.len() as u64,
            in_progress: self.in_progress.len() as u64,
            completed: self.completed.len() as u64,
            failed: self.failed.len() as u64,
        }
    }

    fn now(&self) -> SystemTime {
        // A virtual clock, 100 ms per update, keeps the files reproducible.
        self.start + Duration::from_millis(100 * self.updates)
    }

    /// One update: events, task moves, agents, maybe a new iteration, and
    /// a new `dashboard-state.json`.
    pub fn step(&mut self) -> io::Result<()> {
        self.updates += 1;
        for _ in 0..1 + self.rng.below(3) {
            self.append_event()?;
        }
        self.move_tasks();
        self.change_agents();
        if self.updates % UPDATES_PER_ITERATION == 0 {
            self.write_efficiency()?;
            self.iteration += 1;
        }
        self.write_state("autonomous")
    }

    /// Writes the final state (`mode` "stopped") and removes `loki.pid`.
    pub fn finish(&mut self) -> io::Result<()> {
        self.write_state("stopped")?;
        match fs::remove_file(self.dir.join(Source::Pid.path())) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn append_event(&mut self) -> io::Result<()> {
        let kind = EVENT_TYPES[self.rng.below(EVENT_TYPES.len() as u64) as usize];
        let agent = self.agents.first().map_or(0, |a| a.0);
        let mut line = json!({
            "timestamp": timestamp(self.now()),
            "type": kind,
            "iteration": self.iteration,
            "agent": format!("agent-{agent}"),
            "seq": self.events_written + 1,
        })
        .to_string();
        line.push('\n');
        let bytes = line.as_bytes();
        if self.rng.chance(10) {
            // A reader can see the first half alone, as with a real writer.
            let cut = bytes.len() / 2;
            self.events.write_all(&bytes[..cut])?;
            self.events.flush()?;
            self.events.write_all(&bytes[cut..])?;
        } else {
            self.events.write_all(bytes)?;
        }
        self.events_written += 1;
        Ok(())
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

    fn write_efficiency(&mut self) -> io::Result<()> {
        let record = if self.rng.chance(30) {
            json!({
                "iteration": self.iteration,
                "cost_usd": (self.rng.below(50_000) as f64) / 100_000.0,
            })
        } else {
            let model = MODELS[self.rng.below(MODELS.len() as u64) as usize];
            json!({
                "iteration": self.iteration,
                "model": model,
                "input_tokens": 1_000 + self.rng.below(50_000),
                "output_tokens": 100 + self.rng.below(8_000),
            })
        };
        let folder = self.dir.join(Source::Efficiency.path());
        write_atomically(&folder.join(format!("iteration-{}.json", self.iteration)), record.to_string().as_bytes())?;
        match self.keep {
            Some(n) if self.iteration > n as u64 => {
                match fs::remove_file(folder.join(format!("iteration-{}.json", self.iteration - n as u64))) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                    _ => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }

    fn write_state(&mut self, mode: &str) -> io::Result<()> {
        let task = |id: &u64| json!({"id": format!("task-{id}"), "title": format!("Task {id}")});
        let agents: Vec<_> = self
            .agents
            .iter()
            .map(|(id, active)| {
                json!({
                    "id": format!("agent-{id}"),
                    "name": format!("agent-{id}"),
                    "status": if *active { "active" } else { "idle" },
                    "pid": 10_000 + id,
                })
            })
            .collect();
        let state = json!({
            "mode": mode,
            "iteration": self.iteration,
            "startedAt": timestamp(self.start),
            "lastUpdated": timestamp(self.now()),
            "tasks": {
                "pending": self.pending.iter().map(task).collect::<Vec<_>>(),
                "inProgress": self.in_progress.iter().map(task).collect::<Vec<_>>(),
                "review": self.review.iter().map(task).collect::<Vec<_>>(),
                "completed": self.completed.iter().map(task).collect::<Vec<_>>(),
                "failed": self.failed.iter().map(task).collect::<Vec<_>>(),
            },
            "agents": agents,
        });
        if let Some(record) = &mut self.record {
            let c = WrittenCounts {
                pending: self.pending.len() as u64,
                in_progress: self.in_progress.len() as u64,
                completed: self.completed.len() as u64,
                failed: self.failed.len() as u64,
            };
            writeln!(record, "{} {} {} {}", c.pending, c.in_progress, c.completed, c.failed)?;
            record.flush()?;
        }
        write_atomically(
            &self.dir.join(Source::Agents.path()),
            serde_json::Value::Array(agents).to_string().as_bytes(),
        )?;
        write_atomically(&self.dir.join(Source::DashboardState.path()), state.to_string().as_bytes())
    }
}

/// How long and how fast [`run`] writes.
#[derive(Debug, Clone)]
pub struct SimulateConfig {
    /// The `.loki` directory to write.
    pub loki_dir: PathBuf,
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
}

/// Runs a session at `config.rate` updates per second until the duration
/// passes or `stop` is set, then writes the final state. Returns the updates made.
pub fn run(config: &SimulateConfig, stop: &AtomicBool) -> io::Result<u64> {
    let mut sim = Simulator::new(&config.loki_dir, config.seed, config.start, config.record.as_deref())?;
    if let Some(n) = config.keep {
        sim.keep_at_most(n);
    }
    let rate = if config.rate.is_finite() && config.rate > 0.0 { config.rate } else { 1.0 };
    let began = Instant::now();
    while !stop.load(Ordering::Relaxed) {
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
