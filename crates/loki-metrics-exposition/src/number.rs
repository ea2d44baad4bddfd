//! Number formatting shared by the text encodings.

/// Appends an integer, without a decimal point.
pub fn write_u64(out: &mut String, v: u64) {
    use std::fmt::Write;
    // Writing to a String cannot fail.
    let _ = write!(out, "{v}");
}

/// Appends a float in shortest round-trip form: `0.5`, `3`, `1e21`, `1.5e-7`,
/// and `+Inf`, `-Inf`, `NaN` spelled as the text formats require.
pub fn write_f64(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v == f64::INFINITY {
        out.push_str("+Inf");
    } else if v == f64::NEG_INFINITY {
        out.push_str("-Inf");
    } else {
        let mut buf = ryu::Buffer::new();
        let s = buf.format_finite(v);
        out.push_str(s.strip_suffix(".0").unwrap_or(s));
    }
}
