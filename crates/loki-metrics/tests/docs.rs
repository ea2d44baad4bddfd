//! `docs/metrics.md` is generated from the family table and must not go stale.

use std::path::Path;

#[test]
fn the_metrics_reference_page_matches_the_family_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/metrics.md");
    let generated = loki_metrics::families::reference_markdown();
    if std::env::var_os("LOKI_METRICS_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write docs/metrics.md");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/metrics.md is stale: run `LOKI_METRICS_BLESS=1 cargo test -p loki-metrics --test docs`"
    );
}
