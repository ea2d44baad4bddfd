//! The files of a skill session (Loki Mode run as a Claude Code skill, as its
//! `SKILL.md` tells the agent to keep them): `session.json` with `updatedAt`
//! rewritten every turn, `state/orchestrator.json` and the task queues.

use std::fs;
use std::io;

use loki_metrics::Source;
use serde_json::{json, Value};

use crate::{timestamp, write_json, Simulator, PROVIDER};

/// The queue files, in the order of [`crate::WrittenCounts`]'s fields.
const QUEUES: [&str; 4] = ["pending.json", "in-progress.json", "completed.json", "failed.json"];
/// The queue written as `{"tasks": [...]}` (Loki Mode reads either shape).
const OBJECT_SHAPED: &str = "completed.json";

/// What only a skill session keeps.
#[derive(Debug, Default)]
pub(crate) struct SkillFiles {
    /// Each queue as last written (task ids), so only changed queues are rewritten.
    written: [Option<Vec<u64>>; 4],
}

impl Simulator {
    pub(crate) fn start_skill(&mut self) -> io::Result<()> {
        fs::create_dir_all(self.dir.join(Source::Queue.path()))?;
        self.skill = Some(SkillFiles::default());
        self.write_orchestrator()?;
        self.write_queues()?;
        self.write_session("running")
    }

    pub(crate) fn step_skill(&mut self) -> io::Result<()> {
        self.move_tasks();
        if self.iteration_ends() {
            // A turn of the RARV cycle: the phase moves on as the iterations of a run do.
            self.iteration += 1;
            self.write_orchestrator()?;
        }
        self.write_queues()?;
        self.write_session("running")
    }

    pub(crate) fn finish_skill(&mut self) -> io::Result<()> {
        self.write_session("stopped")
    }

    fn write_session(&self, status: &str) -> io::Result<()> {
        write_json(
            &self.dir.join(Source::Session.path()),
            &json!({
                "pid": null,
                "startedAt": timestamp(self.start),
                "updatedAt": timestamp(self.now()),
                "provider": PROVIDER,
                "invokedVia": "skill",
                "status": status,
            }),
        )
    }

    /// The queues that changed since they were last written, each replaced
    /// atomically (four files: a reader may see some moved and not others).
    fn write_queues(&mut self) -> io::Result<()> {
        let in_progress: Vec<u64> = self.in_progress.iter().chain(&self.review).copied().collect();
        let lists = [self.pending.clone(), in_progress, self.completed.clone(), self.failed.clone()];
        let written = self.skill.as_ref().map(|s| s.written.clone()).unwrap_or_default();
        if written.iter().zip(&lists).all(|(w, l)| w.as_ref() == Some(l)) {
            return Ok(());
        }
        self.write_record()?;
        for (i, (name, list)) in QUEUES.iter().zip(lists).enumerate() {
            if written[i].as_ref() == Some(&list) {
                continue;
            }
            let status = match i {
                0 => "pending",
                1 => "in_progress",
                2 => "completed",
                _ => "failed",
            };
            let tasks: Vec<Value> = list.iter().map(|id| self.task(*id, status)).collect();
            let doc = if *name == OBJECT_SHAPED { json!({"tasks": tasks}) } else { Value::Array(tasks) };
            write_json(&self.dir.join(Source::Queue.path()).join(name), &doc)?;
            if let Some(skill) = self.skill.as_mut() {
                skill.written[i] = Some(list);
            }
        }
        Ok(())
    }
}
