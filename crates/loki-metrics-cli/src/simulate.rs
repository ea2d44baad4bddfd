//! `loki-metrics simulate`: write a live, realistic `.loki` directory.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, SystemTime};

use clap::{Args, ValueEnum};
use loki_metrics_simulate::{
    self as simulate, SessionKind, SimulateConfig, DEFAULT_BUDGET_LIMIT_USD, DEFAULT_MAX_ITERATIONS,
};

use crate::render::parse_now;

/// The kinds of Loki Mode session `simulate` writes.
#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    /// run.sh (`loki start`): dashboard-state.json, autonomy-state.json,
    /// loki.pid, events, efficiency records, budget, receipts, checklist.
    Run,
    /// Loki Mode as a Claude Code skill: session.json, state/orchestrator.json
    /// and queue/*.json only.
    Skill,
}

impl From<Kind> for SessionKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Run => SessionKind::Run,
            Kind::Skill => SessionKind::Skill,
        }
    }
}

#[derive(Args)]
pub struct SimulateArgs {
    /// The .loki directory to write (created if missing).
    #[arg(long, env = "LOKI_DIR", default_value = ".loki", value_name = "DIR")]
    loki_dir: PathBuf,
    /// The kind of session to write.
    #[arg(long, value_enum, default_value_t = Kind::Run)]
    kind: Kind,
    /// Seed: the same seed (with --kind, --start and --rate) writes the same session.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Updates per second (each: task moves and the live state file; in a run
    /// session also events; every 10th update ends an iteration).
    #[arg(long, value_name = "N", default_value_t = 10.0)]
    rate: f64,
    /// Stop after this many seconds (default: run until killed).
    #[arg(long, value_name = "S")]
    duration: Option<f64>,
    /// The session's start time (RFC 3339); default now.
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    start: Option<SystemTime>,
    /// Append each written state's task counts (pending in_progress completed
    /// failed) to this file, before the state becomes visible (soak tests; a
    /// skill session's four queue files are not replaced together).
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Keep at most N efficiency records, N Evidence Receipts and N completed
    /// (and N failed) tasks, dropping the oldest: the files stop growing,
    /// apart from events.jsonl (a steady session, for long soaks).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    keep: Option<u64>,
    /// The run's budget in USD (metrics/budget.json); when the cost reaches
    /// it, the run pauses as run.sh does (signals/BUDGET_EXCEEDED, PAUSE).
    #[arg(long, value_name = "USD", default_value_t = DEFAULT_BUDGET_LIMIT_USD)]
    budget_limit: f64,
    /// The run's last iteration: when it ends, so does the run
    /// (autonomy-state.json status max_iterations_reached, mode stopped, PID
    /// files removed). Without it, LOKI_MAX_ITERATIONS is read as run.sh and
    /// the exporter read it (an invalid value there is a warning and 1000). A
    /// session that must not end (a long soak) passes a large value, and a
    /// large --budget-limit [default: 1000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_iterations: Option<u64>,
}

/// `--max-iterations`, else `LOKI_MAX_ITERATIONS` by the exporter's rule (unset
/// or empty: 1000; not a positive integer: a warning and 1000), so a simulated
/// run stops where the exporter's `loki_iteration_max` says it does.
pub fn max_iterations(given: Option<u64>) -> u64 {
    if let Some(max) = given {
        return max;
    }
    let raw = std::env::var_os("LOKI_MAX_ITERATIONS");
    loki_metrics::max_iterations_from_env(raw.as_deref().map(|v| v.to_string_lossy()).as_deref()).unwrap_or_else(
        |warning| {
            eprintln!("warning: {warning}");
            DEFAULT_MAX_ITERATIONS
        },
    )
}

pub fn run(args: SimulateArgs) -> ExitCode {
    if !(args.rate.is_finite() && args.rate > 0.0) {
        eprintln!("error: --rate must be a positive number");
        return ExitCode::from(2);
    }
    if !(args.budget_limit.is_finite() && args.budget_limit > 0.0) {
        eprintln!("error: --budget-limit must be a positive number");
        return ExitCode::from(2);
    }
    let duration = match args.duration.map(Duration::try_from_secs_f64) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => {
            eprintln!("error: --duration must be a non-negative number of seconds");
            return ExitCode::from(2);
        }
    };
    let config = SimulateConfig {
        loki_dir: args.loki_dir,
        kind: args.kind.into(),
        seed: args.seed,
        rate: args.rate,
        duration,
        start: args.start.unwrap_or_else(SystemTime::now),
        record: args.record,
        keep: args.keep.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        budget_limit: args.budget_limit,
        max_iterations: max_iterations(args.max_iterations),
    };
    match simulate::run(&config, &AtomicBool::new(false)) {
        Ok(updates) => {
            eprintln!("simulate: {updates} updates written to {}", config.loki_dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", config.loki_dir.display());
            ExitCode::FAILURE
        }
    }
}
