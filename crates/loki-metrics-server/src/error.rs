use std::io;

/// Why the exporter could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// A configuration value is invalid (the message says which and why).
    #[error("{0}")]
    Config(String),
    /// The address could not be bound (in use, not permitted, not resolvable).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for, `host:port`.
        addr: String,
        /// The underlying error.
        source: io::Error,
    },
    /// The TLS certificate or key could not be loaded.
    #[error("TLS: {0}")]
    Tls(String),
    /// The runtime could not be created or its thread failed.
    #[error("runtime: {0}")]
    Runtime(String),
}

/// Why a fetch got no metrics.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL is not a valid `http://` or `https://` URL.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The token or the `Accept` value cannot be sent as an HTTP header value.
    #[error("{0}")]
    InvalidHeader(String),
    /// Nothing accepted the connection (refused, unreachable, unresolvable).
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The URL asked for.
        url: String,
        /// The underlying error.
        source: io::Error,
    },
    /// No complete answer within the timeout.
    #[error("no answer from {url} within {seconds} s")]
    Timeout {
        /// The URL asked for.
        url: String,
        /// The timeout.
        seconds: f64,
    },
    /// The TLS handshake failed (untrusted certificate, not a TLS server, ...).
    #[error("TLS with {url} failed: {reason}")]
    Tls {
        /// The URL asked for.
        url: String,
        /// Why.
        reason: String,
    },
    /// The HTTP exchange failed (connection closed, not HTTP, ...).
    #[error("HTTP with {url} failed: {reason}")]
    Http {
        /// The URL asked for.
        url: String,
        /// Why.
        reason: String,
    },
    /// The server answered with a status other than 200.
    #[error("{url} answered {status}{}", if body.is_empty() { String::new() } else { format!(": {}", body.trim()) })]
    Status {
        /// The URL asked for.
        url: String,
        /// The status code.
        status: u16,
        /// The start of the body, for the message.
        body: String,
    },
    /// The body is not UTF-8 text.
    #[error("{url} sent a body that is not UTF-8")]
    NotText {
        /// The URL asked for.
        url: String,
    },
}
