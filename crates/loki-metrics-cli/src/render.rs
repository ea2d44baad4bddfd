//! `loki-metrics render`: print a directory's metrics.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use loki_metrics::fleet::ProjectSource;
use loki_metrics::{Format, Options};

/// Where and how to read the `.loki` directory.
#[derive(Args)]
pub struct SourceArgs {
    /// The .loki directory [default: .loki]. `render` and `serve` take it
    /// several times to serve several projects, each sample then labelled
    /// `project`.
    #[arg(long, env = "LOKI_DIR", value_name = "DIR")]
    loki_dir: Vec<PathBuf>,
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

/// Several projects in one exposition (`render`, `serve`): each sample
/// labelled `project`.
#[derive(Args)]
pub struct FleetArgs {
    /// Serve the projects of Loki Mode's registry: each project's `path`
    /// holds its .loki, named by its alias, else its name. Without a value,
    /// ~/.loki/dashboard/projects.json. Re-read when it changes.
    #[arg(long, value_name = "FILE", num_args = 0..=1)]
    projects: Option<Option<PathBuf>>,
    /// Serve every .loki directory a glob matches, e.g. '/home/dev/*/.loki'
    /// (quote it), re-listed once per cache TTL. Repeatable.
    #[arg(long, value_name = "GLOB")]
    loki_dirs: Vec<String>,
}

impl FleetArgs {
    /// The projects `source` and these flags name: empty for one directory
    /// and none of the fleet flags (served as before, without `project`).
    pub fn sources(&self, source: &SourceArgs) -> Result<Vec<ProjectSource>, String> {
        if self.projects.is_none() && self.loki_dirs.is_empty() && source.loki_dir.len() <= 1 {
            return Ok(Vec::new());
        }
        let mut sources: Vec<ProjectSource> = source.loki_dir.iter().cloned().map(ProjectSource::Dir).collect();
        if let Some(registry) = &self.projects {
            let path = match registry {
                Some(path) => path.clone(),
                None => loki_metrics::fleet::default_registry_path()
                    .ok_or("--projects without a FILE needs HOME (for ~/.loki/dashboard/projects.json)")?,
            };
            sources.push(ProjectSource::Registry(path));
        }
        sources.extend(self.loki_dirs.iter().cloned().map(ProjectSource::Glob));
        Ok(sources)
    }
}

impl SourceArgs {
    /// More than one `--loki-dir`: a usage error for a command that reads one.
    pub fn one_directory(&self, command: &str) -> Result<(), String> {
        if self.loki_dir.len() > 1 {
            return Err(format!(
                "{command} reads one directory; serve several with `loki-metrics serve` and use its URL"
            ));
        }
        Ok(())
    }

    /// The options, by the core's one set of rules (with several
    /// directories, those each is read with, the first as `loki_dir`); `Err`
    /// is a usage error.
    pub fn options(&self, now: Option<std::time::SystemTime>) -> Result<Options, loki_metrics::Error> {
        loki_metrics::OptionInputs {
            loki_dir: self.loki_dir.first().cloned(),
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
    #[command(flatten)]
    fleet: FleetArgs,
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
    let sources = match args.fleet.sources(&args.source) {
        Ok(sources) => sources,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if !sources.is_empty() {
        return render_fleet(sources, options, args.format.into(), args.quiet);
    }
    let snapshot = loki_metrics::collect(&options);
    if !args.quiet {
        let mut stderr = std::io::stderr().lock();
        for warning in &snapshot.warnings {
            let _ = writeln!(stderr, "warning: {}", warning.located(&options.loki_dir));
        }
    }
    print(&loki_metrics::render(&snapshot, args.format.into()))
}

/// Several projects in one exposition, warnings prefixed by their project.
fn render_fleet(sources: Vec<ProjectSource>, options: Options, format: Format, quiet: bool) -> ExitCode {
    let fleet = loki_metrics::fleet::Fleet::new(sources, options, std::time::Duration::ZERO);
    let collected = fleet.collect();
    if !quiet {
        let mut stderr = std::io::stderr().lock();
        for warning in &collected.warnings {
            let _ = writeln!(stderr, "warning: {warning}");
        }
        for p in &collected.projects {
            for warning in &p.snapshot.warnings {
                let _ = writeln!(stderr, "warning: [{}] {}", p.name, warning.located(&p.loki_dir));
            }
        }
    }
    print(&loki_metrics::fleet::render_projects(&collected.projects, format))
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
