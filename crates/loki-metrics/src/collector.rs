//! A caching, single-flight, incremental collector: what a long-lived
//! exporter (or a binding's `Collector`) keeps for one directory.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use crate::{render, Format, Options, Snapshot, SourceState};

/// How long a [`Collector`] serves a snapshot before reading again, by default.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(2);

/// Collects a directory at most once per cache TTL, however many callers ask.
///
/// * Results are cached for `ttl` after a collection finishes; a TTL of zero
///   disables the cache (every call that does not overlap a running
///   collection reads again).
/// * Callers that arrive while a collection is running wait for it and share
///   its result instead of reading the files themselves (single flight).
/// * It keeps one [`SourceState`], so a collection reads only what changed:
///   `events.jsonl` from the last offset, JSON sources and efficiency records
///   only when their (inode, size, mtime) moved.
/// * The rendered text of the cached snapshot is kept per format, so a warm
///   [`Collector::render`] is a lock and a reference-count increment.
///
/// ```no_run
/// use std::time::Duration;
/// let collector = loki_metrics::Collector::new(loki_metrics::Options::new(".loki"), Duration::from_secs(2));
/// print!("{}", collector.render(loki_metrics::Format::OpenMetrics));
/// ```
#[derive(Debug)]
pub struct Collector {
    options: Options,
    ttl: Duration,
    inner: Mutex<Inner>,
    finished: Condvar,
    collections: AtomicU64,
}

#[derive(Debug, Default)]
struct Inner {
    /// The latest result, whether or not it is still fresh.
    latest: Option<Arc<Cached>>,
    /// A collection is running (its thread holds the source state).
    collecting: bool,
    /// Bumped each time a collection ends, successfully or not.
    generation: u64,
    /// What earlier collections learned; `None` while a collection runs.
    state: Option<SourceState>,
}

/// One collection's snapshot and its encodings, rendered on first request.
#[derive(Debug)]
struct Cached {
    snapshot: Arc<Snapshot>,
    finished_at: Instant,
    rendered: [OnceLock<Arc<str>>; 3],
}

impl Cached {
    fn text(&self, format: Format) -> Arc<str> {
        let slot = match format {
            Format::Prometheus => &self.rendered[0],
            Format::OpenMetrics => &self.rendered[1],
            Format::Json => &self.rendered[2],
        };
        Arc::clone(slot.get_or_init(|| Arc::from(render(&self.snapshot, format))))
    }
}

/// Ends a collection on every path out of it, a panic included, so waiters
/// are never left blocked.
struct CollectingGuard<'a> {
    collector: &'a Collector,
    state: Option<SourceState>,
    result: Option<Arc<Cached>>,
}

impl Drop for CollectingGuard<'_> {
    fn drop(&mut self) {
        let mut inner = self.collector.lock();
        inner.collecting = false;
        inner.generation = inner.generation.wrapping_add(1);
        // After a panic the state is lost; the next collection starts afresh.
        inner.state = self.state.take();
        if let Some(result) = self.result.take() {
            inner.latest = Some(result);
        }
        drop(inner);
        self.collector.finished.notify_all();
    }
}

impl Collector {
    /// A collector of the directory named by `options`, caching for `ttl`
    /// (`Duration::ZERO` disables the cache).
    pub fn new(options: Options, ttl: Duration) -> Self {
        Collector {
            options,
            ttl,
            inner: Mutex::new(Inner { state: Some(SourceState::default()), ..Inner::default() }),
            finished: Condvar::new(),
            collections: AtomicU64::new(0),
        }
    }

    /// The options every collection uses.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// How long a snapshot is served before the directory is read again.
    pub fn cache_ttl(&self) -> Duration {
        self.ttl
    }

    /// How many collections (directory reads) this collector has run.
    pub fn collections(&self) -> u64 {
        self.collections.load(Ordering::Relaxed)
    }

    /// The cached snapshot if fresh, else a new collection (shared with any
    /// concurrent callers).
    pub fn collect(&self) -> Arc<Snapshot> {
        Arc::clone(&self.current().snapshot)
    }

    /// The cached snapshot's encoding in `format` (rendered once per snapshot).
    pub fn render(&self, format: Format) -> Arc<str> {
        self.current().text(format)
    }

    /// The cached encoding in `format` if the cache is fresh, without ever
    /// reading the directory: lets an async caller skip a blocking hop.
    pub fn render_if_fresh(&self, format: Format) -> Option<Arc<str>> {
        let cached = {
            let inner = self.lock();
            let latest = inner.latest.as_ref()?;
            if !self.is_fresh(latest) {
                return None;
            }
            Arc::clone(latest)
        };
        Some(cached.text(format))
    }

    /// The snapshot and its encoding in `format`, from the same collection.
    pub fn collect_rendered(&self, format: Format) -> (Arc<Snapshot>, Arc<str>) {
        let cached = self.current();
        (Arc::clone(&cached.snapshot), cached.text(format))
    }

    /// Drops the cached result, so the next call collects again. The
    /// incremental state is kept.
    pub fn invalidate(&self) {
        self.lock().latest = None;
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves `Inner` consistent
        // (every field is written in one step), so poisoning is ignored.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_fresh(&self, cached: &Cached) -> bool {
        !self.ttl.is_zero() && cached.finished_at.elapsed() < self.ttl
    }

    fn current(&self) -> Arc<Cached> {
        let mut inner = self.lock();
        loop {
            if let Some(latest) = &inner.latest {
                if self.is_fresh(latest) {
                    return Arc::clone(latest);
                }
            }
            if !inner.collecting {
                break;
            }
            // Someone is reading the directory: wait for their result.
            let waiting_for = inner.generation;
            while inner.collecting && inner.generation == waiting_for {
                inner = self.finished.wait(inner).unwrap_or_else(|e| e.into_inner());
            }
            // The collection we waited for was running when we asked: share
            // its result, fresh or not. If it ended without one (a panic),
            // go round again.
            if inner.generation != waiting_for {
                if let Some(latest) = &inner.latest {
                    return Arc::clone(latest);
                }
            }
        }
        inner.collecting = true;
        let state = inner.state.take().unwrap_or_default();
        drop(inner);

        let mut guard = CollectingGuard { collector: self, state: Some(state), result: None };
        let snapshot = match guard.state.as_mut() {
            Some(state) => state.collect(&self.options),
            None => SourceState::default().collect(&self.options),
        };
        self.collections.fetch_add(1, Ordering::Relaxed);
        let cached = Arc::new(Cached {
            snapshot: Arc::new(snapshot),
            finished_at: Instant::now(),
            rendered: Default::default(),
        });
        guard.result = Some(Arc::clone(&cached));
        drop(guard);
        cached
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn dir_with_events(text: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("events.jsonl"), text).expect("write");
        dir
    }

    fn append(dir: &tempfile::TempDir, text: &str) {
        let mut f = std::fs::OpenOptions::new().append(true).open(dir.path().join("events.jsonl")).expect("open");
        f.write_all(text.as_bytes()).expect("append");
    }

    #[test]
    fn a_fresh_cache_answers_without_collecting_again() {
        let dir = dir_with_events("{}\n");
        let c = Collector::new(Options::new(dir.path()), Duration::from_secs(60));
        assert_eq!(c.collect().events_total(), 1);
        append(&dir, "{}\n");
        assert_eq!(c.collect().events_total(), 1, "served from the cache");
        assert_eq!(c.collections(), 1);
    }

    #[test]
    fn an_expired_cache_collects_again() {
        let dir = dir_with_events("{}\n");
        let c = Collector::new(Options::new(dir.path()), Duration::from_millis(20));
        assert_eq!(c.collect().events_total(), 1);
        append(&dir, "{}\n");
        let deadline = Instant::now() + Duration::from_secs(5);
        while c.collect().events_total() != 2 {
            assert!(Instant::now() < deadline, "the cache never expired");
            std::thread::yield_now();
        }
        assert!(c.collections() >= 2);
    }

    #[test]
    fn a_zero_ttl_collects_on_every_call() {
        let dir = dir_with_events("{}\n");
        let c = Collector::new(Options::new(dir.path()), Duration::ZERO);
        c.collect();
        append(&dir, "{}\n");
        assert_eq!(c.collect().events_total(), 2);
        c.collect();
        assert_eq!(c.collections(), 3);
    }

    #[test]
    fn warm_renders_share_one_string() {
        let dir = dir_with_events("{}\n");
        let c = Collector::new(Options::new(dir.path()), Duration::from_secs(60));
        let a = c.render(Format::Prometheus);
        let b = c.render(Format::Prometheus);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(a.contains("loki_events_total 1\n"));
        assert!(c.render(Format::OpenMetrics).ends_with("# EOF\n"));
        assert_eq!(c.collections(), 1);
    }

    #[test]
    fn render_if_fresh_never_collects() {
        let dir = dir_with_events("{}\n");
        let c = Collector::new(Options::new(dir.path()), Duration::from_secs(60));
        assert!(c.render_if_fresh(Format::Prometheus).is_none());
        assert_eq!(c.collections(), 0);
        let collected = c.render(Format::Prometheus);
        let cached = c.render_if_fresh(Format::Prometheus).expect("fresh");
        assert!(Arc::ptr_eq(&collected, &cached));
        let uncached = Collector::new(Options::new(dir.path()), Duration::ZERO);
        uncached.collect();
        assert!(uncached.render_if_fresh(Format::Prometheus).is_none());
    }

    #[test]
    fn invalidate_forces_the_next_call_to_collect() {
        let dir = dir_with_events("{}\n");
        let c = Collector::new(Options::new(dir.path()), Duration::from_secs(60));
        c.collect();
        append(&dir, "{}\n");
        c.invalidate();
        assert_eq!(c.collect().events_total(), 2);
        assert_eq!(c.collections(), 2);
    }
}
