//! The files of a run.sh session (`loki start`), in the shapes Loki Mode
//! 9.x's `autonomy/run.sh` and `autonomy/lib/proof-generator.py` write them.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use loki_metrics::Source;
use serde_json::{json, Value};

use crate::{
    remove_file, timestamp, write_json, Simulator, WrittenReceipts, DEFAULT_BUDGET_LIMIT_USD, EVENT_TYPES,
    LOKI_VERSION, PROVIDER, UPDATES_PER_ITERATION,
};

/// Models of the efficiency records, with their 9.x prices (USD per million
/// input / output tokens); cache reads cost 0.1 × input, cache writes 1.25 × input.
const MODELS: [(&str, f64, f64); 3] = [("sonnet", 3.0, 15.0), ("opus", 5.0, 25.0), ("haiku", 1.0, 5.0)];
/// An Evidence Receipt is generated every this many iterations.
const ITERATIONS_PER_RECEIPT: u64 = 4;
/// The honesty headlines of the proof generator, by verdict; the last is one
/// it does not write (an older or hand-edited receipt), read as `unknown`.
const HEADLINES: [&str; 4] = ["VERIFIED", "VERIFIED WITH GAPS", "NOT VERIFIED", "INCONCLUSIVE"];
/// The PRD checklist: categories of this many items each.
const CHECKLIST: [(&str, &str); 4] =
    [("core", "Core features"), ("api", "API"), ("ui", "User interface"), ("ops", "Operations")];
const ITEMS_PER_CATEGORY: usize = 5;
/// Registry records of the run's helper processes (label, extra). Their PIDs
/// are above Linux's PID_MAX_LIMIT (2^22) and macOS's 99999, so no cleanup
/// reading this registry can ever signal a real process through them.
const HELPERS: [(&str, &str); 2] = [("status-monitor", ""), ("dashboard", "port=57374")];
const HELPER_PIDS: u32 = 4_194_305;

/// A checklist item's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    Pending,
    Verified,
    Failing,
}

/// What only a run.sh session keeps.
#[derive(Debug)]
pub(crate) struct RunFiles {
    pid: u32,
    /// The `pids/*.json` records written, by PID.
    registered: Vec<u32>,
    events: File,
    events_written: u64,
    /// `dashboard-state.json`'s `iteration`: the status monitor is forked
    /// before the main loop loads or increments its counter.
    frozen_iteration: u64,
    budget_limit: f64,
    cost_usd: f64,
    /// input, output, cache_read, cache_creation
    tokens: [u64; 4],
    /// The budget ran out: `PAUSE` is set and the loop waits.
    exceeded: Option<String>,
    /// (run number, verdict, attestation, gpg), oldest first.
    receipts: VecDeque<(u64, usize, bool, bool)>,
    next_receipt: u64,
    checklist: Vec<Check>,
    project: (String, String),
}

impl Simulator {
    /// Events appended so far by this simulator (none in a skill session).
    pub fn events_written(&self) -> u64 {
        self.run.as_ref().map_or(0, |r| r.events_written)
    }

    /// The run's cost so far in USD: the sum of the efficiency records
    /// written (also those `keep_at_most` removed since).
    pub fn cost_usd(&self) -> f64 {
        self.run.as_ref().map_or(0.0, |r| r.cost_usd)
    }

    /// Tokens of the efficiency records written: input, output, cache read,
    /// cache creation.
    pub fn tokens(&self) -> [u64; 4] {
        self.run.as_ref().map_or([0; 4], |r| r.tokens)
    }

    /// `dashboard-state.json`'s frozen `iteration`.
    pub fn frozen_iteration(&self) -> u64 {
        self.run.as_ref().map_or(0, |r| r.frozen_iteration)
    }

    /// Whether the budget ran out (the session is then paused).
    pub fn budget_exceeded(&self) -> bool {
        self.run.as_ref().is_some_and(|r| r.exceeded.is_some())
    }

    /// The Evidence Receipts now on disk.
    pub fn receipts(&self) -> WrittenReceipts {
        let mut out = WrittenReceipts::default();
        for &(_, verdict, attestation, gpg) in self.run.as_ref().map(|r| &r.receipts).into_iter().flatten() {
            out.by_verdict[verdict] += 1;
            out.attestation += u64::from(attestation);
            out.gpg += u64::from(gpg);
        }
        out
    }

    /// Sets the run's budget (`LOKI_BUDGET_LIMIT`) and rewrites
    /// `metrics/budget.json`; when the cost reaches it at the end of an
    /// iteration, the run pauses as run.sh does. Nothing in a skill session.
    pub fn set_budget_limit(&mut self, limit_usd: f64) -> io::Result<()> {
        match &mut self.run {
            Some(run) => {
                run.budget_limit = limit_usd;
                self.write_budget()
            }
            None => Ok(()),
        }
    }

    fn path(&self, source: Source) -> PathBuf {
        self.dir.join(source.path())
    }

    pub(crate) fn start_run(&mut self) -> io::Result<()> {
        for folder in ["state", "metrics/efficiency", "pids", "proofs", "checklist", "signals"] {
            fs::create_dir_all(self.dir.join(folder))?;
        }
        // Cost is per run: run.sh empties the efficiency folder at every start.
        for entry in fs::read_dir(self.path(Source::Efficiency))? {
            let name = entry?.file_name();
            let name = name.to_string_lossy();
            if name.starts_with("iteration-") && name.ends_with(".json") {
                remove_file(&self.path(Source::Efficiency).join(name.as_ref()))?;
            }
        }
        let pid = std::process::id();
        let project_dir = fs::canonicalize(&self.dir)?.parent().map(Path::to_path_buf).unwrap_or_default();
        let project_name = project_dir.file_name().map_or_else(|| "project".to_owned(), |n| n.to_string_lossy().into());
        self.run = Some(RunFiles {
            pid,
            registered: Vec::new(),
            events: OpenOptions::new().create(true).append(true).open(self.path(Source::Events))?,
            events_written: 0,
            frozen_iteration: self.iteration - 1,
            budget_limit: DEFAULT_BUDGET_LIMIT_USD,
            cost_usd: 0.0,
            tokens: [0; 4],
            exceeded: None,
            receipts: VecDeque::new(),
            next_receipt: 1,
            checklist: vec![Check::Pending; CHECKLIST.len() * ITEMS_PER_CATEGORY],
            project: (project_name, project_dir.to_string_lossy().into_owned()),
        });
        self.write_orchestrator()?;
        self.write_registry()?;
        self.write_budget()?;
        self.write_checklist()?;
        self.write_autonomy_state("running")?;
        self.write_state("autonomous")
    }

    pub(crate) fn step_run(&mut self) -> io::Result<()> {
        if self.budget_exceeded() {
            // The main loop waits on PAUSE; the status monitor keeps writing.
            return self.write_state("paused");
        }
        for _ in 0..1 + self.rng.below(3) {
            let kind = EVENT_TYPES[self.rng.below(EVENT_TYPES.len() as u64) as usize];
            self.append_event(kind)?;
        }
        self.move_tasks();
        self.change_agents();
        if self.iteration_ends() {
            self.write_efficiency()?;
            self.write_budget()?;
            if self.iteration % ITERATIONS_PER_RECEIPT == 0 {
                self.write_receipt()?;
            }
            self.check_items();
            self.write_checklist()?;
            if self.budget_exceeded() {
                // Paused at the budget: the iteration does not move on.
            } else if self.iteration >= self.max_iterations {
                return self.end_at_max_iterations();
            } else {
                self.iteration += 1;
                self.write_autonomy_state("running")?;
            }
            self.write_orchestrator()?;
        }
        self.write_state(if self.budget_exceeded() { "paused" } else { "autonomous" })
    }

    /// The main loop has run its last iteration: run.sh leaves it with
    /// `max_iterations_reached` in `autonomy-state.json` (the count stays at
    /// the maximum), then its teardown writes `mode` "stopped" and removes
    /// the PID files.
    fn end_at_max_iterations(&mut self) -> io::Result<()> {
        self.append_event("max_iterations_reached")?;
        self.write_autonomy_state("max_iterations_reached")?;
        self.write_orchestrator()?;
        self.finish_run()?;
        self.ended = true;
        Ok(())
    }

    pub(crate) fn finish_run(&mut self) -> io::Result<()> {
        self.write_state("stopped")?;
        remove_file(&self.path(Source::Pid))?;
        let registered = self.run.as_mut().map(|r| std::mem::take(&mut r.registered)).unwrap_or_default();
        for pid in registered {
            remove_file(&self.path(Source::PidRegistry).join(format!("{pid}.json")))?;
        }
        Ok(())
    }

    fn run_mut(&mut self) -> io::Result<&mut RunFiles> {
        self.run.as_mut().ok_or_else(|| io::Error::other("not a run.sh session"))
    }

    /// `loki.pid`, the wrapper's own registry record (`register_self_wrapper`)
    /// and those of its helpers (`register_pid`, without `kind`).
    fn write_registry(&mut self) -> io::Result<()> {
        let pid = self.run_mut()?.pid;
        crate::write_atomically(&self.path(Source::Pid), format!("{pid}\n").as_bytes())?;
        let started = timestamp(self.start);
        #[cfg(unix)]
        let launcher = std::os::unix::process::parent_id();
        #[cfg(not(unix))]
        let launcher = 0;
        let mut records = vec![(
            pid,
            json!({"pid": pid, "label": "loki-wrapper", "started": started, "ppid": launcher, "kind": "wrapper", "extra": ""}),
        )];
        for (i, (label, extra)) in HELPERS.iter().enumerate() {
            let helper = HELPER_PIDS + i as u32;
            records.push((
                helper,
                json!({"pid": helper, "label": label, "started": started, "ppid": pid, "extra": extra}),
            ));
        }
        for (pid, record) in records {
            write_json(&self.path(Source::PidRegistry).join(format!("{pid}.json")), &record)?;
            self.run_mut()?.registered.push(pid);
        }
        Ok(())
    }

    fn append_event(&mut self, kind: &str) -> io::Result<()> {
        let agent = self.agents.first().map_or(0, |a| a.0);
        let split = self.rng.chance(10);
        let (now, iteration) = (timestamp(self.now()), self.iteration);
        let run = self.run_mut()?;
        let mut line = json!({
            "timestamp": now,
            "type": kind,
            "iteration": iteration,
            "agent": format!("agent-{agent}"),
            "seq": run.events_written + 1,
        })
        .to_string();
        line.push('\n');
        let bytes = line.as_bytes();
        if split {
            // A reader can see the first half alone, as with a real writer.
            let cut = bytes.len() / 2;
            run.events.write_all(&bytes[..cut])?;
            run.events.flush()?;
            run.events.write_all(&bytes[cut..])?;
        } else {
            run.events.write_all(bytes)?;
        }
        run.events_written += 1;
        Ok(())
    }

    /// `save_state`: the main loop's own record, rewritten at each iteration.
    fn write_autonomy_state(&mut self, status: &str) -> io::Result<()> {
        let pid = self.run_mut()?.pid;
        write_json(
            &self.path(Source::AutonomyState),
            &json!({
                "retryCount": 0,
                "iterationCount": self.iteration,
                "status": status,
                "lastExitCode": 0,
                "lastRun": timestamp(self.now()),
                "prdPath": "prd.md",
                "pid": pid,
                "maxRetries": 50,
                "baseWait": 60,
            }),
        )
    }

    /// One `metrics/efficiency/iteration-N.json`, as run.sh 9.x writes it at
    /// the end of an iteration: tokens with their prompt-cache share (reads
    /// dominate) and the cost Claude reported.
    fn write_efficiency(&mut self) -> io::Result<()> {
        let (model, input_price, output_price) = MODELS[self.rng.below(MODELS.len() as u64) as usize];
        let input = 500 + self.rng.below(3_500);
        let output = 300 + self.rng.below(2_700);
        let cache_read = input * (4 + self.rng.below(9));
        let cache_creation = input * (2 + self.rng.below(14)) / 10;
        let usd = (input as f64 * input_price
            + output as f64 * output_price
            + cache_read as f64 * input_price * 0.1
            + cache_creation as f64 * input_price * 1.25)
            / 1e6;
        let usd = (usd * 1e6).round() / 1e6;
        let status = if self.rng.chance(5) { "failed" } else { "completed" };
        let duration_ms = (self.update_interval.as_secs_f64() * 1e3 * UPDATES_PER_ITERATION as f64).round() as u64;
        let record = json!({
            "iteration": self.iteration,
            "model": model,
            "phase": self.phase(),
            "duration_ms": duration_ms,
            "provider": PROVIDER,
            "status": status,
            "input_tokens": input,
            "output_tokens": output,
            "cache_read_tokens": cache_read,
            "cache_creation_tokens": cache_creation,
            "cost_usd": usd,
            "timestamp": timestamp(self.now()),
        });
        let folder = self.path(Source::Efficiency);
        write_json(&folder.join(format!("iteration-{}.json", self.iteration)), &record)?;
        let run = self.run_mut()?;
        run.cost_usd += usd;
        for (sum, n) in run.tokens.iter_mut().zip([input, output, cache_read, cache_creation]) {
            *sum += n;
        }
        match self.keep {
            Some(n) if self.iteration > n as u64 => {
                remove_file(&folder.join(format!("iteration-{}.json", self.iteration - n as u64)))
            }
            _ => Ok(()),
        }
    }

    /// `metrics/budget.json` (`check_budget_limit`); once the cost reaches
    /// the limit, also `signals/BUDGET_EXCEEDED` and `PAUSE`.
    fn write_budget(&mut self) -> io::Result<()> {
        let now = timestamp(self.now());
        let start = timestamp(self.start);
        let run = self.run_mut()?;
        let (limit, used) = (run.budget_limit, (run.cost_usd * 1e4).round() / 1e4);
        if run.exceeded.is_none() && run.cost_usd > 0.0 && run.cost_usd >= limit {
            run.exceeded = Some(now.clone());
            self.append_event("budget_exceeded")?;
            write_json(
                &self.dir.join("signals/BUDGET_EXCEEDED"),
                &json!({"type": "BUDGET_EXCEEDED", "limit": limit, "current": used, "timestamp": now}),
            )?;
            crate::write_atomically(&self.dir.join("PAUSE"), b"")?;
        }
        let run = self.run_mut()?;
        let budget = match &run.exceeded {
            Some(at) => json!({
                "limit": limit, "budget_limit": limit, "budget_used": used, "exceeded": true, "exceeded_at": at,
            }),
            None if run.cost_usd == 0.0 => {
                json!({"limit": limit, "budget_limit": limit, "budget_used": 0, "created_at": start})
            }
            None => json!({"limit": limit, "budget_limit": limit, "budget_used": used, "exceeded": false}),
        };
        write_json(&self.path(Source::Budget), &budget)
    }

    /// An Evidence Receipt, `proofs/run-<n>/proof.json`, written atomically
    /// inside its directory.
    fn write_receipt(&mut self) -> io::Result<()> {
        let roll = self.rng.below(100);
        let verdict = match roll {
            0..=49 => 0,
            50..=74 => 1,
            75..=91 => 2,
            _ => 3,
        };
        let hash: String = (0..4).map(|_| format!("{:016x}", self.rng.next_u64())).collect();
        let attestation = self.rng.chance(30);
        let gpg = self.rng.chance(15);
        let (iteration, cost, generated) = (self.iteration, self.cost_usd(), timestamp(self.now()));
        let run = self.run_mut()?;
        let n = run.next_receipt;
        run.next_receipt += 1;
        let mut verification = json!({"hash": hash, "algo": "sha256", "scope": "integrity"});
        if attestation {
            verification["attestation"] = json!(format!("eyJhbGciOiJFZERTQSJ9.run-{n}.{}", &hash[..43]));
            verification["attestation_kid"] = json!("loki-sim-1");
        }
        if gpg {
            verification["gpg_signature"] =
                json!(format!("-----BEGIN PGP SIGNATURE-----\n\n{}\n-----END PGP SIGNATURE-----\n", &hash[..48]));
        }
        let receipt = json!({
            "schema_version": "1.1",
            "run_id": format!("run-{n}"),
            "generated_at": generated,
            "loki_version": LOKI_VERSION,
            "provider": PROVIDER,
            "iterations": iteration,
            "cost": {"total_usd": (cost * 1e4).round() / 1e4},
            "honesty": {"headline": HEADLINES[verdict], "degraded": verdict != 0, "evidence_gate": "passed"},
            "verification": verification,
        });
        let dir = self.path(Source::Proofs).join(format!("run-{n}"));
        fs::create_dir_all(&dir)?;
        write_json(&dir.join("proof.json"), &receipt)?;
        let keep = self.keep.unwrap_or(usize::MAX);
        let run = self.run_mut()?;
        run.receipts.push_back((n, verdict, attestation, gpg));
        let mut dropped = Vec::new();
        while run.receipts.len() > keep {
            dropped.extend(run.receipts.pop_front().map(|(old, ..)| old));
        }
        for old in dropped {
            let old = self.path(Source::Proofs).join(format!("run-{old}"));
            remove_file(&old.join("proof.json"))?;
            fs::remove_dir(&old)?;
        }
        Ok(())
    }

    /// The checklist verifier's progress in one iteration: now and then a
    /// pending item checked, a failing one fixed, or a verified one failing
    /// again (a later change broke it), so the counts keep moving.
    fn check_items(&mut self) {
        let moves = [
            (self.rng.chance(25), Check::Pending, if self.rng.chance(80) { Check::Verified } else { Check::Failing }),
            (self.rng.chance(20), Check::Failing, Check::Verified),
            (self.rng.chance(4), Check::Verified, Check::Failing),
        ];
        let pick = self.rng.next_u64();
        let Some(run) = self.run.as_mut() else { return };
        for (happens, from, to) in moves {
            let at: Vec<usize> =
                run.checklist.iter().enumerate().filter(|(_, c)| **c == from).map(|(i, _)| i).collect();
            if happens && !at.is_empty() {
                run.checklist[at[(pick % at.len() as u64) as usize]] = to;
            }
        }
    }

    /// `checklist/checklist.json`: the items by category and their summary.
    fn write_checklist(&mut self) -> io::Result<()> {
        let now = timestamp(self.now());
        let run = self.run_mut()?;
        let count = |state| run.checklist.iter().filter(|c| **c == state).count();
        let categories: Vec<Value> = CHECKLIST
            .iter()
            .enumerate()
            .map(|(c, (id, name))| {
                let items: Vec<Value> = (0..ITEMS_PER_CATEGORY)
                    .map(|i| {
                        let status = match run.checklist[c * ITEMS_PER_CATEGORY + i] {
                            Check::Pending => "pending",
                            Check::Verified => "verified",
                            Check::Failing => "failing",
                        };
                        json!({
                            "id": format!("{id}-{}", i + 1),
                            "title": format!("{name} requirement {}", i + 1),
                            "priority": if i == 0 { "critical" } else { "major" },
                            "status": status,
                        })
                    })
                    .collect();
                json!({"id": id, "name": name, "items": items})
            })
            .collect();
        let checklist = json!({
            "summary": {
                "total": run.checklist.len(),
                "verified": count(Check::Verified),
                "failing": count(Check::Failing),
                "pending": count(Check::Pending),
            },
            "categories": categories,
            "updated_at": now,
        });
        write_json(&self.path(Source::Checklist), &checklist)
    }

    /// `dashboard-state.json` (`write_dashboard_state`, by the status
    /// monitor) and `state/agents.json`.
    fn write_state(&mut self, mode: &str) -> io::Result<()> {
        let agents: Vec<Value> = self
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
        let tasks = |list: &[u64], status: &str| list.iter().map(|id| self.task(*id, status)).collect::<Vec<_>>();
        let run = self.run.as_ref().ok_or_else(|| io::Error::other("not a run.sh session"))?;
        let state = json!({
            "timestamp": timestamp(self.now()),
            "version": LOKI_VERSION,
            "project": {"name": run.project.0, "path": run.project.1},
            "mode": mode,
            "provider": PROVIDER,
            "phase": self.phase(),
            "iteration": run.frozen_iteration,
            "startedAt": timestamp(self.start),
            "tasks": {
                "pending": tasks(&self.pending, "pending"),
                "inProgress": tasks(&self.in_progress, "in_progress"),
                "review": tasks(&self.review, "review"),
                "completed": tasks(&self.completed, "completed"),
                "failed": tasks(&self.failed, "failed"),
            },
            "agents": agents,
        });
        self.write_record()?;
        write_json(&self.path(Source::Agents), &Value::Array(agents))?;
        write_json(&self.path(Source::DashboardState), &state)
    }
}
