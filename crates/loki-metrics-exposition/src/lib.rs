//! The Prometheus exposition formats, knowing nothing of where metrics come
//! from: one model of families and samples ([`MetricFamily`], [`Sample`]),
//! the text encoders for Prometheus 0.0.4 and OpenMetrics 1.0.0
//! ([`encode`]), content negotiation ([`negotiate`]) and the parser
//! ([`parse`]) that reads both formats back into the same model.
//!
//! ```
//! use loki_metrics_exposition::{encode, parse::parse, parse::ParseFormat, TextFormat};
//! let text = "# TYPE a counter\na_total 1\n# EOF\n";
//! let families = parse(text, ParseFormat::Auto)?;
//! assert_eq!(families[0].name, "a");
//! assert_eq!(encode(&families, TextFormat::OpenMetrics), text);
//! # Ok::<(), loki_metrics_exposition::parse::ParseError>(())
//! ```
#![deny(missing_docs)]

mod encode;
mod format;
mod model;
mod negotiate;
pub mod number;
pub mod parse;

pub use encode::{encode, encode_into, encode_openmetrics, encode_prometheus};
pub use format::{TextFormat, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE};
pub use model::{Exemplar, Label, MetricFamily, MetricType, Sample, SampleValue, Value};
pub use negotiate::negotiate;
