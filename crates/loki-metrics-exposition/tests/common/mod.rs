//! What the parser's integration tests share.

/// A small OpenMetrics text with escapes, an exemplar, a histogram and a
/// family without metadata.
pub const OM: &str = "# TYPE a counter\n# HELP a x\\ny\na_total{l=\"v\\\"\"} 1 # {t=\"1\"} 0.5\n# TYPE h histogram\nh_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 2\nh_count 2\nh_sum 1.5\nplain 3\n# EOF\n";

/// `OM` with the byte at `pos` (modulo its length) replaced by `byte`, then
/// cut after `cut` bytes (never before the replaced one): UTF-8 or not.
pub fn mutated_om(pos: usize, byte: u8, cut: usize) -> Vec<u8> {
    let mut bytes = OM.as_bytes().to_vec();
    let p = pos % bytes.len();
    bytes[p] = byte;
    bytes.truncate(cut.max(p + 1));
    bytes
}
