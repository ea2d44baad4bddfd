//! `loki.pid`: the session's process, probed for liveness.

use std::path::Path;
use std::time::SystemTime;

use super::file::{self, OpenError};

/// A PID file is a number and a newline; anything longer is not one.
const PID_FILE_CAP: u64 = 64;

/// What `loki.pid` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PidFile {
    /// The PID names a live process (a signal-0 probe succeeded or got EPERM).
    pub alive: bool,
    /// The file's modification time (the fallback start of the session).
    pub mtime: Option<SystemTime>,
}

/// Reads and probes `loki.pid`. `Ok(None)` when it does not exist; `Err` with
/// a message when it exists but is unusable.
pub(crate) fn read(path: &Path) -> Result<Option<PidFile>, String> {
    let (handle, meta) = match file::open_regular(path) {
        Ok(opened) => opened,
        Err(OpenError::Missing) => return Ok(None),
        Err(OpenError::Unusable(why)) => return Err(why),
    };
    let bytes = file::read_capped(handle, &meta, PID_FILE_CAP)?;
    let pid = parse_pid(&bytes)?;
    Ok(Some(PidFile { alive: is_alive(pid), mtime: file::mtime(&meta) }))
}

/// A decimal PID with optional surrounding whitespace, `1..=i32::MAX`.
pub(crate) fn parse_pid(bytes: &[u8]) -> Result<i32, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "is not UTF-8 text".to_owned())?;
    let trimmed = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if trimmed.is_empty() {
        return Err("is empty; session treated as not running".to_owned());
    }
    let shown: String = trimmed.chars().take(20).collect();
    if !trimmed.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b'+') {
        return Err(format!("holds {shown:?}, not a PID; session treated as not running"));
    }
    match trimmed.parse::<i64>() {
        Ok(pid) if pid > 0 && pid <= i64::from(i32::MAX) => Ok(pid as i32),
        Ok(_) | Err(_) => {
            Err(format!("holds {shown:?}, not a valid PID (1..=2147483647); session treated as not running"))
        }
    }
}

/// Signal-0 probe: success or EPERM (it exists, owned by someone else) is alive.
pub(crate) fn is_alive(pid: i32) -> bool {
    debug_assert!(pid > 0, "kill() with pid <= 0 signals process groups");
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 sends nothing; it only checks that `pid` exists and may be signalled.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}
