//! [`Families`]: the families of an in-memory text, one at a time.

use super::assemble::Assembler;
use super::{MetricFamily, ParseError, ParseFormat};

/// The families of a whole text in input order, each yielded as soon as the
/// line that ends it (the next family's first, or the end) is read; made by
/// [`families`].
///
/// Each family borrows the text as [`parse`](super::parse)'s do, and is the
/// caller's to keep or drop. A program that reads each family and drops it
/// (an encoder, a converter, a filter) needs memory for one family at a time
/// instead of the whole result, and the allocator reuses that memory while it
/// is still in the CPU's caches.
///
/// The strictness and the errors are [`parse`](super::parse)'s. On an error
/// the families finished before the bad line are yielded first, then the
/// error, then nothing more.
///
/// In Prometheus 0.0.4 a family whose samples resume after another family's
/// (allowed there) is yielded again, as a new run with the same name;
/// [`parse`](super::parse) joins such runs. [`Families::resumed`] says whether
/// that happened.
///
/// ```
/// use loki_metrics_exposition::parse::{families, ParseFormat};
/// let text = "# TYPE a gauge\na 1\n# TYPE b gauge\nb 2\nb 3\n";
/// let mut samples = Vec::new();
/// for family in families(text, ParseFormat::Prometheus) {
///     let family = family?;
///     samples.push((family.name.to_string(), family.samples.len()));
/// }
/// assert_eq!(samples, [("a".to_owned(), 1), ("b".to_owned(), 2)]);
/// # Ok::<(), loki_metrics_exposition::parse::ParseError>(())
/// ```
pub struct Families<'a> {
    text: &'a str,
    /// Byte offset of the next line.
    pos: usize,
    line_no: usize,
    assembler: Assembler<'a>,
    /// Finished families not yet yielded, oldest first (rarely more than one).
    ready: Vec<MetricFamily<'a>>,
    /// The error to yield once `ready` is empty.
    error: Option<ParseError>,
    /// Whether the input is read to its end or to its first error.
    stopped: bool,
}

/// The families of `text`, one at a time (see [`Families`]).
/// [`ParseFormat::Auto`] is resolved from the whole text, as `parse` does.
pub fn families(text: &str, format: ParseFormat) -> Families<'_> {
    Families {
        text,
        pos: 0,
        line_no: 0,
        assembler: Assembler::new(format.detect(text)),
        ready: Vec::new(),
        error: None,
        stopped: false,
    }
}

impl Families<'_> {
    /// Whether a 0.0.4 family was split by another family's samples, so that
    /// its name was (or is about to be) yielded more than once. Always
    /// `false` for OpenMetrics, where a split family is an error.
    pub fn resumed(&self) -> bool {
        self.assembler.interleaved()
    }

    /// Reads lines until a family is finished, the input ends or a line is
    /// bad.
    fn advance(&mut self) {
        let bytes = self.text.as_bytes();
        while self.ready.is_empty() {
            if self.pos >= bytes.len() {
                if let Err(e) = self.assembler.finish(self.line_no + 1, &mut self.ready) {
                    self.error = Some(e);
                }
                self.stopped = true;
                return;
            }
            self.line_no += 1;
            let start = self.pos;
            let (end, next) = match memchr::memchr(b'\n', &bytes[start..]) {
                Some(i) => (start + i, start + i + 1),
                None => (bytes.len(), bytes.len()),
            };
            self.pos = next;
            // `start` and `end` are at a line start and at a '\n' or the
            // end: both are char boundaries.
            let line = self.text.get(start..end).unwrap_or("");
            if let Err(e) = self.assembler.feed(line, self.line_no, |s| s, &mut self.ready) {
                self.error = Some(e);
                self.stopped = true;
                return;
            }
        }
    }
}

impl<'a> Iterator for Families<'a> {
    type Item = Result<MetricFamily<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ready.is_empty() && !self.stopped {
            self.advance();
        }
        if !self.ready.is_empty() {
            return Some(Ok(self.ready.remove(0)));
        }
        self.error.take().map(Err)
    }
}

impl std::iter::FusedIterator for Families<'_> {}
