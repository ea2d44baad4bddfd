//! `docs/metrics.md`, `docs/options.md` and the bindings' typings of the snapshot
//! (`node/snapshot-header.d.ts`, parts of `python/loki_metrics/_native.pyi`) are generated from the family and
//! option tables and must not go stale.

use std::path::Path;

/// Compares `docs/<page>` with `generated`, rewriting it first under
/// `LOKI_METRICS_BLESS=1`.
fn check_page(page: &str, generated: &str) {
    check_file(&format!("docs/{page}"), generated);
}

#[test]
fn the_metrics_reference_page_matches_the_family_table() {
    check_page("metrics.md", &loki_metrics::families::reference_markdown());
}

#[test]
fn the_options_reference_page_matches_the_option_table() {
    check_page("options.md", &loki_metrics::options_reference_markdown());
}

/// Compares `path` (from the repository root) with `generated`, rewriting it
/// first under `LOKI_METRICS_BLESS=1`.
fn check_file(path: &str, generated: &str) {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path);
    if std::env::var_os("LOKI_METRICS_BLESS").is_some() {
        std::fs::write(&full, generated).unwrap_or_else(|e| panic!("write {path}: {e}"));
    }
    let committed = std::fs::read_to_string(&full).unwrap_or_default();
    assert!(
        committed == generated,
        "{path} is stale: run `LOKI_METRICS_BLESS=1 cargo test -p loki-metrics --test docs`"
    );
}

/// `text` with what lies between the lines `begin` and `end` replaced by `body`.
fn replace_between(text: &str, begin: &str, end: &str, body: &str) -> String {
    let start = text.find(begin).unwrap_or_else(|| panic!("no {begin:?} marker")) + begin.len();
    let stop = start + text[start..].find(end).unwrap_or_else(|| panic!("no {end:?} marker"));
    format!("{}\n{body}{}", &text[..start], &text[stop..])
}

#[test]
fn the_node_snapshot_declarations_match_the_family_table() {
    check_file("node/snapshot-header.d.ts", &loki_metrics::typings::typescript_declarations());
}

#[test]
fn the_python_stub_matches_the_family_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python/loki_metrics/_native.pyi");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let (classes, properties) = loki_metrics::typings::python_stub();
    let generated = replace_between(&committed, "# <generated classes>", "# </generated classes>", &classes);
    let generated =
        replace_between(&generated, "    # <generated properties>", "    # </generated properties>", &properties);
    check_file("python/loki_metrics/_native.pyi", &generated);
}
