//! `loki-metrics check`: validate exposition text, print lint warnings.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use loki_metrics::parse::{lint, parse, to_json, ParseFormat};

#[derive(Clone, Copy, ValueEnum)]
pub enum CheckFormat {
    /// Prometheus text 0.0.4.
    Prometheus,
    /// OpenMetrics 1.0, strictly.
    Openmetrics,
    /// OpenMetrics if the text ends with `# EOF`, else Prometheus.
    Auto,
}

impl From<CheckFormat> for ParseFormat {
    fn from(f: CheckFormat) -> ParseFormat {
        match f {
            CheckFormat::Prometheus => ParseFormat::Prometheus,
            CheckFormat::Openmetrics => ParseFormat::OpenMetrics,
            CheckFormat::Auto => ParseFormat::Auto,
        }
    }
}

#[derive(Args)]
pub struct CheckArgs {
    /// The text format to check against.
    #[arg(long, value_enum, default_value = "auto")]
    format: CheckFormat,
    /// Print the parsed families as JSON on stdout (NaN and infinities as strings).
    #[arg(long)]
    json: bool,
    /// Do not print lint warnings.
    #[arg(long)]
    no_lint: bool,
    /// The file to check; `-` or nothing reads stdin.
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
}

pub fn run(args: CheckArgs) -> ExitCode {
    let (label, bytes) = match args.file.as_deref() {
        None => ("-".to_owned(), read_stdin()),
        Some(p) if p.as_os_str() == "-" => ("-".to_owned(), read_stdin()),
        Some(p) => (p.display().to_string(), std::fs::read(p)),
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            eprintln!("loki-metrics check: cannot read {label}: {e}");
            return ExitCode::from(1);
        }
    };
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = bytes.get(..e.valid_up_to()).unwrap_or(&[]);
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            let start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let col = String::from_utf8_lossy(valid.get(start..).unwrap_or(&[])).chars().count() + 1;
            eprintln!("{line}:{col}: invalid UTF-8: exposition text must be UTF-8");
            return ExitCode::from(1);
        }
    };
    let families = match parse(text, args.format.into()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    if !args.no_lint {
        for w in lint(&families) {
            eprintln!("warning: {w}");
        }
    }
    if args.json {
        let mut out = std::io::stdout().lock();
        if let Err(e) = writeln!(out, "{}", to_json(&families)) {
            eprintln!("loki-metrics check: cannot write JSON: {e}");
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}

fn read_stdin() -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    std::io::stdin().lock().read_to_end(&mut buf)?;
    Ok(buf)
}
