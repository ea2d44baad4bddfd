//! `loki-metrics watch`: the status page's view in a terminal, from a running
//! exporter (`--url`, its `GET /api/v1/status`) or straight from a directory.
//!
//! Every string shown comes from `.loki` (or from an exporter reading one) and
//! is untrusted: [`sanitized`] replaces control and bidi-formatting characters
//! and caps the length of every string of a page as it arrives, so nothing
//! drawn can move the cursor or inject an escape sequence.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant, SystemTime};

use clap::Args;
use loki_metrics::view::{self, BudgetLevel, Chart, History, Labelled, SessionView, StatusPage, WarningView};
use loki_metrics::Options;
use loki_metrics_server::client::{fetch_blocking, FetchOptions};
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph, Sparkline};
use ratatui::Frame;

use crate::fetch::ClientArgs;
use crate::render::SourceArgs;

/// The exporter's base URL when `--url` is given without one.
pub const DEFAULT_URL: &str = "http://127.0.0.1:57374";
/// The exporter's status endpoint, below its base URL.
pub const STATUS_PATH: &str = "/api/v1/status";
/// Longest string of a page kept (characters); longer ones end in `…`.
pub const MAX_TEXT_CHARS: usize = 200;

#[derive(Args)]
pub struct WatchArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// Watch a running exporter instead of a directory: its base URL (alone,
    /// http://127.0.0.1:57374). It shows every project the exporter serves,
    /// from its GET /api/v1/status and with its history; the directory flags
    /// do not apply (and LOKI_DIR is not read).
    #[arg(
        long,
        value_name = "URL",
        num_args = 0..=1,
        default_missing_value = DEFAULT_URL,
        conflicts_with_all = ["max_iterations", "json_size_cap", "exporter_metrics", "stale_after"],
    )]
    url: Option<String>,
    #[command(flatten)]
    client: ClientArgs,
    /// Seconds between two refreshes, at least 0.1. Reading a directory, it
    /// is also the history's step: the sparklines hold the last 360 refreshes
    /// (12 minutes at 2 s; --interval 10 gives the status page's hour).
    #[arg(long, value_name = "SECONDS", default_value = "2", value_parser = parse_interval)]
    interval: Duration,
    /// Print one plain-text frame (every project, no escape codes) to stdout
    /// and exit: 0, or 1 with the reason on stderr when the exporter cannot be
    /// reached. Reading a directory, that is one collection, so the events
    /// rate needs a refresh and is shown as n/a.
    #[arg(long)]
    once: bool,
}

fn parse_interval(s: &str) -> Result<Duration, String> {
    match loki_metrics::parse_seconds(s) {
        Some(d) if d >= Duration::from_millis(100) => Ok(d),
        _ => Err(format!("{s:?} is not a number of seconds ≥ 0.1")),
    }
}

/// Where the pages come from.
enum Source {
    /// Collected here, with a history of our own.
    Directory { options: Options, history: History, step: Duration },
    /// `GET {url}` of a running exporter (`url` ends in [`STATUS_PATH`]).
    Exporter { base: String, url: String, options: FetchOptions },
}

impl Source {
    fn from_args(args: &WatchArgs) -> Result<Source, String> {
        match &args.url {
            Some(base) => {
                let base = base.trim_end_matches('/').to_owned();
                if !(base.starts_with("http://") || base.starts_with("https://")) {
                    return Err(format!("--url {base:?} must start with http:// or https://"));
                }
                if base.starts_with("http://") && args.client.wants_tls() {
                    return Err("--ca-cert and --insecure need an https:// --url".to_owned());
                }
                let options = args.client.options("application/json")?;
                Ok(Source::Exporter { url: format!("{base}{STATUS_PATH}"), base, options })
            }
            None => {
                args.source.one_directory("watch")?;
                let options = args.source.options(None).map_err(|e| e.message_for(loki_metrics::NameStyle::Flag))?;
                Ok(Source::Directory { options, history: History::default(), step: args.interval })
            }
        }
    }

    /// What the header says the view shows.
    fn describe(&self) -> String {
        match self {
            Source::Directory { options, .. } => format!("directory {}", options.loki_dir.display()),
            Source::Exporter { base, .. } => format!("exporter {base}"),
        }
    }

    /// One page, sanitized; `Err` says why the exporter gave none.
    fn poll(&mut self) -> Result<StatusPage, String> {
        let page = match self {
            Source::Directory { options, history, step } => {
                let now = SystemTime::now();
                let snapshot = loki_metrics::collect(options);
                history.record(&snapshot, now);
                let name = view::project_name(&options.loki_dir, &snapshot);
                let session = SessionView::new(&name, &options.loki_dir, &snapshot, history, now);
                StatusPage::new(vec![session], now, *step)
            }
            Source::Exporter { url, options, .. } => {
                let response = fetch_blocking(url, options).map_err(|e| e.to_string())?;
                serde_json::from_str::<StatusPage>(&response.body)
                    .map_err(|e| format!("{url} answered JSON that is not a status page: {e}"))?
            }
        };
        Ok(sanitized(page))
    }

    /// What a failed [`Source::poll`] is about, before its reason.
    fn failure_subject(&self) -> String {
        match self {
            Source::Exporter { base, .. } => format!("exporter at {base} unreachable"),
            Source::Directory { options, .. } => format!("cannot read {}", options.loki_dir.display()),
        }
    }
}

/// The red line shown while the source gives no page.
fn banner(subject: &str, reason: &str, interval: Duration) -> String {
    clean(&format!("{subject}: {reason}; retrying every {}", interval_text(interval)), 4 * MAX_TEXT_CHARS)
}

fn interval_text(interval: Duration) -> String {
    format!("{} s", interval.as_secs_f64())
}

/// `s` safe to draw: tabs and line breaks become spaces, other control
/// characters (C0, DEL, C1: ESC among them) and the invisible formatting
/// characters that reorder or hide text (bidi overrides, zero-width ones)
/// become `?` (as does U+FFFD, which the core's view puts in their place),
/// and more than `max` characters end in `…`.
pub fn clean(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(4 * max + 3));
    for (n, c) in s.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        out.push(match c {
            '\t' | '\n' | '\r' => ' ',
            // U+FFFD: the core's mark for a control character it replaced.
            c if c.is_control() || is_invisible_format(c) || c == '\u{FFFD}' => '?',
            c => c,
        });
    }
    out
}

/// Unicode format characters that change how text around them is shown:
/// bidi embeddings, overrides and isolates, zero-width ones, the BOM.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
}

fn clean_labelled(items: Vec<Labelled>) -> Vec<Labelled> {
    items
        .into_iter()
        .map(|Labelled { label, value, text }| Labelled {
            label: clean(&label, MAX_TEXT_CHARS),
            value,
            text: clean(&text, MAX_TEXT_CHARS),
        })
        .collect()
}

fn clean_pairs(pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    pairs.into_iter().map(|(k, v)| (clean(&k, MAX_TEXT_CHARS), clean(&v, MAX_TEXT_CHARS))).collect()
}

/// `page` with every string [`clean`]ed. The views are taken apart field by
/// field, so a field added to [`SessionView`] does not compile here until it
/// is cleaned too.
pub fn sanitized(page: StatusPage) -> StatusPage {
    let StatusPage { version, generated_at, history_step_seconds, history_capacity, projects } = page;
    let projects = projects
        .into_iter()
        .map(|v| {
            let SessionView {
                project,
                loki_dir,
                status,
                status_reason,
                iteration,
                iteration_max,
                tasks,
                agents_active,
                agents_total,
                cost_usd,
                budget_limit_usd,
                budget_level,
                model_cost_usd,
                tokens,
                events_total,
                events_per_second,
                receipts_total,
                receipts_by_verdict,
                checklist,
                info,
                uptime_seconds,
                state_age_seconds,
                warnings,
                charts,
                display,
            } = v;
            SessionView {
                project: clean(&project, MAX_TEXT_CHARS),
                loki_dir: clean(&loki_dir, MAX_TEXT_CHARS),
                status: clean(&status, MAX_TEXT_CHARS),
                status_reason: clean(&status_reason, MAX_TEXT_CHARS),
                iteration,
                iteration_max,
                tasks: clean_labelled(tasks),
                agents_active,
                agents_total,
                cost_usd,
                budget_limit_usd,
                budget_level,
                model_cost_usd: clean_labelled(model_cost_usd),
                tokens: clean_labelled(tokens),
                events_total,
                events_per_second,
                receipts_total,
                receipts_by_verdict: clean_labelled(receipts_by_verdict),
                checklist: clean_labelled(checklist),
                info: clean_pairs(info),
                uptime_seconds,
                state_age_seconds,
                warnings: warnings
                    .into_iter()
                    .map(|WarningView { source, message }| WarningView {
                        source: clean(&source, MAX_TEXT_CHARS),
                        message: clean(&message, 2 * MAX_TEXT_CHARS),
                    })
                    .collect(),
                charts: charts
                    .into_iter()
                    .map(|Chart { key, title, points: _, range_text, values }| Chart {
                        key: clean(&key, MAX_TEXT_CHARS),
                        title: clean(&title, MAX_TEXT_CHARS),
                        // The polyline is for the page's SVG; watch draws `values`.
                        points: String::new(),
                        range_text: clean(&range_text, MAX_TEXT_CHARS),
                        values,
                    })
                    .collect(),
                display: clean_pairs(display),
            }
        })
        .collect();
    StatusPage {
        version: clean(&version, MAX_TEXT_CHARS),
        generated_at,
        history_step_seconds,
        history_capacity,
        projects,
    }
}

/// One line of a session's text: a label and its value.
struct Row {
    label: &'static str,
    value: String,
    /// How the TUI colours it (the text frame has no colours).
    style: Style,
}

fn joined(items: &[Labelled]) -> String {
    items.iter().map(|i| format!("{} {}", i.label, i.text)).collect::<Vec<_>>().join(" · ")
}

fn budget_style(level: BudgetLevel) -> Style {
    match level {
        BudgetLevel::Warning => Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        BudgetLevel::Critical | BudgetLevel::Exceeded => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        BudgetLevel::None | BudgetLevel::Ok => Style::new(),
    }
}

fn status_style(status: &str) -> Style {
    match status {
        "running" => Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
        "paused" => Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        _ => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
    }
}

fn budget_level_name(level: BudgetLevel) -> Option<&'static str> {
    match level {
        BudgetLevel::None | BudgetLevel::Ok => None,
        BudgetLevel::Warning => Some("warning"),
        BudgetLevel::Critical => Some("critical"),
        BudgetLevel::Exceeded => Some("exceeded"),
    }
}

/// A session's values, one row each, in the order both front ends show them.
/// `None` rows (an empty checklist, no model spend) are left out.
fn rows(v: &SessionView) -> Vec<Row> {
    let text = |key: &str| v.text(key).unwrap_or("").to_owned();
    let plain = Style::new();
    let status =
        if v.status_reason.is_empty() { text("status") } else { format!("{} — {}", text("status"), v.status_reason) };
    let budget = match budget_level_name(v.budget_level) {
        Some(level) => format!("{} [{level}]", text("budget")),
        None => text("budget"),
    };
    let rate_known = v.charts.iter().find(|c| c.key == "events_rate").is_some_and(|c| c.values.len() > 1);
    let rate = if rate_known { text("events_rate") } else { "n/a (one sample so far)".to_owned() };
    let receipts = if v.receipts_by_verdict.is_empty() {
        text("receipts")
    } else {
        format!("{} ({})", text("receipts"), joined(&v.receipts_by_verdict))
    };
    let optional = |label: &'static str, items: &[Labelled]| {
        (!items.is_empty()).then(|| Row { label, value: joined(items), style: plain })
    };
    let info = v.info.iter().map(|(k, val)| format!("{k} {val}")).collect::<Vec<_>>().join(" · ");
    [
        Some(Row { label: "status", value: status, style: status_style(&v.status) }),
        Some(Row { label: "iteration", value: text("iteration"), style: plain }),
        Some(Row { label: "cost", value: budget, style: budget_style(v.budget_level) }),
        Some(Row { label: "tasks", value: joined(&v.tasks), style: plain }),
        optional("spend", &v.model_cost_usd),
        optional("tokens", &v.tokens),
        Some(Row { label: "agents", value: text("agents"), style: plain }),
        Some(Row { label: "events", value: format!("{} · {rate}", text("events")), style: plain }),
        Some(Row { label: "receipts", value: receipts, style: plain }),
        optional("checklist", &v.checklist),
        Some(Row { label: "uptime", value: text("uptime"), style: plain }),
        Some(Row { label: "state age", value: text("state_age"), style: plain }),
        (!info.is_empty()).then_some(Row { label: "session", value: info, style: plain }),
    ]
    .into_iter()
    .flatten()
    .collect()
}

const LABEL_WIDTH: usize = 10;

/// The `--once` frame: every project's rows, chart ranges and warnings, as
/// plain text (the page is [`sanitized`] already: no escape code gets out).
pub fn frame_text(page: &StatusPage, source: &str) -> String {
    let mut out = format!(
        "loki-metrics watch · {source} · {} project{}\n",
        page.projects.len(),
        if page.projects.len() == 1 { "" } else { "s" }
    );
    for v in &page.projects {
        out.push_str(&format!("\n{}\n", v.project));
        for row in rows(v) {
            out.push_str(&format!("  {:<LABEL_WIDTH$} {}\n", row.label, row.value));
        }
        let points = v.charts.first().map_or(0, |c| c.values.len());
        let ranges = v.charts.iter().map(|c| format!("{} {}", c.title, c.range_text)).collect::<Vec<_>>().join(" · ");
        let plural = if points == 1 { "" } else { "s" };
        out.push_str(&format!("  {:<LABEL_WIDTH$} {ranges} ({points} point{plural})\n", "history"));
        if v.warnings.is_empty() {
            out.push_str(&format!("  {:<LABEL_WIDTH$} none\n", "warnings"));
        }
        for w in &v.warnings {
            out.push_str(&format!("  {:<LABEL_WIDTH$} {}: {}\n", "warning", w.source, w.message));
        }
    }
    if page.projects.is_empty() {
        out.push_str("\nno project\n");
    }
    out
}

/// What the TUI shows.
struct Screen {
    source: String,
    interval: Duration,
    page: Option<StatusPage>,
    /// When the page was received.
    received: Option<Instant>,
    banner: Option<String>,
    selected: usize,
}

/// Values scaled for a sparkline: the lowest shown as 1, the highest as 100
/// (a flat series is a flat line of 1s); only the last `width` fit.
fn sparkline_data(values: &[f64], width: usize) -> Vec<u64> {
    let shown = &values[values.len().saturating_sub(width)..];
    let (lo, hi) = shown.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let span = if hi > lo { hi - lo } else { 1.0 };
    shown.iter().map(|v| if v.is_finite() { 1 + ((v - lo) / span * 99.0).round() as u64 } else { 0 }).collect()
}

fn label_span(label: &str) -> Span<'static> {
    Span::styled(format!("{label:<LABEL_WIDTH$} "), Style::new().add_modifier(Modifier::DIM))
}

/// Lines a banner may take, whatever its length.
const MAX_BANNER_LINES: usize = 4;

/// `text` in lines of `width` characters, at most `max` of them (the last
/// ending in `…` when the text is longer).
fn wrapped(text: &str, width: usize, max: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut lines: Vec<String> = chars.chunks(width.max(1)).map(|c| c.iter().collect()).collect();
    if lines.len() > max {
        lines.truncate(max);
        if let Some(last) = lines.last_mut() {
            last.pop();
            last.push('…');
        }
    }
    lines
}

fn draw(frame: &mut Frame, screen: &Screen) {
    let area = frame.area();
    let page = screen.page.as_ref();
    let count = page.map_or(0, |p| p.projects.len());
    let selected = screen.selected.min(count.saturating_sub(1));
    let session = page.and_then(|p| p.projects.get(selected));

    // The most useful first: a narrow terminal cuts the end.
    let mut header = String::from(" ");
    if let Some(v) = session {
        header.push_str(&v.project);
        if count > 1 {
            header.push_str(&format!(" ({}/{count}, Tab: next)", selected + 1));
        }
        header.push_str(" · ");
    }
    header.push_str(&format!(
        "q quits · loki-metrics watch · every {} · {}",
        interval_text(screen.interval),
        screen.source
    ));
    let banner_lines = screen.banner.as_ref().map_or_else(Vec::new, |text| {
        let mut text = text.clone();
        if let Some(at) = screen.received {
            text.push_str(&format!(" (showing values from {} ago)", view::duration_text(at.elapsed())));
        }
        wrapped(&text, usize::from(area.width), MAX_BANNER_LINES)
    });
    let [head, banner, body] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(banner_lines.len() as u16), Constraint::Min(0)])
            .areas(area);
    frame.render_widget(Paragraph::new(header).style(Style::new().add_modifier(Modifier::REVERSED)), head);
    let lines: Vec<Line> = banner_lines.into_iter().map(Line::from).collect();
    frame.render_widget(
        Paragraph::new(lines).style(Style::new().fg(Color::White).bg(Color::Red).add_modifier(Modifier::BOLD)),
        banner,
    );
    match session {
        Some(v) => draw_session(frame, body, v),
        None => {
            let waiting =
                if page.is_some() { "the exporter serves no project" } else { "waiting for the first values…" };
            frame.render_widget(Paragraph::new(waiting), body);
        }
    }
}

fn draw_session(frame: &mut Frame, area: Rect, v: &SessionView) {
    // The gauge shows the iteration: its row would say it twice.
    let rows: Vec<Row> = rows(v).into_iter().filter(|r| r.label != "iteration").collect();
    let per_line: u16 = if area.width >= 80 { 2 } else { 1 };
    let chart_lines = 4 / per_line;
    let warnings_height = (v.warnings.len() as u16).min(5) + 1;
    let text_height = rows.len() as u16;
    // Each chart: a title line and at least two lines of bars (up to seven
    // when the terminal is tall); none when they do not fit.
    let spare = area.height.saturating_sub(1 + text_height + 1 + warnings_height);
    let cell_height = (spare / chart_lines).min(8);
    let show_charts = cell_height >= 3;
    let [gauge_area, text_area, _, charts_area, warnings_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(text_height),
        Constraint::Length(1),
        Constraint::Length(if show_charts { cell_height * chart_lines } else { 0 }),
        Constraint::Min(0),
    ])
    .areas(area);

    let ratio = if v.iteration_max > 0 { (v.iteration as f64 / v.iteration_max as f64).clamp(0.0, 1.0) } else { 0.0 };
    let [gauge_label, gauge_bar] =
        Layout::horizontal([Constraint::Length(LABEL_WIDTH as u16 + 1), Constraint::Min(0)]).areas(gauge_area);
    frame.render_widget(Paragraph::new(Line::from(label_span("iteration"))), gauge_label);
    frame.render_widget(
        Gauge::default()
            .ratio(ratio)
            .label(v.text("iteration").unwrap_or("").to_owned())
            .gauge_style(Style::new().fg(Color::Cyan).bg(Color::DarkGray)),
        gauge_bar,
    );

    let lines: Vec<Line> = rows
        .into_iter()
        .map(|row| Line::from(vec![label_span(row.label), Span::styled(row.value, row.style)]))
        .collect();
    frame.render_widget(Paragraph::new(lines), text_area);

    if show_charts {
        let lines =
            Layout::vertical(vec![Constraint::Length(cell_height); usize::from(chart_lines)]).split(charts_area);
        let cells: Vec<Rect> = lines
            .iter()
            .flat_map(|line| {
                Layout::horizontal(vec![Constraint::Ratio(1, u32::from(per_line)); usize::from(per_line)])
                    .spacing(2)
                    .split(*line)
                    .to_vec()
            })
            .collect();
        for (chart, cell) in v.charts.iter().zip(cells) {
            let [title, bars] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(cell);
            frame.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled(chart.title.clone(), Style::new().add_modifier(Modifier::BOLD)),
                    Span::raw(format!("  {}", chart.range_text)),
                ])),
                title,
            );
            let data = sparkline_data(&chart.values, usize::from(bars.width));
            frame.render_widget(Sparkline::default().data(&data).style(Style::new().fg(Color::Cyan)), bars);
        }
    }

    let count = if v.warnings.is_empty() { "none".to_owned() } else { v.warnings.len().to_string() };
    let mut lines = vec![Line::from(vec![label_span("warnings"), Span::raw(count)])];
    for w in v.warnings.iter().take(usize::from(warnings_height.saturating_sub(1))) {
        lines.push(Line::from(Span::styled(format!("  {}: {}", w.source, w.message), Style::new().fg(Color::Yellow))));
    }
    frame.render_widget(Paragraph::new(lines), warnings_area);
}

/// What the poller sends: a page, or why there is none.
type Update = Result<StatusPage, String>;

/// Polls `source` every `interval` on its own thread (a slow exporter does not
/// freeze the keys), until the receiver is gone.
fn spawn_poller(mut source: Source, interval: Duration, updates: Sender<Update>, stop: Receiver<()>) {
    std::thread::spawn(move || loop {
        let started = Instant::now();
        if updates.send(source.poll()).is_err() {
            return;
        }
        match stop.recv_timeout(interval.saturating_sub(started.elapsed())) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
    });
}

enum Key {
    Quit,
    Next,
    Previous,
    Other,
}

fn key(k: KeyEvent) -> Key {
    if k.kind != KeyEventKind::Press {
        return Key::Other;
    }
    match k.code {
        KeyCode::Char('q') | KeyCode::Char('Q') | KeyCode::Esc => Key::Quit,
        KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => Key::Quit,
        KeyCode::Tab | KeyCode::Right | KeyCode::Char('n') => Key::Next,
        KeyCode::BackTab | KeyCode::Left | KeyCode::Char('p') => Key::Previous,
        _ => Key::Other,
    }
}

fn run_tui(source: Source, interval: Duration) -> std::io::Result<()> {
    let describe = clean(&source.describe(), 4 * MAX_TEXT_CHARS);
    let (updates_tx, updates) = mpsc::channel::<Update>();
    let (stop_tx, stop) = mpsc::channel::<()>();
    let subject = source.failure_subject();
    spawn_poller(source, interval, updates_tx, stop);
    let mut screen = Screen { source: describe, interval, page: None, received: None, banner: None, selected: 0 };
    let mut terminal = ratatui::try_init()?;
    let result = (|| -> std::io::Result<()> {
        loop {
            while let Ok(update) = updates.try_recv() {
                match update {
                    Ok(page) => {
                        screen.page = Some(page);
                        screen.received = Some(Instant::now());
                        screen.banner = None;
                    }
                    Err(reason) => screen.banner = Some(banner(&subject, &reason, interval)),
                }
            }
            terminal.draw(|frame| draw(frame, &screen))?;
            if !event::poll(Duration::from_millis(200))? {
                continue;
            }
            // A resize needs nothing but the redraw at the top of the loop.
            if let Event::Key(k) = event::read()? {
                let count = screen.page.as_ref().map_or(0, |p| p.projects.len()).max(1);
                match key(k) {
                    Key::Quit => return Ok(()),
                    Key::Next => screen.selected = (screen.selected + 1) % count,
                    Key::Previous => screen.selected = (screen.selected + count - 1) % count,
                    Key::Other => {}
                }
            }
        }
    })();
    let restored = ratatui::try_restore();
    let _ = stop_tx.send(());
    result.and(restored)
}

pub fn run(args: WatchArgs) -> ExitCode {
    let mut source = match Source::from_args(&args) {
        Ok(source) => source,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if args.once {
        return match source.poll() {
            Ok(page) => {
                let text = frame_text(&page, &clean(&source.describe(), 4 * MAX_TEXT_CHARS));
                crate::render::print(&text)
            }
            Err(reason) => {
                eprintln!("error: {}", clean(&format!("{}: {reason}", source.failure_subject()), 4 * MAX_TEXT_CHARS));
                ExitCode::FAILURE
            }
        };
    }
    if !std::io::stdout().is_terminal() {
        eprintln!("error: watch draws on a terminal and stdout is not one; use --once for one plain-text frame");
        return ExitCode::from(2);
    }
    match run_tui(source, args.interval) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: the terminal failed: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use clap::Parser;
    use loki_metrics::families;
    use loki_metrics::{SessionStatus, Snapshot, TaskCounts};
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    use super::*;
    use crate::{Cli, Command};

    const HOSTILE: &str = "evil\x1b[2J\x1b]0;pwned\x07\nname\r\t\u{9b}31m\u{202e}gnp.exe\u{200b}\x7f";

    fn t(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_600_000 + secs)
    }

    /// A running session 12 iterations in, at 83% of its budget, seen twice 10 s apart.
    fn page() -> StatusPage {
        let mut snapshot = Snapshot::empty(1000);
        snapshot.set_session_status(SessionStatus::Running);
        snapshot.set_status_reason("PID 4242 (loki.pid) is alive");
        snapshot.set_tasks(TaskCounts { pending: 3, in_progress: 2, completed: 41, failed: 1 });
        snapshot.set(&families::ITERATION_CURRENT, &[], 11u64);
        snapshot.set(&families::COST_USD, &[], 40.0);
        snapshot.set(&families::BUDGET_LIMIT_USD, &[], 50.0);
        snapshot.set(&families::MODEL_COST_USD, &[("model", "sonnet")], 11.5);
        snapshot.set(&families::MODEL_COST_USD, &[("model", "opus")], 30.0);
        snapshot.set(&families::UPTIME_SECONDS, &[], 1000.0);
        snapshot.set(&families::STATE_UPDATED_TIMESTAMP_SECONDS, &[], 1_767_600_008.0);
        snapshot.set_events_total(1200);
        let mut history = History::default();
        history.record(&snapshot, t(0));
        snapshot.set(&families::ITERATION_CURRENT, &[], 12u64);
        snapshot.set(&families::COST_USD, &[], 41.5);
        snapshot.set_events_total(1234);
        history.record(&snapshot, t(10));
        let view = SessionView::new("todo-api", Path::new("/srv/todo/.loki"), &snapshot, &history, t(10));
        StatusPage::new(vec![view], t(10), Duration::from_secs(10))
    }

    fn hostile_page() -> StatusPage {
        let mut page = page();
        let long = "x".repeat(10_000);
        let v = &mut page.projects[0];
        v.project = format!("{HOSTILE}{long}");
        v.status_reason = HOSTILE.to_owned();
        v.model_cost_usd[0].label = HOSTILE.to_owned();
        v.info = vec![("phase".to_owned(), HOSTILE.to_owned())];
        v.warnings = vec![WarningView { source: HOSTILE.to_owned(), message: long }];
        page
    }

    #[test]
    fn the_once_frame_shows_the_page_as_plain_text() {
        let text = frame_text(&sanitized(page()), "directory /srv/todo/.loki");
        let expected = "\
loki-metrics watch · directory /srv/todo/.loki · 1 project

todo-api
  status     running — PID 4242 (loki.pid) is alive
  iteration  12 / 1,000
  cost       $41.50 of $50.00 (83%) [warning]
  tasks      pending 3 · in_progress 2 · completed 41 · failed 1
  spend      opus $30.00 · sonnet $11.50
  tokens     input 0 · output 0 · cache_read 0 · cache_creation 0
  agents     0 active of 0
  events     1,234 · 3.40/s
  receipts   0 (verified 0 · with_gaps 0 · not_verified 0 · unknown 0)
  uptime     16 min 40 s
  state age  2 s
  history    Cost $40.00 – $41.50 · Events per second 0.00 – 3.40 · Iteration 11 – 12 · Open tasks 5 – 5 (2 points)
  warnings   none
";
        assert_eq!(text, expected);
    }

    #[test]
    fn one_sample_has_no_events_rate() {
        let mut page = page();
        for chart in &mut page.projects[0].charts {
            chart.values.truncate(1);
        }
        let text = frame_text(&page, "x");
        assert!(text.contains("  events     1,234 · n/a (one sample so far)\n"), "{text}");
        assert!(text.contains("(1 point)\n"), "{text}");
    }

    #[test]
    fn control_and_bidi_characters_are_replaced_and_long_strings_cut() {
        assert_eq!(clean(HOSTILE, 100), "evil?[2J?]0;pwned? name  ?31m?gnp.exe??");
        assert_eq!(clean("naïve 名前", 100), "naïve 名前", "printable text is kept");
        assert_eq!(clean("abcdef", 3), "abc…");
        assert_eq!(clean("abc", 3), "abc");
    }

    fn assert_safe(text: &str, context: &str) {
        let bad: Vec<char> =
            text.chars().filter(|c| (c.is_control() && *c != '\n') || is_invisible_format(*c)).collect();
        assert!(bad.is_empty(), "{context} holds {bad:?}");
    }

    #[test]
    fn a_hostile_page_prints_as_inert_text() {
        let text = frame_text(&sanitized(hostile_page()), "x");
        assert_safe(&text, "the --once frame");
        assert!(text.contains("\nevil?[2J?]0;pwned? name  ?31m?gnp.exe??xxx"), "{text}");
        assert!(text.lines().all(|l| l.chars().count() < 3 * MAX_TEXT_CHARS), "every string is cut");
        assert!(text.contains(&format!("{}…\n", "x".repeat(10))), "a cut string ends in …");
    }

    fn drawn(page: Option<StatusPage>, banner: Option<String>, width: u16, height: u16) -> String {
        let screen = Screen {
            source: "directory /srv/todo/.loki".to_owned(),
            interval: Duration::from_secs(2),
            page,
            received: None,
            banner,
            selected: 0,
        };
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
        terminal.draw(|frame| draw(frame, &screen)).expect("draw");
        let buffer = terminal.backend().buffer();
        let mut out = String::new();
        for y in 0..buffer.area.height {
            for x in 0..buffer.area.width {
                out.push_str(buffer[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }

    #[test]
    fn the_terminal_view_draws_the_values_with_sparklines() {
        let screen = drawn(Some(sanitized(page())), None, 120, 40);
        for needle in ["todo-api · q quits", "12 / 1,000", "$41.50 of $50.00 (83%) [warning]", "3.40/s", "Open tasks"]
        {
            assert!(screen.contains(needle), "{needle:?} not in\n{screen}");
        }
        assert!(screen.contains('█'), "the sparklines have bars:\n{screen}");
    }

    #[test]
    fn a_hostile_page_draws_as_inert_text_at_any_size() {
        for (width, height) in [(120, 40), (50, 20), (20, 6), (1, 1)] {
            let screen = drawn(
                Some(sanitized(hostile_page())),
                Some(banner("exporter", HOSTILE, Duration::from_secs(2))),
                width,
                height,
            );
            assert_safe(&screen, &format!("the {width}x{height} screen"));
            assert!(screen.lines().all(|l| l.chars().count() <= usize::from(width)), "{screen}");
        }
        let screen = drawn(Some(sanitized(hostile_page())), None, 120, 40);
        assert!(screen.contains(" evil?[2J?]0;pwned? name"), "{screen}");
    }

    #[test]
    fn the_banner_says_what_is_unreachable_and_the_last_values_stay() {
        let text = banner(
            "exporter at http://127.0.0.1:9 unreachable",
            "cannot connect: Connection refused",
            Duration::from_secs(2),
        );
        assert_eq!(
            text,
            "exporter at http://127.0.0.1:9 unreachable: cannot connect: Connection refused; retrying every 2 s"
        );
        let screen = drawn(Some(sanitized(page())), Some(text), 140, 40);
        assert!(screen.contains("unreachable: cannot connect: Connection refused; retrying every 2 s"), "{screen}");
        assert!(screen.contains("12 / 1,000"), "the last values stay:\n{screen}");
        assert!(drawn(None, None, 80, 10).contains("waiting for the first values"));
    }

    #[test]
    fn a_banner_wraps_to_the_width_in_at_most_four_lines() {
        assert_eq!(wrapped("abcdefg", 3, 4), vec!["abc", "def", "g"]);
        assert_eq!(wrapped("abcdefghijklmno", 3, 4), vec!["abc", "def", "ghi", "jk…"]);
        assert_eq!(wrapped("ab", 0, 4), vec!["a", "b"]);
        let long = format!("exporter at http://127.0.0.1:9 unreachable: {}; retrying every 2 s", "r".repeat(150));
        let screen = drawn(Some(sanitized(page())), Some(long), 80, 30);
        assert!(screen.contains("; retrying every 2 s"), "the end of the banner is shown:\n{screen}");
    }

    #[test]
    fn sparklines_scale_the_shown_values() {
        assert_eq!(sparkline_data(&[1.0, 3.0, 2.0], 10), vec![1, 100, 51]);
        assert_eq!(sparkline_data(&[1.0, 3.0, 2.0], 2), vec![100, 1], "only the last values that fit");
        assert_eq!(sparkline_data(&[4.0, 4.0], 10), vec![1, 1]);
        assert!(sparkline_data(&[], 10).is_empty());
    }

    fn watch_args(args: &[&str]) -> Result<WatchArgs, clap::Error> {
        let cli = Cli::try_parse_from(["loki-metrics", "watch"].iter().chain(args))?;
        match cli.command {
            Command::Watch(args) => Ok(args),
            _ => unreachable!("parsed watch"),
        }
    }

    fn usage_error(args: &[&str]) -> String {
        match watch_args(args) {
            Ok(args) => match Source::from_args(&args) {
                Ok(_) => panic!("{args:?} was accepted", args = args.url),
                Err(e) => e,
            },
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        for interval in ["0", "0.05", "-1", "soon", "NaN"] {
            assert!(
                usage_error(&[&format!("--interval={interval}")]).contains("is not a number of seconds ≥ 0.1"),
                "{interval}"
            );
        }
        assert!(usage_error(&["--url", "http://x", "--max-iterations", "5"]).contains("cannot be used with"));
        assert!(usage_error(&["--url", "ftp://x"]).contains("must start with http:// or https://"));
        assert!(usage_error(&["--url", "http://x", "--insecure"]).contains("need an https:// --url"));
        assert!(
            usage_error(&["--url", "http://x", "--token-file", "/nonexistent/token"]).contains("/nonexistent/token")
        );
        assert!(usage_error(&["--url", "http://x", "--timeout=-1"]).contains("--timeout"));
        assert!(usage_error(&["--loki-dir", "x", "--max-iterations", "0"]).contains("--max-iterations"));
    }

    #[test]
    fn url_alone_is_the_default_exporter() {
        assert_eq!(
            DEFAULT_URL,
            format!("http://{}:{}", loki_metrics_server::DEFAULT_HOST, loki_metrics_server::DEFAULT_PORT)
        );
        let args = watch_args(&["--url"]).expect("--url alone");
        assert_eq!(args.url.as_deref(), Some(DEFAULT_URL));
        assert_eq!(args.interval, Duration::from_secs(2), "the default interval");
        let Ok(Source::Exporter { url, .. }) = Source::from_args(&watch_args(&["--url", "https://h:1/"]).expect("url"))
        else {
            panic!("an exporter source");
        };
        assert_eq!(url, "https://h:1/api/v1/status");
    }
}
