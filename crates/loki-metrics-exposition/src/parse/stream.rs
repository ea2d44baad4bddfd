//! [`FamilyReader`]: families one at a time from any reader.

use std::io::{BufRead, Read};

use super::assemble::Assembler;
use super::{parse, MetricFamily, ParseError, ParseFormat, Sample};

/// The longest line the reader accepts, so that memory stays bounded.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// How much input [`ParseFormat::Auto`] may look at: the format is known only
/// at the end (`# EOF`), so auto-detection reads the whole input first.
pub const AUTO_DETECT_LIMIT: usize = 8 << 20;

/// Reads exposition text from a [`BufRead`] and yields one owned family at a
/// time, holding only the current family (and, for OpenMetrics, the names of
/// finished families) in memory.
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
/// # Ok::<(), loki_metrics_exposition::parse::ParseError>(())
/// ```
pub struct FamilyReader<R> {
    reader: R,
    format: ParseFormat,
    assembler: Option<Assembler<'static>>,
    line: Vec<u8>,
    line_no: usize,
    ready: Vec<MetricFamily<'static>>,
    /// Families of an auto-detected input, read whole, in reverse order.
    detected: Vec<MetricFamily<'static>>,
    done: bool,
}

impl<R: BufRead> FamilyReader<R> {
    /// A reader of `format` text from `reader`.
    pub fn new(reader: R, format: ParseFormat) -> Self {
        FamilyReader {
            reader,
            format,
            assembler: match format {
                ParseFormat::Auto => None,
                concrete => Some(Assembler::new(concrete)),
            },
            line: Vec::with_capacity(256),
            line_no: 0,
            ready: Vec::new(),
            detected: Vec::new(),
            done: false,
        }
    }

    /// Reads the next line into `self.line` (without `\n`); `false` at the end.
    fn read_line(&mut self) -> Result<bool, ParseError> {
        self.line.clear();
        let mut any = false;
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(ParseError { line: self.line_no + 1, column: 1, message: format!("read error: {e}") })
                }
            };
            if buf.is_empty() {
                return Ok(any);
            }
            any = true;
            let (take, newline) = match memchr::memchr(b'\n', buf) {
                Some(i) => (i, true),
                None => (buf.len(), false),
            };
            if self.line.len() + take > MAX_LINE_BYTES {
                return Err(ParseError {
                    line: self.line_no + 1,
                    column: 1,
                    message: format!("line longer than {MAX_LINE_BYTES} bytes"),
                });
            }
            self.line.extend_from_slice(&buf[..take]);
            self.reader.consume(take + usize::from(newline));
            if newline {
                return Ok(true);
            }
        }
    }

    /// Feeds the complete lines at the front of the reader's buffer straight
    /// from it, without copying each line out and validating its UTF-8
    /// alone, until a family is ready. Returns whether it consumed anything;
    /// when it did not (no complete line buffered, a line too long, invalid
    /// UTF-8, a read error), [`Self::read_line`] takes the next line and
    /// reports any error exactly as it always has.
    fn feed_buffered(&mut self) -> Result<bool, ParseError> {
        let Some(assembler) = self.assembler.as_mut() else {
            return Ok(false);
        };
        let Ok(buf) = self.reader.fill_buf() else {
            return Ok(false);
        };
        let Some(last) = memchr::memrchr(b'\n', buf) else {
            return Ok(false);
        };
        let chunk = buf.get(..=last).unwrap_or(&[]);
        // A '\n' is never inside a multi-byte character, so the chunk is
        // valid exactly when each of its lines is; on an error keep the lines
        // before the invalid one.
        let text = match std::str::from_utf8(chunk) {
            Ok(t) => t,
            Err(e) => {
                let valid = chunk.get(..e.valid_up_to()).unwrap_or(&[]);
                let Some(end) = memchr::memrchr(b'\n', valid) else {
                    return Ok(false);
                };
                std::str::from_utf8(chunk.get(..=end).unwrap_or(&[])).unwrap_or("")
            }
        };
        let bytes = text.as_bytes();
        let mut start = 0;
        let mut result = Ok(());
        while let Some(len) = bytes.get(start..).and_then(|rest| memchr::memchr(b'\n', rest)) {
            if len > MAX_LINE_BYTES {
                break;
            }
            self.line_no += 1;
            let line = text.get(start..start + len).unwrap_or("");
            start += len + 1;
            result = assembler.feed(line, self.line_no, Sample::into_owned, &mut self.ready);
            if result.is_err() || !self.ready.is_empty() {
                break;
            }
        }
        self.reader.consume(start);
        result.map(|()| start > 0)
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

    fn advance(&mut self) -> Result<Option<MetricFamily<'static>>, ParseError> {
        if self.assembler.is_none() && self.detected.is_empty() && self.line_no == 0 {
            self.detect()?;
            self.line_no = usize::MAX;
        }
        if self.assembler.is_none() {
            return Ok(self.detected.pop());
        }
        loop {
            if !self.ready.is_empty() {
                return Ok(Some(self.ready.remove(0)));
            }
            if self.feed_buffered()? {
                continue;
            }
            let more = self.read_line()?;
            let Some(assembler) = self.assembler.as_mut() else {
                return Ok(None);
            };
            if !more {
                assembler.finish(self.line_no + 1, &mut self.ready)?;
                self.assembler = None;
                self.line_no = usize::MAX;
                return Ok(if self.ready.is_empty() { None } else { Some(self.ready.remove(0)) });
            }
            self.line_no += 1;
            let text = match std::str::from_utf8(&self.line) {
                Ok(t) => t,
                Err(e) => return Err(utf8_error(&self.line, e.valid_up_to(), self.line_no - 1)),
            };
            assembler.feed(text, self.line_no, Sample::into_owned, &mut self.ready)?;
        }
    }
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
        if self.done {
            return None;
        }
        match self.advance() {
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
}

#[cfg(test)]
mod tests {
    use std::io::BufReader;

    use super::*;

    type Items = Vec<Result<MetricFamily<'static>, ParseError>>;

    fn items(bytes: &[u8], format: ParseFormat, buf: usize) -> Items {
        FamilyReader::new(BufReader::with_capacity(buf, bytes), format).collect()
    }

    /// Lines read straight from a large buffer give the same families and
    /// errors, in the same order, as lines copied out one by one (a 1-byte
    /// buffer never holds a whole line, so it always takes the copying path).
    #[test]
    fn buffered_lines_give_the_same_items_as_copied_lines() {
        let inputs: [&[u8]; 9] = [
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
        for input in inputs {
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
