//! A folder of records (`metrics/efficiency/*.json`, `proofs/<run>/proof.json`,
//! `pids/*.json`, `sessions/<id>/loki.pid`), read incrementally: each record
//! is re-read only when its file's (inode, size, mtime) changes, and an
//! unchanged folder is not even listed.
//!
//! While the folder itself is unchanged (same inode, size and mtime: no entry
//! added, removed or renamed), a refresh does not list it: it re-checks only
//! the "hot" records (recently modified or unusable ones) and reuses the rest,
//! so it costs O(change) rather than O(files). When it changed, it is listed,
//! and only new and hot entries are checked. A full listing that checks every
//! entry still happens every [`FULL_LISTING_INTERVAL`], to catch a record
//! rewritten in place.
//!
//! A new source of this shape is a [`FolderSpec`] (which entries, where their
//! record file is, how to parse it) and a fold over [`RecordFolder::entries`].

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use super::file::{self, FileKey, OpenError};

/// Every entry is checked again after this long, to catch a record rewritten
/// in place (which leaves the folder's own mtime alone).
pub(crate) const FULL_LISTING_INTERVAL: Duration = Duration::from_secs(30);

/// Records modified this recently (or unusable) are re-checked on every
/// refresh: a writer may still be filling them in.
const HOT_WINDOW_NS: i128 = 10_000_000_000;

/// What a folder of records is made of.
pub(crate) struct FolderSpec<R> {
    /// Whether a directory entry (by name) is one of the records.
    pub accept: fn(&str) -> bool,
    /// The record's file inside an entry that is a directory
    /// (`proofs/<run>/proof.json`), or `None` when the entry is the file.
    pub file_in_entry: Option<&'static str>,
    /// Whether entries whose name starts with `.` count (Loki Mode's own
    /// receipt walk includes them; its efficiency glob does not).
    pub hidden: bool,
    /// Parses a record's bytes; never fails (a bad record is a value of `R`).
    pub parse: fn(&[u8]) -> R,
    /// Whether a parsed record is invalid (then kept hot: re-read each time).
    pub invalid: fn(&R) -> bool,
}

/// What one entry of the folder holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Entry<R> {
    /// A record read from a regular file with this identity.
    Record(FileKey, R),
    /// An entry that could not be read as a record, and why.
    Unusable(String),
}

/// Why the folder as a whole could not be read (its records are then none).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FolderProblem {
    /// It exists but is not a directory (the message names what it is).
    NotADirectory(String),
    /// It cannot be opened or listed.
    Unreadable(String),
}

/// The folder's records, by entry name, and what is needed to refresh them.
#[derive(Debug)]
pub(crate) struct RecordFolder<R> {
    entries: BTreeMap<OsString, Entry<R>>,
    hot: BTreeSet<OsString>,
    /// Entries that are directories without their record file yet
    /// (`proofs/<run>/` before its `proof.json`): checked on every refresh,
    /// since writing the file inside leaves the folder's own mtime alone.
    waiting: BTreeSet<OsString>,
    /// The folder's key at its last listing.
    listed: Option<FileKey>,
    /// When every entry was last checked (at most [`FULL_LISTING_INTERVAL`] apart).
    full_listing: Option<Instant>,
    /// Changes whenever `entries` does (unique across every folder and
    /// reset), so a fold over the entries can be reused while it stays.
    generation: u64,
}

/// The source of [`RecordFolder::generation`] values.
static GENERATIONS: AtomicU64 = AtomicU64::new(0);

fn next_generation() -> u64 {
    GENERATIONS.fetch_add(1, Ordering::Relaxed)
}

impl<R> Default for RecordFolder<R> {
    fn default() -> Self {
        RecordFolder {
            entries: BTreeMap::new(),
            hot: BTreeSet::new(),
            waiting: BTreeSet::new(),
            listed: None,
            full_listing: None,
            generation: next_generation(),
        }
    }
}

fn now_ns() -> i128 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i128)
}

impl<R: Clone + PartialEq> RecordFolder<R> {
    /// A value that changes whenever the entries do.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Sets an entry, marking a change only if it differs.
    fn put(&mut self, name: &OsString, entry: Entry<R>) {
        if self.entries.get(name) != Some(&entry) {
            self.entries.insert(name.clone(), entry);
            self.generation = next_generation();
        }
    }

    /// Brings the records up to date with the folder `dir` (a missing folder
    /// has no records and no problem).
    pub(crate) fn refresh(&mut self, dir: &Path, spec: &FolderSpec<R>, cap: u64) -> Result<(), FolderProblem> {
        let dir_meta = match file::stat(dir) {
            Ok(meta) if meta.is_dir() => meta,
            Ok(meta) => {
                *self = RecordFolder::default();
                return Err(FolderProblem::NotADirectory(format!(
                    "is {}, not a directory",
                    file::describe_type(&meta)
                )));
            }
            Err(OpenError::Missing) => {
                *self = RecordFolder::default();
                return Ok(());
            }
            Err(OpenError::Unusable(why)) => {
                *self = RecordFolder::default();
                return Err(FolderProblem::Unreadable(format!("cannot be read: {why}")));
            }
        };
        let dir_key = FileKey::of(&dir_meta);
        let recent = self.full_listing.is_some_and(|at| at.elapsed() < FULL_LISTING_INTERVAL);
        let unchanged = recent && self.listed == Some(dir_key);
        if unchanged {
            let hot: Vec<OsString> = self.hot.iter().cloned().collect();
            for name in hot {
                self.refresh_entry(&name, &record_path(dir, &name, spec), false, spec, cap);
            }
            let waiting: Vec<OsString> = self.waiting.iter().cloned().collect();
            for name in waiting {
                if self.refresh_entry(&name, &record_path(dir, &name, spec), false, spec, cap) {
                    self.waiting.remove(&name);
                }
            }
        } else {
            // The key is taken before listing: a change during the listing
            // moves the folder's mtime past it, so the next refresh lists again.
            let listed_at = Instant::now();
            if let Err(why) = self.list(dir, spec, cap, !recent) {
                *self = RecordFolder::default();
                return Err(FolderProblem::Unreadable(format!("cannot be listed: {why}")));
            }
            self.listed = Some(dir_key);
            if !recent {
                self.full_listing = Some(listed_at);
            }
        }
        Ok(())
    }

    /// Every entry, in name order (a fixed order makes sums reproducible).
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&OsString, &Entry<R>)> {
        self.entries.iter()
    }

    /// Lists the folder and brings its entries up to date: every one on a
    /// `full` listing; otherwise (the folder changed since a recent listing)
    /// only new and hot ones, so one new record costs a listing, not a `stat`
    /// of every record (a cold one rewritten in place waits for the next full
    /// listing, as in an unchanged folder).
    fn list(&mut self, dir: &Path, spec: &FolderSpec<R>, cap: u64, full: bool) -> Result<(), String> {
        let listing = std::fs::read_dir(dir).map_err(|e| file::io_message(&e))?;
        let mut present = BTreeSet::new();
        self.waiting.clear();
        for entry in listing.flatten() {
            let name = entry.file_name();
            let Some(text) = name.to_str() else { continue };
            if (!spec.hidden && text.starts_with('.')) || !(spec.accept)(text) {
                continue;
            }
            if !full && self.entries.contains_key(&name) && !self.hot.contains(&name) {
                present.insert(name);
                continue;
            }
            // The directory entry's type (no system call) says whether the
            // record can be opened without a `stat` first: a regular file that
            // is the record, or a directory that holds it. A record inside an
            // entry needs a directory (a symlink is followed to find out).
            let kind = entry.file_type().ok();
            let openable = match spec.file_in_entry {
                None => kind.is_some_and(|t| t.is_file()),
                Some(_) => {
                    let is_dir = match kind {
                        Some(t) if t.is_symlink() => dir.join(&name).is_dir(),
                        Some(t) => t.is_dir(),
                        None => dir.join(&name).is_dir(),
                    };
                    if !is_dir {
                        continue;
                    }
                    true
                }
            };
            if self.refresh_entry(&name, &record_path(dir, &name, spec), openable, spec, cap) {
                present.insert(name);
            } else if spec.file_in_entry.is_some() {
                self.waiting.insert(name);
            }
        }
        let before = self.entries.len();
        self.entries.retain(|name, _| present.contains(name));
        if self.entries.len() != before {
            self.generation = next_generation();
        }
        self.hot.retain(|name| present.contains(name));
        Ok(())
    }

    /// Brings one entry up to date; false if it (or, inside an entry, its
    /// record file) does not exist. `listed_as_file`: the directory listing
    /// says the record is a regular file or sits in a directory, so a new one
    /// is opened without a `stat` first.
    fn refresh_entry(
        &mut self,
        name: &OsString,
        path: &Path,
        listed_as_file: bool,
        spec: &FolderSpec<R>,
        cap: u64,
    ) -> bool {
        let cached = match self.entries.get(name) {
            Some(Entry::Record(key, _)) => Some(*key),
            _ => None,
        };
        // A new regular file is opened directly: the open is non-blocking and
        // re-checked on the handle, so the stat can be skipped.
        if !(cached.is_none() && listed_as_file) {
            let meta = match file::stat(path) {
                Ok(meta) => meta,
                Err(OpenError::Missing) => return self.forget(name),
                Err(OpenError::Unusable(why)) => return self.unusable(name, why),
            };
            if !meta.file_type().is_file() {
                // Becoming a file again takes a rename or a new entry, which
                // changes the folder: no need to keep checking it.
                self.put(name, Entry::Unusable(format!("is {}, not a regular file", file::describe_type(&meta))));
                self.hot.remove(name);
                return true;
            }
            let key = FileKey::of(&meta);
            if cached == Some(key) {
                self.mark(name, key, false);
                return true;
            }
        }
        match read_record(path, spec, cap) {
            Ok((key, record)) => {
                let invalid = (spec.invalid)(&record);
                self.put(name, Entry::Record(key, record));
                self.mark(name, key, invalid);
                true
            }
            Err(OpenError::Missing) => self.forget(name),
            Err(OpenError::Unusable(why)) => self.unusable(name, why),
        }
    }

    fn forget(&mut self, name: &OsString) -> bool {
        if self.entries.remove(name).is_some() {
            self.generation = next_generation();
        }
        self.hot.remove(name);
        false
    }

    fn unusable(&mut self, name: &OsString, why: String) -> bool {
        self.put(name, Entry::Unusable(why));
        self.hot.insert(name.clone());
        true
    }

    /// Keeps `name` hot while it is invalid or was modified recently.
    fn mark(&mut self, name: &OsString, key: FileKey, invalid: bool) {
        if invalid || now_ns() - key.mtime_ns() < HOT_WINDOW_NS {
            self.hot.insert(name.clone());
        } else {
            self.hot.remove(name);
        }
    }
}

fn record_path<R>(dir: &Path, name: &OsString, spec: &FolderSpec<R>) -> PathBuf {
    match spec.file_in_entry {
        Some(file) => dir.join(name).join(file),
        None => dir.join(name),
    }
}

fn read_record<R>(path: &Path, spec: &FolderSpec<R>, cap: u64) -> Result<(FileKey, R), OpenError> {
    let (handle, meta) = file::open_checked(path)?;
    let key = FileKey::of(&meta);
    let bytes = file::read_capped(handle, &meta, cap).map_err(OpenError::Unusable)?;
    Ok((key, (spec.parse)(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records that are their bytes as text (`bad` is invalid).
    const TEXT: FolderSpec<String> = FolderSpec {
        accept: |name| name.ends_with(".txt"),
        file_in_entry: None,
        hidden: false,
        parse: |bytes| String::from_utf8_lossy(bytes).into_owned(),
        invalid: |text| text == "bad",
    };

    /// Records in a file inside each entry, as `proofs/<run>/proof.json`.
    const NESTED: FolderSpec<String> = FolderSpec { accept: |_| true, file_in_entry: Some("proof.json"), ..TEXT };

    fn records(folder: &RecordFolder<String>) -> Vec<(String, String)> {
        folder
            .entries()
            .map(|(name, entry)| {
                let value = match entry {
                    Entry::Record(_, text) => text.clone(),
                    Entry::Unusable(why) => format!("unusable: {why}"),
                };
                (name.to_string_lossy().into_owned(), value)
            })
            .collect()
    }

    #[test]
    fn a_folder_lists_accepted_files_and_follows_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("a.txt"), "1").expect("write");
        std::fs::write(dir.path().join("b.json"), "not accepted").expect("write");
        std::fs::write(dir.path().join(".hidden.txt"), "dotfile").expect("write");
        let mut folder = RecordFolder::default();
        folder.refresh(dir.path(), &TEXT, 1024).expect("readable");
        assert_eq!(records(&folder), [("a.txt".to_owned(), "1".to_owned())]);
        // Recently modified, so hot: an in-place rewrite is seen without a listing.
        std::fs::write(dir.path().join("a.txt"), "22").expect("rewrite");
        folder.refresh(dir.path(), &TEXT, 1024).expect("readable");
        assert_eq!(records(&folder), [("a.txt".to_owned(), "22".to_owned())]);
        std::fs::remove_file(dir.path().join("a.txt")).expect("remove");
        std::fs::write(dir.path().join("c.txt"), "bad").expect("write");
        folder.refresh(dir.path(), &TEXT, 1024).expect("readable");
        assert_eq!(records(&folder), [("c.txt".to_owned(), "bad".to_owned())]);
    }

    #[test]
    fn records_may_live_inside_each_entry() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("run-1")).expect("mkdir");
        std::fs::write(dir.path().join("run-1/proof.json"), "{}").expect("write");
        std::fs::create_dir(dir.path().join("run-2")).expect("mkdir"); // no proof.json: skipped
        let mut folder = RecordFolder::default();
        folder.refresh(dir.path(), &NESTED, 1024).expect("readable");
        assert_eq!(records(&folder), [("run-1".to_owned(), "{}".to_owned())]);
        // The record appears inside an entry already listed: the folder's own
        // mtime does not move, and it is found on the next refresh all the same.
        std::fs::write(dir.path().join("run-2/proof.json"), "[]").expect("write");
        folder.refresh(dir.path(), &NESTED, 1024).expect("readable");
        assert_eq!(records(&folder), [("run-1".to_owned(), "{}".to_owned()), ("run-2".to_owned(), "[]".to_owned())]);
    }

    #[test]
    fn records_inside_entries_need_a_directory_and_may_be_hidden() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join(".tmp-run")).expect("mkdir");
        std::fs::write(dir.path().join(".tmp-run/proof.json"), "1").expect("write");
        std::fs::write(dir.path().join("stray-file"), "x").expect("write");
        std::os::unix::fs::symlink(dir.path().join(".tmp-run"), dir.path().join("linked")).expect("symlink");
        let hidden = FolderSpec { hidden: true, ..NESTED };
        let mut folder = RecordFolder::default();
        folder.refresh(dir.path(), &hidden, 1024).expect("readable");
        assert_eq!(records(&folder), [(".tmp-run".to_owned(), "1".to_owned()), ("linked".to_owned(), "1".to_owned())]);
        let mut folder = RecordFolder::default();
        folder.refresh(dir.path(), &NESTED, 1024).expect("readable");
        assert_eq!(records(&folder), [("linked".to_owned(), "1".to_owned())]);
    }

    #[test]
    fn a_missing_folder_has_no_records_and_a_file_is_not_a_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut folder = RecordFolder::default();
        assert_eq!(folder.refresh(&dir.path().join("absent"), &TEXT, 1024), Ok(()));
        assert_eq!(folder.entries().count(), 0);
        std::fs::write(dir.path().join("file"), "x").expect("write");
        assert!(matches!(folder.refresh(&dir.path().join("file"), &TEXT, 1024), Err(FolderProblem::NotADirectory(_))));
    }

    #[test]
    fn an_oversized_record_is_unusable_not_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("big.txt"), "0123456789").expect("write");
        let mut folder = RecordFolder::default();
        folder.refresh(dir.path(), &TEXT, 4).expect("readable");
        let (_, value) = records(&folder).remove(0);
        assert!(value.starts_with("unusable: "), "{value}");
    }
}
