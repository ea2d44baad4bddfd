//! `loki.pid`: the session's process, probed for liveness.

use std::path::Path;
use std::time::SystemTime;

use super::file::{self, FileKey, OpenError};
use super::folder::{Entry, FolderProblem, FolderSpec, RecordFolder};
use super::json;

/// A PID file is a number and a newline; anything longer is not one.
const PID_FILE_CAP: u64 = 64;

/// What `loki.pid` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PidFile {
    /// The PID it holds.
    pub pid: i32,
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
    Ok(Some(PidFile { pid, alive: is_alive(pid), mtime: file::mtime(&meta) }))
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

/// The PIDs of parallel sessions, `sessions/<id>/loki.pid`.
const SESSIONS: FolderSpec<Result<i32, String>> = FolderSpec {
    accept: |_| true,
    hidden: false,
    file_in_entry: Some("loki.pid"),
    parse: |bytes| {
        if bytes.len() as u64 > PID_FILE_CAP {
            Err(format!("is over {PID_FILE_CAP} bytes"))
        } else {
            parse_pid(bytes)
        }
    },
    invalid: |pid| pid.is_err(),
};

/// What one of the PID sources says, probed now.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Liveness {
    /// A file that can say whether the session lives exists.
    pub present: bool,
    /// The earliest mtime among the files naming a live process, when one does
    /// (`Some(None)`: alive, but the mtime is unknown).
    pub alive_since: Option<Option<SystemTime>>,
    /// The first PID found alive, and the first found not alive (for the
    /// status's reason).
    pub live_pid: Option<i32>,
    /// See `live_pid`.
    pub dead_pid: Option<i32>,
    /// Problems, one per file.
    pub warnings: Vec<String>,
    /// The folder as a whole could not be read.
    pub failed: bool,
}

impl Liveness {
    /// The outcome of probing `pid`, from a file written at `since`.
    pub(crate) fn probed(&mut self, pid: i32, alive: bool, since: Option<SystemTime>) {
        self.present = true;
        if alive {
            self.live_pid.get_or_insert(pid);
            self.alive(since);
        } else {
            self.dead_pid.get_or_insert(pid);
        }
    }

    fn alive(&mut self, since: Option<SystemTime>) {
        self.alive_since = Some(match self.alive_since {
            Some(Some(earlier)) => Some(since.map_or(earlier, |s| s.min(earlier))),
            Some(None) | None => since,
        });
    }
}

fn mtime_of(key: &FileKey) -> Option<SystemTime> {
    let ns = u64::try_from(key.mtime_ns()).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(std::time::Duration::from_nanos(ns))
}

/// `sessions/*/loki.pid`, re-read incrementally and probed each time.
#[derive(Debug, Default)]
pub(crate) struct SessionPids {
    folder: RecordFolder<Result<i32, String>>,
}

impl SessionPids {
    pub(crate) fn probe(&mut self, dir: &Path, cap: u64) -> Liveness {
        let mut out = Liveness::default();
        if let Err(FolderProblem::NotADirectory(why) | FolderProblem::Unreadable(why)) =
            self.folder.refresh(dir, &SESSIONS, cap)
        {
            out.failed = true;
            out.warnings.push(format!("{why}; parallel sessions not probed"));
            return out;
        }
        for (name, entry) in self.folder.entries() {
            out.present = true;
            match entry {
                Entry::Record(key, Ok(pid)) => out.probed(*pid, is_alive(*pid), mtime_of(key)),
                Entry::Record(_, Err(why)) | Entry::Unusable(why) => {
                    out.warnings.push(format!("{}/loki.pid {why}", name.to_string_lossy()));
                }
            }
        }
        out
    }
}

/// One `pids/*.json` record.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Registered {
    /// The dashboard, a monitor or another helper: says nothing of the session.
    Other,
    /// `kind` "wrapper" or "runner": the session itself, with its PID.
    Session(i32),
    /// A wrapper or runner record without a usable PID: a liveness file that
    /// names no live process.
    SessionWithoutPid(String),
    /// Not a JSON object: its kind is unknown, so it says nothing either.
    Invalid(String),
}

fn parse_registered(bytes: &[u8]) -> Registered {
    let fields = match json::object_fields(bytes, &["pid", "kind"]) {
        Ok(fields) => fields,
        Err(e) => return Registered::Invalid(json::object_error(bytes, &e)),
    };
    let kind = fields[1].and_then(json::string);
    if !matches!(kind.as_deref(), Some("wrapper") | Some("runner")) {
        return Registered::Other;
    }
    let Some(raw) = fields[0] else { return Registered::SessionWithoutPid("has no pid".to_owned()) };
    match json::number(raw) {
        Some(json::Number::Int(pid)) if pid > 0 && pid <= i128::from(i32::MAX) => Registered::Session(pid as i32),
        _ => Registered::SessionWithoutPid(format!("pid {} is not a valid PID (1..=2147483647)", json::show(raw))),
    }
}

const REGISTRY: FolderSpec<Registered> = FolderSpec {
    accept: |name| name.ends_with(".json"),
    hidden: false,
    file_in_entry: None,
    parse: parse_registered,
    invalid: |record| matches!(record, Registered::Invalid(_) | Registered::SessionWithoutPid(_)),
};

/// `pids/*.json`, Loki Mode's process registry, re-read incrementally and
/// probed each time.
#[derive(Debug, Default)]
pub(crate) struct PidRegistry {
    folder: RecordFolder<Registered>,
}

impl PidRegistry {
    pub(crate) fn probe(&mut self, dir: &Path, cap: u64) -> Liveness {
        let mut out = Liveness::default();
        if let Err(FolderProblem::NotADirectory(why) | FolderProblem::Unreadable(why)) =
            self.folder.refresh(dir, &REGISTRY, cap)
        {
            out.failed = true;
            out.warnings.push(format!("{why}; registered processes not probed"));
            return out;
        }
        for (name, entry) in self.folder.entries() {
            match entry {
                Entry::Record(_, Registered::Other) => {}
                Entry::Record(key, Registered::Session(pid)) => out.probed(*pid, is_alive(*pid), mtime_of(key)),
                Entry::Record(_, Registered::SessionWithoutPid(why)) => {
                    out.present = true;
                    out.warnings.push(format!("{}: {why}", name.to_string_lossy()));
                }
                Entry::Record(_, Registered::Invalid(why)) | Entry::Unusable(why) => {
                    out.warnings.push(format!("{}: {why}", name.to_string_lossy()));
                }
            }
        }
        out
    }
}
