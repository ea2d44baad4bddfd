//! Choosing an encoding from an HTTP `Accept` header.

use crate::TextFormat;

/// How well one media range matches a format: q-value and specificity.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
struct Match {
    q: f32,
    /// 2 = exact type, 1 = `type/*`, 0 = `*/*`.
    specificity: u8,
}

/// Picks Prometheus text 0.0.4 or OpenMetrics 1.0.0 for an `Accept` header.
///
/// OpenMetrics is chosen when `application/openmetrics-text` (version 1.0.0 or
/// unversioned) has a higher q-value than `text/plain` (counting wildcards),
/// or the same q-value by an explicit rather than a wildcard match.
/// Everything else, a missing header and a bare `*/*` included, gets 0.0.4.
pub fn negotiate(accept: Option<&str>) -> TextFormat {
    let Some(accept) = accept else {
        return TextFormat::Prometheus;
    };
    let mut best_om: Option<Match> = None;
    let mut best_text: Option<Match> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim();
        let Some((ty, sub)) = media.split_once('/') else {
            continue;
        };
        let (ty, sub) = (ty.trim(), sub.trim());
        let mut q = 1.0f32;
        let mut version: Option<&str> = None;
        let mut valid = true;
        for param in parts {
            let Some((k, v)) = param.split_once('=') else {
                continue;
            };
            let (k, v) = (k.trim(), v.trim().trim_matches('"'));
            if k.eq_ignore_ascii_case("q") {
                match parse_q(v) {
                    Some(value) => q = value,
                    None => valid = false,
                }
            } else if k.eq_ignore_ascii_case("version") {
                version = Some(v);
            }
        }
        if !valid {
            continue;
        }
        let om = if ty.eq_ignore_ascii_case("application") && sub.eq_ignore_ascii_case("openmetrics-text") {
            matches!(version, None | Some("1.0.0")).then_some(2)
        } else if ty.eq_ignore_ascii_case("application") && sub == "*" {
            Some(1)
        } else if ty == "*" && sub == "*" {
            Some(0)
        } else {
            None
        };
        let text = if ty.eq_ignore_ascii_case("text") && sub.eq_ignore_ascii_case("plain") {
            Some(2)
        } else if ty.eq_ignore_ascii_case("text") && sub == "*" {
            Some(1)
        } else if ty == "*" && sub == "*" {
            Some(0)
        } else {
            None
        };
        if let Some(specificity) = om {
            best_om = better(best_om, Match { q, specificity });
        }
        if let Some(specificity) = text {
            best_text = better(best_text, Match { q, specificity });
        }
    }
    match (best_om, best_text) {
        (Some(om), _) if om.q <= 0.0 => TextFormat::Prometheus,
        (Some(_), None) => TextFormat::OpenMetrics,
        (Some(om), Some(text)) if om.q > text.q => TextFormat::OpenMetrics,
        (Some(om), Some(text)) if om.q == text.q && om.specificity == 2 && text.specificity < 2 => {
            TextFormat::OpenMetrics
        }
        _ => TextFormat::Prometheus,
    }
}

/// The more specific match decides a type's q-value (RFC 9110 §12.5.1).
fn better(current: Option<Match>, new: Match) -> Option<Match> {
    match current {
        Some(c) if c.specificity > new.specificity => Some(c),
        Some(c) if c.specificity == new.specificity && c.q >= new.q => Some(c),
        _ => Some(new),
    }
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, leniently:
/// any decimal in 0..=1 with up to 3 fraction digits.
fn parse_q(v: &str) -> Option<f32> {
    if v.is_empty() || v.len() > 5 || !v.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let q: f32 = v.parse().ok()?;
    (0.0..=1.0).contains(&q).then_some(q)
}
