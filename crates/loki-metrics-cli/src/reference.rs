//! The CLI reference (`docs/cli.md`), made from clap's definition, and the
//! README's CLI section checked against that definition.

use std::collections::BTreeSet;
use std::path::Path;

use clap::CommandFactory;

use crate::Cli;

/// Variables the CLI reads outside clap's `env =`: the core reads the first
/// ones at each collection or while resolving options, `serve`/`demo` read
/// the token beside `--token-file`, and the bindings' `serve_from_env()` the
/// last. Each must be in the README's table, as every clap variable must.
const READ_OUTSIDE_CLAP: [&str; 3] = ["LOKI_BUDGET_LIMIT", "LOKI_METRICS_TOKEN", "LOKI_METRICS_ENABLED"];

/// The command as `--help` describes it, with fixed-width wrapping and no
/// variable's current value, so the page does not depend on who makes it.
fn command() -> clap::Command {
    let mut cmd = Cli::command().term_width(100).max_term_width(100);
    let names: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_owned()).collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, |s| s.mut_args(|a| a.hide_env_values(true)));
    }
    cmd.build();
    cmd
}

/// `help` as rendered, without the spaces clap leaves at the end of blank lines.
fn text_block(help: clap::builder::StyledStr) -> String {
    let text = help.to_string();
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    format!("```text\n{}\n```\n", lines.join("\n").trim_end())
}

/// `docs/cli.md`: the top-level help, then each command's `--help`.
pub fn markdown() -> String {
    let mut cmd = command();
    let mut out = String::from(
        "<!-- Generated from the CLI's clap definition by crates/loki-metrics-cli/src/reference.rs: \
         `LOKI_METRICS_BLESS=1 cargo test -p loki-metrics-cli reference`; do not edit. -->\n\n\
         # The `loki-metrics` command\n\n\
         Each section is what `loki-metrics <command> --help` prints (a variable's current value, which \
         `--help` shows after its name, left out).\n\n",
    );
    out.push_str(&text_block(cmd.render_long_help()));
    for sub in cmd.get_subcommands_mut().filter(|s| s.get_name() != "help") {
        out.push_str(&format!("\n## `loki-metrics {}`\n\n", sub.get_name()));
        out.push_str(&text_block(sub.render_long_help()));
    }
    out
}

/// The flags (`--long`, `-s`) and variables of the subcommand `name`.
fn definition(cmd: &clap::Command, name: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let sub = cmd.find_subcommand(name).unwrap_or_else(|| panic!("no subcommand {name}"));
    let mut flags = BTreeSet::from(["--help".to_owned(), "-h".to_owned()]);
    let mut envs = BTreeSet::new();
    for arg in sub.get_arguments() {
        flags.extend(arg.get_long().map(|l| format!("--{l}")));
        flags.extend(arg.get_short().map(|s| format!("-{s}")));
        envs.extend(arg.get_env().map(|e| e.to_string_lossy().into_owned()));
    }
    (flags, envs)
}

/// The words of `text` that look like flags (`--name`, `-q`).
fn flags_in(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
        let long = word.strip_prefix("--").is_some_and(|n| n.starts_with(|c: char| c.is_ascii_lowercase()));
        let short = word.len() == 2 && word.starts_with('-') && word.as_bytes()[1].is_ascii_lowercase();
        if long || short {
            found.insert(word.trim_end_matches('-').to_owned());
        }
    }
    found
}

/// The `LOKI_*` names in `text`.
fn variables_in(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_uppercase() || c == '_'))
        .filter(|w| w.starts_with("LOKI_") && w.len() > 5)
        .map(str::to_owned)
        .collect()
}

/// The README's `## CLI` section.
fn readme_cli_section() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).expect("README.md");
    let start = readme.find("\n## CLI\n").expect("a ## CLI section");
    let end = start + 1 + readme[start + 1..].find("\n## ").expect("a section after ## CLI");
    readme[start..end].to_owned()
}

fn subcommands(cmd: &clap::Command) -> Vec<String> {
    cmd.get_subcommands().map(|s| s.get_name().to_owned()).filter(|n| n != "help").collect()
}

#[test]
fn the_cli_reference_page_matches_the_help_text() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/cli.md");
    let generated = markdown();
    if std::env::var_os("LOKI_METRICS_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write docs/cli.md");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/cli.md is stale: run `LOKI_METRICS_BLESS=1 cargo test -p loki-metrics-cli reference`"
    );
}

#[test]
fn the_readme_synopsis_lists_every_command_with_flags_it_has() {
    let cmd = command();
    let section = readme_cli_section();
    let block = section.split("```text\n").nth(1).and_then(|b| b.split("```").next()).expect("a synopsis block");
    let mut current = None;
    let mut listed = Vec::new();
    for line in block.lines() {
        if let Some(rest) = line.strip_prefix("loki-metrics ") {
            let name = rest.split_whitespace().next().expect("a command name").to_owned();
            listed.push(name.clone());
            current = Some(name);
        }
        let name = current.as_deref().expect("the synopsis starts with a command");
        let (flags, _) = definition(&cmd, name);
        let unknown: Vec<_> = flags_in(line).into_iter().filter(|f| !flags.contains(f)).collect();
        assert!(unknown.is_empty(), "the README's synopsis of `{name}` names {unknown:?}, which it does not have");
    }
    listed.sort();
    let mut every = subcommands(&cmd);
    every.sort();
    assert_eq!(listed, every, "the synopsis lists every command once");
}

#[test]
fn every_flag_the_readme_cli_section_names_exists() {
    let cmd = command();
    let mut all = BTreeSet::new();
    for name in subcommands(&cmd) {
        all.extend(definition(&cmd, &name).0);
    }
    let unknown: Vec<_> = flags_in(&readme_cli_section()).into_iter().filter(|f| !all.contains(f)).collect();
    assert!(unknown.is_empty(), "the README's CLI section names flags no command has: {unknown:?}");
}

#[test]
fn the_readme_variable_table_names_exactly_the_variables_the_cli_reads() {
    let cmd = command();
    let mut read: BTreeSet<String> = READ_OUTSIDE_CLAP.iter().map(|v| (*v).to_owned()).collect();
    read.extend(loki_metrics::OPTION_NAMES.iter().filter_map(|o| o.env).map(str::to_owned));
    for name in subcommands(&cmd) {
        read.extend(definition(&cmd, &name).1);
    }
    let section = readme_cli_section();
    let table: BTreeSet<String> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .filter(|v| v.starts_with("LOKI_"))
        .map(str::to_owned)
        .collect();
    assert_eq!(table, read, "the README's variable table against what the CLI reads");
    let named = variables_in(&section);
    let unknown: Vec<_> = named.difference(&read).collect();
    assert!(unknown.is_empty(), "the README's CLI section names variables nothing reads: {unknown:?}");
}
