//! `loki-metrics demo`: a simulated session in a temporary directory, served.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use clap::Args;
use loki_metrics::Options;
use loki_metrics_simulate::{self as simulate, SessionKind, SimulateConfig, DEFAULT_BUDGET_LIMIT_USD};

use crate::serve::ListenArgs;

#[derive(Args)]
pub struct DemoArgs {
    #[command(flatten)]
    listen: ListenArgs,
    /// Seed of the simulated session.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Simulated updates per second.
    #[arg(long, default_value_t = 5.0)]
    rate: f64,
}

pub fn run(args: DemoArgs) -> ExitCode {
    args.listen.init_logging();
    let dir = match tempfile::Builder::new().prefix("loki-demo-").tempdir() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("error: cannot create a temporary directory: {e}");
            return ExitCode::FAILURE;
        }
    };
    let loki_dir = dir.path().join(".loki");
    let config = match args.listen.config(Options::new(&loki_dir)) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // Bound before the session starts and the banner names it: a busy port
    // is the only line printed, and `--port 0` shows the port it got.
    let bound = match crate::serve::bind(&config) {
        Ok(bound) => bound,
        Err(code) => return code,
    };
    let sim_config = SimulateConfig {
        loki_dir: loki_dir.clone(),
        kind: SessionKind::Run,
        seed: args.seed,
        rate: args.rate,
        duration: None,
        start: SystemTime::now(),
        record: None,
        keep: None,
        budget_limit: DEFAULT_BUDGET_LIMIT_USD,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || simulate::run(&sim_config, &stop))
    };
    eprintln!(
        "demo: simulating a Loki Mode session in {} ({} updates/s); try\n  curl {}\nCtrl-C stops it and removes the directory.",
        loki_dir.display(),
        args.rate,
        bound.url()
    );
    let code = crate::serve::serve(bound, config.worker_threads);
    stop.store(true, Ordering::Relaxed);
    match writer.join() {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => eprintln!("warning: the simulation stopped: {e}"),
        Err(_) => eprintln!("warning: the simulation thread panicked"),
    }
    code
}
