//! `loki-metrics push`: send a directory's metrics to a Prometheus
//! remote-write receiver, once or every `--interval`; and the remote-write
//! flags `serve` shares (`--remote-write URL` and the rest).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Args;
use loki_metrics::fleet::Fleet;
use loki_metrics_remote_write::{
    periodically, Auth, ExternalLabels, PeriodicPush, RemoteWriteConfig, RemoteWriteStats, RemoteWriter,
    DEFAULT_QUEUE_SAMPLES,
};
use loki_metrics_server::ClientTrust;

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

fn seconds(flag: &str, value: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("--{flag} must be a number of seconds greater than 0"))
}

fn secret(path: &std::path::Path) -> Result<String, String> {
    loki_metrics_server::read_token_file(path).map_err(|e| e.to_string())
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

impl RemoteWriteArgs {
    /// The sender's configuration; `None` without `--remote-write`; `Err`
    /// is a usage error (an invalid label, an unreadable secret file, ...).
    pub fn config(&self) -> Result<Option<RemoteWriteConfig>, String> {
        let Some(url) = &self.remote_write else {
            return Ok(None);
        };
        let mut config = RemoteWriteConfig::new(url.clone());
        config.external_labels =
            ExternalLabels::new(pairs("external-label", &self.external_labels)?).map_err(|e| e.to_string())?;
        config.headers = pairs("remote-write-header", &self.headers)?;
        config.auth = match (&self.bearer_token_file, &self.basic_auth_user, &self.basic_auth_password_file) {
            (Some(file), _, _) => Auth::Bearer(secret(file)?),
            (None, Some(user), Some(file)) => Auth::Basic { user: user.clone(), password: secret(file)? },
            _ => Auth::None,
        };
        config.trust = self.remote_write_ca_file.clone().map_or(ClientTrust::WebPki, ClientTrust::CaFile);
        config.timeout = seconds("remote-write-timeout", self.remote_write_timeout)?;
        config.queue_samples = self.remote_write_queue;
        Ok(Some(config))
    }

    fn start(&self) -> Result<Option<(RemoteWriter, Duration)>, String> {
        let Some(config) = self.config()? else {
            return Ok(None);
        };
        let timeout = config.timeout;
        RemoteWriter::start(config).map(|w| Some((w, timeout))).map_err(|e| e.to_string())
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
        let interval = seconds("remote-write-interval", self.remote_write_interval)?;
        let Some(config) = self.remote_write.config()? else {
            return Ok(None);
        };
        tracing::info!("remote write to {} every {interval:?}", config.url);
        PeriodicPush::start(Arc::clone(fleet), config, interval).map(Some).map_err(|e| e.to_string())
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))
}

fn unix_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
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
        let timeout = seconds("timeout", args.timeout)?;
        let interval = args.interval.map(|s| seconds("interval", s)).transpose()?;
        let url = args.remote_write.remote_write.clone().unwrap_or_default();
        let (writer, _) = args.remote_write.start()?.ok_or("--remote-write URL is required")?;
        let fleet = if sources.is_empty() {
            Fleet::single(options, Duration::ZERO)
        } else {
            Fleet::new(sources, options, Duration::ZERO)
        };
        Ok((fleet, timeout, interval, url, writer))
    };
    let (fleet, timeout, interval, url, writer) = match setup() {
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
    let Some(interval) = interval else {
        let samples = writer.enqueue(&first, unix_ms());
        let stats = writer.shutdown(timeout);
        if stats.samples_sent == samples as u64 {
            if !args.quiet {
                eprintln!("pushed {samples} samples to {url}");
            }
            return ExitCode::SUCCESS;
        }
        eprintln!("error: remote write to {url} failed: {}", failure(&stats, timeout));
        return ExitCode::FAILURE;
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
        eprintln!("error: remote write to {url} failed: {}", failure(&stats, timeout));
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Why a push did not get through, in one line.
fn failure(stats: &RemoteWriteStats, timeout: Duration) -> String {
    let why = stats.last_error.as_deref().unwrap_or("no answer");
    if stats.samples_failed > 0 {
        format!("the receiver refused the samples ({why}); not retried")
    } else {
        format!("{why}; gave up after --timeout {} s of retries", timeout.as_secs_f64())
    }
}
