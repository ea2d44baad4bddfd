//! `events.jsonl`: non-blank lines, counted by streaming, incrementally.

use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use super::file::{self, FileKey, OpenError};

/// Read size: large enough for syscalls to be rare, small enough to stay in cache.
const CHUNK: usize = 256 * 1024;

/// Bytes that make a line blank (ASCII whitespace; `\r` covers CRLF ends).
#[inline]
fn is_blank_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | 0x0b | 0x0c)
}

#[inline]
fn has_content(line: &[u8]) -> bool {
    // Event lines start with `{`, so this usually stops at the first byte.
    line.iter().any(|&b| !is_blank_byte(b))
}

/// Line-counting state that can stop at any byte and resume.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineCount {
    /// Non-blank lines ended by `\n` so far.
    pub complete: u64,
    /// The unterminated tail seen so far has a non-blank byte.
    pub tail_has_content: bool,
}

impl LineCount {
    /// Feeds the next bytes of the file.
    pub fn feed(&mut self, buf: &[u8]) {
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', buf) {
            if self.tail_has_content || has_content(&buf[start..nl]) {
                self.complete += 1;
            }
            self.tail_has_content = false;
            start = nl + 1;
        }
        if !self.tail_has_content {
            self.tail_has_content = has_content(&buf[start..]);
        }
    }

    /// Lines counted, a final line without newline included if non-blank.
    pub fn total(&self) -> u64 {
        self.complete + u64::from(self.tail_has_content)
    }
}

/// Bytes before the resume offset remembered to detect a rewrite in place.
const FINGERPRINT: usize = 64;

/// Counts `events.jsonl`, reading only what was appended since the last call.
///
/// A new inode or a size below the last offset means the file was replaced
/// or truncated: it is counted again from the start. A file truncated and
/// rewritten in place past the old offset is caught by comparing the bytes
/// just before the offset with the ones seen there last time.
#[derive(Debug, Default)]
pub(crate) struct EventsCounter {
    /// The file counted so far, and how far.
    seen: Option<(FileKey, u64)>,
    lines: LineCount,
    /// The last bytes before `seen`'s offset.
    fingerprint: Vec<u8>,
}

impl EventsCounter {
    /// `Ok(None)` when the file does not exist.
    pub(crate) fn count(&mut self, path: &Path) -> Result<Option<u64>, String> {
        let (mut handle, meta) = match file::open_regular(path) {
            Ok(opened) => opened,
            Err(OpenError::Missing) => {
                self.reset();
                return Ok(None);
            }
            Err(OpenError::Unusable(why)) => {
                self.reset();
                return Err(why);
            }
        };
        let key = FileKey::of(&meta);
        let resume_at = match self.seen {
            // Same file, not shorter, same bytes before the offset: only the rest is new.
            Some((old, offset))
                if old.same_file(&key) && key.size() >= offset && self.unchanged_before(&handle, offset) =>
            {
                offset
            }
            // New, replaced, truncated or rewritten: count from the start.
            _ => {
                self.lines = LineCount::default();
                0
            }
        };
        let mut lines = self.lines;
        let read = match count_from(&mut handle, resume_at, &mut lines) {
            Ok(read) => read,
            Err(e) => {
                self.reset();
                return Err(file::io_message(&e));
            }
        };
        let offset = resume_at + read;
        self.lines = lines;
        self.fingerprint = read_before(&handle, offset).unwrap_or_default();
        self.seen = Some((key, offset));
        Ok(Some(lines.total()))
    }

    /// The bytes before `offset` are still the ones counted last time.
    fn unchanged_before(&self, handle: &std::fs::File, offset: u64) -> bool {
        read_before(handle, offset).is_ok_and(|bytes| bytes == self.fingerprint)
    }

    /// How many bytes the next [`EventsCounter::count`] would read (by `stat`).
    pub(crate) fn unread_bytes(&self, path: &Path) -> u64 {
        let Ok(meta) = file::stat(path) else { return 0 };
        if !meta.file_type().is_file() {
            return 0;
        }
        let key = FileKey::of(&meta);
        match self.seen {
            Some((old, offset)) if old.same_file(&key) && key.size() >= offset => key.size() - offset,
            _ => key.size(),
        }
    }

    fn reset(&mut self) {
        self.seen = None;
        self.lines = LineCount::default();
        self.fingerprint.clear();
    }
}

/// Up to [`FINGERPRINT`] bytes ending at `offset`.
fn read_before(handle: &std::fs::File, offset: u64) -> io::Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let len = offset.min(FINGERPRINT as u64) as usize;
    let mut buf = vec![0u8; len];
    handle.read_exact_at(&mut buf, offset - len as u64)?;
    Ok(buf)
}

/// Feeds everything from `offset` to end of file into `lines`; returns bytes read.
fn count_from(handle: &mut std::fs::File, offset: u64, lines: &mut LineCount) -> io::Result<u64> {
    if offset > 0 {
        handle.seek(SeekFrom::Start(offset))?;
    }
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = match handle.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        lines.feed(&buf[..n]);
        total += n as u64;
    }
}
