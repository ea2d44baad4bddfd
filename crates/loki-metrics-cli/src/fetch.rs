//! `loki-metrics fetch`: the guide's `loki metrics`, GET a running exporter.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use loki_metrics_server::client::{fetch_blocking, FetchOptions};
use loki_metrics_server::{ClientTrust, FetchError};

#[derive(Clone, Copy, ValueEnum)]
pub enum FetchFormat {
    /// Prometheus text 0.0.4.
    Prometheus,
    /// OpenMetrics 1.0.0.
    Openmetrics,
}

/// How to reach an exporter over HTTP(S): the token, the TLS trust and the
/// timeout (shared by `fetch` and `watch --url`).
#[derive(Args)]
pub struct ClientArgs {
    /// Bearer token.
    #[arg(long, env = "LOKI_METRICS_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Read the bearer token from this file's first line (instead of --token
    /// or LOKI_METRICS_TOKEN).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Trust only this PEM certificate (e.g. a self-signed one) for HTTPS;
    /// `fetch` then needs no --tls.
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
    /// Do not check an HTTPS server's certificate; `fetch` then needs no --tls.
    #[arg(long)]
    insecure: bool,
    /// Seconds to wait for an answer.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    timeout: f64,
}

impl ClientArgs {
    /// `--ca-cert` or `--insecure` was given: they only make sense with HTTPS.
    pub fn wants_tls(&self) -> bool {
        self.ca_cert.is_some() || self.insecure
    }

    /// The fetch options asking for `accept`; `Err` is a usage error (a bad
    /// timeout, an unreadable or empty token file).
    pub fn options(&self, accept: &str) -> Result<FetchOptions, String> {
        let timeout = Duration::try_from_secs_f64(self.timeout)
            .map_err(|_| "--timeout must be a non-negative number of seconds".to_owned())?;
        let token = match &self.token_file {
            Some(file) => Some(loki_metrics_server::read_token_file(file).map_err(|e| e.to_string())?),
            None => self.token.clone(),
        };
        Ok(FetchOptions {
            token,
            accept: Some(accept.to_owned()),
            trust: match (&self.ca_cert, self.insecure) {
                (_, true) => ClientTrust::Insecure,
                (Some(file), false) => ClientTrust::CaFile(file.clone()),
                (None, false) => ClientTrust::WebPki,
            },
            timeout,
        })
    }
}

#[derive(Args)]
pub struct FetchArgs {
    /// Host of the exporter.
    #[arg(long, env = "LOKI_METRICS_HOST", default_value = loki_metrics_server::DEFAULT_HOST)]
    host: String,
    /// Port of the exporter.
    #[arg(long, env = "LOKI_METRICS_PORT", default_value_t = loki_metrics_server::DEFAULT_PORT)]
    port: u16,
    /// Path of the metrics endpoint.
    #[arg(long, env = "LOKI_METRICS_PATH", default_value = loki_metrics_server::DEFAULT_PATH)]
    path: String,
    /// Format to ask for.
    #[arg(long, value_enum, default_value = "prometheus")]
    format: FetchFormat,
    /// Print only this family (repeatable), e.g. loki_cost_usd.
    #[arg(long, value_name = "NAME")]
    filter: Vec<String>,
    /// Use HTTPS.
    #[arg(long)]
    tls: bool,
    #[command(flatten)]
    client: ClientArgs,
}

/// The family a metric name belongs to: OpenMetrics names a counter family
/// without its `_total` suffix.
fn family_key(name: &str) -> &str {
    name.strip_suffix("_total").unwrap_or(name)
}

/// Keeps the HELP/TYPE/UNIT lines and samples of the named families (and
/// OpenMetrics' `# EOF`).
pub fn filter_families(text: &str, names: &[String]) -> String {
    let wanted = |name: &str| names.iter().any(|n| family_key(n) == family_key(name));
    let mut out = String::new();
    for line in text.lines() {
        let keep = if let Some(rest) = line.strip_prefix("# ") {
            let mut words = rest.split(' ');
            match (words.next(), words.next()) {
                (Some("EOF"), None) => true,
                (Some("HELP" | "TYPE" | "UNIT"), Some(name)) => wanted(name),
                _ => false,
            }
        } else {
            let name = line.split(['{', ' ']).next().unwrap_or("");
            !name.is_empty() && wanted(name)
        };
        if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

pub fn run(args: FetchArgs) -> ExitCode {
    let https = args.tls || args.client.wants_tls();
    let host = if args.host.contains(':') && !args.host.starts_with('[') {
        format!("[{}]", args.host)
    } else {
        args.host.clone()
    };
    let path = if args.path.starts_with('/') { args.path.clone() } else { format!("/{}", args.path) };
    let url = format!("{}://{host}:{}{path}", if https { "https" } else { "http" }, args.port);
    let accept = match args.format {
        FetchFormat::Prometheus => "text/plain;version=0.0.4",
        FetchFormat::Openmetrics => "application/openmetrics-text;version=1.0.0",
    };
    let options = match args.client.options(accept) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let response = match fetch_blocking(&url, &options) {
        Ok(response) => response,
        Err(FetchError::Connect { source, .. }) => {
            eprintln!(
                "error: no exporter answers at {url} ({source}); start one with `loki-metrics serve --loki-dir .loki` (or try `loki-metrics demo`)"
            );
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let text = if args.filter.is_empty() {
        response.body
    } else {
        let kept = filter_families(&response.body, &args.filter);
        if kept.lines().all(|l| l == "# EOF") {
            eprintln!("error: {url} has no family named {}", args.filter.join(", "));
            return ExitCode::FAILURE;
        }
        kept
    };
    crate::render::print(&text)
}

#[cfg(test)]
mod tests {
    use super::filter_families;

    const OM: &str = "# HELP loki_cost_usd Estimated total cost in USD\n# TYPE loki_cost_usd gauge\nloki_cost_usd 1.5\n# HELP loki_events Total number of events recorded\n# TYPE loki_events counter\nloki_events_total 7\n# EOF\n";

    #[test]
    fn filter_keeps_only_the_named_family() {
        assert_eq!(
            filter_families(OM, &["loki_cost_usd".to_owned()]),
            "# HELP loki_cost_usd Estimated total cost in USD\n# TYPE loki_cost_usd gauge\nloki_cost_usd 1.5\n# EOF\n"
        );
    }

    #[test]
    fn filter_matches_an_openmetrics_counter_by_its_sample_name() {
        let kept = filter_families(OM, &["loki_events_total".to_owned()]);
        assert!(kept.contains("# TYPE loki_events counter\n"));
        assert!(kept.contains("loki_events_total 7\n"));
        assert!(!kept.contains("loki_cost_usd"));
    }
}
