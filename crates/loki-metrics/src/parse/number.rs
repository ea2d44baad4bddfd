//! Number grammars of the two text formats.
//!
//! Both formats accept `[sign] digits [. digits] [e [sign] digits]` (with at
//! least one digit before or after the point), case-insensitive `inf`,
//! `infinity` (signed or not) and `nan` (unsigned). Neither accepts hex floats,
//! `_` digit separators or surrounding whitespace, and a finite-looking number
//! too large for an `f64` is an error rather than an infinity.

/// Why a token is not a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumberError {
    /// Empty token.
    Empty,
    /// Not the number grammar.
    Syntax,
    /// Outside the range of an `f64`.
    Range,
}

impl NumberError {
    pub(crate) fn describe(self, what: &str) -> String {
        match self {
            NumberError::Empty => format!("expected {what}"),
            NumberError::Syntax => {
                format!("expected {what}: a decimal number (e.g. 1, -2.5, 1e-3), +Inf, -Inf or NaN")
            }
            NumberError::Range => format!("{what} is outside the range of a 64-bit float"),
        }
    }
}

/// Powers of ten that are exact in an `f64`, for the fast path.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// Parses a sample value, label value of `le`/`quantile`, or exemplar value:
/// the grammar above, `inf`/`nan` allowed.
pub(crate) fn parse_number(s: &str) -> Result<f64, NumberError> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(NumberError::Empty);
    }
    if let Some(v) = fast_decimal(b) {
        return Ok(v);
    }
    let (neg, body) = match b.first() {
        Some(b'+') => (false, &b[1..]),
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        return Ok(if neg { f64::NEG_INFINITY } else { f64::INFINITY });
    }
    if body.eq_ignore_ascii_case(b"nan") {
        // A sign on NaN is not in either grammar.
        return if body.len() == b.len() { Ok(f64::NAN) } else { Err(NumberError::Syntax) };
    }
    parse_real_str(s)
}

/// Parses a real number only (no `inf`/`nan`), as OpenMetrics timestamps are.
pub(crate) fn parse_real(s: &str) -> Result<f64, NumberError> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(NumberError::Empty);
    }
    if let Some(v) = fast_decimal(b) {
        return Ok(v);
    }
    parse_real_str(s)
}

/// The general path of [`parse_real`], after the fast path declined.
fn parse_real_str(s: &str) -> Result<f64, NumberError> {
    if !is_real_syntax(s.as_bytes()) {
        return Err(NumberError::Syntax);
    }
    let v: f64 = s.parse().map_err(|_| NumberError::Syntax)?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(NumberError::Range)
    }
}

/// `[sign] (1*DIGIT ["." *DIGIT] / "." 1*DIGIT) ["e" [sign] 1*DIGIT]`.
fn is_real_syntax(s: &[u8]) -> bool {
    let mut i = 0;
    if matches!(s.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let int_start = i;
    while s.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let mut digits = i - int_start;
    if s.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return false;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_start = i;
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == s.len()
}

/// Exact conversion of short plain decimals (`-12`, `3.25`): at most 15
/// significant digits and 22 fraction digits, where `int / 10^k` is correctly
/// rounded. Anything else returns `None` for the general path.
#[inline]
fn fast_decimal(s: &[u8]) -> Option<f64> {
    let (neg, body) = match s.first()? {
        b'-' => (true, s.get(1..)?),
        b'+' => (false, s.get(1..)?),
        _ => (false, s),
    };
    if body.is_empty() || body.len() > 16 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut digits = 0usize;
    let mut frac: Option<usize> = None;
    for (i, &c) in body.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                digits += 1;
            }
            b'.' if frac.is_none() => frac = Some(i),
            _ => return None,
        }
    }
    if digits == 0 || digits > 15 {
        return None;
    }
    let scale = match frac {
        Some(p) => body.len() - p - 1,
        None => 0,
    };
    // Exact: mantissa < 10^15 < 2^53.
    let v = mantissa as f64 / *POW10.get(scale)?;
    Some(if neg { -v } else { v })
}

/// Parses a Prometheus 0.0.4 timestamp: decimal digits only (milliseconds),
/// fitting an `i64`, as Prometheus' own lexer and `ParseInt` read it.
pub(crate) fn parse_prometheus_timestamp_ms(s: &[u8]) -> Result<i64, NumberError> {
    if s.is_empty() {
        return Err(NumberError::Empty);
    }
    let mut v: i64 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return Err(NumberError::Syntax);
        }
        v = v.checked_mul(10).and_then(|v| v.checked_add(i64::from(c - b'0'))).ok_or(NumberError::Range)?;
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_openmetrics_real_number_forms() {
        for (s, v) in [
            ("0", 0.0),
            ("0042", 42.0),
            ("-1.5", -1.5),
            ("+2", 2.0),
            ("1.", 1.0),
            (".5", 0.5),
            ("1e3", 1000.0),
            ("1E-3", 0.001),
            ("1.89e-7", 1.89e-7),
            ("12345678901234567890", 12345678901234567890.0),
            ("0.1", 0.1),
            ("123456789012.345", 123456789012.345),
        ] {
            assert_eq!(parse_number(s), Ok(v), "{s}");
        }
    }

    #[test]
    fn accepts_infinities_and_nan_case_insensitively() {
        assert_eq!(parse_number("+Inf"), Ok(f64::INFINITY));
        assert_eq!(parse_number("inf"), Ok(f64::INFINITY));
        assert_eq!(parse_number("-INFINITY"), Ok(f64::NEG_INFINITY));
        assert!(parse_number("NaN").is_ok_and(f64::is_nan));
        assert!(parse_number("nan").is_ok_and(f64::is_nan));
    }

    #[test]
    fn rejects_hex_separators_whitespace_signed_nan_and_overflow() {
        for s in [
            "0x1p3",
            "0x10",
            "1_000",
            " 1",
            "1 ",
            "+NaN",
            "-nan",
            ".",
            "e5",
            "1e",
            "1e+",
            "--1",
            "1.2.3",
            "infinit",
            "Infinityy",
            "",
        ] {
            assert!(parse_number(s).is_err(), "{s:?}");
        }
        assert_eq!(parse_number("1e400"), Err(NumberError::Range));
    }

    #[test]
    fn timestamps_reject_inf_and_nan() {
        assert!(parse_real("Inf").is_err());
        assert!(parse_real("NaN").is_err());
        assert_eq!(parse_real("1520879607.789"), Ok(1520879607.789));
    }

    #[test]
    fn prometheus_timestamps_are_unsigned_integer_milliseconds() {
        assert_eq!(parse_prometheus_timestamp_ms(b"1395066363000"), Ok(1395066363000));
        assert!(parse_prometheus_timestamp_ms(b"-1").is_err());
        assert!(parse_prometheus_timestamp_ms(b"1.5").is_err());
        assert!(parse_prometheus_timestamp_ms(b"99999999999999999999").is_err());
    }
}
