//! `loki_snapshot`: the values of one collection as a plain C struct, plus an
//! owned handle to its warnings; `loki_collect` fills it.

use std::ffi::{c_char, CStr};

use loki_metrics::{ExporterInfo, SessionStatus, Snapshot, Source, TaskCounts, Warning};

use crate::boundary::{guard, guard_value, loki_status, ref_arg, str_arg, write_out, Failure};
use crate::loki_str;
use crate::options::{core_options, loki_options, require_directory};

/// `loki_session_status`'s values, as in `loki_snapshot.session_status`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum loki_session_status {
    /// No session, or a dead PID.
    Stopped = 0,
    /// `mode` is autonomous/running, or the PID is alive.
    Running = 1,
    /// `mode` is paused.
    Paused = 2,
}

/// The files a snapshot is read from, as bits: `loki_snapshot.failed_sources`
/// is an OR of them, `loki_warning.source` one of them.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum loki_source {
    /// The `.loki` directory itself (path `.`).
    Directory = 1,
    /// `dashboard-state.json`.
    DashboardState = 1 << 1,
    /// `loki.pid`.
    Pid = 1 << 2,
    /// `state/agents.json`.
    Agents = 1 << 3,
    /// `metrics/efficiency/` and the records in it.
    Efficiency = 1 << 4,
    /// `pricing.json`.
    Pricing = 1 << 5,
    /// `events.jsonl`.
    Events = 1 << 6,
    /// The options the collection was given (e.g. `LOKI_MAX_ITERATIONS`).
    Options = 1 << 7,
}

fn source_bit(source: Source) -> u32 {
    let bit = match source {
        Source::Directory => loki_source::Directory,
        Source::DashboardState => loki_source::DashboardState,
        Source::Pid => loki_source::Pid,
        Source::Agents => loki_source::Agents,
        Source::Efficiency => loki_source::Efficiency,
        Source::Pricing => loki_source::Pricing,
        Source::Events => loki_source::Events,
        Source::Options => loki_source::Options,
    };
    bit as u32
}

fn source_path(source: Source) -> &'static CStr {
    // NUL-terminated copies of `Source::path()` (checked by a unit test).
    match source {
        Source::Directory => c".",
        Source::DashboardState => c"dashboard-state.json",
        Source::Pid => c"loki.pid",
        Source::Agents => c"state/agents.json",
        Source::Efficiency => c"metrics/efficiency",
        Source::Pricing => c"pricing.json",
        Source::Events => c"events.jsonl",
        Source::Options => c"options",
    }
}

/// The warnings of a snapshot (opaque; owned by its `loki_snapshot`).
#[allow(non_camel_case_types)]
pub struct loki_warnings {
    warnings: Vec<Warning>,
    /// Each message with a trailing NUL, for C callers who want a C string.
    messages: Vec<Box<str>>,
}

/// One collection's metric values. Plain data except `warnings`, which the
/// snapshot owns: release it with `loki_snapshot_free` (and do not copy a
/// snapshot that has warnings and free both copies).
///
/// A snapshot may also be filled by hand (zero-initialise it, `warnings`
/// NULL) and encoded with `loki_render_snapshot`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug)]
pub struct loki_snapshot {
    /// A `loki_session_status` value (0 stopped, 1 running, 2 paused).
    pub session_status: u32,
    /// `loki_iteration_current`.
    pub iteration_current: u64,
    /// `loki_iteration_max`.
    pub iteration_max: u64,
    /// `loki_tasks_total{status="pending"}`.
    pub tasks_pending: u64,
    /// `loki_tasks_total{status="in_progress"}`.
    pub tasks_in_progress: u64,
    /// `loki_tasks_total{status="completed"}`.
    pub tasks_completed: u64,
    /// `loki_tasks_total{status="failed"}`.
    pub tasks_failed: u64,
    /// `loki_agents_active`.
    pub agents_active: u64,
    /// `loki_agents_total`.
    pub agents_total: u64,
    /// `loki_cost_usd`, rounded to 6 decimals.
    pub cost_usd: f64,
    /// `loki_events_total`.
    pub events_total: u64,
    /// `loki_uptime_seconds`, rounded to 0.1.
    pub uptime_seconds: f64,
    /// Sources that exist but could not be used: an OR of `loki_source` bits.
    pub failed_sources: u32,
    /// Non-zero when the exporter families are present
    /// (`LOKI_OPTION_EXPORTER_METRICS`); then `collect_seconds` is set.
    pub has_exporter_info: u32,
    /// `loki_scrape_duration_seconds`: how long the collection took.
    pub collect_seconds: f64,
    /// How many warnings `warnings` holds (read them with `loki_snapshot_warning`).
    pub warning_count: usize,
    /// Owned by the snapshot; NULL when there are no warnings.
    pub warnings: *mut loki_warnings,
}

/// One warning of a snapshot, borrowed from it (valid until `loki_snapshot_free`).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct loki_warning {
    /// Which source it concerns: one `loki_source` bit.
    pub source: u32,
    /// That source's path relative to the `.loki` directory (`.` for the
    /// directory itself); NUL-terminated.
    pub path: loki_str,
    /// What was wrong and what was used instead; NUL-terminated.
    pub message: loki_str,
}

impl loki_snapshot {
    pub(crate) const EMPTY: loki_snapshot = loki_snapshot {
        session_status: 0,
        iteration_current: 0,
        iteration_max: 0,
        tasks_pending: 0,
        tasks_in_progress: 0,
        tasks_completed: 0,
        tasks_failed: 0,
        agents_active: 0,
        agents_total: 0,
        cost_usd: 0.0,
        events_total: 0,
        uptime_seconds: 0.0,
        failed_sources: 0,
        has_exporter_info: 0,
        collect_seconds: 0.0,
        warning_count: 0,
        warnings: std::ptr::null_mut(),
    };

    /// The C form of `snapshot`; its warnings are copied into a new handle.
    pub(crate) fn from_core(snapshot: &Snapshot) -> Self {
        let warnings = if snapshot.warnings.is_empty() {
            std::ptr::null_mut()
        } else {
            let messages = snapshot.warnings.iter().map(|w| format!("{}\0", w.message).into_boxed_str()).collect();
            Box::into_raw(Box::new(loki_warnings { warnings: snapshot.warnings.clone(), messages }))
        };
        let (tasks, exporter) = (snapshot.tasks(), snapshot.exporter());
        loki_snapshot {
            session_status: snapshot.session_status().code().into(),
            iteration_current: snapshot.iteration_current(),
            iteration_max: snapshot.iteration_max(),
            tasks_pending: tasks.pending,
            tasks_in_progress: tasks.in_progress,
            tasks_completed: tasks.completed,
            tasks_failed: tasks.failed,
            agents_active: snapshot.agents_active(),
            agents_total: snapshot.agents_total(),
            cost_usd: snapshot.cost_usd(),
            events_total: snapshot.events_total(),
            uptime_seconds: snapshot.uptime_seconds(),
            failed_sources: snapshot.failed_sources().iter().fold(0, |bits, &s| bits | source_bit(s)),
            has_exporter_info: exporter.is_some().into(),
            collect_seconds: exporter.as_ref().map_or(0.0, |e| e.collect_seconds),
            warning_count: snapshot.warnings.len(),
            warnings,
        }
    }

    /// The core snapshot this struct describes (for rendering it).
    pub(crate) fn to_core(&self) -> Result<Snapshot, Failure> {
        let session_status = match self.session_status {
            0 => SessionStatus::Stopped,
            1 => SessionStatus::Running,
            2 => SessionStatus::Paused,
            other => return Err(invalid_field(format!("session_status {other} is not a loki_session_status"))),
        };
        let all_bits = Source::ALL.iter().fold(0, |bits, &s| bits | source_bit(s));
        if self.failed_sources & !all_bits != 0 {
            return Err(invalid_field(format!("failed_sources {:#x} has undefined bits", self.failed_sources)));
        }
        // SAFETY: `warnings` is NULL or the handle `loki_collect` stored (the
        // caller's contract for passing this snapshot).
        let warnings = match unsafe { self.warnings.as_ref() } {
            Some(handle) => handle.warnings.clone(),
            None => Vec::new(),
        };
        if warnings.len() != self.warning_count {
            return Err(invalid_field(format!(
                "warning_count {} does not match the {} warnings it holds",
                self.warning_count,
                warnings.len()
            )));
        }
        let mut snapshot = Snapshot::empty(self.iteration_max);
        snapshot.set_session_status(session_status);
        snapshot.set_iteration_current(self.iteration_current);
        snapshot.set_tasks(TaskCounts {
            pending: self.tasks_pending,
            in_progress: self.tasks_in_progress,
            completed: self.tasks_completed,
            failed: self.tasks_failed,
        });
        snapshot.set_agents_active(self.agents_active);
        snapshot.set_agents_total(self.agents_total);
        snapshot.set_cost_usd(self.cost_usd);
        snapshot.set_events_total(self.events_total);
        snapshot.set_uptime_seconds(self.uptime_seconds);
        snapshot.set_failed_sources(
            Source::ALL.into_iter().filter(|&s| self.failed_sources & source_bit(s) != 0).collect(),
        );
        snapshot.warnings = warnings;
        if self.has_exporter_info != 0 {
            snapshot.set_exporter(Some(ExporterInfo {
                collect_seconds: self.collect_seconds,
                version: loki_metrics::VERSION.to_owned(),
            }));
        }
        Ok(snapshot)
    }
}

fn invalid_field(message: String) -> Failure {
    Failure::new(loki_status::InvalidArgument, format!("loki_snapshot.{message}"))
}

/// The `.loki` directory argument: `(NULL, 0)` means `Options::from_env`
/// (`LOKI_DIR`, else `./.loki`).
///
/// # Safety
/// As `bytes_arg`.
pub(crate) unsafe fn dir_arg<'a>(dir: *const c_char, dir_len: usize) -> Result<Option<&'a str>, Failure> {
    if dir.is_null() && dir_len == 0 {
        return Ok(None);
    }
    // SAFETY: forwarded from the caller.
    unsafe { str_arg(dir, dir_len, "dir") }.map(Some)
}

/// The core options for a C `(dir, dir_len, options)` triple.
///
/// # Safety
/// As `bytes_arg` for `dir`; `options` NULL or valid.
pub(crate) unsafe fn options_args(
    dir: *const c_char,
    dir_len: usize,
    options: *const loki_options,
) -> Result<loki_metrics::Options, Failure> {
    // SAFETY: forwarded from the caller.
    let dir = unsafe { dir_arg(dir, dir_len) }?;
    // SAFETY: the caller guarantees a non-NULL `options` is valid.
    let c_options = unsafe { options.as_ref() };
    let core = core_options(dir, c_options)?;
    require_directory(c_options, &core)?;
    Ok(core)
}

/// Reads the `.loki` directory `dir` once and fills `*out`.
///
/// `dir` is `dir_len` bytes of UTF-8 (no NUL needed); `(NULL, 0)` reads
/// `LOKI_DIR`, else `./.loki`. `options` may be NULL for every default.
/// Problems in the directory (a missing directory included, unless
/// `LOKI_OPTION_REQUIRE_DIRECTORY`) are not errors: they are warnings in the
/// snapshot, with the specification's fallback values.
///
/// On success `*out` owns its warnings: call `loki_snapshot_free(out)` once.
/// On failure `*out` is zeroed (freeing it is harmless).
///
/// # Safety
/// `dir` must point to `dir_len` readable bytes or be NULL; `options` must be
/// NULL or point to a valid `loki_options`; `out` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn loki_collect(
    dir: *const c_char,
    dir_len: usize,
    options: *const loki_options,
    out: *mut loki_snapshot,
) -> loki_status {
    guard(|| {
        // SAFETY: the caller guarantees `out` is NULL or writable.
        unsafe { write_out(out, loki_snapshot::EMPTY, "out") }?;
        // SAFETY: forwarded from the caller.
        let options = unsafe { options_args(dir, dir_len, options) }?;
        let snapshot = loki_metrics::collect(&options);
        // SAFETY: checked non-NULL by the first write.
        unsafe { out.write(loki_snapshot::from_core(&snapshot)) };
        Ok(())
    })
}

/// The metric families of `snapshot`, in output order, in a new handle
/// stored in `*out`: the same families `loki_parse` reads from the
/// snapshot's OpenMetrics rendering, read with `loki_families_family`,
/// `loki_families_sample` and `loki_families_label`, released with
/// `loki_families_free`. An invalid snapshot field is
/// `LOKI_STATUS_INVALID_ARGUMENT`, as for `loki_render_snapshot`; on failure
/// `*out` is set to NULL.
///
/// # Safety
/// `snapshot` must point to a valid snapshot (as for `loki_render_snapshot`);
/// `out` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn loki_snapshot_families(
    snapshot: *const loki_snapshot,
    out: *mut *mut crate::parse::loki_families,
) -> loki_status {
    guard(|| {
        // SAFETY: the caller guarantees `out` is NULL or writable.
        unsafe { write_out(out, std::ptr::null_mut(), "out") }?;
        // SAFETY: the caller guarantees NULL or a valid snapshot.
        let snapshot = unsafe { ref_arg(snapshot, "snapshot") }?.to_core()?;
        let families = snapshot.families().iter().map(|f| f.to_f64()).collect();
        // SAFETY: checked non-NULL by the first write.
        unsafe { out.write(Box::into_raw(crate::parse::loki_families::owned(families))) };
        Ok(())
    })
}

/// Releases what `snapshot` owns (its warnings) and zeroes it. NULL, a zeroed
/// snapshot and an already freed one are no-ops.
///
/// # Safety
/// `snapshot` must be NULL or point to a snapshot filled by `loki_collect` /
/// `loki_collector_collect` (or zero-initialised), not freed through a copy.
/// Not concurrently with other calls on the same snapshot.
#[no_mangle]
pub unsafe extern "C" fn loki_snapshot_free(snapshot: *mut loki_snapshot) {
    guard_value((), || {
        // SAFETY: the caller guarantees NULL or a valid, exclusive snapshot.
        let Some(snapshot) = (unsafe { snapshot.as_mut() }) else { return };
        let warnings = std::mem::replace(&mut snapshot.warnings, std::ptr::null_mut());
        if !warnings.is_null() {
            // SAFETY: a non-NULL `warnings` came from `Box::into_raw` in
            // `from_core` and is released only here, once (it is nulled above).
            drop(unsafe { Box::from_raw(warnings) });
        }
        *snapshot = loki_snapshot::EMPTY;
    })
}

/// Warning number `index` (from 0) of `snapshot`, borrowed from it.
///
/// Returns `LOKI_STATUS_OUT_OF_RANGE` when `index >= warning_count`.
///
/// # Safety
/// `snapshot` must point to a valid snapshot; `out` must be valid for writes.
/// The strings written to `*out` are valid until `loki_snapshot_free(snapshot)`.
#[no_mangle]
pub unsafe extern "C" fn loki_snapshot_warning(
    snapshot: *const loki_snapshot,
    index: usize,
    out: *mut loki_warning,
) -> loki_status {
    guard(|| {
        // SAFETY: the caller guarantees validity.
        let snapshot = unsafe { ref_arg(snapshot, "snapshot") }?;
        // SAFETY: `warnings` is NULL or the handle this snapshot owns.
        let handle = unsafe { snapshot.warnings.as_ref() };
        let count = handle.map_or(0, |h| h.warnings.len());
        let Some(handle) = handle.filter(|_| index < count) else {
            return Err(Failure::new(
                loki_status::OutOfRange,
                format!("warning index {index} is out of range (the snapshot has {count})"),
            ));
        };
        let warning = &handle.warnings[index];
        let message = &handle.messages[index];
        let path = source_path(warning.source);
        let value = loki_warning {
            source: source_bit(warning.source),
            path: loki_str { data: path.as_ptr(), len: path.to_bytes().len() },
            message: loki_str { data: message.as_ptr().cast(), len: message.len() - 1 },
        };
        // SAFETY: the caller guarantees `out` is NULL or writable.
        unsafe { write_out(out, value, "out") }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_paths_match_the_core() {
        for source in Source::ALL {
            assert_eq!(source_path(source).to_str().expect("ascii"), source.path());
        }
    }

    #[test]
    fn snapshot_round_trips_through_the_c_struct() {
        let options = loki_metrics::Options::new("/nonexistent/loki-metrics-c-test");
        let snapshot = loki_metrics::collect(&options);
        assert!(!snapshot.warnings.is_empty());
        let mut c = loki_snapshot::from_core(&snapshot);
        assert_eq!(c.to_core().expect("valid"), snapshot);
        // SAFETY: a snapshot made by `from_core`.
        unsafe { loki_snapshot_free(&mut c) };
        assert!(c.warnings.is_null());
    }
}
