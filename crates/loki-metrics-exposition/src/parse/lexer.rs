//! Scanning one sample line into a [`Sample`], in either dialect.
//!
//! OpenMetrics is scanned by its ABNF exactly: single spaces, no trailing
//! comma, exemplars. Prometheus 0.0.4 is scanned as Prometheus' lexer does:
//! spaces or tabs around every token, an optional trailing comma in the label
//! set, integer-millisecond timestamps, no exemplars.

use std::borrow::Cow;

use super::number::{parse_number, parse_prometheus_timestamp_ms, parse_real, scan_decimal};
use super::{Exemplar, Label, Sample};

/// The longest combined length of an exemplar's label names and values, in
/// code points (OpenMetrics 1.0, "Exemplars").
pub(crate) const EXEMPLAR_LABELS_MAX_CHARS: usize = 128;

/// A scanning error: byte offset in the line and message.
pub(crate) type ScanError = (usize, String);

/// A scanned sample and where its parts are in the line, for later errors.
pub(crate) struct ScannedSample<'l> {
    pub sample: Sample<'l>,
    /// Byte offset of `{`, or of the value when there are no labels.
    pub labels_at: usize,
    /// Byte offset of the value.
    pub value_at: usize,
    /// Byte offset of the timestamp, if any.
    pub timestamp_at: usize,
    /// Byte offset of the exemplar's `#`, if any.
    pub exemplar_at: usize,
    /// Whether the sample name starts with the [`ScanHint::name`] (never
    /// when that is empty).
    pub starts_with_hint: bool,
}

/// What the previous sample suggests about the next, to scan it faster.
/// Hints change only speed, never results.
#[derive(Clone, Copy, Default)]
pub(crate) struct ScanHint<'h> {
    /// A valid metric name the sample name probably starts with (the
    /// current family's name).
    pub name: &'h str,
    /// The label names the sample probably has, in this order (the previous
    /// sample's labels, which were accepted, so their names are distinct).
    pub labels: &'h [Label<'h>],
}

/// Character classes of names, one table lookup per byte.
const NAME_START: u8 = 1;
const NAME_CHAR: u8 = 2;
const LABEL_START: u8 = 4;
const LABEL_CHAR: u8 = 8;

const CLASSES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0usize;
    while c < 256 {
        let b = c as u8;
        let alpha = b.is_ascii_alphabetic();
        let digit = b.is_ascii_digit();
        let mut v = 0;
        if alpha || b == b'_' || b == b':' {
            v |= NAME_START | NAME_CHAR;
        }
        if digit {
            v |= NAME_CHAR | LABEL_CHAR;
        }
        if alpha || b == b'_' {
            v |= LABEL_START | LABEL_CHAR;
        }
        t[c] = v;
        c += 1;
    }
    t
};

#[inline]
fn run_len(b: &[u8], start: u8, rest: u8) -> usize {
    match b.first() {
        Some(&c) if CLASSES[c as usize] & start != 0 => {
            1 + b[1..].iter().take_while(|&&c| CLASSES[c as usize] & rest != 0).count()
        }
        _ => 0,
    }
}

/// Length of the metric name at the start of `b` (0 when there is none).
#[inline]
pub(crate) fn metric_name_len(b: &[u8]) -> usize {
    run_len(b, NAME_START, NAME_CHAR)
}

/// [`metric_name_len`], knowing that names usually start with the valid
/// metric name `hint`: its bytes need no class check.
/// Returns the length and whether the name starts with `hint`.
#[inline]
fn metric_name_len_hinted(b: &[u8], hint: &str) -> (usize, bool) {
    let h = hint.as_bytes();
    if h.is_empty() || !starts_with_inline(b, h) {
        return (metric_name_len(b), false);
    }
    // `hint` is a metric name: its first byte is a NAME_START and the rest
    // NAME_CHARs, so the run continues past it.
    let more = b.get(h.len()..).unwrap_or(&[]).iter().take_while(|&&c| CLASSES[c as usize] & NAME_CHAR != 0).count();
    (h.len() + more, true)
}

/// `b.starts_with(prefix)`, eight bytes at a time in line: metric names are
/// short, and a call to the C library's `memcmp` for each sample cost more
/// than the comparison (a sixth of the time of a parse, mostly comparing
/// empty suffixes).
#[inline(always)]
pub(crate) fn starts_with_inline(b: &[u8], prefix: &[u8]) -> bool {
    let n = prefix.len();
    if b.len() < n {
        return false;
    }
    let word =
        |s: &[u8], at: usize| s.get(at..at + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()).map(u64::from_ne_bytes);
    if n < 8 {
        return b.iter().zip(prefix).all(|(x, y)| x == y);
    }
    let mut i = 0;
    while i + 8 < n {
        if word(b, i) != word(prefix, i) {
            return false;
        }
        i += 8;
    }
    // The last eight bytes, overlapping the words compared above.
    word(b, n - 8) == word(prefix, n - 8)
}

/// `a == b` for short strings, without a call to `memcmp`.
#[inline(always)]
pub(crate) fn eq_inline(a: &str, b: &str) -> bool {
    a.len() == b.len() && starts_with_inline(a.as_bytes(), b.as_bytes())
}

/// Length of the label name at the start of `b` (0 when there is none).
#[inline]
fn label_name_len(b: &[u8]) -> usize {
    run_len(b, LABEL_START, LABEL_CHAR)
}

/// [`label_name_len`], knowing that the name is probably `hint` (a valid
/// label name): one comparison instead of a class lookup per byte. Returns
/// the length and whether the name is `hint`.
#[inline(always)]
fn label_name_len_hinted(b: &[u8], hint: Option<&Label<'_>>) -> (usize, bool) {
    if let Some((h, _)) = hint {
        let h = h.as_bytes();
        if starts_with_inline(b, h) && b.get(h.len()).is_none_or(|&c| CLASSES[c as usize] & LABEL_CHAR == 0) {
            return (h.len(), true);
        }
    }
    (label_name_len(b), false)
}

/// `line.get(start..end).unwrap_or("")`, in line: the scanner slices names
/// and values of every sample, and the standard library's `get`, left out of
/// line in the large scanning functions, cost a call per slice.
#[inline(always)]
fn slice(line: &str, start: usize, end: usize) -> &str {
    if start <= end && line.is_char_boundary(start) && line.is_char_boundary(end) {
        // SAFETY: `start <= end`, and both are char boundaries of `line`
        // (`is_char_boundary` is false past the end), which is all that
        // `get_unchecked` requires.
        unsafe { line.get_unchecked(start..end) }
    } else {
        ""
    }
}

/// Which escapes a quoted string knows.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escapes {
    /// `\\`, `\n`; any other `\x` (also `\"`) is kept as is (0.0.4 HELP).
    PrometheusHelp,
    /// `\\`, `\n`, `\"`; any other `\x` is kept; a final lone `\` is an error
    /// (OpenMetrics HELP, an escaped-string).
    OpenMetricsHelp,
}

/// Unescapes a HELP text (the whole rest of the line).
pub(crate) fn unescape_help(s: &str, escapes: Escapes) -> Result<Cow<'_, str>, usize> {
    let b = s.as_bytes();
    let Some(first) = memchr::memchr(b'\\', b) else {
        return Ok(Cow::Borrowed(s));
    };
    let mut out = String::with_capacity(s.len());
    out.push_str(s.get(..first).unwrap_or(""));
    let mut i = first;
    while i < b.len() {
        let Some(next) = memchr::memchr(b'\\', &b[i..]).map(|n| n + i) else {
            out.push_str(s.get(i..).unwrap_or(""));
            break;
        };
        out.push_str(s.get(i..next).unwrap_or(""));
        match b.get(next + 1) {
            Some(b'\\') => out.push('\\'),
            Some(b'n') => out.push('\n'),
            Some(b'"') if escapes != Escapes::PrometheusHelp => out.push('"'),
            Some(_) => {
                // Keep the backslash; the next character is copied next round.
                out.push('\\');
                i = next + 1;
                continue;
            }
            None => {
                if escapes == Escapes::OpenMetricsHelp {
                    return Err(next);
                }
                out.push('\\');
                i = next + 1;
                continue;
            }
        }
        i = next + 2;
    }
    Ok(Cow::Owned(out))
}

/// The first `"` or `\\` in `b` at or after `from`: sixteen bytes at a time
/// with SSE2 (every x86-64 has it), then eight at a time.
#[inline(always)]
fn find_quote_or_backslash(b: &[u8], from: usize) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    let from = {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
        };
        let mut i = from;
        while let Some(chunk) = b.get(i..i + 16) {
            // SAFETY: the `cfg` above compiles this only where the target
            // has SSE2 (every x86-64 does); `chunk` has 16 readable bytes, and
            // `_mm_loadu_si128` needs no alignment.
            let mask = unsafe {
                let v = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
                let quotes = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
                let backslashes = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
                _mm_movemask_epi8(_mm_or_si128(quotes, backslashes)) as u32
            };
            if mask != 0 {
                return Some(i + mask.trailing_zeros() as usize);
            }
            i += 16;
        }
        i
    };
    find_quote_or_backslash_swar(b, from)
}

/// [`find_quote_or_backslash`], eight bytes at a time.
#[inline(always)]
fn find_quote_or_backslash_swar(b: &[u8], from: usize) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const QUOTES: u64 = LO * b'"' as u64;
    const BACKSLASHES: u64 = LO * b'\\' as u64;
    let mut i = from;
    while let Some(chunk) = b.get(i..i + 8) {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else { break };
        let w = u64::from_le_bytes(bytes);
        let q = w ^ QUOTES;
        let s = w ^ BACKSLASHES;
        // A byte of `q` or `s` is zero where `w` has a quote or backslash;
        // the lowest flagged byte is exact (borrows only flag higher ones).
        let found = (q.wrapping_sub(LO) & !q | s.wrapping_sub(LO) & !s) & HI;
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?.iter().position(|&c| c == b'"' || c == b'\\').map(|p| i + p)
}

/// Scans the quoted value of label `name`, starting after its opening `"`
/// at `start`, pushes the label onto `labels` and returns the offset just
/// past the closing quote.
///
/// The label is built in place (see [`push_reserved`]): returning the value
/// through a `Result` also went through the stack.
#[inline(always)]
fn push_quoted_label<'l>(
    labels: &mut Vec<Label<'l>>,
    name: &'l str,
    line: &'l str,
    start: usize,
) -> Result<usize, ScanError> {
    let b = line.as_bytes();
    // Grow first: see `push_reserved`.
    labels.reserve(1);
    // Label values are short: a word-at-a-time loop beats memchr's setup.
    match find_quote_or_backslash(b, start) {
        Some(end) if b.get(end) == Some(&b'"') => {
            push_reserved(labels, name, slice(line, start, end));
            Ok(end + 1)
        }
        found => {
            let (value, after) = quoted_value_escaped(line, start, found)?;
            labels.push((Cow::Borrowed(name), value));
            Ok(after)
        }
    }
}

/// `labels.push(label)` after the caller's `labels.reserve(1)`, with the
/// label written straight into the vector.
///
/// `Vec::push` keeps its argument across the call that may grow the vector,
/// so each label went to the stack in 8-byte stores and was copied out with
/// 16-byte loads, which the CPU cannot forward from those stores: a stall on
/// every label, which perf put at half of the scanner's time. Growing before
/// the label is made and writing it into the spare capacity needs no copy.
#[inline(always)]
fn push_reserved<'l>(labels: &mut Vec<Label<'l>>, name: &'l str, value: &'l str) {
    match labels.spare_capacity_mut().first_mut() {
        Some(slot) => {
            slot.write((Cow::Borrowed(name), Cow::Borrowed(value)));
            // SAFETY: `slot` is the first element past the length, within the
            // capacity, and was initialised just above.
            unsafe { labels.set_len(labels.len() + 1) };
        }
        None => push_cold(labels, name, value),
    }
}

/// `push_reserved` without the reservation (never taken). The label is made
/// here, so that the common path does not keep a copy for it.
#[cold]
#[inline(never)]
fn push_cold<'l>(labels: &mut Vec<Label<'l>>, name: &'l str, value: &'l str) {
    labels.push((Cow::Borrowed(name), Cow::Borrowed(value)));
}

/// `samples.push(sample)`, growing first, for the reason `push_reserved`
/// gives: the sample was copied out of the stack with loads wider than the
/// stores that had just put it there.
#[inline(always)]
pub(crate) fn push_sample<'a>(samples: &mut Vec<Sample<'a>>, sample: Sample<'a>) {
    samples.reserve(1);
    match samples.spare_capacity_mut().first_mut() {
        Some(slot) => {
            slot.write(sample);
            // SAFETY: `slot`, the first element past the length and within
            // the capacity, was initialised just above.
            unsafe { samples.set_len(samples.len() + 1) };
        }
        None => samples.push(sample),
    }
}

/// A quoted value that has a backslash at `found` or no end.
#[cold]
#[inline(never)]
fn quoted_value_escaped(line: &str, start: usize, found: Option<usize>) -> Result<(Cow<'_, str>, usize), ScanError> {
    let b = line.as_bytes();
    match found {
        Some(first) => {
            let mut out = String::with_capacity(b.len() - start);
            out.push_str(line.get(start..first).unwrap_or(""));
            let mut j = first;
            loop {
                match b.get(j) {
                    None => break,
                    Some(b'"') => return Ok((Cow::Owned(out), j + 1)),
                    Some(b'\\') => {
                        match b.get(j + 1) {
                            Some(b'\\') => out.push('\\'),
                            Some(b'n') => out.push('\n'),
                            Some(b'"') => out.push('"'),
                            Some(_) => {
                                out.push('\\');
                                j += 1;
                                continue;
                            }
                            None => break,
                        }
                        j += 2;
                    }
                    Some(_) => {
                        let k = memchr::memchr2(b'"', b'\\', &b[j..]).map_or(b.len(), |k| j + k);
                        out.push_str(line.get(j..k).unwrap_or(""));
                        j = k;
                    }
                }
            }
            Err((start.saturating_sub(1), "unterminated label value: expected a closing '\"'".into()))
        }
        None => Err((start.saturating_sub(1), "unterminated label value: expected a closing '\"'".into())),
    }
}

/// Label sets up to this size are checked for repeated names by a linear
/// scan; larger ones by hash, so a hostile line of 100 000 labels is not
/// quadratic (it took 10 s).
const LINEAR_LABEL_CHECK: usize = 32;

/// Rejects repeated label names in one label set: every name goes through
/// `check` before it is pushed onto `labels`.
#[derive(Default)]
struct RepeatedNames {
    /// A hasher and the hashes of the names so far, once the set outgrows
    /// the linear scan (made only then: most sets never need them).
    hashes: Option<(std::hash::RandomState, std::collections::HashSet<u64>)>,
}

impl RepeatedNames {
    #[inline(always)]
    fn check(&mut self, labels: &[Label<'_>], name: &str, at: usize) -> Result<(), ScanError> {
        if labels.len() < LINEAR_LABEL_CHECK {
            return check_repeated(labels, name, at);
        }
        self.check_hashed(labels, name, at)
    }

    /// The large-set path, out of line: most label sets never get here.
    #[cold]
    #[inline(never)]
    fn check_hashed(&mut self, labels: &[Label<'_>], name: &str, at: usize) -> Result<(), ScanError> {
        use std::hash::BuildHasher;
        let (state, hashes) = self.hashes.get_or_insert_with(|| {
            let state = std::hash::RandomState::new();
            let hashes = labels.iter().map(|(k, _)| state.hash_one(k.as_ref())).collect();
            (state, hashes)
        });
        if hashes.insert(state.hash_one(name)) {
            return Ok(());
        }
        // The hash was seen: a repeat, or (rarely) another name's collision.
        check_repeated(labels, name, at)
    }
}

/// Rejects a label name that already occurs in `labels`.
#[inline]
fn check_repeated(labels: &[Label<'_>], name: &str, at: usize) -> Result<(), ScanError> {
    // Names differ mostly in length or first byte: test those before calling
    // memcmp.
    let first = name.as_bytes().first();
    if labels.iter().any(|(k, _)| k.len() == name.len() && k.as_bytes().first() == first && k == name) {
        return Err((at, format!("label name {name:?} is repeated in the label set")));
    }
    Ok(())
}

/// Scans an OpenMetrics label set starting at the `{` at `open`; returns the
/// labels and the offset past `}`. `hint` is the label set this one probably
/// repeats the names of.
fn om_labels<'l>(line: &'l str, open: usize, hint: &[Label<'_>]) -> Result<(Vec<Label<'l>>, usize), ScanError> {
    let b = line.as_bytes();
    let mut labels: Vec<Label<'_>> = Vec::with_capacity(hint.len());
    let mut repeated = RepeatedNames::default();
    // While every name is the hint's name at the same place, the names are
    // distinct (the hint's were) and need no check for repeats.
    let mut as_hinted = true;
    let mut i = open + 1;
    if b.get(i) == Some(&b'}') {
        return Ok((labels, i + 1));
    }
    loop {
        let (n, hinted) = label_name_len_hinted(b.get(i..).unwrap_or(&[]), hint.get(labels.len()));
        if n == 0 {
            return Err((i, "expected a label name ([a-zA-Z_][a-zA-Z0-9_]*)".into()));
        }
        let name = slice(line, i, i + n);
        as_hinted &= hinted;
        if !as_hinted {
            repeated.check(&labels, name, i)?;
        }
        i += n;
        if b.get(i) != Some(&b'=') {
            return Err((i, "expected '=' after the label name".into()));
        }
        i += 1;
        if b.get(i) != Some(&b'"') {
            return Err((i, "expected '\"' to open the label value".into()));
        }
        i = push_quoted_label(&mut labels, name, line, i + 1)?;
        match b.get(i) {
            Some(b',') => i += 1,
            Some(b'}') => return Ok((labels, i + 1)),
            _ => return Err((i, "expected ',' or '}' after the label value".into())),
        }
    }
}

/// The token from `start` to the next space (or the end of the line).
#[inline]
fn token(b: &[u8], start: usize) -> usize {
    let rest = b.get(start..).unwrap_or(&[]);
    memchr::memchr(b' ', rest).map_or(b.len(), |i| start + i)
}

/// The number token at `start` of `line`, ending at the end of the line or
/// at a byte for which `ends` holds: its value by `parse` and its end.
/// Plain decimals take a one-pass fast path with the same result.
#[inline]
fn number_token(
    line: &str,
    start: usize,
    ends: impl Fn(u8) -> bool,
    parse: fn(&str) -> Result<f64, super::number::NumberError>,
) -> (Result<f64, super::number::NumberError>, usize) {
    let b = line.as_bytes();
    let rest = b.get(start..).unwrap_or(&[]);
    if let Some((v, n)) = scan_decimal(line.get(start..).unwrap_or("")) {
        // The decimal grammar has no byte that ends a token, so when the
        // number ends where the token does, the token is exactly the number.
        if rest.get(n).is_none_or(|&c| ends(c)) {
            return (Ok(v), start + n);
        }
    }
    let end = rest.iter().position(|&c| ends(c)).map_or(b.len(), |p| start + p);
    (parse(line.get(start..end).unwrap_or("")), end)
}

/// Scans an OpenMetrics sample line (the caller has handled `#` lines).
#[inline(always)]
pub(crate) fn scan_openmetrics<'l>(line: &'l str, hint: ScanHint<'_>) -> Result<ScannedSample<'l>, ScanError> {
    let b = line.as_bytes();
    let (n, starts_with_hint) = metric_name_len_hinted(b, hint.name);
    if n == 0 {
        return Err((
            0,
            "expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), '# TYPE', '# HELP', '# UNIT' or '# EOF'".into(),
        ));
    }
    let name = slice(line, 0, n);
    let mut i = n;
    let mut labels = Vec::new();
    let labels_at = i;
    if b.get(i) == Some(&b'{') {
        let (l, after) = om_labels(line, i, hint.labels)?;
        labels = l;
        i = after;
    }
    if b.get(i) != Some(&b' ') {
        return Err((i, "expected a single space and the sample value".into()));
    }
    i += 1;
    let value_at = i;
    let (value, end) = number_token(line, i, |c| c == b' ', parse_number);
    let value = value.map_err(|e| (i, e.describe("the sample value")))?;
    i = end;
    let mut timestamp = None;
    let mut timestamp_at = 0;
    let mut exemplar = None;
    let mut exemplar_at = 0;
    if i < b.len() {
        // b[i] == ' ': a timestamp, an exemplar, or both must follow.
        i += 1;
        let mut exemplar_follows = true;
        if b.get(i) != Some(&b'#') {
            timestamp_at = i;
            let (ts, end) = number_token(line, i, |c| c == b' ', parse_real);
            timestamp = Some(ts.map_err(|e| {
                (i, e.describe("a timestamp (a real number of seconds), '# ' and an exemplar, or the end of the line"))
            })?);
            i = end;
            exemplar_follows = i < b.len();
            if exemplar_follows {
                i += 1;
            }
        }
        if exemplar_follows {
            exemplar_at = i;
            let (e, after) = om_exemplar(line, i)?;
            exemplar = Some(Box::new(e));
            i = after;
        }
    }
    if i != b.len() {
        return Err((i, "expected the end of the line".into()));
    }
    Ok(ScannedSample {
        sample: Sample { name: Cow::Borrowed(name), labels, value, timestamp, exemplar },
        labels_at,
        value_at,
        timestamp_at,
        exemplar_at,
        starts_with_hint,
    })
}

/// `# {labels} value [timestamp]` starting at the `#` at `at`.
fn om_exemplar(line: &str, at: usize) -> Result<(Exemplar<'_>, usize), ScanError> {
    let b = line.as_bytes();
    if b.get(at..at + 3) != Some(b"# {") {
        return Err((at, "expected '# {' to start an exemplar".into()));
    }
    let (labels, mut i) = om_labels(line, at + 2, &[])?;
    let chars: usize = labels.iter().map(|(k, v)| k.chars().count() + v.chars().count()).sum();
    if chars > EXEMPLAR_LABELS_MAX_CHARS {
        return Err((
            at + 2,
            format!("exemplar labels are {chars} characters long; at most {EXEMPLAR_LABELS_MAX_CHARS} are allowed"),
        ));
    }
    if b.get(i) != Some(&b' ') {
        return Err((i, "expected a single space and the exemplar value".into()));
    }
    i += 1;
    let end = token(b, i);
    let value = parse_number(line.get(i..end).unwrap_or("")).map_err(|e| (i, e.describe("the exemplar value")))?;
    i = end;
    let mut timestamp = None;
    if i < b.len() {
        i += 1;
        let end = token(b, i);
        timestamp = Some(
            parse_real(line.get(i..end).unwrap_or(""))
                .map_err(|e| (i, e.describe("the exemplar timestamp (a real number of seconds)")))?,
        );
        i = end;
    }
    Ok((Exemplar { labels, value, timestamp }, i))
}

#[inline]
fn skip_blanks(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    i
}

/// Scans a Prometheus 0.0.4 sample line (the caller has handled blank and `#`
/// lines and passes the offset of the first non-blank character).
#[inline(always)]
pub(crate) fn scan_prometheus<'l>(
    line: &'l str,
    start: usize,
    hint: ScanHint<'_>,
) -> Result<ScannedSample<'l>, ScanError> {
    let b = line.as_bytes();
    let (n, starts_with_hint) = metric_name_len_hinted(b.get(start..).unwrap_or(&[]), hint.name);
    if n == 0 {
        return Err((start, "expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or '#'".into()));
    }
    let name = slice(line, start, start + n);
    let mut i = skip_blanks(b, start + n);
    let labels_at = i;
    let mut labels: Vec<Label<'_>> = Vec::new();
    if b.get(i) == Some(&b'{') {
        labels = Vec::with_capacity(hint.labels.len());
        let mut repeated = RepeatedNames::default();
        // As in `om_labels`: names as hinted need no check for repeats.
        let mut as_hinted = true;
        i = skip_blanks(b, i + 1);
        // Blanks between tokens are rare: each step first checks the byte it
        // expects and skips blanks only when that byte is not there.
        loop {
            if b.get(i) == Some(&b'}') {
                i += 1;
                break;
            }
            let (n, hinted) = label_name_len_hinted(b.get(i..).unwrap_or(&[]), hint.labels.get(labels.len()));
            if n == 0 {
                return Err((i, "expected a label name ([a-zA-Z_][a-zA-Z0-9_]*) or '}'".into()));
            }
            let lname = slice(line, i, i + n);
            as_hinted &= hinted;
            if !as_hinted {
                repeated.check(&labels, lname, i)?;
            }
            i += n;
            if b.get(i) != Some(&b'=') {
                i = skip_blanks(b, i);
                if b.get(i) != Some(&b'=') {
                    return Err((i, "expected '=' after the label name".into()));
                }
            }
            i += 1;
            if b.get(i) != Some(&b'"') {
                i = skip_blanks(b, i);
                if b.get(i) != Some(&b'"') {
                    return Err((i, "expected '\"' to open the label value".into()));
                }
            }
            i = push_quoted_label(&mut labels, lname, line, i + 1)?;
            match b.get(i) {
                Some(b',') => i = skip_blanks(b, i + 1),
                Some(b'}') => {}
                _ => {
                    i = skip_blanks(b, i);
                    match b.get(i) {
                        Some(b',') => i = skip_blanks(b, i + 1),
                        Some(b'}') => {}
                        _ => return Err((i, "expected ',' or '}' after the label value".into())),
                    }
                }
            }
        }
        i = skip_blanks(b, i);
    }
    let value_at = i;
    let (value, end) = number_token(line, i, |c| matches!(c, b' ' | b'\t' | b'{'), parse_number);
    if end == i {
        return Err((i, "expected the sample value".into()));
    }
    let value = value.map_err(|e| (i, e.describe("the sample value")))?;
    i = skip_blanks(b, end);
    let mut timestamp = None;
    let mut timestamp_at = 0;
    if i < b.len() {
        timestamp_at = i;
        let end = b.get(i..).unwrap_or(&[]).iter().position(|&c| matches!(c, b' ' | b'\t')).map_or(b.len(), |p| i + p);
        let ms = parse_prometheus_timestamp_ms(b.get(i..end).unwrap_or(&[]))
            .map_err(|e| (i, e.describe("a timestamp (integer milliseconds) or the end of the line")))?;
        timestamp = Some(ms as f64 / 1000.0);
        i = skip_blanks(b, end);
        if i < b.len() {
            return Err((i, "expected the end of the line after the timestamp".into()));
        }
    }
    Ok(ScannedSample {
        sample: Sample { name: Cow::Borrowed(name), labels, value, timestamp, exemplar: None },
        labels_at,
        value_at,
        timestamp_at,
        exemplar_at: 0,
        starts_with_hint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector and word-at-a-time searches find the first quote or
    /// backslash wherever it is: in the first or a later block of 16 or 8
    /// bytes, in the tail, at a block's edge, or nowhere; bytes next to the
    /// two (`!`, `[`, `]`, 0x80 + either) are not taken for them.
    #[test]
    fn quote_search_finds_the_first_quote_or_backslash() {
        let fillers = [b'a', b'!', b'#', b'[', b']', 0xa2, 0xdc, 0x22 ^ 0x80];
        for len in 0..70 {
            for from in 0..=len.min(20) {
                for at in from..=len {
                    for target in [b'"', b'\\'] {
                        for (f, &filler) in fillers.iter().enumerate() {
                            let mut b: Vec<u8> = (0..len).map(|j| fillers[(j + f) % fillers.len()]).collect();
                            b.iter_mut().for_each(|c| *c = if *c == b'"' || *c == b'\\' { filler } else { *c });
                            if at < len {
                                b[at] = target;
                                if at + 1 < len {
                                    b[at + 1] = b'"';
                                }
                            }
                            let naive = b.get(from..).and_then(|r| r.iter().position(|&c| c == b'"' || c == b'\\'));
                            let expected = naive.map(|p| p + from);
                            assert_eq!(find_quote_or_backslash(&b, from), expected, "len {len} from {from} at {at}");
                            assert_eq!(find_quote_or_backslash_swar(&b, from), expected, "len {len} from {from}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn slice_is_get_or_empty() {
        let line = "ab\u{e9}c";
        for start in 0..7 {
            for end in 0..7 {
                assert_eq!(slice(line, start, end), line.get(start..end).unwrap_or(""), "{start}..{end}");
            }
        }
    }
}
