//! [`push_once`]: one collection sent, and an answer: delivered, refused,
//! or given up on after the timeout. The CLI's `push` and every binding's
//! `push` are this function.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use loki_metrics::{MetricFamily, NameStyle, Value};

use crate::{RemoteWriteConfig, RemoteWriteError, RemoteWriteStats, RemoteWriter};

/// Why a push did not deliver its samples.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// The configuration or the push's timeout was refused before anything was sent.
    #[error(transparent)]
    Setup(#[from] RemoteWriteError),
    /// The receiver refused the samples for good (a 4xx other than 429): not retried.
    #[error("remote write to {url} failed: the receiver refused the samples ({reason}); not retried")]
    Refused {
        /// The receiver.
        url: String,
        /// The HTTP status, when the receiver answered one.
        status: Option<u16>,
        /// The status and the start of the body, or why no request could be made.
        reason: String,
        /// The sender's final counters.
        stats: Box<RemoteWriteStats>,
    },
    /// No success before the timeout (no answer, 5xx or 429, retried until then).
    #[error("remote write to {url} failed: {reason}; gave up after {} s of retries", timeout.as_secs_f64())]
    GaveUp {
        /// The receiver.
        url: String,
        /// What went wrong last (a connection error, a status), or "no answer".
        reason: String,
        /// The push's timeout.
        timeout: Duration,
        /// The sender's final counters.
        stats: Box<RemoteWriteStats>,
    },
}

impl PushError {
    /// Why a push or a run of pushes that delivered nothing failed, from the
    /// sender's final counters: refused when the receiver refused samples,
    /// else given up after `timeout`.
    pub fn from_stats(url: String, stats: RemoteWriteStats, timeout: Duration) -> Self {
        let reason = stats.last_error.clone().unwrap_or_else(|| "no answer".to_owned());
        if stats.samples_failed > 0 {
            PushError::Refused { url, status: stats.last_status, reason, stats: Box::new(stats) }
        } else {
            PushError::GaveUp { url, reason, timeout, stats: Box::new(stats) }
        }
    }

    /// The message with option names spelled as a front end spells them (the
    /// CLI names `--timeout`).
    pub fn message_for(&self, style: NameStyle) -> String {
        match self {
            PushError::Setup(e) => e.message_for(style),
            PushError::GaveUp { url, reason, timeout, .. } if style == NameStyle::Flag => format!(
                "remote write to {url} failed: {reason}; gave up after --timeout {} s of retries",
                timeout.as_secs_f64()
            ),
            other => other.to_string(),
        }
    }
}

fn unix_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Sends `families` (stamped now) to `config`'s receiver, retrying as the
/// sender does for at most `timeout`; `Ok` with the final counters once the
/// receiver accepted every sample. Blocks the calling thread.
pub fn push_once(
    families: &[MetricFamily<'_, Value>],
    config: RemoteWriteConfig,
    timeout: Duration,
) -> Result<RemoteWriteStats, PushError> {
    crate::positive("timeout", timeout)?;
    let url = config.url.clone();
    let writer = RemoteWriter::start(config)?;
    let samples = writer.enqueue(families, unix_ms());
    let stats = writer.shutdown(timeout);
    if stats.samples_sent == samples as u64 {
        return Ok(stats);
    }
    Err(PushError::from_stats(url, stats, timeout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_carries_the_status_and_a_silent_receiver_the_timeout() {
        let refused = RemoteWriteStats {
            samples_failed: 3,
            last_status: Some(400),
            last_error: Some("HTTP 400 Bad Request: out of bounds".into()),
            ..RemoteWriteStats::default()
        };
        let e = PushError::from_stats("http://r/w".into(), refused, Duration::from_secs(30));
        assert!(matches!(e, PushError::Refused { status: Some(400), .. }));
        assert_eq!(
            e.to_string(),
            "remote write to http://r/w failed: the receiver refused the samples (HTTP 400 Bad Request: out of bounds); not retried"
        );
        let silent = PushError::from_stats("http://r/w".into(), RemoteWriteStats::default(), Duration::from_secs(30));
        assert_eq!(silent.to_string(), "remote write to http://r/w failed: no answer; gave up after 30 s of retries");
        assert_eq!(
            silent.message_for(NameStyle::Flag),
            "remote write to http://r/w failed: no answer; gave up after --timeout 30 s of retries"
        );
    }

    #[test]
    fn a_zero_timeout_is_refused_before_anything_is_sent() {
        let config = RemoteWriteConfig::new("http://127.0.0.1:9/api/v1/write");
        let e = push_once(&[], config, Duration::ZERO).expect_err("zero");
        assert!(matches!(e, PushError::Setup(RemoteWriteError::NotPositive { name: "timeout" })));
    }
}
