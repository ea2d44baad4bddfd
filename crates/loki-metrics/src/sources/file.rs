//! Opening source files without ever blocking or reading without bound.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::time::SystemTime;

/// Identity and version of a file: if this is unchanged, so is the content
/// (as far as a cache can cheaply tell).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileKey {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
}

impl FileKey {
    pub(crate) fn of(meta: &Metadata) -> Self {
        FileKey {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        }
    }

    pub(crate) fn same_file(&self, other: &FileKey) -> bool {
        self.dev == other.dev && self.ino == other.ino
    }

    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// Modification time, in nanoseconds since the Unix epoch.
    pub(crate) fn mtime_ns(&self) -> i128 {
        self.mtime_ns
    }
}

/// Why a source could not be opened as a regular file.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// It does not exist (not a problem for optional sources).
    Missing,
    /// It exists but is unusable; the message says why.
    Unusable(String),
}

/// Describes a file's type for a warning (also a regular file where a
/// directory was expected).
pub(crate) fn describe_type(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_file() {
        "a regular file"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else {
        "not a regular file"
    }
}

pub(crate) fn io_message(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(libc::ELOOP) => "too many levels of symbolic links".to_owned(),
        Some(libc::EACCES) | Some(libc::EPERM) => "permission denied".to_owned(),
        Some(libc::ENOTDIR) => "a path component is not a directory".to_owned(),
        Some(libc::ENXIO) => "not a regular file (no such device or address)".to_owned(),
        _ => err.to_string(),
    }
}

/// `stat` (following symlinks) mapped to [`OpenError`].
pub(crate) fn stat(path: &Path) -> Result<Metadata, OpenError> {
    std::fs::metadata(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => OpenError::Missing,
        _ => OpenError::Unusable(io_message(&e)),
    })
}

/// Opens `path` for reading if, and only if, it is a regular file.
///
/// The file type is checked before opening (so a device is never opened) and
/// again on the open handle, which was opened non-blocking, so a FIFO or
/// device swapped in between cannot make a read block.
pub(crate) fn open_regular(path: &Path) -> Result<(File, Metadata), OpenError> {
    let before = stat(path)?;
    if !before.file_type().is_file() {
        return Err(OpenError::Unusable(format!("is {}, not a regular file", describe_type(&before))));
    }
    open_checked(path)
}

/// Opens `path` non-blocking and checks on the handle that it is a regular
/// file. For callers that already know (e.g. from the directory entry) that
/// it should be one; a FIFO swapped in still cannot block.
pub(crate) fn open_checked(path: &Path) -> Result<(File, Metadata), OpenError> {
    let file = OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY).open(path).map_err(
        |e| match e.kind() {
            io::ErrorKind::NotFound => OpenError::Missing,
            _ => OpenError::Unusable(io_message(&e)),
        },
    )?;
    let meta = file.metadata().map_err(|e| OpenError::Unusable(io_message(&e)))?;
    if !meta.file_type().is_file() {
        return Err(OpenError::Unusable(format!("is {}, not a regular file", describe_type(&meta))));
    }
    Ok((file, meta))
}

/// Reads a whole regular file of at most `cap` bytes.
pub(crate) fn read_capped(mut file: File, meta: &Metadata, cap: u64) -> Result<Vec<u8>, String> {
    if meta.len() > cap {
        return Err(format!("is {} bytes, over the {cap}-byte limit; skipped", meta.len()));
    }
    // One byte more than fstat said: a short read of a regular file means end
    // of file, so an unchanged file takes a single read() call.
    let limit = usize::try_from(cap).unwrap_or(usize::MAX).saturating_add(1);
    let want = usize::try_from(meta.len()).unwrap_or(usize::MAX).saturating_add(1).min(limit);
    let mut buf = vec![0u8; want];
    let mut filled = 0;
    loop {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => {
                filled += n;
                if filled < buf.len() {
                    // Regular files only return short at end of file.
                    break;
                }
                // It grew since fstat: keep reading, but never past the cap.
                if filled as u64 > cap {
                    return Err(format!("grew over the {cap}-byte limit while being read; skipped"));
                }
                let next = buf.len().saturating_mul(2).min(limit);
                buf.resize(next.max(filled + 1), 0);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_message(&e)),
        }
    }
    if filled as u64 > cap {
        return Err(format!("grew over the {cap}-byte limit while being read; skipped"));
    }
    buf.truncate(filled);
    Ok(buf)
}

pub(crate) fn mtime(meta: &Metadata) -> Option<SystemTime> {
    meta.modified().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A file that grew after its fstat: the read goes on past the stale size.
    fn grown_file(cap: u64) -> Result<Vec<u8>, String> {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("grows.json");
        std::fs::write(&path, b"0123456789").expect("write");
        let (file, meta) = open_regular(&path).expect("open");
        let mut writer = std::fs::OpenOptions::new().append(true).open(&path).expect("append");
        writer.write_all(&[b'x'; 100]).expect("grow");
        read_capped(file, &meta, cap)
    }

    #[test]
    fn a_file_that_grew_is_read_whole_even_with_the_largest_cap() {
        assert_eq!(grown_file(u64::MAX).map(|b| b.len()), Ok(110));
        assert_eq!(grown_file(110).map(|b| b.len()), Ok(110));
    }

    #[test]
    fn a_file_that_grew_past_the_cap_is_refused() {
        assert_eq!(grown_file(50), Err("grew over the 50-byte limit while being read; skipped".to_owned()));
    }
}
