//! [`FamilyReader`]: families one at a time from any reader.

use std::collections::VecDeque;
use std::io::{BufRead, Read};

use super::assemble::Assembler;
use super::{parse, MetricFamily, ParseError, ParseFormat, Sample};

/// The longest line the reader accepts, so that memory stays bounded.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// How much input [`ParseFormat::Auto`] may look at: the format is known only
/// at the end (`# EOF`), so auto-detection reads the whole input first.
pub const AUTO_DETECT_LIMIT: usize = 8 << 20;

/// How many bytes of whole lines the reader takes from its input at a time.
const CHUNK_BYTES: usize = 64 << 10;

/// Reads exposition text from a [`BufRead`] and yields one family at a time,
/// holding only the current family's lines (and, for OpenMetrics, the names
/// of finished families) in memory.
///
/// Two ways to read:
/// * [`FamilyReader::next_family`] lends each family: its sample names and
///   label values borrow the reader's buffer, so nothing is copied. The family
///   must be dropped before the next call.
/// * As an [`Iterator`], the reader yields owned families (every string
///   copied), which can be kept, sent or collected.
///
/// After the first error the reader yields nothing more. In Prometheus 0.0.4
/// a family whose samples resume after another family's is yielded again as
/// a new run with the same name and type ([`parse`] joins the runs instead).
///
/// [`ParseFormat::Auto`] needs the last line, so it reads inputs of up to
/// [`AUTO_DETECT_LIMIT`] bytes whole and fails on longer ones: stream large
/// inputs with an explicit format.
///
/// ```
/// use loki_metrics_exposition::parse::{FamilyReader, ParseFormat};
/// let text = "# TYPE a gauge\na 1\n# TYPE b gauge\nb 2\n# EOF\n";
/// let names: Vec<String> = FamilyReader::new(text.as_bytes(), ParseFormat::OpenMetrics)
///     .map(|f| f.map(|f| f.name.into_owned()))
///     .collect::<Result<_, _>>()?;
/// assert_eq!(names, ["a", "b"]);
///
/// // Lent families: count samples without copying a label.
/// let mut reader = FamilyReader::new(text.as_bytes(), ParseFormat::OpenMetrics);
/// let mut samples = 0;
/// while let Some(family) = reader.next_family() {
///     samples += family?.samples.len();
/// }
/// assert_eq!(samples, 2);
/// # Ok::<(), loki_metrics_exposition::parse::ParseError>(())
/// ```
pub struct FamilyReader<R> {
    // SAFETY (the invariant every `unsafe` block below relies on): the
    // `'static` of `assembler` and `ready` is not true. Their samples borrow
    // lines of `chunks`, whose heap buffers never move or change while they
    // are in `chunks` (a `String` moved by the deque keeps its buffer).
    // A chunk leaves `chunks` only in `release`, when no family borrowing it
    // is ready, lent out (lending borrows `self` mutably) or open.
    //
    // Declared before `chunks`, so dropped before them.
    assembler: Option<Assembler<'static>>,
    ready: VecDeque<MetricFamily<'static>>,
    /// Whole lines read from `reader` and valid UTF-8, oldest first: the
    /// last one is being fed, the others hold lines of the open family.
    chunks: VecDeque<String>,
    /// Offset in the last chunk of the next line to feed.
    pos: usize,
    reader: R,
    format: ParseFormat,
    /// The start of a line read after the last chunk's last whole line.
    partial: Vec<u8>,
    /// A released chunk's buffer, for the next one.
    spare: Vec<u8>,
    chunk_bytes: usize,
    /// Whether a released chunk's buffer is kept for the next (tests turn
    /// it off, so that a read of a released chunk is a read of freed memory
    /// for valgrind).
    reuse_chunks: bool,
    /// Whether a family was ever lent: until then every sample is owned and
    /// `release` need not look for borrowed ones.
    lent: bool,
    /// Why the input stops after the chunks' lines (an error, reported
    /// once they are fed), if it stops before its end.
    stop: Option<Stop>,
    /// The input has ended (or `stop` is set): no more chunks.
    exhausted: bool,
    line_no: usize,
    /// Families of an auto-detected input, read whole, in reverse order.
    detected: Vec<MetricFamily<'static>>,
    done: bool,
}

/// Why the reader stopped taking input before its end.
enum Stop {
    /// The text is invalid there (the families it closed come first).
    Parse(ParseError),
    Read(String),
    TooLong,
    /// Invalid UTF-8 on the next line, at this 1-based column.
    Utf8 {
        column: usize,
    },
}

impl Stop {
    /// The error, on line `line`.
    fn error(self, line: usize) -> ParseError {
        match self {
            Stop::Parse(e) => e,
            Stop::Read(e) => ParseError { line, column: 1, message: format!("read error: {e}") },
            Stop::TooLong => {
                ParseError { line, column: 1, message: format!("line longer than {MAX_LINE_BYTES} bytes") }
            }
            Stop::Utf8 { column } => {
                ParseError { line, column, message: "invalid UTF-8: exposition text must be UTF-8".into() }
            }
        }
    }
}

impl<R: BufRead> FamilyReader<R> {
    /// A reader of `format` text from `reader`.
    pub fn new(reader: R, format: ParseFormat) -> Self {
        FamilyReader {
            assembler: match format {
                ParseFormat::Auto => None,
                concrete => Some(Assembler::new(concrete)),
            },
            ready: VecDeque::new(),
            chunks: VecDeque::new(),
            pos: 0,
            reader,
            format,
            partial: Vec::new(),
            spare: Vec::new(),
            chunk_bytes: CHUNK_BYTES,
            reuse_chunks: true,
            lent: false,
            stop: None,
            exhausted: false,
            line_no: 0,
            detected: Vec::new(),
            done: false,
        }
    }

    /// The next family, lent: its sample names and label values borrow the
    /// reader's buffer (no copies), so it must be dropped before the next
    /// call. `None` at the end of the input and after an error.
    ///
    /// [`MetricFamily::into_owned`] detaches a family to keep it; the
    /// [`Iterator`] does that for every family. A lent family cannot be kept
    /// across the next call:
    ///
    /// ```compile_fail,E0499
    /// use loki_metrics_exposition::parse::{FamilyReader, ParseFormat};
    /// let mut reader = FamilyReader::new(&b"a 1\nb 2\n"[..], ParseFormat::Prometheus);
    /// let first = reader.next_family();
    /// let second = reader.next_family();
    /// drop((first, second));
    /// ```
    pub fn next_family(&mut self) -> Option<Result<MetricFamily<'_>, ParseError>> {
        self.lent = true;
        self.next_with(|s| s)
    }

    /// The next family, its samples made by `keep` from the lent ones.
    fn next_with(
        &mut self,
        keep: fn(Sample<'static>) -> Sample<'static>,
    ) -> Option<Result<MetricFamily<'_>, ParseError>> {
        if self.done {
            return None;
        }
        match self.advance(keep) {
            Ok(Some(f)) => Some(Ok(f)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }

    fn advance(
        &mut self,
        keep: fn(Sample<'static>) -> Sample<'static>,
    ) -> Result<Option<MetricFamily<'static>>, ParseError> {
        if self.format == ParseFormat::Auto {
            if self.line_no == 0 {
                self.detect()?;
                self.line_no = usize::MAX;
            }
            return Ok(self.detected.pop());
        }
        loop {
            if let Some(f) = self.ready.pop_front() {
                return Ok(Some(f));
            }
            if self.assembler.is_none() {
                return Ok(None);
            }
            if self.feed(keep)? {
                continue;
            }
            // Every line read so far is fed.
            if let Some(stop) = self.stop.take() {
                self.assembler = None;
                return Err(stop.error(self.line_no + 1));
            }
            if self.exhausted {
                let mut out = Vec::new();
                let finished = self.assembler.as_mut().map_or(Ok(()), |a| a.finish(self.line_no + 1, &mut out));
                self.ready.extend(out);
                match finished {
                    // The families it closed first, then the error.
                    Err(e) => self.stop = Some(Stop::Parse(e)),
                    Ok(()) => self.assembler = None,
                }
                continue;
            }
            self.release();
            self.read_chunk();
        }
    }

    /// Feeds lines of the last chunk until a family is ready or the chunk
    /// is fed; returns whether it fed any.
    fn feed(&mut self, keep: fn(Sample<'static>) -> Sample<'static>) -> Result<bool, ParseError> {
        let (Some(assembler), Some(chunk)) = (self.assembler.as_mut(), self.chunks.back()) else {
            return Ok(false);
        };
        // SAFETY: see the invariant at `FamilyReader`: the chunk's buffer
        // stays in place until no family borrows it.
        let text: &'static str = unsafe { &*(chunk.as_str() as *const str) };
        let start = self.pos;
        let mut out = Vec::new();
        while let Some(rest) = text.get(self.pos..).filter(|r| !r.is_empty()) {
            let len = memchr::memchr(b'\n', rest.as_bytes()).unwrap_or(rest.len());
            let fed = if len > MAX_LINE_BYTES {
                Err(Stop::TooLong.error(self.line_no + 1))
            } else {
                self.line_no += 1;
                self.pos += len + 1;
                assembler.feed(rest.get(..len).unwrap_or(""), self.line_no, keep, &mut out)
            };
            if let Err(e) = fed {
                // Nothing more is fed or read; the families this line closed
                // are yielded before the error.
                self.stop = Some(Stop::Parse(e));
                self.exhausted = true;
                self.pos = text.len() + 1;
                break;
            }
            if !out.is_empty() {
                break;
            }
        }
        self.ready.extend(out);
        Ok(self.pos > start)
    }

    /// Drops the chunks that no family borrows any more. Called only when
    /// every chunk is fed and no family is ready or lent out, so that only the
    /// open family can borrow one.
    fn release(&mut self) {
        let open = self.assembler.as_ref().and_then(Assembler::open_family).filter(|_| self.lent);
        // Samples are in input order, so the first one that borrows at all
        // is in the oldest chunk the family needs (names and metadata are
        // owned: `Assembler::feed` keeps only what `keep` returns). Before
        // any family is lent, `keep` copied every sample: nothing borrows,
        // and no sample need be looked at (which made the iterator's reading
        // of one huge family quadratic).
        debug_assert!(open.is_none_or(|f| {
            let owned = |c: &std::borrow::Cow<'_, str>| matches!(c, std::borrow::Cow::Owned(_));
            owned(&f.name) && f.help.as_ref().is_none_or(owned) && f.unit.as_ref().is_none_or(owned)
        }));
        let oldest = match open.and_then(|f| f.samples.iter().find_map(borrowed_ptr)) {
            // Nothing borrowed: every chunk can go.
            None => self.chunks.len(),
            // Not in a chunk (never: only chunks are fed): keep them all.
            Some(p) => self.chunks.iter().position(|c| c.as_bytes().as_ptr_range().contains(&p)).unwrap_or(0),
        };
        for _ in 0..oldest {
            if let Some(chunk) = self.chunks.pop_front() {
                if self.reuse_chunks {
                    self.spare = chunk.into_bytes();
                }
            }
        }
    }

    /// Reads the next chunk of whole lines, or sets `stop` or `exhausted`.
    fn read_chunk(&mut self) {
        let mut buf = std::mem::take(&mut self.spare);
        buf.clear();
        buf.append(&mut self.partial);
        // Offset of the byte after the last '\n' in `buf`.
        let mut lines_end = memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1);
        loop {
            let data = match self.reader.fill_buf() {
                Ok(d) => d,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.stop = Some(Stop::Read(e.to_string()));
                    break;
                }
            };
            if data.is_empty() {
                self.exhausted = true;
                break;
            }
            // Up to the chunk's size and on to the end of that line (looked
            // for no further than a line may be long), so that a reader
            // lending its whole input (`&[u8]`) is not copied whole.
            let room = self.chunk_bytes.saturating_sub(buf.len());
            let n = match data.get(room..) {
                Some(over) if !over.is_empty() => {
                    let limit = over.len().min(MAX_LINE_BYTES + 1);
                    memchr::memchr(b'\n', over.get(..limit).unwrap_or(over)).map_or(room + limit, |i| room + i + 1)
                }
                _ => data.len(),
            };
            let data = data.get(..n).unwrap_or(data);
            if let Some(i) = memchr::memrchr(b'\n', data) {
                lines_end = buf.len() + i + 1;
            }
            buf.extend_from_slice(data);
            self.reader.consume(n);
            if buf.len() - lines_end > MAX_LINE_BYTES {
                self.stop = Some(Stop::TooLong);
                break;
            }
            if lines_end >= self.chunk_bytes {
                break;
            }
        }
        if self.stop.is_some() {
            self.exhausted = true;
        }
        if !self.exhausted || self.stop.is_some() {
            // Only whole lines now; the rest starts the next chunk.
            self.partial.extend_from_slice(buf.get(lines_end..).unwrap_or(&[]));
            buf.truncate(lines_end);
        }
        let text = match String::from_utf8(buf) {
            Ok(text) => text,
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let mut bytes = e.into_bytes();
                let line_start = memchr::memrchr(b'\n', bytes.get(..valid).unwrap_or(&[])).map_or(0, |i| i + 1);
                let prefix = std::str::from_utf8(bytes.get(line_start..valid).unwrap_or(&[])).unwrap_or("");
                let column = prefix.chars().count() + 1;
                // A read error or an overlong line after the invalid byte
                // comes later in the input: the UTF-8 error is the first.
                self.stop = Some(Stop::Utf8 { column });
                self.exhausted = true;
                bytes.truncate(line_start);
                // The bytes up to `line_start` are valid UTF-8.
                String::from_utf8(bytes).unwrap_or_default()
            }
        };
        if self.stop.is_some() {
            self.partial = Vec::new();
        }
        self.chunks.push_back(text);
        self.pos = 0;
    }

    /// Reads an auto-detected input whole and parses it.
    fn detect(&mut self) -> Result<(), ParseError> {
        let mut all = Vec::new();
        let limit = AUTO_DETECT_LIMIT as u64 + 1;
        if let Err(e) = self.reader.by_ref().take(limit).read_to_end(&mut all) {
            return Err(ParseError { line: 1, column: 1, message: format!("read error: {e}") });
        }
        if all.len() > AUTO_DETECT_LIMIT {
            return Err(ParseError {
                line: 1,
                column: 1,
                message: format!(
                    "cannot auto-detect the format of an input over {AUTO_DETECT_LIMIT} bytes: choose prometheus or openmetrics"
                ),
            });
        }
        let text = match std::str::from_utf8(&all) {
            Ok(t) => t,
            Err(e) => return Err(utf8_error(&all, e.valid_up_to(), 0)),
        };
        let families = parse(text, self.format)?;
        self.detected = families.into_iter().rev().map(MetricFamily::into_owned).collect();
        Ok(())
    }
}

/// A non-empty string of `s` that borrows (all of a sample's come from its line).
fn borrowed_ptr(s: &Sample<'_>) -> Option<*const u8> {
    // The variant is the point: only a borrowed string can be in a chunk.
    #[allow(clippy::ptr_arg)]
    fn borrowed(c: &std::borrow::Cow<'_, str>) -> Option<*const u8> {
        match c {
            std::borrow::Cow::Borrowed(b) if !b.is_empty() => Some(b.as_ptr()),
            _ => None,
        }
    }
    let in_labels = |labels: &[super::Label<'_>]| labels.iter().find_map(|(k, v)| borrowed(k).or_else(|| borrowed(v)));
    borrowed(&s.name)
        .or_else(|| in_labels(&s.labels))
        .or_else(|| s.exemplar.as_ref().and_then(|e| in_labels(&e.labels)))
}

/// A ParseError at the first invalid UTF-8 byte of `bytes` (`lines_before`
/// lines precede `bytes`).
fn utf8_error(bytes: &[u8], valid_up_to: usize, lines_before: usize) -> ParseError {
    let valid = bytes.get(..valid_up_to).unwrap_or(&[]);
    let line_start = memchr::memrchr(b'\n', valid).map_or(0, |i| i + 1);
    let lines = memchr::memchr_iter(b'\n', valid).count();
    let prefix = std::str::from_utf8(valid.get(line_start..).unwrap_or(&[])).unwrap_or("");
    ParseError {
        line: lines_before + lines + 1,
        column: prefix.chars().count() + 1,
        message: "invalid UTF-8: exposition text must be UTF-8".into(),
    }
}

impl<R: BufRead> Iterator for FamilyReader<R> {
    type Item = Result<MetricFamily<'static>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        // Each sample is copied as it is read, while its line is in cache;
        // `into_owned` then only moves what is owned already.
        self.next_with(Sample::into_owned).map(|f| f.map(MetricFamily::into_owned))
    }
}

#[cfg(test)]
mod tests {
    use std::io::BufReader;

    use super::*;

    type Items = Vec<Result<MetricFamily<'static>, ParseError>>;

    /// Small inputs with the reader's edge cases: blank lines, invalid UTF-8,
    /// CRLF, no final newline, lines after `# EOF`.
    const EDGES: [&[u8]; 9] = [
        b"# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# EOF\n",
        b"# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n\nc 1\n# EOF\n",
        b"a 1\nb{x=\"\xc3\xa9\xff\"} 1\n# EOF\n",
        b"a 1\nb 2\nc{x=\"\xff\"} 1\n# EOF\n",
        b"# TYPE a counter\na_total 1\nb 2\r\n# EOF\n",
        b"a 1\nb 2\n# EOF",
        b"a 1\nb 2\n# EOF\nc 3\n",
        b"x{y=\"\xe2\x82\xac\"} 1\nz 2\n# EOF\n",
        b"a 1\na 2\n",
    ];

    fn items(bytes: &[u8], format: ParseFormat, buf: usize) -> Items {
        FamilyReader::new(BufReader::with_capacity(buf, bytes), format).collect()
    }

    /// Families lent by `next_family` from chunks of about `chunk` bytes,
    /// each checked against `owned` while it is lent.
    fn lent(bytes: &[u8], format: ParseFormat, buf: usize, chunk: usize, reuse: bool) -> Items {
        let mut reader = FamilyReader::new(BufReader::with_capacity(buf, bytes), format);
        reader.chunk_bytes = chunk;
        reader.reuse_chunks = reuse;
        let mut out = Vec::new();
        while let Some(f) = reader.next_family() {
            out.push(f.map(MetricFamily::into_owned));
        }
        out
    }

    /// Chunks of any size, down to one line each, give the same families and
    /// errors as the default: a family spanning many chunks keeps them all,
    /// and released chunks are never read again (run under valgrind, a read
    /// of a freed chunk is an error).
    #[test]
    fn chunks_of_any_size_give_the_same_items() {
        let mut big = String::new();
        for i in 0..3000 {
            let family = i / 700;
            if i % 700 == 0 {
                big.push_str(&format!("# TYPE small{i} counter\nsmall{i}_total{{x=\"{i}\"}} 1 # {{t=\"{i}\"}} 2\n"));
                big.push_str(&format!("# TYPE big{family} gauge\n"));
            }
            big.push_str(&format!("big{family}{{i=\"{i}\",esc=\"a\\\\b{i}\",z=\"\"}} {i}\n"));
        }
        big.push_str("# EOF\n");
        for input in EDGES.into_iter().chain([big.as_bytes(), b"a{x=\"1\"} 1\na{x=\"2\"} 2\nb 3\na{x=\"3\"} 3\n"]) {
            for format in [ParseFormat::OpenMetrics, ParseFormat::Prometheus] {
                let whole = items(input, format, 8192);
                for (buf, chunk) in [(1, 1), (3, 5), (64, 1), (64, 100), (8192, 4096)] {
                    for reuse in [true, false] {
                        assert_eq!(lent(input, format, buf, chunk, reuse), whole, "{format} buf {buf} chunk {chunk}");
                    }
                }
            }
        }
        // The big family is read whole, though it spans hundreds of chunks.
        let got = lent(big.as_bytes(), ParseFormat::OpenMetrics, 64, 100, true);
        let sizes: Vec<usize> = got.iter().map(|f| f.as_ref().map_or(0, |f| f.samples.len())).collect();
        assert_eq!(sizes, [1, 700, 1, 700, 1, 700, 1, 700, 1, 200]);
        assert_eq!(got.iter().filter(|f| f.is_err()).count(), 0);
    }

    /// A line that closes a family and is itself wrong: the closed family
    /// first, then the error (as for every error, lent or owned).
    #[test]
    fn a_family_closed_by_a_bad_line_comes_before_the_error() {
        let text = b"# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# TYPE a gauge\n# EOF\n";
        for (buf, chunk) in [(8192, CHUNK_BYTES), (3, 5)] {
            let got = lent(text, ParseFormat::OpenMetrics, buf, chunk, true);
            let names: Vec<_> =
                got.iter().map(|f| f.as_ref().map(|f| f.name.to_string()).map_err(|e| e.line)).collect();
            assert_eq!(names, [Ok("a".to_owned()), Ok("b".to_owned()), Err(5)]);
        }
    }

    /// `next_family` and the iterator in turns, on one reader: the same
    /// families as either alone, whatever the chunk size (each lent family is
    /// checked while lent, and released chunks are not reused, so that a
    /// stale read is a read of freed memory under valgrind).
    #[test]
    fn lending_and_owning_in_turns_give_the_same_families() {
        let mut text = String::new();
        for f in 0..6 {
            text.push_str(&format!("# TYPE f{f} gauge\n"));
            for i in 0..(f * 37 % 90) {
                text.push_str(&format!("f{f}{{i=\"{i}\",e=\"x\\\\{i}\"}} {i}\n"));
            }
        }
        let om = format!("{text}# EOF\n");
        for (input, format) in [(om.as_str(), ParseFormat::OpenMetrics), (text.as_str(), ParseFormat::Prometheus)] {
            let whole = items(input.as_bytes(), format, 8192);
            for chunk in [1, 7, 100, 1000] {
                for pattern in 0u32..8 {
                    let mut reader = FamilyReader::new(BufReader::with_capacity(5, input.as_bytes()), format);
                    reader.chunk_bytes = chunk;
                    reader.reuse_chunks = false;
                    let mut got = Vec::new();
                    for turn in 0.. {
                        let item = if pattern >> (turn % 3) & 1 == 1 {
                            reader.next_family().map(|f| f.map(MetricFamily::into_owned))
                        } else {
                            reader.next()
                        };
                        match item {
                            Some(item) => got.push(item),
                            None => break,
                        }
                    }
                    assert_eq!(got, whole, "{format} chunk {chunk} pattern {pattern}");
                }
            }
        }
    }

    #[test]
    fn lent_families_borrow_and_owned_ones_do_not() {
        let text = b"# TYPE a gauge\na{x=\"v\"} 1\n# EOF\n";
        let mut reader = FamilyReader::new(&text[..], ParseFormat::OpenMetrics);
        let family = reader.next_family().and_then(Result::ok).expect("a family");
        assert!(matches!(family.samples[0].labels[0].1, std::borrow::Cow::Borrowed("v")));
        let owned =
            FamilyReader::new(&text[..], ParseFormat::OpenMetrics).next().and_then(Result::ok).expect("a family");
        assert!(matches!(owned.samples[0].labels[0].1, std::borrow::Cow::Owned(_)));
        assert_eq!(owned, family.into_owned());
    }

    /// A reader of a whole in-memory input takes it a chunk at a time, and
    /// no more than a line's limit past it when a line is too long.
    #[test]
    fn a_slice_is_not_copied_whole() {
        let mut huge = format!("a 1\nb 1\nb{{x=\"{}\"}} 1\n", "y".repeat(3 * MAX_LINE_BYTES));
        huge.push_str("c 1\n");
        let mut reader = FamilyReader::new(huge.as_bytes(), ParseFormat::Prometheus);
        reader.chunk_bytes = 16;
        let first = reader.next_family().map(|f| f.map(|f| f.name.into_owned()));
        assert_eq!(first, Some(Ok("a".to_owned())));
        let err = reader.next_family().and_then(Result::err).expect("too long");
        assert_eq!((err.line, err.message.contains("longer than")), (3, true));
        assert!(reader.chunks.iter().map(String::len).sum::<usize>() <= 2 * MAX_LINE_BYTES);

        let mut text = String::new();
        for i in 0..20_000 {
            text.push_str(&format!("m{i} {i}\n"));
        }
        let mut reader = FamilyReader::new(text.as_bytes(), ParseFormat::Prometheus);
        assert!(reader.next_family().is_some_and(|f| f.is_ok()));
        let held: usize = reader.chunks.iter().map(String::len).sum();
        assert!(held <= CHUNK_BYTES + 16, "{held} bytes held for a {} byte input", text.len());
    }

    /// A reader's buffer of any size gives the same families and errors, in
    /// the same order (a 1-byte buffer never holds a whole line).
    #[test]
    fn buffered_lines_give_the_same_items_as_copied_lines() {
        for input in EDGES {
            for format in [ParseFormat::OpenMetrics, ParseFormat::Prometheus] {
                let copied = items(input, format, 1);
                for buf in [2, 5, 16, 64, 8192] {
                    assert_eq!(
                        items(input, format, buf),
                        copied,
                        "{format} {buf} {:?}",
                        String::from_utf8_lossy(input)
                    );
                }
                let direct: Items = FamilyReader::new(input, format).collect();
                assert_eq!(direct, copied, "{format} {:?}", String::from_utf8_lossy(input));
            }
        }
    }

    #[test]
    fn families_before_an_error_in_the_same_buffer_come_first() {
        let got = items(b"# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n\n# EOF\n", ParseFormat::OpenMetrics, 8192);
        assert_eq!(got.len(), 2);
        assert!(got[0].as_ref().is_ok_and(|f| f.name == "a"));
        assert!(got[1].as_ref().is_err_and(|e| e.line == 5));
    }

    #[test]
    fn an_overlong_line_wholly_in_the_buffer_is_still_rejected() {
        let text = format!("a 1\nb{{x=\"{}\"}} 1\n# EOF\n", "y".repeat(MAX_LINE_BYTES));
        let got = items(text.as_bytes(), ParseFormat::OpenMetrics, 4 * MAX_LINE_BYTES);
        let err = got.iter().find_map(|r| r.as_ref().err()).cloned();
        assert_eq!(
            err,
            Some(ParseError { line: 2, column: 1, message: format!("line longer than {MAX_LINE_BYTES} bytes") })
        );
    }
}
