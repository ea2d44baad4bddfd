//! [`RemoteWriteInputs`]: what every front end (the CLI's flags, Python's
//! keyword arguments, Node's option objects) gives for remote write, turned
//! into a [`RemoteWriteConfig`] by one set of rules and messages.

use std::path::PathBuf;
use std::time::Duration;

use loki_metrics::{NameStyle, OptionName};
use loki_metrics_server::ClientTrust;

use crate::{Auth, ExternalLabels, RemoteWriteConfig, RemoteWriteError, DEFAULT_QUEUE_SAMPLES};

/// Default time between two collections sent beside an exporter.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(15);
/// Default limit of one request, connecting included.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Default limit of a one-shot push, retries included.
pub const DEFAULT_PUSH_TIMEOUT: Duration = Duration::from_secs(30);

const fn option(snake: &'static str, camel: &'static str, flag: &'static str, rule: &'static str) -> OptionName {
    OptionName { snake, camel, aliases: &[], flag, env: None, rule }
}

/// The remote-write options, by name in each front end (a set of their own,
/// apart from the collection options of `loki_metrics::OPTION_NAMES`).
pub const REMOTE_WRITE_OPTION_NAMES: &[OptionName] = &[
    option("url", "url", "--remote-write", "the receiver, `http://` or `https://` with a host"),
    option(
        "external_labels",
        "externalLabels",
        "--external-label",
        "labels added to every series: Prometheus label names, not `__`-prefixed, each once, values not empty",
    ),
    option(
        "headers",
        "headers",
        "--remote-write-header",
        "extra request headers; cannot replace the protocol's own or `Authorization`",
    ),
    option("bearer_token_file", "bearerTokenFile", "--bearer-token-file", "a file whose first line is the token"),
    option("basic_auth_user", "user", "--basic-auth-user", "the basic-auth user, with a password file"),
    option(
        "basic_auth_password_file",
        "passwordFile",
        "--basic-auth-password-file",
        "a file whose first line is the basic-auth password",
    ),
    option("ca_file", "caFile", "--remote-write-ca-file", "PEM CA certificates trusted for `https://`"),
    option("request_timeout", "requestTimeoutMs", "--remote-write-timeout", "> 0; default 10 s"),
    option("queue_samples", "queueSamples", "--remote-write-queue", "≥ 1; default 50000"),
    option("interval", "intervalMs", "--remote-write-interval", "> 0; default 15 s"),
    option("timeout", "timeoutMs", "--timeout", "a one-shot push's limit, retries included: > 0; default 30 s"),
];

/// `name` (a snake-case name of [`REMOTE_WRITE_OPTION_NAMES`]) as `style` spells it.
pub fn spell(name: &str, style: NameStyle) -> String {
    let known = REMOTE_WRITE_OPTION_NAMES.iter().find(|o| o.snake == name);
    match (style, known) {
        (NameStyle::Snake, _) | (_, None) => name.to_owned(),
        (NameStyle::Camel, Some(o)) => o.camel.to_owned(),
        (NameStyle::Flag, Some(o)) => o.flag.to_owned(),
    }
}

/// Remote write as a front end was given it, before any rule is applied.
/// `None` is "not given": the default applies.
#[derive(Debug, Clone, Default)]
pub struct RemoteWriteInputs {
    /// The receiver's URL.
    pub url: String,
    /// Labels added to every series, as given (order kept for messages).
    pub external_labels: Vec<(String, String)>,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
    /// `Authorization: Bearer` with this file's first line.
    pub bearer_token_file: Option<PathBuf>,
    /// The basic-auth user (with `basic_auth_password_file`).
    pub basic_auth_user: Option<String>,
    /// The basic-auth password: this file's first line.
    pub basic_auth_password_file: Option<PathBuf>,
    /// Trust only these PEM CA certificates for `https://`.
    pub ca_file: Option<PathBuf>,
    /// Limit of one request (default [`DEFAULT_REQUEST_TIMEOUT`]).
    pub request_timeout: Option<Duration>,
    /// Queue bound in samples (default [`DEFAULT_QUEUE_SAMPLES`]).
    pub queue_samples: Option<u64>,
    /// Time between two collections beside an exporter (default [`DEFAULT_INTERVAL`]).
    pub interval: Option<Duration>,
}

/// `value` if it is more than zero, else [`RemoteWriteError::NotPositive`] naming `name`.
pub fn positive(name: &'static str, value: Duration) -> Result<Duration, RemoteWriteError> {
    if value.is_zero() {
        return Err(RemoteWriteError::NotPositive { name });
    }
    Ok(value)
}

fn secret(path: &std::path::Path) -> Result<String, RemoteWriteError> {
    loki_metrics_server::read_token_file(path).map_err(|e| RemoteWriteError::Config(e.to_string()))
}

impl RemoteWriteInputs {
    /// Inputs for `url` with nothing else given.
    pub fn new(url: impl Into<String>) -> Self {
        RemoteWriteInputs { url: url.into(), ..RemoteWriteInputs::default() }
    }

    /// The sender's configuration: labels and headers checked, secret files
    /// read, limits checked; every refusal names the option.
    pub fn resolve(&self) -> Result<RemoteWriteConfig, RemoteWriteError> {
        let mut config = RemoteWriteConfig::new(self.url.clone());
        config.external_labels = ExternalLabels::new(self.external_labels.iter().cloned())?;
        config.headers = self.headers.clone();
        config.auth = match (&self.bearer_token_file, &self.basic_auth_user, &self.basic_auth_password_file) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(RemoteWriteError::InvalidOption {
                    name: "bearer_token_file",
                    reason: "cannot be given with basic auth: choose one".to_owned(),
                });
            }
            (Some(file), None, None) => Auth::Bearer(secret(file)?),
            (None, Some(user), Some(file)) => Auth::Basic { user: user.clone(), password: secret(file)? },
            (None, Some(_), None) => {
                return Err(RemoteWriteError::InvalidOption {
                    name: "basic_auth_user",
                    reason: "needs a password file".to_owned(),
                });
            }
            (None, None, Some(_)) => {
                return Err(RemoteWriteError::InvalidOption {
                    name: "basic_auth_password_file",
                    reason: "needs a user".to_owned(),
                });
            }
            (None, None, None) => Auth::None,
        };
        config.trust = self.ca_file.clone().map_or(ClientTrust::WebPki, ClientTrust::CaFile);
        config.timeout = positive("request_timeout", self.request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT))?;
        config.queue_samples = match self.queue_samples {
            None => DEFAULT_QUEUE_SAMPLES,
            Some(0) => {
                return Err(RemoteWriteError::InvalidOption {
                    name: "queue_samples",
                    reason: "must be at least 1".to_owned(),
                })
            }
            Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        };
        config.validate()?;
        Ok(config)
    }

    /// The time between two collections beside an exporter.
    pub fn resolve_interval(&self) -> Result<Duration, RemoteWriteError> {
        positive("interval", self.interval.unwrap_or(DEFAULT_INTERVAL))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_but_a_url_gives_the_documented_defaults() {
        let config = RemoteWriteInputs::new("http://127.0.0.1:9090/api/v1/write").resolve().expect("valid");
        assert_eq!(config.timeout, DEFAULT_REQUEST_TIMEOUT);
        assert_eq!(config.queue_samples, DEFAULT_QUEUE_SAMPLES);
        assert!(matches!(config.auth, Auth::None));
        assert_eq!(RemoteWriteInputs::new("http://x").resolve_interval().expect("valid"), DEFAULT_INTERVAL);
    }

    #[test]
    fn a_zero_duration_names_the_option_as_each_front_end_spells_it() {
        let inputs = RemoteWriteInputs { request_timeout: Some(Duration::ZERO), ..RemoteWriteInputs::new("http://x") };
        let e = inputs.resolve().expect_err("zero is refused");
        assert_eq!(e.message_for(NameStyle::Flag), "--remote-write-timeout must be a number of seconds greater than 0");
        assert_eq!(e.message_for(NameStyle::Snake), "request_timeout must be a number of seconds greater than 0");
        assert_eq!(e.message_for(NameStyle::Camel), "requestTimeoutMs must be a number of milliseconds greater than 0");
    }

    #[test]
    fn a_bad_label_a_bad_url_and_two_kinds_of_auth_are_refused() {
        let label = RemoteWriteInputs {
            external_labels: vec![("1x".into(), "v".into())],
            ..RemoteWriteInputs::new("http://x")
        };
        assert!(matches!(label.resolve(), Err(RemoteWriteError::InvalidLabel { .. })));
        assert!(matches!(RemoteWriteInputs::new("ftp://x/").resolve(), Err(RemoteWriteError::Config(_))));
        let both = RemoteWriteInputs {
            bearer_token_file: Some("/nonexistent".into()),
            basic_auth_user: Some("u".into()),
            ..RemoteWriteInputs::new("http://x")
        };
        assert!(matches!(both.resolve(), Err(RemoteWriteError::InvalidOption { name: "bearer_token_file", .. })));
    }

    #[test]
    fn an_unreadable_secret_file_is_refused_naming_it() {
        let inputs = RemoteWriteInputs {
            bearer_token_file: Some("/nonexistent/token".into()),
            ..RemoteWriteInputs::new("http://x")
        };
        let message = inputs.resolve().expect_err("unreadable").to_string();
        assert!(message.contains("/nonexistent/token"), "{message}");
    }
}
