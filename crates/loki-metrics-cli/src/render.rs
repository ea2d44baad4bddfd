//! `loki-metrics render`: print a directory's metrics.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use loki_metrics::{Format, Options};

/// Where and how to read the `.loki` directory.
#[derive(Args)]
pub struct SourceArgs {
    /// The .loki directory [default: .loki].
    #[arg(long, env = "LOKI_DIR", value_name = "DIR")]
    loki_dir: Option<PathBuf>,
    /// Maximum configured iterations (loki_iteration_max). Without it,
    /// LOKI_MAX_ITERATIONS is read; an invalid value there is a warning and 1000.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_iterations: Option<u64>,
    /// Largest JSON source to read, in bytes, at least 1 [default: 67108864 (64 MiB)].
    #[arg(long, value_name = "BYTES")]
    json_size_cap: Option<u64>,
    /// Also emit loki_source_error, loki_scrape_duration_seconds and
    /// loki_exporter_build_info. Without it, LOKI_METRICS_EXPORTER_METRICS
    /// (true, 1 or yes) is read.
    #[arg(long)]
    exporter_metrics: bool,
    /// How old dashboard-state.json may be, in seconds, and still show the
    /// session as running when no liveness file (loki.pid, sessions/*/loki.pid,
    /// a wrapper in pids/, session.json) exists. Without it,
    /// LOKI_METRICS_STALE_AFTER is read [default: 60].
    #[arg(long, value_name = "SECONDS", value_parser = parse_stale_after)]
    stale_after: Option<std::time::Duration>,
}

fn parse_stale_after(s: &str) -> Result<std::time::Duration, String> {
    loki_metrics::parse_seconds(s).ok_or_else(|| format!("{s:?} is not a number of seconds ≥ 0"))
}

impl SourceArgs {
    /// The options, by the core's one set of rules; `Err` is a usage error.
    pub fn options(&self, now: Option<std::time::SystemTime>) -> Result<Options, loki_metrics::Error> {
        loki_metrics::OptionInputs {
            loki_dir: self.loki_dir.clone(),
            max_iterations: self.max_iterations,
            json_size_cap: self.json_size_cap,
            now,
            exporter_metrics: self.exporter_metrics.then_some(true),
            stale_after: self.stale_after,
        }
        .resolve()
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// Prometheus text 0.0.4.
    Prometheus,
    /// OpenMetrics 1.0.0.
    Openmetrics,
    /// The snapshot as JSON, with its warnings.
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Prometheus => Format::Prometheus,
            FormatArg::Openmetrics => Format::OpenMetrics,
            FormatArg::Json => Format::Json,
        }
    }
}

#[derive(Args)]
pub struct RenderArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "prometheus")]
    format: FormatArg,
    /// Use this time as "now" (RFC 3339), for reproducible output.
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    now: Option<std::time::SystemTime>,
    /// Do not print warnings on stderr.
    #[arg(long, short)]
    quiet: bool,
}

pub fn parse_now(s: &str) -> Result<std::time::SystemTime, String> {
    loki_metrics::parse_rfc3339(s).map_err(|e| e.to_string())
}

pub fn run(args: RenderArgs) -> ExitCode {
    let options = match args.source.options(args.now) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("error: {}", e.message_for(loki_metrics::NameStyle::Flag));
            return ExitCode::from(2);
        }
    };
    let snapshot = loki_metrics::collect(&options);
    if !args.quiet {
        let mut stderr = std::io::stderr().lock();
        for warning in &snapshot.warnings {
            let _ = writeln!(stderr, "warning: {}", warning.located(&options.loki_dir));
        }
    }
    print(&loki_metrics::render(&snapshot, args.format.into()))
}

/// Writes `text` to stdout: exit 0, also when the reader went away (`| head`:
/// a closed pipe is not an error worth a message), else 1 with the error.
pub fn print(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write output: {e}");
            ExitCode::FAILURE
        }
    }
}
