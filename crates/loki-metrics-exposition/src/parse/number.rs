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
    if let Some(v) = fast_decimal(s) {
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
    if let Some(v) = fast_decimal(s) {
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

/// Reads the decimal number at the start of `b`, greedily, as a tokenizer
/// would: `[sign] (1*DIGIT ["." *DIGIT] / "." 1*DIGIT) ["e" [sign] 1*DIGIT]`.
/// Returns the value and the number of bytes read, or `None` when `b` does not
/// start with that form (or has an `e` without exponent digits) or the value
/// is outside the range of an `f64`: the general path then says why.
///
/// The caller must check that the number ends where its token ends. Values of
/// at most 19 digits with a mantissa up to 2^53 and a power of ten up to 10^22
/// are converted exactly here (one correctly rounded operation on exact
/// operands, as the standard library's own fast path does); others by
/// `str::parse`, so every result equals `str::parse`'s.
#[inline]
pub(crate) fn scan_decimal(s: &str) -> Option<(f64, usize)> {
    let b = s.as_bytes();
    let mut i = 0;
    let neg = match b.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let mut mantissa: u64 = 0;
    let int_start = i;
    i = digit_run(b, i, &mut mantissa);
    let mut digits = i - int_start;
    let mut frac = 0usize;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        i = digit_run(b, i, &mut mantissa);
        frac = i - frac_start;
        digits += frac;
    }
    if digits == 0 {
        return None;
    }
    let mut exp: i64 = 0;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        let exp_neg = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let exp_start = i;
        while let Some(&c) = b.get(i) {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            // Saturates far beyond any f64 exponent.
            exp = (exp * 10 + i64::from(d)).min(1 << 40);
            i += 1;
        }
        if i == exp_start {
            return None;
        }
        if exp_neg {
            exp = -exp;
        }
    }
    // At most 19 digits cannot have wrapped: 10^19 - 1 < 2^64.
    let exp10 = exp - frac as i64;
    if digits <= 19 && mantissa <= 1 << 53 && (-22..=22).contains(&exp10) {
        let m = mantissa as f64;
        let p = *POW10.get(exp10.unsigned_abs() as usize)?;
        let v = if exp10 < 0 { m / p } else { m * p };
        return Some((if neg { -v } else { v }, i));
    }
    // Up to 19 digits with a larger mantissa (most 17-digit values): exact
    // integer arithmetic, rounded once.
    if digits <= 19 {
        let v = match exp10 {
            -17..=-1 => Some(div_pow10(mantissa, exp10.unsigned_abs() as u32)),
            // m < 2^64 and 10^e < 2^64: the product is exact in a u128, and
            // `as f64` rounds it to nearest, ties to even.
            0..=19 => Some((u128::from(mantissa) * 10u128.pow(exp10 as u32)) as f64),
            _ => None,
        };
        if let Some(v) = v {
            return Some((if neg { -v } else { v }, i));
        }
    }
    // The bytes read are ASCII, so `i` is a char boundary.
    let v: f64 = s.get(..i)?.parse().ok()?;
    v.is_finite().then_some((v, i))
}

/// `m / 10^k` correctly rounded, for `m < 2^64` and `1 <= k <= 17`.
///
/// The quotient is computed in integers scaled by `2^s` so that it has 64 or
/// 65 bits; a nonzero remainder sets its lowest bit (the "sticky" bit), far
/// below the 53 bits an `f64` keeps, so rounding that integer to an `f64`
/// rounds the exact quotient. Scaling back by `2^-s` is exact (the result is
/// a normal number: at least `1 / 10^17`).
#[inline]
fn div_pow10(m: u64, k: u32) -> f64 {
    if m == 0 {
        return 0.0;
    }
    let d = 10u128.pow(k);
    let bits_m = 64 - m.leading_zeros();
    let bits_d = 128 - d.leading_zeros();
    // m * 2^s / d > 2^(bits_m - 1 + s - bits_d) = 2^63, and
    // m * 2^s < 2^(64 + bits_d) <= 2^121: no overflow.
    let s = 64 + bits_d - bits_m;
    let n = u128::from(m) << s;
    let q = n / d;
    let sticky = u128::from(n % d != 0);
    let scale = f64::from_bits(u64::from(1023 - s) << 52);
    (q | sticky) as f64 * scale
}

/// Reads the ASCII digits of `b` from `i` into `mantissa` (wrapping: callers
/// use it only for at most 19 digits); returns the offset after them.
#[inline(always)]
fn digit_run(b: &[u8], mut i: usize, mantissa: &mut u64) -> usize {
    // Eight digits at a time, then one at a time.
    while let Some(chunk) = b.get(i..i + 8) {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else { break };
        let w = u64::from_le_bytes(bytes);
        if !is_eight_digits(w) {
            break;
        }
        *mantissa = mantissa.wrapping_mul(100_000_000).wrapping_add(eight_digits(w));
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        *mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d));
        i += 1;
    }
    i
}

/// Whether all eight bytes of `w` are ASCII digits.
#[inline(always)]
fn is_eight_digits(w: u64) -> bool {
    // A byte below '0' borrows into its top bit; one above '9' carries into it.
    let below = w.wrapping_sub(0x3030_3030_3030_3030);
    let above = w.wrapping_add(0x4646_4646_4646_4646);
    (below | above) & 0x8080_8080_8080_8080 == 0
}

/// The value of eight ASCII digits, first digit in the low byte of `w`.
#[inline(always)]
fn eight_digits(w: u64) -> u64 {
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 0x000F_4240_0000_0064; // 100 + (1_000_000 << 32)
    const MUL2: u64 = 0x0000_2710_0000_0001; // 1 + (10_000 << 32)
    let d = w.wrapping_sub(0x3030_3030_3030_3030);
    // Pairs of digits: each 16-bit lane holds 10 * first + second.
    let pairs = d.wrapping_mul(10).wrapping_add(d >> 8);
    let lo = (pairs & MASK).wrapping_mul(MUL1);
    let hi = ((pairs >> 16) & MASK).wrapping_mul(MUL2);
    u64::from((lo.wrapping_add(hi) >> 32) as u32)
}

/// [`scan_decimal`] of a whole token.
#[inline]
fn fast_decimal(s: &str) -> Option<f64> {
    match scan_decimal(s) {
        Some((v, n)) if n == s.len() => Some(v),
        _ => None,
    }
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
    fn the_fast_path_agrees_with_str_parse() {
        // Deterministic xorshift over digit strings, points and exponents.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..200_000 {
            let r = next();
            let mut s = String::new();
            match r % 3 {
                0 => s.push('-'),
                1 => s.push('+'),
                _ => {}
            }
            let int_digits = (r >> 2) % 21;
            let frac_digits = (r >> 8) % 21;
            for k in 0..int_digits {
                s.push(char::from(b'0' + ((next() >> (k % 7)) % 10) as u8));
            }
            if (r >> 14) % 2 == 0 {
                s.push('.');
                for k in 0..frac_digits {
                    s.push(char::from(b'0' + ((next() >> (k % 5)) % 10) as u8));
                }
            }
            if (r >> 16) % 4 == 0 {
                s.push(if (r >> 18) % 2 == 0 { 'e' } else { 'E' });
                match (r >> 19) % 3 {
                    0 => s.push('-'),
                    1 => s.push('+'),
                    _ => {}
                }
                s.push_str(&((r >> 21) % 40).to_string());
            }
            let expected =
                if is_real_syntax(s.as_bytes()) { s.parse::<f64>().ok().filter(|v| v.is_finite()) } else { None };
            let got = fast_decimal(&s);
            assert_eq!(got.map(f64::to_bits), expected.map(f64::to_bits), "{s:?}");
            assert_eq!(parse_real(&s).ok().map(f64::to_bits), expected.map(f64::to_bits), "{s:?}");
        }
    }

    #[test]
    fn long_mantissas_are_rounded_as_str_parse_rounds_them() {
        // 16 to 19 digits (above 2^53, where one float operation is not
        // exact), the point anywhere, and exponents up to ±19.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            x.wrapping_mul(0x2545_F491_4F6C_DD1D)
        };
        for round in 0..300_000u32 {
            let digits = 16 + (round % 4) as usize;
            let mut s: String = (0..digits).map(|_| char::from(b'0' + (next() % 10) as u8)).collect();
            if round % 7 == 0 {
                // Halfway and near-halfway cases: many trailing 0s or 9s, or a 5.
                let fill = ['0', '9', '5'][(round / 7 % 3) as usize];
                let keep = 1 + (next() % 16) as usize;
                s = s.chars().take(keep).chain(std::iter::repeat(fill)).take(digits).collect();
            }
            let point = (next() % (digits as u64 + 1)) as usize;
            s.insert(point, '.');
            if round % 3 == 0 {
                s.push_str(&format!("e{}", (next() % 39) as i64 - 19));
            }
            let expected = s.parse::<f64>().ok();
            assert_eq!(fast_decimal(&s).map(f64::to_bits), expected.map(f64::to_bits), "{s:?}");
        }
        for s in ["9007199254740993", "9007199254740993.0", "18446744073709551615", "1844674407370955161.5"] {
            assert_eq!(fast_decimal(s).map(f64::to_bits), s.parse::<f64>().ok().map(f64::to_bits), "{s:?}");
        }
        assert_eq!(div_pow10(0, 5), 0.0);
    }

    #[test]
    fn eight_digits_at_a_time() {
        for s in ["00000000", "12345678", "99999999", "10000001", "87654321"] {
            let w = u64::from_le_bytes(s.as_bytes().try_into().unwrap_or([0; 8]));
            assert!(is_eight_digits(w), "{s}");
            assert_eq!(eight_digits(w), s.parse::<u64>().unwrap_or(u64::MAX), "{s}");
        }
        for s in [
            "1234567a",
            "/2345678",
            ":2345678",
            "1234 678",
            "123456.8",
            "\u{0}1234567",
            "123456\u{e9}",
            "\u{7f}1234567",
        ] {
            let w = u64::from_le_bytes(s.as_bytes().get(..8).and_then(|b| b.try_into().ok()).unwrap_or([0; 8]));
            assert!(!is_eight_digits(w), "{s:?}");
        }
    }

    #[test]
    fn scan_decimal_stops_where_the_number_does() {
        assert_eq!(scan_decimal("12.5 7"), Some((12.5, 4)));
        assert_eq!(scan_decimal("-3{"), Some((-3.0, 2)));
        assert_eq!(scan_decimal("1e3x"), Some((1000.0, 3)));
        assert_eq!(scan_decimal("1e x"), None);
        assert_eq!(scan_decimal(". 1"), None);
        assert_eq!(scan_decimal("+Inf"), None);
        assert_eq!(scan_decimal("1e400"), None);
        assert_eq!(scan_decimal("1.5.2"), Some((1.5, 3)));
        assert!(scan_decimal("-0").is_some_and(|(v, n)| v == 0.0 && v.is_sign_negative() && n == 2));
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
