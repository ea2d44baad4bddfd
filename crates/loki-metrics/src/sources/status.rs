//! `loki_session_status` and the start of the run `loki_uptime_seconds`
//! counts from, decided from every liveness source (the rules of
//! `docs/sources.md`, "Session status").
//!
//! Loki Mode 5.38's `/metrics` read `dashboard-state.json`'s `mode` alone, so
//! a killed run (its state file left behind with `mode: autonomous`) read
//! running forever. Loki Mode's own live status uses the control files and
//! these liveness sources, and so does this.

use std::time::{Duration, SystemTime};

use super::dashboard_state::Mode;
use super::pid::Liveness;
use crate::{SessionStatus, Source};

/// A skill session's `session.json` counts as alive this long after its last update.
pub(crate) const SKILL_SESSION_FRESH: Duration = Duration::from_secs(300);

/// What the status is decided from.
#[derive(Debug, Default)]
pub(crate) struct StatusInputs {
    /// `STOP` exists.
    pub stop: bool,
    /// `PAUSE` exists.
    pub pause: bool,
    /// `loki.pid`.
    pub pid: Liveness,
    /// `sessions/*/loki.pid`.
    pub sessions: Liveness,
    /// `pids/*.json` records of kind wrapper or runner.
    pub registry: Liveness,
    /// `session.json`: running, its freshness time (`updatedAt`, else
    /// `startedAt`, else its mtime) and `startedAt`.
    pub skill: Option<SkillLiveness>,
    /// `dashboard-state.json`, when usable.
    pub dashboard: Option<DashboardLiveness>,
}

/// The parts of `session.json` liveness needs.
#[derive(Debug)]
pub(crate) struct SkillLiveness {
    pub running: bool,
    pub updated: Option<SystemTime>,
    pub started_at: Option<SystemTime>,
}

/// The parts of `dashboard-state.json` liveness needs.
#[derive(Debug)]
pub(crate) struct DashboardLiveness {
    pub mode: Mode,
    /// `timestamp`, else the file's mtime.
    pub written: Option<SystemTime>,
    pub started_at: Option<SystemTime>,
}

/// The decision: the status, why (a sentence for people, e.g. "PID 4242
/// (loki.pid) is not alive"), and when the live run started (with the source
/// that says so), if known.
#[derive(Debug, PartialEq)]
pub(crate) struct Decision {
    pub status: SessionStatus,
    pub reason: String,
    pub started: Option<(SystemTime, Source)>,
}

/// At most `limit` old at `now` (a time in the future is fresh).
fn fresh(time: Option<SystemTime>, now: SystemTime, limit: Duration) -> bool {
    time.is_some_and(|t| now.duration_since(t).map_or(true, |age| age <= limit))
}

/// "12 s ago", "in the future", or "at an unknown time".
fn written(time: Option<SystemTime>, now: SystemTime) -> String {
    match time.map(|t| now.duration_since(t)) {
        Some(Ok(age)) => format!("{} ago", crate::view::duration_text(age)),
        Some(Err(_)) => "in the future".to_owned(),
        None => "at an unknown time".to_owned(),
    }
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Paused => "paused",
        Mode::Running => "running",
        Mode::Stopped => "stopped",
        Mode::Unset => "unset",
    }
}

/// Decides the status at `now`; `stale_after` is the freshness limit of
/// `dashboard-state.json`.
pub(crate) fn decide(inputs: &StatusInputs, now: SystemTime, stale_after: Duration) -> Decision {
    let stopped = |reason: String| Decision { status: SessionStatus::Stopped, reason, started: None };
    if inputs.stop {
        return stopped("STOP exists: the session was asked to stop".to_owned());
    }
    let by_pid_file = [
        (&inputs.pid, Source::Pid, "loki.pid"),
        (&inputs.sessions, Source::Sessions, "sessions/*/loki.pid"),
        (&inputs.registry, Source::PidRegistry, "pids/*.json"),
    ];
    let mut alive: Option<(Option<(SystemTime, Source)>, String)> =
        by_pid_file.iter().find_map(|(liveness, source, file)| {
            let since = liveness.alive_since?;
            let pid = liveness.live_pid.map_or_else(String::new, |p| format!("PID {p} "));
            Some((since.map(|t| (t, *source)), format!("{pid}({file}) is alive")))
        });
    if alive.is_none() {
        if let Some(skill) = inputs.skill.as_ref().filter(|s| s.running && fresh(s.updated, now, SKILL_SESSION_FRESH)) {
            let reason = format!("session.json is running, updated {}", written(skill.updated, now));
            alive = Some((skill.started_at.map(|t| (t, Source::Session)), reason));
        }
    }
    let any_liveness_file =
        inputs.pid.present || inputs.sessions.present || inputs.registry.present || inputs.skill.is_some();
    let mode = inputs.dashboard.as_ref().map_or(Mode::Unset, |d| d.mode);
    if alive.is_none() && !any_liveness_file {
        if let Some(state) = inputs.dashboard.as_ref() {
            if state.mode == Mode::Running && fresh(state.written, now, stale_after) {
                let reason = format!(
                    "no liveness file; dashboard-state.json says running, written {}",
                    written(state.written, now)
                );
                alive = Some((state.started_at.map(|t| (t, Source::DashboardState)), reason));
            }
        }
    }
    let Some((started, why_alive)) = alive else {
        return stopped(why_stopped(inputs, now, stale_after, any_liveness_file, &by_pid_file));
    };
    let status = if inputs.pause {
        return Decision { status: SessionStatus::Paused, reason: format!("{why_alive}; PAUSE exists"), started };
    } else if mode == Mode::Paused {
        SessionStatus::Paused
    } else if mode == Mode::Stopped {
        return stopped(format!("{why_alive}, but dashboard-state.json says stopped"));
    } else {
        SessionStatus::Running
    };
    let reason = match status {
        SessionStatus::Paused => format!("{why_alive}; dashboard-state.json says paused"),
        _ => why_alive,
    };
    Decision { status, reason, started }
}

/// Why nothing counts as alive.
fn why_stopped(
    inputs: &StatusInputs,
    now: SystemTime,
    stale_after: Duration,
    any_liveness_file: bool,
    by_pid_file: &[(&Liveness, Source, &str)],
) -> String {
    if let Some((pid, file)) = by_pid_file.iter().find_map(|(l, _, file)| l.dead_pid.map(|p| (p, *file))) {
        return format!("PID {pid} ({file}) is not alive");
    }
    if let Some(skill) = &inputs.skill {
        return if skill.running {
            format!(
                "session.json was last updated {} (stale after {})",
                written(skill.updated, now),
                crate::view::duration_text(SKILL_SESSION_FRESH)
            )
        } else {
            "session.json does not say running".to_owned()
        };
    }
    if any_liveness_file {
        return "no liveness file names a usable PID".to_owned();
    }
    match &inputs.dashboard {
        None => "no liveness file and no usable dashboard-state.json".to_owned(),
        Some(state) if state.mode == Mode::Running => format!(
            "no liveness file; dashboard-state.json says running but was written {} (stale after {})",
            written(state.written, now),
            crate::view::duration_text(stale_after)
        ),
        Some(state) if state.mode == Mode::Unset => {
            "no liveness file; dashboard-state.json has no usable mode".to_owned()
        }
        Some(state) => format!("no liveness file; dashboard-state.json says {}", mode_name(state.mode)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STALE_AFTER: Duration = Duration::from_secs(60);

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_600_000 + secs)
    }

    fn live(since: u64) -> Liveness {
        Liveness { present: true, alive_since: Some(Some(at(since))), live_pid: Some(4242), ..Liveness::default() }
    }

    fn dead() -> Liveness {
        Liveness { present: true, dead_pid: Some(4242), ..Liveness::default() }
    }

    fn state(mode: Mode, written: u64) -> Option<DashboardLiveness> {
        Some(DashboardLiveness { mode, written: Some(at(written)), started_at: Some(at(0)) })
    }

    fn status(inputs: &StatusInputs) -> SessionStatus {
        decide(inputs, at(1000), STALE_AFTER).status
    }

    #[test]
    fn a_live_pid_runs_and_counts_from_its_file() {
        let inputs = StatusInputs { pid: live(500), dashboard: state(Mode::Running, 0), ..StatusInputs::default() };
        assert_eq!(
            decide(&inputs, at(1000), STALE_AFTER),
            Decision {
                status: SessionStatus::Running,
                reason: "PID 4242 (loki.pid) is alive".to_owned(),
                started: Some((at(500), Source::Pid))
            }
        );
    }

    #[test]
    fn stop_wins_over_a_live_pid() {
        let inputs = StatusInputs { stop: true, pid: live(500), ..StatusInputs::default() };
        assert_eq!(status(&inputs), SessionStatus::Stopped);
    }

    #[test]
    fn pause_or_a_paused_mode_with_a_live_pid_is_paused() {
        let inputs = StatusInputs { pause: true, pid: live(500), ..StatusInputs::default() };
        assert_eq!(status(&inputs), SessionStatus::Paused);
        let inputs =
            StatusInputs { registry: live(500), dashboard: state(Mode::Paused, 990), ..StatusInputs::default() };
        assert_eq!(status(&inputs), SessionStatus::Paused);
    }

    #[test]
    fn mode_stopped_next_to_a_live_pid_is_stopped() {
        let inputs = StatusInputs { pid: live(500), dashboard: state(Mode::Stopped, 990), ..StatusInputs::default() };
        assert_eq!(status(&inputs), SessionStatus::Stopped);
    }

    #[test]
    fn a_dead_pid_is_stopped_whatever_the_state_says() {
        let inputs = StatusInputs { pid: dead(), dashboard: state(Mode::Running, 999), ..StatusInputs::default() };
        assert_eq!(status(&inputs), SessionStatus::Stopped);
    }

    #[test]
    fn any_live_parallel_session_or_wrapper_is_enough() {
        let inputs = StatusInputs { pid: dead(), sessions: live(700), ..StatusInputs::default() };
        assert_eq!(decide(&inputs, at(1000), STALE_AFTER).started, Some((at(700), Source::Sessions)));
        let inputs = StatusInputs { pid: dead(), sessions: dead(), registry: live(800), ..StatusInputs::default() };
        assert_eq!(decide(&inputs, at(1000), STALE_AFTER).started, Some((at(800), Source::PidRegistry)));
    }

    #[test]
    fn without_liveness_files_a_fresh_running_state_runs() {
        let inputs = StatusInputs { dashboard: state(Mode::Running, 940), ..StatusInputs::default() };
        assert_eq!(decide(&inputs, at(1000), STALE_AFTER).started, Some((at(0), Source::DashboardState)));
        let inputs = StatusInputs { dashboard: state(Mode::Running, 939), ..StatusInputs::default() };
        assert_eq!(status(&inputs), SessionStatus::Stopped, "61 s old is stale");
        let inputs = StatusInputs { dashboard: state(Mode::Running, 2000), ..StatusInputs::default() };
        assert_eq!(status(&inputs), SessionStatus::Running, "a state written in the future (clock skew) is fresh");
        let inputs = StatusInputs { dashboard: state(Mode::Paused, 999), ..StatusInputs::default() };
        assert_eq!(status(&inputs), SessionStatus::Stopped, "only autonomous/running counts without liveness files");
    }

    #[test]
    fn a_skill_session_runs_while_its_updates_are_fresh() {
        let skill =
            |running, updated| Some(SkillLiveness { running, updated: Some(at(updated)), started_at: Some(at(10)) });
        let inputs = StatusInputs { skill: skill(true, 700), ..StatusInputs::default() };
        assert_eq!(decide(&inputs, at(1000), STALE_AFTER).started, Some((at(10), Source::Session)));
        let inputs = StatusInputs { skill: skill(true, 699), ..StatusInputs::default() };
        assert_eq!(status(&inputs), SessionStatus::Stopped, "301 s old is stale");
        let inputs =
            StatusInputs { skill: skill(false, 999), dashboard: state(Mode::Running, 999), ..StatusInputs::default() };
        assert_eq!(status(&inputs), SessionStatus::Stopped, "a stopped session.json is a liveness file that says no");
    }

    #[test]
    fn every_decision_says_why_in_words() {
        let reason = |inputs: &StatusInputs| decide(inputs, at(1000), STALE_AFTER).reason;
        let cases = [
            (StatusInputs { stop: true, pid: live(500), ..StatusInputs::default() }, "STOP exists: the session was asked to stop"),
            (StatusInputs { pid: live(500), ..StatusInputs::default() }, "PID 4242 (loki.pid) is alive"),
            (StatusInputs { pid: dead(), sessions: live(5), ..StatusInputs::default() }, "PID 4242 (sessions/*/loki.pid) is alive"),
            (StatusInputs { pause: true, registry: live(5), ..StatusInputs::default() }, "PID 4242 (pids/*.json) is alive; PAUSE exists"),
            (
                StatusInputs { pid: live(5), dashboard: state(Mode::Paused, 990), ..StatusInputs::default() },
                "PID 4242 (loki.pid) is alive; dashboard-state.json says paused",
            ),
            (
                StatusInputs { pid: live(5), dashboard: state(Mode::Stopped, 990), ..StatusInputs::default() },
                "PID 4242 (loki.pid) is alive, but dashboard-state.json says stopped",
            ),
            (StatusInputs { pid: dead(), dashboard: state(Mode::Running, 999), ..StatusInputs::default() }, "PID 4242 (loki.pid) is not alive"),
            (
                StatusInputs { skill: Some(SkillLiveness { running: true, updated: Some(at(880)), started_at: None }), ..StatusInputs::default() },
                "session.json is running, updated 2 min ago",
            ),
            (
                StatusInputs { skill: Some(SkillLiveness { running: true, updated: Some(at(400)), started_at: None }), ..StatusInputs::default() },
                "session.json was last updated 10 min ago (stale after 5 min)",
            ),
            (
                StatusInputs { skill: Some(SkillLiveness { running: false, updated: None, started_at: None }), ..StatusInputs::default() },
                "session.json does not say running",
            ),
            (StatusInputs { pid: Liveness { present: true, ..Liveness::default() }, ..StatusInputs::default() }, "no liveness file names a usable PID"),
            (
                StatusInputs { dashboard: state(Mode::Running, 990), ..StatusInputs::default() },
                "no liveness file; dashboard-state.json says running, written 10 s ago",
            ),
            (
                StatusInputs { dashboard: state(Mode::Running, 0), ..StatusInputs::default() },
                "no liveness file; dashboard-state.json says running but was written 16 min 40 s ago (stale after 1 min)",
            ),
            (
                StatusInputs { dashboard: state(Mode::Unset, 999), ..StatusInputs::default() },
                "no liveness file; dashboard-state.json has no usable mode",
            ),
            (StatusInputs::default(), "no liveness file and no usable dashboard-state.json"),
        ];
        for (inputs, expected) in cases {
            assert_eq!(reason(&inputs), expected, "{inputs:?}");
        }
    }
}
