//! `docs/metrics.md` and `docs/options.md` are generated from the family and
//! option tables and must not go stale.

use std::path::Path;

/// Compares `docs/<page>` with `generated`, rewriting it first under
/// `LOKI_METRICS_BLESS=1`.
fn check_page(page: &str, generated: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs").join(page);
    if std::env::var_os("LOKI_METRICS_BLESS").is_some() {
        std::fs::write(&path, generated).unwrap_or_else(|e| panic!("write docs/{page}: {e}"));
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/{page} is stale: run `LOKI_METRICS_BLESS=1 cargo test -p loki-metrics --test docs`"
    );
}

#[test]
fn the_metrics_reference_page_matches_the_family_table() {
    check_page("metrics.md", &loki_metrics::families::reference_markdown());
}

#[test]
fn the_options_reference_page_matches_the_option_table() {
    check_page("options.md", &loki_metrics::options_reference_markdown());
}
