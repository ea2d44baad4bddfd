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
    /// The simulated run's last iteration, which the exporter also reports as
    /// loki_iteration_max: at the default rate the run reaches 1000 after
    /// 33 minutes and ends there, stopped. Without it, LOKI_MAX_ITERATIONS is
    /// read (an invalid value there is a warning and 1000) [default: 1000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_iterations: Option<u64>,
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
    // The exporter reports the maximum the simulated run stops at.
    let max_iterations = crate::simulate::max_iterations(args.max_iterations);
    let options = Options { max_iterations: Some(max_iterations), ..Options::new(&loki_dir) };
    let config = match args.listen.config(options) {
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
        max_iterations,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || simulate::run(&sim_config, &stop))
    };
    // The page first: it is what a person opens.
    if let Some(page) = bound.status_page_url() {
        eprintln!("demo: the status page is at {page}");
    }
    eprintln!(
        "demo: simulating a Loki Mode session in {} ({} updates/s, ending at iteration {}); try
  curl {}
Ctrl-C stops it and removes the directory.",
        loki_dir.display(),
        args.rate,
        max_iterations,
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
