//! Filesystem notifications for a fleet (inotify on Linux, kqueue on macOS,
//! through the `notify` crate): a change under a project's `.loki` marks it,
//! so a collection reads only the projects that changed.
//!
//! Each `.loki` is watched recursively. A directory that cannot be watched
//! (missing, or the kernel's watch limit reached) is read on every
//! collection instead; one deleted or replaced (a new inode) loses its watch
//! and is watched again once it exists. The fleet's periodic full check
//! covers notifications a filesystem drops (network filesystems, some
//! container mounts).

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use loki_metrics::fleet::Fleet;
use notify::{RecursiveMode, Watcher as _};

/// The watcher thread; dropping it stops the thread.
#[derive(Debug)]
pub(crate) struct FleetWatcher {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for FleetWatcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

/// `(device, inode)` of a directory, if it is one.
fn identity(path: &std::path::Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().filter(|m| m.is_dir()).map(|m| (m.dev(), m.ino()))
}

/// Starts watching `fleet`'s directories, re-checking the set (and the
/// directories' identities) every `every`. `None` (with a warning logged)
/// when the platform's notifications cannot be used: the fleet then reads
/// every project on every collection.
pub(crate) fn start(fleet: Arc<Fleet>, every: Duration) -> Option<FleetWatcher> {
    let marks = Arc::clone(&fleet);
    let handler = move |event: notify::Result<notify::Event>| match event {
        // Reads (ours included) change nothing.
        Ok(event) if matches!(event.kind, notify::EventKind::Access(_)) => {}
        Ok(event) => {
            for path in &event.paths {
                marks.mark_changed(path);
            }
        }
        // An overflowed queue lost events: read everything once.
        Err(e) => {
            tracing::debug!(error = %e, "file notification error; every project is read again");
            for dir in marks.loki_dirs().0 {
                marks.mark_changed(&dir);
            }
        }
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(watcher) => watcher,
        Err(e) => {
            tracing::warn!(error = %e, "file notifications unavailable; every project is read each cache TTL");
            return None;
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("loki-metrics-watch".to_owned())
        .spawn(move || {
            let mut watched: HashMap<PathBuf, (u64, u64)> = HashMap::new();
            let mut warned_limit = false;
            // Find the projects now rather than at the first scrape, so the
            // watches are in place by then.
            fleet.collect();
            while !stopping.load(Ordering::Acquire) {
                let (dirs, _) = fleet.loki_dirs();
                // Gone from the fleet, deleted, or replaced: unwatch.
                watched.retain(|dir, id| {
                    let keep = dirs.contains(dir) && identity(dir) == Some(*id);
                    if !keep {
                        let _ = watcher.unwatch(dir);
                        fleet.set_watched(dir, false);
                    }
                    keep
                });
                for dir in &dirs {
                    if watched.contains_key(dir) {
                        continue;
                    }
                    let Some(id) = identity(dir) else { continue };
                    match watcher.watch(dir, RecursiveMode::Recursive) {
                        Ok(()) => {
                            watched.insert(dir.clone(), id);
                            fleet.set_watched(dir, true);
                        }
                        Err(e) => {
                            if !warned_limit {
                                tracing::warn!(dir = %dir.display(), error = %e,
                                    "cannot watch a project directory; it is read each cache TTL (raise fs.inotify.max_user_watches if the limit is reached)");
                                warned_limit = true;
                            }
                        }
                    }
                }
                std::thread::park_timeout(every);
            }
        })
        .ok()?;
    Some(FleetWatcher { stop, thread: Some(thread) })
}
