//! One line-by-line reader for both formats, shared by [`super::families`]
//! (and so [`super::parse`]) and [`super::FamilyReader`].

use super::openmetrics::OpenMetricsAssembler;
use super::prometheus::PrometheusAssembler;
use super::{MetricFamily, ParseError, ParseFormat, Sample};

/// Turns lines into finished families, in one of the two formats.
pub(crate) enum Assembler<'a> {
    OpenMetrics(Box<OpenMetricsAssembler<'a>>),
    Prometheus(PrometheusAssembler<'a>),
}

impl<'a> Assembler<'a> {
    /// A reader for `format` ([`ParseFormat::Auto`] must be resolved first;
    /// it is read as Prometheus here).
    pub(crate) fn new(format: ParseFormat) -> Self {
        match format {
            ParseFormat::OpenMetrics => Assembler::OpenMetrics(Box::new(OpenMetricsAssembler::new())),
            ParseFormat::Prometheus | ParseFormat::Auto => Assembler::Prometheus(PrometheusAssembler::new()),
        }
    }

    /// Reads one line without its `\n`; finished families go to `out`.
    /// `keep` turns the line's borrowed sample into what the family stores.
    ///
    /// The line's lifetime `'l` is not `'a` on purpose: nothing of the line
    /// reaches the families but through `keep` (names and metadata are
    /// copied), which [`super::FamilyReader`] relies on to free the buffers
    /// its lines come from. Do not make `line` a `&'a str`.
    #[inline]
    pub(crate) fn feed<'l>(
        &mut self,
        line: &'l str,
        line_no: usize,
        keep: impl FnOnce(Sample<'l>) -> Sample<'a>,
        out: &mut Vec<MetricFamily<'a>>,
    ) -> Result<(), ParseError> {
        match self {
            Assembler::OpenMetrics(a) => a.feed(line, line_no, keep, out),
            Assembler::Prometheus(a) => a.feed(line, line_no, keep, out),
        }
    }

    /// The family being read, if any. It is all the assembler keeps of the
    /// lines it was fed: `feed` stores a line's data only through `keep`,
    /// as samples of this family (names and metadata are copied), which
    /// [`super::FamilyReader`] relies on to free its buffers.
    pub(crate) fn open_family(&self) -> Option<&MetricFamily<'a>> {
        match self {
            Assembler::OpenMetrics(a) => a.open_family(),
            Assembler::Prometheus(a) => a.open_family(),
        }
    }

    /// Whether a 0.0.4 family's samples were split by another family's, so
    /// that the finished families hold a name twice.
    pub(crate) fn interleaved(&self) -> bool {
        matches!(self, Assembler::Prometheus(a) if a.interleaved)
    }

    /// Ends the input; `next_line_no` is one past the last line.
    pub(crate) fn finish(&mut self, next_line_no: usize, out: &mut Vec<MetricFamily<'a>>) -> Result<(), ParseError> {
        match self {
            Assembler::OpenMetrics(a) => a.finish(next_line_no, out),
            Assembler::Prometheus(a) => {
                a.finish(out);
                Ok(())
            }
        }
    }
}
