use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::Error;

/// `loki_iteration_max` when neither the option nor `LOKI_MAX_ITERATIONS` gives a valid value.
pub const DEFAULT_MAX_ITERATIONS: u64 = 1000;
/// How old `dashboard-state.json` may be and still count as live, by default.
pub const DEFAULT_STALE_AFTER: Duration = Duration::from_secs(60);
/// Largest JSON source read by default (64 MiB).
pub const DEFAULT_JSON_SIZE_CAP: u64 = 64 * 1024 * 1024;

/// What to read and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The `.loki` directory.
    pub loki_dir: PathBuf,
    /// `loki_iteration_max`; `None` reads env `LOKI_MAX_ITERATIONS` at each
    /// collection (an invalid value there is a warning and 1000).
    pub max_iterations: Option<u64>,
    /// JSON sources larger than this many bytes are skipped with a warning.
    pub json_size_cap: u64,
    /// The clock used for `loki_uptime_seconds`; `None` is the system clock.
    pub now: Option<SystemTime>,
    /// Also emit `loki_source_error`, `loki_scrape_duration_seconds` and
    /// `loki_exporter_build_info`.
    pub exporter_metrics: bool,
    /// How old `dashboard-state.json` may be and still show a session as
    /// running when nothing else says whether it lives (default 60 s).
    pub stale_after: Duration,
}

impl Options {
    /// Options for `loki_dir` with every default.
    pub fn new(loki_dir: impl Into<PathBuf>) -> Self {
        Options {
            loki_dir: loki_dir.into(),
            max_iterations: None,
            json_size_cap: DEFAULT_JSON_SIZE_CAP,
            now: None,
            exporter_metrics: false,
            stale_after: DEFAULT_STALE_AFTER,
        }
    }

    /// Options from the environment: `LOKI_DIR` (else `./.loki`) and
    /// `LOKI_METRICS_EXPORTER_METRICS=true`. It cannot report an invalid
    /// `LOKI_METRICS_STALE_AFTER`, so it does not read it (60 s): for
    /// everything the environment says, `OptionInputs::default().resolve()`.
    pub fn from_env() -> Self {
        let dir = std::env::var_os("LOKI_DIR").filter(|d| !d.is_empty()).map(PathBuf::from);
        let mut options = Options::new(dir.unwrap_or_else(|| PathBuf::from(".loki")));
        options.exporter_metrics = env_flag("LOKI_METRICS_EXPORTER_METRICS");
        options
    }

    /// Sets `max_iterations`, refusing 0.
    pub fn with_max_iterations(mut self, max: u64) -> Result<Self, Error> {
        if max == 0 {
            return Err(Error::invalid_option("max_iterations", "must be at least 1"));
        }
        self.max_iterations = Some(max);
        Ok(self)
    }

    /// Sets the clock from an RFC 3339 timestamp such as `2026-01-05T10:00:00Z`.
    pub fn with_now_rfc3339(mut self, now: &str) -> Result<Self, Error> {
        self.now = Some(parse_rfc3339(now)?);
        Ok(self)
    }
}

/// Parses an RFC 3339 timestamp (with a `Z` or numeric offset).
pub fn parse_rfc3339(text: &str) -> Result<SystemTime, Error> {
    text.trim().parse::<jiff::Timestamp>().map(SystemTime::from).map_err(|_| Error::invalid_timestamp(text))
}

/// True when the variable is set to `true`, `1` or `yes` (any case).
pub fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| flag_value(&v))
}

/// The collection options as a front end received them (CLI flags, Python
/// keyword arguments, Node option objects, C options), each `None` when not
/// given. [`OptionInputs::resolve`] is the one place their rules live; the
/// front ends only convert types.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OptionInputs {
    /// The `.loki` directory; else env `LOKI_DIR`, else `./.loki`.
    pub loki_dir: Option<PathBuf>,
    /// `loki_iteration_max`, at least 1; else env `LOKI_MAX_ITERATIONS` at
    /// each collection, else 1000.
    pub max_iterations: Option<u64>,
    /// The largest JSON source read, in bytes, at least 1; else 64 MiB.
    pub json_size_cap: Option<u64>,
    /// The clock; else the system clock.
    pub now: Option<SystemTime>,
    /// The exporter families; else env `LOKI_METRICS_EXPORTER_METRICS`
    /// (`true`, `1` or `yes`), whether or not a directory is given.
    pub exporter_metrics: Option<bool>,
    /// How old `dashboard-state.json` may be and still show a session as
    /// running when no liveness file exists; else env
    /// `LOKI_METRICS_STALE_AFTER` (seconds), else 60 s.
    pub stale_after: Option<Duration>,
}

impl OptionInputs {
    /// The options, reading the process environment for what is not given.
    pub fn resolve(&self) -> Result<Options, Error> {
        self.resolve_with_env(|name| std::env::var(name).ok())
    }

    /// The options, reading `env` for what is not given.
    pub fn resolve_with_env(&self, env: impl Fn(&str) -> Option<String>) -> Result<Options, Error> {
        // A given empty path is a directory that does not exist (a warning), not "unset".
        let loki_dir = match &self.loki_dir {
            Some(dir) => dir.clone(),
            None => env("LOKI_DIR").filter(|d| !d.is_empty()).map_or_else(|| PathBuf::from(".loki"), PathBuf::from),
        };
        if self.max_iterations == Some(0) {
            return Err(Error::invalid_option("max_iterations", "must be at least 1"));
        }
        if self.json_size_cap == Some(0) {
            return Err(Error::invalid_option(
                "json_size_cap",
                "must be at least 1 byte (a 0-byte cap would skip every JSON source)",
            ));
        }
        let stale_after = match self.stale_after {
            Some(d) => d,
            None => match env("LOKI_METRICS_STALE_AFTER").filter(|v| !v.trim().is_empty()) {
                None => DEFAULT_STALE_AFTER,
                Some(v) => parse_seconds(&v).ok_or_else(|| {
                    Error::invalid_option(
                        "stale_after",
                        format!("LOKI_METRICS_STALE_AFTER={v:?} is not a number of seconds ≥ 0"),
                    )
                })?,
            },
        };
        Ok(Options {
            loki_dir,
            max_iterations: self.max_iterations,
            json_size_cap: self.json_size_cap.unwrap_or(DEFAULT_JSON_SIZE_CAP),
            now: self.now,
            exporter_metrics: self
                .exporter_metrics
                .unwrap_or_else(|| env("LOKI_METRICS_EXPORTER_METRICS").is_some_and(|v| flag_value(&v))),
            stale_after,
        })
    }
}

/// `loki_iteration_max` from the value of `LOKI_MAX_ITERATIONS` (`None`:
/// unset): unset or blank is 1000; `Err` is the warning for a value that is
/// not a positive integer (1000 applies then). The one reading of the
/// variable: the collection and `simulate` (the run's last iteration) use it.
pub fn max_iterations_from_env(value: Option<&str>) -> Result<u64, String> {
    let Some(text) = value.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(DEFAULT_MAX_ITERATIONS);
    };
    match text.parse::<u64>() {
        Ok(max) if max > 0 => Ok(max),
        _ => {
            let shown: String = text.chars().take(40).collect();
            Err(format!("LOKI_MAX_ITERATIONS={shown:?} is not a positive integer; using {DEFAULT_MAX_ITERATIONS}"))
        }
    }
}

/// A finite, non-negative number of seconds (`"90"`, `"2.5"`).
pub fn parse_seconds(text: &str) -> Option<Duration> {
    let secs: f64 = text.trim().parse().ok()?;
    if !(secs.is_finite() && secs >= 0.0) {
        return None;
    }
    Duration::try_from_secs_f64(secs).ok()
}

/// One collection option's name in each front end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionName {
    /// Rust, Python and C (`loki_dir`).
    pub snake: &'static str,
    /// Node (`lokiDir`).
    pub camel: &'static str,
    /// Other names that shipped (Node's `dir`).
    pub aliases: &'static [&'static str],
    /// The CLI flag.
    pub flag: &'static str,
    /// The environment variable read when it is not given.
    pub env: Option<&'static str>,
    /// Its rule: allowed values and what applies when it is not given.
    pub rule: &'static str,
}

/// The collection options of [`OptionInputs`], by name.
pub const OPTION_NAMES: &[OptionName] = &[
    OptionName {
        snake: "loki_dir",
        camel: "lokiDir",
        aliases: &["dir"],
        flag: "--loki-dir",
        env: Some("LOKI_DIR"),
        rule: "any path (an empty or missing one is a directory that does not exist: a warning and every \
               fallback); not given: `LOKI_DIR` if set and non-empty, else `./.loki`",
    },
    OptionName {
        snake: "max_iterations",
        camel: "maxIterations",
        aliases: &[],
        flag: "--max-iterations",
        env: Some("LOKI_MAX_ITERATIONS"),
        rule: "an integer ≥ 1 (0 is refused); not given: `LOKI_MAX_ITERATIONS` read at each collection \
               (an invalid value there is a warning and 1000), else 1000",
    },
    OptionName {
        snake: "json_size_cap",
        camel: "jsonSizeCap",
        aliases: &[],
        flag: "--json-size-cap",
        env: None,
        rule: "bytes, an integer ≥ 1 (0 is refused: it would skip every JSON source); larger JSON sources \
               are skipped with a warning; not given: 67108864 (64 MiB)",
    },
    OptionName {
        snake: "now",
        camel: "now",
        aliases: &[],
        flag: "--now",
        env: None,
        rule: "the clock for `loki_uptime_seconds` (RFC 3339; Python also a datetime or epoch seconds, Node \
               a Date or epoch milliseconds, C epoch seconds + nanoseconds); not given: the system clock",
    },
    OptionName {
        snake: "exporter_metrics",
        camel: "exporterMetrics",
        aliases: &[],
        flag: "--exporter-metrics",
        env: Some("LOKI_METRICS_EXPORTER_METRICS"),
        rule: "adds the exporter families; not given: on when `LOKI_METRICS_EXPORTER_METRICS` is `true`, \
               `1` or `yes` (any case), also when a directory is given",
    },
    OptionName {
        snake: "stale_after",
        camel: "staleAfterMs",
        aliases: &[],
        flag: "--stale-after",
        env: Some("LOKI_METRICS_STALE_AFTER"),
        rule: "how old `dashboard-state.json` (its `timestamp`, else its mtime) may be and still show the session \
               as running when no liveness file exists (`loki.pid`, `sessions/*/loki.pid`, a wrapper in `pids/`, \
               `session.json`): seconds ≥ 0 (Node: milliseconds; C: `stale_after_ms` with \
               `LOKI_OPTION_STALE_AFTER`); not given: `LOKI_METRICS_STALE_AFTER` (seconds; an invalid value is an \
               error naming it), else 60",
    },
];

/// Checks that every name in `given` is one of `known`: the first that is
/// not is [`Error::UnknownOption`], naming it and the closest known name.
pub fn check_option_names<'a>(given: impl IntoIterator<Item = &'a str>, known: &[&str]) -> Result<(), Error> {
    for name in given {
        if !known.contains(&name) {
            return Err(Error::unknown_option(name, known));
        }
    }
    Ok(())
}

/// True for `true`, `1` or `yes` (any case, trimmed): the one reading of a
/// boolean environment variable.
pub fn flag_value(value: &str) -> bool {
    matches!(value.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes")
}

/// The options reference page (`docs/options.md`), made from [`OPTION_NAMES`].
pub fn reference_markdown() -> String {
    use std::fmt::Write;
    let mut out = String::from(
        "# Collection options\n\n\
         <!-- Generated from crates/loki-metrics/src/options.rs by \
         `LOKI_METRICS_BLESS=1 cargo test -p loki-metrics --test docs`; do not edit. -->\n\n\
         Every front end (the CLI, Python, Node, C) hands what it was given to one core function, \
         `OptionInputs::resolve`, so the rules and messages below are the same everywhere; each spells \
         the names its own way. An option a function does not take is an error naming it (with the \
         closest known name); in C, whose options are a struct, unknown `flags` bits are. \
         `tests/options/cases.txt` holds the cases every front end's tests run.\n\n\
         | Rust, Python, C | Node | CLI | environment | rule |\n|---|---|---|---|---|\n",
    );
    for o in OPTION_NAMES {
        let node = std::iter::once(o.camel).chain(o.aliases.iter().copied()).collect::<Vec<_>>().join("`, `");
        let _ = writeln!(
            out,
            "| `{}` | `{node}` | `{}` | {} | {} |",
            o.snake,
            o.flag,
            o.env.map_or_else(|| "—".to_owned(), |e| format!("`{e}`")),
            o.rule
        );
    }
    out.push_str(
        "\nIn C a zero field is \"not given\" (`LOKI_OPTIONS_INIT` sets the struct's `size` and is every default); \
         `LOKI_OPTION_MAX_ITERATIONS`, `LOKI_OPTION_JSON_SIZE_CAP` and `LOKI_OPTION_STALE_AFTER` in `flags` \
         mark the field as given, 0 included (refused for the first two; for `stale_after_ms`, a state of any \
         age is stale). Node's `dir` is the shipped alias of `lokiDir`; giving both with different values is \
         an error.\n",
    );
    out
}
