//! The status page (`GET /`): one self-contained HTML document, rendered
//! from the same [`StatusPage`] that `GET /api/v1/status` returns.
//!
//! Everything that comes from `.loki` (project names, phases, models,
//! warnings, paths) is untrusted. It reaches the document only through
//! [`Html::text`] and [`Html::attr`], which escape it; tags and attribute
//! names are `&'static str`, so no value can become markup. The page's script
//! ([`SCRIPT`]) updates the same elements with `textContent` and
//! `setAttribute` only, and the Content-Security-Policy allows exactly that
//! script and stylesheet by hash: no other script can run.

use std::fmt::Write as _;
use std::sync::OnceLock;

use base64::Engine as _;
use loki_metrics::view::{BudgetLevel, Chart, Labelled, SessionView, StatusPage, CHART_BOX};

/// The page's stylesheet (inlined, allowed by hash).
pub(crate) const STYLE: &str = include_str!("page/status.css");
/// The page's script (inlined, allowed by hash).
pub(crate) const SCRIPT: &str = include_str!("page/status.js");
/// Seconds between two refreshes of the page's script.
pub(crate) const REFRESH_SECONDS: u32 = 5;

fn sha256_base64(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

/// The Content-Security-Policy of the page: nothing but its own inline style
/// and script (by hash), its JSON from the same origin, and no framing.
pub(crate) fn content_security_policy() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        format!(
            "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; connect-src 'self'; \
             img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            sha256_base64(SCRIPT),
            sha256_base64(STYLE)
        )
    })
}

/// An HTML document being written: markup from `&'static str` only, text
/// and attribute values always escaped.
pub(crate) struct Html {
    out: String,
}

/// `text` with `&<>"'` as character references and control characters
/// (other than tab and newline) as U+FFFD, which HTML cannot carry.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

impl Html {
    fn new() -> Self {
        Html { out: String::with_capacity(16 * 1024) }
    }

    /// Trusted markup: a literal of this file.
    fn raw(&mut self, markup: &'static str) -> &mut Self {
        self.out.push_str(markup);
        self
    }

    /// `<tag attr="value" ...>`, values escaped.
    fn open(&mut self, tag: &'static str, attrs: &[(&'static str, &str)]) -> &mut Self {
        self.out.push('<');
        self.out.push_str(tag);
        for (name, value) in attrs {
            self.attr(name, value);
        }
        self.out.push('>');
        self
    }

    /// ` name="value"`, the value escaped.
    fn attr(&mut self, name: &'static str, value: &str) -> &mut Self {
        self.out.push(' ');
        self.out.push_str(name);
        self.out.push_str("=\"");
        escape_into(&mut self.out, value);
        self.out.push('"');
        self
    }

    fn close(&mut self, tag: &'static str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
        self
    }

    /// Escaped text.
    fn text(&mut self, text: &str) -> &mut Self {
        escape_into(&mut self.out, text);
        self
    }

    /// `<tag attrs>text</tag>`.
    fn element(&mut self, tag: &'static str, attrs: &[(&'static str, &str)], text: &str) -> &mut Self {
        self.open(tag, attrs).text(text).close(tag)
    }
}

fn budget_level_name(level: BudgetLevel) -> &'static str {
    match level {
        BudgetLevel::None => "none",
        BudgetLevel::Ok => "ok",
        BudgetLevel::Warning => "warning",
        BudgetLevel::Critical => "critical",
        BudgetLevel::Exceeded => "exceeded",
    }
}

fn number(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        "0".to_owned()
    }
}

/// A `<dl>` of labelled values, bound to `key` for the script.
fn labelled_list(html: &mut Html, title: &str, key: &'static str, items: &[Labelled]) {
    html.open("div", &[("class", "card")]).element("h3", &[], title);
    html.open("dl", &[("data-list", key)]);
    for item in items {
        html.element("dt", &[], &item.label).element("dd", &[], &item.text);
    }
    html.close("dl").close("div");
}

fn chart(html: &mut Html, chart: &Chart) {
    let (w, h) = CHART_BOX;
    let view_box = format!("0 0 {w} {h}");
    html.open("figure", &[("class", "chart")]);
    html.open("figcaption", &[]).text(&chart.title).raw(" ");
    html.element("span", &[("class", "range"), ("data-chart-range", &chart.key)], &chart.range_text);
    html.close("figcaption");
    html.open(
        "svg",
        &[("viewBox", &view_box), ("preserveAspectRatio", "none"), ("role", "img"), ("aria-label", &chart.title)],
    );
    html.open("polyline", &[("data-chart", &chart.key), ("points", &chart.points)]).close("polyline");
    html.close("svg").close("figure");
}

fn project(html: &mut Html, index: usize, p: &SessionView) {
    let text = |key: &str| p.text(key).unwrap_or("").to_owned();
    let index = index.to_string();
    html.open("section", &[("class", "project"), ("data-project", &index), ("data-name", &p.project)]);
    html.open("h2", &[]);
    html.element("span", &[("class", "name"), ("data-field", "project")], &p.project).raw(" ");
    html.element("span", &[("class", "badge"), ("data-field", "status"), ("data-status", &p.status)], &p.status);
    html.close("h2");
    html.element("p", &[("class", "reason"), ("data-field", "status_reason")], &p.status_reason);
    html.element("p", &[("class", "dir"), ("data-field", "loki_dir")], &p.loki_dir);

    html.open("div", &[("class", "grid")]);
    // Iteration against its maximum.
    html.open("div", &[("class", "card")]).element("h3", &[], "Iteration");
    html.open(
        "progress",
        &[
            ("data-progress", "iteration"),
            ("value", &p.iteration.to_string()),
            ("max", &p.iteration_max.max(1).to_string()),
        ],
    );
    html.text(&text("iteration")).close("progress");
    html.element("p", &[("class", "big"), ("data-text", "iteration")], &text("iteration"));
    html.close("div");
    // Cost against the budget, with the alerts' thresholds.
    let level = budget_level_name(p.budget_level);
    html.open("div", &[("class", "card")]).element("h3", &[], "Cost");
    let limit = p.budget_limit_usd.filter(|l| *l > 0.0);
    let (max, low, high) = match limit {
        Some(l) => (
            number(l),
            number(l * loki_metrics::view::BUDGET_WARNING_RATIO),
            number(l * loki_metrics::view::BUDGET_CRITICAL_RATIO),
        ),
        None => (number(p.cost_usd.max(1.0)), number(p.cost_usd.max(1.0)), number(p.cost_usd.max(1.0))),
    };
    html.open(
        "meter",
        &[
            ("data-meter", "budget"),
            ("min", "0"),
            ("max", &max),
            ("low", &low),
            ("high", &high),
            ("optimum", "0"),
            ("value", &number(p.cost_usd)),
        ],
    );
    html.text(&text("budget")).close("meter");
    html.element("p", &[("class", "big"), ("data-text", "budget"), ("data-level", level)], &text("budget"));
    html.close("div");
    // The single values.
    html.open("div", &[("class", "card")]).element("h3", &[], "Session");
    html.open("dl", &[]);
    for (title, key) in [
        ("uptime", "uptime"),
        ("state age", "state_age"),
        ("agents", "agents"),
        ("events", "events"),
        ("events rate", "events_rate"),
        ("receipts", "receipts"),
    ] {
        html.element("dt", &[], title).element("dd", &[("data-text", key)], &text(key));
    }
    html.close("dl").close("div");
    labelled_list(html, "Tasks", "tasks", &p.tasks);
    labelled_list(html, "Spend by model", "model_cost_usd", &p.model_cost_usd);
    labelled_list(html, "Tokens", "tokens", &p.tokens);
    labelled_list(html, "Receipts by verdict", "receipts_by_verdict", &p.receipts_by_verdict);
    labelled_list(html, "Checklist", "checklist", &p.checklist);
    html.open("div", &[("class", "card")]).element("h3", &[], "Session info");
    html.open("dl", &[("data-list", "info")]);
    for (k, v) in &p.info {
        html.element("dt", &[], k).element("dd", &[], v);
    }
    html.close("dl").close("div");
    html.close("div");

    html.open("div", &[("class", "charts")]);
    for c in &p.charts {
        chart(html, c);
    }
    html.close("div");

    html.open("div", &[("class", "warnings")]);
    html.open("h3", &[]).raw("Warnings (");
    html.element("span", &[("data-field", "warning_count")], &p.warnings.len().to_string());
    html.raw(")").close("h3");
    html.open("ul", &[("data-warnings", "")]);
    for w in &p.warnings {
        html.open("li", &[]).element("code", &[], &w.source).raw(" ").text(&w.message).close("li");
    }
    html.close("ul").close("div");
    html.close("section");
}

/// The whole document for `page`; `metrics_path` is the exporter's metrics path.
pub(crate) fn render(page: &StatusPage, metrics_path: &str) -> String {
    let mut html = Html::new();
    html.raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .raw("<meta name=\"color-scheme\" content=\"light dark\">")
        .raw("<meta name=\"referrer\" content=\"no-referrer\">")
        .raw("<link rel=\"icon\" href=\"data:,\">");
    let title = match page.projects.as_slice() {
        [one] => format!("{} · {} · loki-metrics", one.project, one.status),
        _ => format!("{} projects · loki-metrics", page.projects.len()),
    };
    html.element("title", &[], &title);
    html.raw("<style>").raw(STYLE).raw("</style></head>\n");
    // Relative links, so that the page works behind a reverse proxy's prefix.
    let metrics_link = metrics_path.trim_start_matches('/');
    let refresh = REFRESH_SECONDS.to_string();
    html.open("body", &[("data-refresh-seconds", &refresh)]);
    html.open("header", &[]).raw("<h1>loki-metrics</h1><nav>");
    html.element("a", &[("href", metrics_link)], metrics_path).raw(" ");
    html.element("a", &[("href", "health")], "/health").raw(" ");
    html.element("a", &[("href", "api/v1/status")], "/api/v1/status");
    html.raw("</nav>");
    let generated = format!("updated {} · version {}", rfc3339(page.generated_at), page.version);
    html.element("p", &[("class", "updated"), ("data-field", "generated_at")], &generated);
    html.element("p", &[("class", "banner"), ("id", "banner"), ("hidden", "")], "");
    html.close("header");
    html.open("main", &[("data-project-count", &page.projects.len().to_string())]);
    for (i, p) in page.projects.iter().enumerate() {
        project(&mut html, i, p);
    }
    html.close("main");
    html.open("footer", &[]);
    let mut footer = String::new();
    let _ = write!(
        footer,
        "History: the last {} points, one every {} s. This page refreshes every {REFRESH_SECONDS} s with JavaScript; without it, reload to update.",
        page.history_capacity, page.history_step_seconds
    );
    html.element("p", &[], &footer).close("footer");
    html.raw("<script>").raw(SCRIPT).raw("</script></body></html>\n");
    html.out
}

/// Seconds since the epoch as `2026-01-05T12:00:00Z`.
pub(crate) fn rfc3339(seconds: f64) -> String {
    jiff::Timestamp::from_second(seconds as i64).map_or_else(|_| format!("{seconds}"), |t| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes_cannot_become_markup() {
        let mut html = Html::new();
        html.element(
            "p",
            &[("data-name", "\"><img src=x onerror=alert(1)>")],
            "</style><script>alert('x')</script>&\u{1b}[2J\u{0}",
        );
        assert_eq!(
            html.out,
            "<p data-name=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\">&lt;/style&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;\u{FFFD}[2J\u{FFFD}</p>"
        );
    }

    #[test]
    fn the_policy_allows_exactly_the_inline_script_and_style() {
        let csp = content_security_policy();
        assert!(csp.contains(&format!("script-src 'sha256-{}'", sha256_base64(SCRIPT))), "{csp}");
        assert!(csp.contains(&format!("style-src 'sha256-{}'", sha256_base64(STYLE))), "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");
        assert!(!SCRIPT.contains("innerHTML") && !SCRIPT.contains("outerHTML") && !SCRIPT.contains("eval("));
    }
}
