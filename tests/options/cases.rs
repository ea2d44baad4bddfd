//! Reads `tests/options/cases.txt` (included by the Rust test files that run
//! the cases: `#[path = ...] mod cases;`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The repository root, from a crate's `CARGO_MANIFEST_DIR`.
pub fn root(manifest_dir: &str) -> PathBuf {
    Path::new(manifest_dir).join("../..")
}

/// One case of the file.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    /// Option name (snake_case) and value, `@running` / `@missing` resolved.
    pub given: Vec<(String, String)>,
    pub env: Vec<(String, String)>,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Checks of the snapshot: `iteration_current`, `iteration_max`, `exporter`, `failed`, `session_status`.
    Ok(Vec<(String, String)>),
    /// An invalid value of this option.
    Error(String),
    /// An option the function does not take.
    Unknown(String),
}

fn pairs(text: &str, root: &Path) -> Vec<(String, String)> {
    if text.trim() == "-" {
        return Vec::new();
    }
    text.split(',')
        .map(|pair| {
            let (k, v) = pair.trim().split_once('=').unwrap_or_else(|| panic!("not key=value: {pair:?}"));
            (k.to_owned(), resolve_value(v, root))
        })
        .collect()
}

fn resolve_value(value: &str, root: &Path) -> String {
    match value {
        "@running" => root.join("tests/fixtures/running/.loki").display().to_string(),
        "@missing" => root.join("tests/fixtures/missing-dir/.loki").display().to_string(),
        other => other.to_owned(),
    }
}

/// Every case of the file.
pub fn cases(root: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(root.join("tests/options/cases.txt")).expect("tests/options/cases.txt");
    let cases: Vec<Case> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let fields: Vec<&str> = line.split('|').map(str::trim).collect();
            let [name, given, env, outcome] = fields[..] else { panic!("not 4 fields: {line:?}") };
            let mut words = outcome.split_whitespace();
            let outcome = match words.next() {
                Some("ok") => Outcome::Ok(words.map(|w| pairs(w, root).remove(0)).collect()),
                Some("error") => Outcome::Error(words.next().expect("error <option>").to_owned()),
                Some("unknown") => Outcome::Unknown(words.next().expect("unknown <name>").to_owned()),
                other => panic!("unknown outcome {other:?} in {line:?}"),
            };
            Case { name: name.to_owned(), given: pairs(given, root), env: pairs(env, root), outcome }
        })
        .collect();
    assert!(cases.len() >= 10, "the cases file is incomplete");
    cases
}

/// The running fixture's `now`.
pub fn now(root: &Path) -> String {
    std::fs::read_to_string(root.join("tests/fixtures/running/now")).expect("now").trim().to_owned()
}
