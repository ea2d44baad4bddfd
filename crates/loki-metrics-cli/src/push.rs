//! `loki-metrics push`: send a directory's metrics to a Prometheus
//! remote-write receiver, once or every `--interval`; and the remote-write
//! flags `serve` shares (`--remote-write URL` and the rest).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use loki_metrics::fleet::Fleet;
use loki_metrics::NameStyle;
use loki_metrics_remote_write::{
    periodically, positive, push_once, PeriodicPush, PushError, RemoteWriteConfig, RemoteWriteError, RemoteWriteInputs,
    RemoteWriter, DEFAULT_QUEUE_SAMPLES,
};

use crate::render::{FleetArgs, SourceArgs};

/// Where and how to send with remote write (shared by `push` and `serve`).
#[derive(Args)]
pub struct RemoteWriteArgs {
    /// Send the metrics to this Prometheus remote-write receiver (http:// or
    /// https://), e.g. http://prometheus:9090/api/v1/write.
    #[arg(long, value_name = "URL")]
    remote_write: Option<String>,
    /// Label added to every series sent, NAME=VALUE (repeatable), e.g.
    /// instance=laptop; a sample's own label of the same name wins.
    #[arg(long = "external-label", value_name = "NAME=VALUE", requires = "remote_write")]
    external_labels: Vec<String>,
    /// Extra request header, NAME=VALUE (repeatable), e.g.
    /// X-Scope-OrgID=tenant-1 for a Mimir tenant.
    #[arg(long = "remote-write-header", value_name = "NAME=VALUE", requires = "remote_write")]
    headers: Vec<String>,
    /// Send `Authorization: Bearer <token>`, the token being this file's first line.
    #[arg(long, value_name = "FILE", requires = "remote_write", conflicts_with = "basic_auth_user")]
    bearer_token_file: Option<PathBuf>,
    /// Basic-auth user (with --basic-auth-password-file); Grafana Cloud: the
    /// instance ID.
    #[arg(long, value_name = "USER", requires_all = ["remote_write", "basic_auth_password_file"])]
    basic_auth_user: Option<String>,
    /// Basic-auth password: this file's first line; Grafana Cloud: an API token.
    #[arg(long, value_name = "FILE", requires = "basic_auth_user")]
    basic_auth_password_file: Option<PathBuf>,
    /// Trust only this PEM CA certificate for an https:// receiver [default:
    /// the Mozilla roots].
    #[arg(long, value_name = "FILE", requires = "remote_write")]
    remote_write_ca_file: Option<PathBuf>,
    /// Seconds one request may take, connecting included.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    remote_write_timeout: f64,
    /// Most samples queued while the receiver cannot be reached; past it
    /// the oldest collection is dropped (and counted).
    #[arg(long, value_name = "SAMPLES", default_value_t = DEFAULT_QUEUE_SAMPLES,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    remote_write_queue: usize,
}

/// A flag's seconds as a duration; zero is left to the core's rule.
fn seconds(flag: &str, value: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(value).map_err(|_| format!("--{flag} must be a number of seconds greater than 0"))
}

fn pairs(flag: &str, values: &[String]) -> Result<Vec<(String, String)>, String> {
    values
        .iter()
        .map(|v| {
            v.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| format!("--{flag} {v:?}: expected NAME=VALUE"))
        })
        .collect()
}

fn usage(e: RemoteWriteError) -> String {
    e.message_for(NameStyle::Flag)
}

impl RemoteWriteArgs {
    /// The flags as the core's inputs; `None` without `--remote-write`.
    fn inputs(&self, interval: Option<f64>) -> Result<Option<RemoteWriteInputs>, String> {
        let Some(url) = &self.remote_write else {
            return Ok(None);
        };
        Ok(Some(RemoteWriteInputs {
            url: url.clone(),
            external_labels: pairs("external-label", &self.external_labels)?,
            headers: pairs("remote-write-header", &self.headers)?,
            bearer_token_file: self.bearer_token_file.clone(),
            basic_auth_user: self.basic_auth_user.clone(),
            basic_auth_password_file: self.basic_auth_password_file.clone(),
            ca_file: self.remote_write_ca_file.clone(),
            request_timeout: Some(seconds("remote-write-timeout", self.remote_write_timeout)?),
            queue_samples: Some(self.remote_write_queue as u64),
            interval: interval.map(|s| seconds("remote-write-interval", s)).transpose()?,
        }))
    }

    /// The sender's configuration, by the core's rules
    /// ([`RemoteWriteInputs::resolve`]); `None` without `--remote-write`;
    /// `Err` is a usage error (an invalid label, an unreadable secret file, ...).
    pub fn config(&self) -> Result<Option<RemoteWriteConfig>, String> {
        self.inputs(None)?.map(|inputs| inputs.resolve().map_err(usage)).transpose()
    }
}

/// `serve`'s remote write: the shared flags and how often to send.
#[derive(Args)]
pub struct ServeRemoteWriteArgs {
    #[command(flatten)]
    remote_write: RemoteWriteArgs,
    /// Seconds between two collections sent with --remote-write.
    #[arg(long, value_name = "SECONDS", default_value_t = 15.0)]
    remote_write_interval: f64,
}

impl ServeRemoteWriteArgs {
    /// With `--remote-write`, starts sending `fleet`'s collections every
    /// `--remote-write-interval` (see [`PeriodicPush`]); `Err` is a usage error.
    pub fn start(&self, fleet: &Arc<Fleet>) -> Result<Option<PeriodicPush>, String> {
        let Some(inputs) = self.remote_write.inputs(Some(self.remote_write_interval))? else {
            return Ok(None);
        };
        let interval = inputs.resolve_interval().map_err(usage)?;
        let config = inputs.resolve().map_err(usage)?;
        tracing::info!("remote write to {} every {interval:?}", config.url);
        PeriodicPush::start(Arc::clone(fleet), config, interval).map(Some).map_err(usage)
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))
}

#[derive(Args)]
#[command(mut_arg("remote_write", |a| a.required(true)))]
pub struct PushArgs {
    #[command(flatten)]
    source: SourceArgs,
    #[command(flatten)]
    fleet: FleetArgs,
    #[command(flatten)]
    remote_write: RemoteWriteArgs,
    /// Send every SECONDS until SIGINT/SIGTERM (then one last collection)
    /// instead of once.
    #[arg(long, value_name = "SECONDS")]
    interval: Option<f64>,
    /// Seconds a one-shot push may take, retries included (and, with
    /// --interval, the last send after the signal).
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    timeout: f64,
    /// Do not print warnings or the summary on stderr.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: PushArgs) -> ExitCode {
    let level = if args.quiet { "error" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("LOKI_METRICS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    let setup = || -> Result<_, String> {
        let options = args.source.options(None).map_err(|e| e.message_for(loki_metrics::NameStyle::Flag))?;
        let sources = args.fleet.sources(&args.source)?;
        let timeout = positive("timeout", seconds("timeout", args.timeout)?).map_err(usage)?;
        let interval = args.interval.map(|s| seconds("interval", s)).transpose()?;
        let interval = interval.map(|i| positive("interval", i).map_err(|_| interval_error())).transpose()?;
        let config = args.remote_write.config()?.ok_or("--remote-write URL is required")?;
        let fleet = if sources.is_empty() {
            Fleet::single(options, Duration::ZERO)
        } else {
            Fleet::new(sources, options, Duration::ZERO)
        };
        Ok((fleet, timeout, interval, config))
    };
    let (fleet, timeout, interval, config) = match setup() {
        Ok(setup) => setup,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let collected = fleet.collect();
    if !args.quiet {
        for warning in &collected.warnings {
            eprintln!("warning: {warning}");
        }
        for p in &collected.projects {
            for warning in &p.snapshot.warnings {
                eprintln!("warning: {}", warning.located(&p.loki_dir));
            }
        }
    }
    let first = match fleet.single_collector() {
        Some(_) => collected.projects.first().map(|p| p.snapshot.families().to_vec()).unwrap_or_default(),
        None => loki_metrics::fleet::merge_families(&collected.projects),
    };
    let url = config.url.clone();
    let Some(interval) = interval else {
        return match push_once(&first, config, timeout) {
            Ok(stats) => {
                if !args.quiet {
                    eprintln!("pushed {} samples to {url}", stats.samples_sent);
                }
                ExitCode::SUCCESS
            }
            Err(PushError::Setup(e)) => {
                eprintln!("error: {}", usage(e));
                ExitCode::from(2)
            }
            Err(e) => {
                eprintln!("error: {}", e.message_for(NameStyle::Flag));
                ExitCode::FAILURE
            }
        };
    };
    let writer = match RemoteWriter::start(config) {
        Ok(writer) => writer,
        Err(e) => {
            eprintln!("error: {}", usage(e));
            return ExitCode::from(2);
        }
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let first = std::sync::Mutex::new(Some(first));
    let collect = || {
        let taken = first.lock().ok().and_then(|mut f| f.take());
        taken.unwrap_or_else(|| fleet.families())
    };
    runtime.block_on(periodically(&writer, interval, collect, loki_metrics_server::shutdown_signal()));
    let stats = writer.shutdown(timeout);
    if !args.quiet {
        eprintln!(
            "remote write to {url}: {} samples sent, {} failed, {} dropped",
            stats.samples_sent, stats.samples_failed, stats.samples_dropped
        );
    }
    if stats.samples_sent == 0 {
        eprintln!("error: {}", PushError::from_stats(url, stats, timeout).message_for(NameStyle::Flag));
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn interval_error() -> String {
    "--interval must be a number of seconds greater than 0".to_owned()
}
