//! `proofs/<run>/proof.json`: Loki Mode 9.20's Evidence Receipts, read as its
//! own `/metrics` reads them (`dashboard/server.py`, `_build_metrics_text`):
//! every entry of `proofs/` that is a directory (symlinks followed, hidden
//! names included) holding a regular `proof.json` whose content is a JSON
//! object counts; anything else is skipped, not counted. The verdict is
//! `honesty.headline` compared exactly; provenance counts
//! `verification.attestation` and `verification.gpg_signature` when truthy in
//! Python's sense.

use std::borrow::Cow;
use std::path::Path;

use serde_json::value::RawValue;

use super::folder::{Entry, FolderProblem, FolderSpec, RecordFolder};
use super::json;

/// One `proof.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Receipt {
    /// A JSON object: counted.
    Counted {
        /// Index into [`crate::families::RECEIPT_VERDICTS`].
        verdict: usize,
        attestation: bool,
        gpg: bool,
    },
    /// Not a JSON object (or not JSON): skipped, with the reason.
    Skipped(String),
}

/// The headlines Loki Mode's proof generator writes, by verdict index; any
/// other value (or none) is `unknown`, the last verdict.
const HEADLINES: [&str; 3] = ["VERIFIED", "VERIFIED WITH GAPS", "NOT VERIFIED"];

pub(crate) fn parse_receipt(bytes: &[u8]) -> Receipt {
    // Python reads the file with errors="replace" and its json module takes
    // NaN and Infinity: a receipt it counts is counted here too.
    match read_receipt(bytes) {
        Ok(receipt) => receipt,
        Err(first) => match python_compatible(bytes) {
            Some(text) => read_receipt(text.as_bytes()).unwrap_or(Receipt::Skipped(first)),
            None => Receipt::Skipped(first),
        },
    }
}

fn read_receipt(bytes: &[u8]) -> Result<Receipt, String> {
    let fields = json::object_fields(bytes, &["honesty", "verification"]).map_err(|e| json::object_error(bytes, &e))?;
    let headline = fields[0].and_then(|h| json::raw_object_fields(h, &["headline"]).ok()).and_then(|f| f[0]);
    let headline = headline.and_then(json::string);
    let verdict = HEADLINES.iter().position(|h| Some(*h) == headline.as_deref()).unwrap_or(HEADLINES.len());
    let provenance = fields[1].and_then(|v| json::raw_object_fields(v, &["attestation", "gpg_signature"]).ok());
    let truthy = |i: usize| provenance.as_ref().and_then(|p| p[i]).is_some_and(is_truthy);
    Ok(Receipt::Counted { verdict, attestation: truthy(0), gpg: truthy(1) })
}

/// Python's truth value of a JSON value: `null`, `false`, `0`, `""`, `[]`
/// and `{}` are false; everything else (NaN included) is true.
fn is_truthy(raw: &RawValue) -> bool {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'n') | Some(b'f') => false,
        Some(b't') => true,
        Some(b'"') => text.len() > 2,
        Some(b'[') | Some(b'{') => !text[1..text.len() - 1].trim_matches(|c: char| c.is_ascii_whitespace()).is_empty(),
        _ => json::number(raw).is_none_or(|n| n.as_f64() != 0.0),
    }
}

/// The text as Python's `json.loads(read_text(errors="replace"))` sees it:
/// invalid UTF-8 replaced, and `NaN`, `Infinity`, `-Infinity` outside strings
/// written as a number JSON accepts (`1e999`, true like them). `None` when
/// nothing needed changing.
fn python_compatible(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    let mut changed = matches!(text, Cow::Owned(_));
    let mut rest = text.as_ref();
    let mut in_string = false;
    while let Some(c) = rest.chars().next() {
        if in_string {
            match c {
                '\\' => {
                    let escaped: String = rest.chars().take(2).collect();
                    out.push_str(&escaped);
                    rest = &rest[escaped.len()..];
                    continue;
                }
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if let Some(token) = ["-Infinity", "Infinity", "NaN"].into_iter().find(|t| rest.starts_with(t)) {
            out.push_str(if token.starts_with('-') { "-1e999" } else { "1e999" });
            rest = &rest[token.len()..];
            changed = true;
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    changed.then_some(out)
}

const SPEC: FolderSpec<Receipt> = FolderSpec {
    accept: |_| true,
    hidden: true,
    file_in_entry: Some("proof.json"),
    parse: parse_receipt,
    // A receipt being written (the proof generator does not write atomically)
    // is re-read until it parses.
    invalid: |receipt| matches!(receipt, Receipt::Skipped(_)),
};

/// Most receipt problems listed one by one; the rest are counted.
const MAX_RECEIPT_WARNINGS: usize = 20;

/// The receipt counts of one collection.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ReceiptCounts {
    pub total: u64,
    pub by_verdict: [u64; 4],
    /// `attestation`, `gpg`.
    pub provenance: [u64; 2],
    pub warnings: Vec<String>,
    /// `proofs` exists but could not be read as a folder.
    pub failed: bool,
}

/// `proofs/` and its receipts, re-read incrementally.
#[derive(Debug, Default)]
pub(crate) struct ReceiptsState {
    folder: RecordFolder<Receipt>,
}

impl ReceiptsState {
    pub(crate) fn count(&mut self, dir: &Path, cap: u64) -> ReceiptCounts {
        let mut out = ReceiptCounts::default();
        if let Err(FolderProblem::NotADirectory(why) | FolderProblem::Unreadable(why)) =
            self.folder.refresh(dir, &SPEC, cap)
        {
            out.failed = true;
            out.warnings.push(format!("{why}; no receipts counted"));
            return out;
        }
        let mut problems = Vec::new();
        for (name, entry) in self.folder.entries() {
            match entry {
                Entry::Record(_, Receipt::Counted { verdict, attestation, gpg }) => {
                    out.total += 1;
                    out.by_verdict[*verdict] += 1;
                    out.provenance[0] += u64::from(*attestation);
                    out.provenance[1] += u64::from(*gpg);
                }
                Entry::Record(_, Receipt::Skipped(why)) | Entry::Unusable(why) => {
                    problems.push(format!("{}/proof.json {why}; not counted", name.to_string_lossy()));
                }
            }
        }
        let extra = problems.len().saturating_sub(MAX_RECEIPT_WARNINGS);
        problems.truncate(MAX_RECEIPT_WARNINGS);
        out.warnings = problems;
        if extra > 0 {
            out.warnings.push(format!("{extra} more receipt(s) not counted"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(text: &str) -> (usize, bool, bool) {
        match parse_receipt(text.as_bytes()) {
            Receipt::Counted { verdict, attestation, gpg } => (verdict, attestation, gpg),
            Receipt::Skipped(why) => panic!("{text} skipped: {why}"),
        }
    }

    #[test]
    fn the_verdict_is_the_headline_compared_exactly() {
        assert_eq!(counted(r#"{"honesty": {"headline": "VERIFIED"}}"#).0, 0);
        assert_eq!(counted(r#"{"honesty": {"headline": "VERIFIED WITH GAPS"}}"#).0, 1);
        assert_eq!(counted(r#"{"honesty": {"headline": "NOT VERIFIED"}}"#).0, 2);
        for other in [r#""verified""#, r#"" VERIFIED""#, "1", "null", r#"["VERIFIED"]"#] {
            assert_eq!(counted(&format!(r#"{{"honesty": {{"headline": {other}}}}}"#)).0, 3, "{other}");
        }
        assert_eq!(counted(r#"{"honesty": "VERIFIED"}"#).0, 3);
        assert_eq!(counted("{}").0, 3);
        assert_eq!(counted(r#"{"honesty": {"headline": "\u0056ERIFIED"}}"#).0, 0);
    }

    #[test]
    fn provenance_counts_truthy_values_of_an_object() {
        let truthy = ["true", "1", "-0.5", r#""x""#, r#""false""#, "[0]", r#"{"a": 1}"#, "NaN", "Infinity"];
        let falsy = ["false", "null", "0", "0.0", "-0", "0e5", r#""""#, "[]", "[ ]", "{}", "{ \n }"];
        for v in truthy {
            let (_, a, g) = counted(&format!(r#"{{"verification": {{"attestation": {v}, "gpg_signature": {v}}}}}"#));
            assert!(a && g, "{v} is truthy");
        }
        for v in falsy {
            let (_, a, g) = counted(&format!(r#"{{"verification": {{"attestation": {v}, "gpg_signature": {v}}}}}"#));
            assert!(!a && !g, "{v} is falsy");
        }
        assert_eq!(counted(r#"{"verification": ["attestation"]}"#), (3, false, false));
    }

    #[test]
    fn anything_but_a_json_object_is_skipped() {
        for text in ["", "[]", "\"VERIFIED\"", "null", "{\"honesty\": ", "not json"] {
            assert!(matches!(parse_receipt(text.as_bytes()), Receipt::Skipped(_)), "{text:?}");
        }
    }

    #[test]
    fn invalid_utf8_and_python_constants_do_not_skip_a_receipt() {
        let mut bytes = br#"{"note": "caf"#.to_vec();
        bytes.extend_from_slice(&[0xff, b'"']);
        bytes.extend_from_slice(br#", "honesty": {"headline": "NOT VERIFIED"}, "score": NaN}"#);
        assert_eq!(counted(&String::from_utf8_lossy(&bytes)).0, 2);
        assert!(matches!(parse_receipt(&bytes), Receipt::Counted { verdict: 2, .. }));
        assert!(matches!(
            parse_receipt(br#"{"s": "NaN in a string", "x": -Infinity, "honesty": {"headline": "VERIFIED"}}"#),
            Receipt::Counted { verdict: 0, .. }
        ));
    }
}
