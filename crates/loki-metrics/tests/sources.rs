//! The reading rules of SPEC §3, one behaviour per test, on temporary `.loki` trees.

use std::fs;
use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use loki_metrics::{Options, SessionStatus, Snapshot, Source, SourceState};

struct Loki {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Loki {
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join(".loki");
        fs::create_dir_all(dir.join("state")).expect("mkdir");
        fs::create_dir_all(dir.join("metrics/efficiency")).expect("mkdir");
        Loki { _tmp: tmp, dir }
    }

    fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.join(rel);
        fs::write(&path, content).expect("write");
        path
    }

    fn options(&self) -> Options {
        let mut o = Options::new(&self.dir);
        o.max_iterations = Some(1000);
        o.now = Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_614_400)); // 2026-01-05T12:00:00Z
        o
    }

    fn collect(&self) -> Snapshot {
        loki_metrics::collect(&self.options())
    }
}

fn warned(s: &Snapshot, source: Source, needle: &str) -> bool {
    s.warnings.iter().any(|w| w.source == source && w.message.contains(needle))
}

/// Collects in a thread and fails the test if it takes longer than `limit` (a hang).
fn collect_within(loki: &Loki, limit: Duration) -> Snapshot {
    let options = loki.options();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(loki_metrics::collect(&options));
    });
    rx.recv_timeout(limit).expect("collection hung")
}

#[test]
fn running_mode_reports_status_1_without_a_pid_while_the_state_is_fresh() {
    let l = Loki::new();
    l.write("dashboard-state.json", r#"{"mode":"autonomous","timestamp":"2026-01-05T11:59:30Z"}"#);
    assert_eq!(l.collect().session_status(), SessionStatus::Running);
}

#[test]
fn paused_mode_reports_status_2_even_with_a_live_pid() {
    let l = Loki::new();
    l.write("dashboard-state.json", r#"{"mode":"paused"}"#);
    l.write("loki.pid", format!("{}\n", std::process::id()));
    assert_eq!(l.collect().session_status(), SessionStatus::Paused);
}

#[test]
fn running_mode_in_a_stale_state_without_a_pid_is_stopped() {
    let l = Loki::new();
    l.write("dashboard-state.json", r#"{"mode":"autonomous","timestamp":"2026-01-05T11:58:59Z"}"#);
    assert_eq!(l.collect().session_status(), SessionStatus::Stopped);
}

#[test]
fn stopped_mode_next_to_a_live_pid_is_stopped() {
    let l = Loki::new();
    l.write("dashboard-state.json", r#"{"mode":"stopped"}"#);
    l.write("loki.pid", format!(" {}\n", std::process::id()));
    assert_eq!(l.collect().session_status(), SessionStatus::Stopped);
}

#[test]
fn a_pid_of_minus_one_or_zero_is_invalid_not_running() {
    for pid in ["-1", "0", "-0", "+0"] {
        let l = Loki::new();
        l.write("loki.pid", pid);
        let s = l.collect();
        assert_eq!(s.session_status(), SessionStatus::Stopped, "pid {pid}");
        assert!(
            warned(&s, Source::Pid, "not a valid PID") || warned(&s, Source::Pid, "not a PID"),
            "pid {pid}: {:?}",
            s.warnings
        );
    }
}

#[test]
fn a_pid_larger_than_pid_t_is_invalid() {
    let l = Loki::new();
    l.write("loki.pid", "99999999999999999999999");
    let s = l.collect();
    assert_eq!(s.session_status(), SessionStatus::Stopped);
    assert!(s.failed_sources().contains(&Source::Pid));
}

#[test]
fn pid_1_is_alive_whether_the_probe_succeeds_or_gets_eperm() {
    // As root kill(1, 0) succeeds; as another user it fails with EPERM, which also means alive.
    let l = Loki::new();
    l.write("loki.pid", "1\n");
    assert_eq!(l.collect().session_status(), SessionStatus::Running);
}

#[test]
fn uptime_falls_back_to_the_pid_files_mtime_when_alive() {
    let l = Loki::new();
    let pid = l.write("loki.pid", std::process::id().to_string());
    let mtime = fs::metadata(&pid).expect("stat").modified().expect("mtime");
    let mut o = l.options();
    o.now = Some(mtime + Duration::from_millis(12_340));
    let s = loki_metrics::collect(&o);
    assert_eq!(s.uptime_seconds(), 12.3);
}

#[test]
fn uptime_is_zero_without_start_or_live_pid() {
    let l = Loki::new();
    l.write("loki.pid", "2147483647");
    assert_eq!(l.collect().uptime_seconds(), 0.0);
}

#[test]
fn uptime_is_rounded_to_a_tenth() {
    let l = Loki::new();
    l.write(
        "dashboard-state.json",
        r#"{"mode":"running","timestamp":"2026-01-05T12:00:00Z","startedAt":"2026-01-05T11:59:58.26Z"}"#,
    );
    assert_eq!(l.collect().uptime_seconds(), 1.7);
}

#[test]
fn iteration_float_is_truncated_and_huge_values_fall_back() {
    let cases = [
        ("3.7", 3, false),
        ("12", 12, false),
        ("1e400", 0, true),
        ("-5", 0, true),
        ("\"7\"", 0, true),
        ("18446744073709551616", 0, true),
        ("18446744073709551615", u64::MAX, false),
    ];
    for (raw, expected, warns) in cases {
        let l = Loki::new();
        l.write("dashboard-state.json", format!(r#"{{"iteration": {raw}}}"#));
        let s = l.collect();
        assert_eq!(s.iteration_current(), expected, "iteration {raw}");
        assert_eq!(warned(&s, Source::DashboardState, "iteration"), warns, "iteration {raw}: {:?}", s.warnings);
    }
}

#[test]
fn review_tasks_are_not_counted() {
    let l = Loki::new();
    l.write(
        "dashboard-state.json",
        r#"{"tasks":{"pending":[1],"inProgress":[1,2],"review":[1,2,3],"completed":4,"failed":[]}}"#,
    );
    let t = l.collect().tasks();
    assert_eq!((t.pending, t.in_progress, t.completed, t.failed), (1, 2, 4, 0));
}

#[test]
fn agents_file_wins_over_state_agents() {
    let l = Loki::new();
    l.write("dashboard-state.json", r#"{"agents":[{"status":"active"}]}"#);
    l.write("state/agents.json", r#"[{"status":"active"},{"status":"active"},{"status":"idle"}]"#);
    let s = l.collect();
    assert_eq!((s.agents_active(), s.agents_total()), (2, 3));
}

#[test]
fn cost_is_rounded_to_six_decimals() {
    let l = Loki::new();
    l.write("metrics/efficiency/1.json", r#"{"input_tokens": 1, "output_tokens": 1}"#);
    // 1e-6*3 + 1e-6*15 = 0.000018
    assert_eq!(l.collect().cost_usd(), 0.000018);
    l.write("metrics/efficiency/2.json", r#"{"cost_usd": 0.1234564}"#);
    assert_eq!(l.collect().cost_usd(), 0.123474);
}

#[test]
fn model_names_match_case_insensitively() {
    let l = Loki::new();
    l.write("metrics/efficiency/1.json", r#"{"input_tokens": 1000000, "output_tokens": 0, "model": "GEMINI-3-FLASH"}"#);
    let s = l.collect();
    assert_eq!(s.cost_usd(), 0.1);
    assert!(!s.warnings.iter().any(|w| w.source == Source::Efficiency), "{:?}", s.warnings);
}

#[test]
fn overflowing_costs_add_nothing_and_warn() {
    let l = Loki::new();
    l.write("metrics/efficiency/1.json", r#"{"cost_usd": 1.5e308}"#);
    l.write("metrics/efficiency/2.json", r#"{"cost_usd": 1.5e308}"#);
    let s = l.collect();
    assert!(s.cost_usd().is_finite());
    assert!(warned(&s, Source::Efficiency, "overflow"), "{:?}", s.warnings);
}

#[test]
fn invalid_max_iterations_env_falls_back_to_1000_with_a_warning() {
    // Only this test sets the variable; the others pass max_iterations explicitly.
    let l = Loki::new();
    let mut o = l.options();
    o.max_iterations = None;
    std::env::set_var("LOKI_MAX_ITERATIONS", "lots");
    let s = loki_metrics::collect(&o);
    std::env::set_var("LOKI_MAX_ITERATIONS", "250");
    let s2 = loki_metrics::collect(&o);
    std::env::remove_var("LOKI_MAX_ITERATIONS");
    assert_eq!(s.iteration_max(), 1000);
    assert!(warned(&s, Source::Options, "LOKI_MAX_ITERATIONS"));
    assert_eq!(s2.iteration_max(), 250);
}

#[test]
fn a_fifo_in_place_of_any_source_is_a_warning_not_a_hang() {
    for rel in [
        "dashboard-state.json",
        "loki.pid",
        "state/agents.json",
        "pricing.json",
        "events.jsonl",
        "metrics/efficiency/1.json",
    ] {
        let l = Loki::new();
        let path = l.dir.join(rel);
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("no NUL");
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo {rel}");
        let s = collect_within(&l, Duration::from_secs(5));
        assert!(s.warnings.iter().any(|w| w.message.contains("FIFO")), "{rel}: {:?}", s.warnings);
    }
}

#[test]
fn a_socket_in_place_of_a_source_is_a_warning() {
    let l = Loki::new();
    let _listener = std::os::unix::net::UnixListener::bind(l.dir.join("events.jsonl")).expect("bind");
    let s = collect_within(&l, Duration::from_secs(5));
    assert!(warned(&s, Source::Events, "socket"), "{:?}", s.warnings);
}

#[test]
fn a_symlink_to_dev_zero_or_urandom_is_a_warning_not_an_endless_read() {
    for target in ["/dev/zero", "/dev/urandom"] {
        for rel in ["dashboard-state.json", "events.jsonl", "loki.pid", "metrics/efficiency/1.json"] {
            let l = Loki::new();
            symlink(target, l.dir.join(rel)).expect("symlink");
            let s = collect_within(&l, Duration::from_secs(5));
            assert!(
                s.warnings.iter().any(|w| w.message.contains("character device")),
                "{target} as {rel}: {:?}",
                s.warnings
            );
        }
    }
}

#[test]
fn a_symlink_loop_is_a_warning() {
    let l = Loki::new();
    symlink(l.dir.join("b"), l.dir.join("dashboard-state.json")).expect("symlink");
    symlink(l.dir.join("dashboard-state.json"), l.dir.join("b")).expect("symlink");
    let s = l.collect();
    assert!(warned(&s, Source::DashboardState, "symbolic links"), "{:?}", s.warnings);
}

#[test]
fn a_sparse_10_gb_state_file_is_skipped_by_the_size_cap_quickly() {
    let l = Loki::new();
    let f = fs::File::create(l.dir.join("dashboard-state.json")).expect("create");
    f.set_len(10 * 1024 * 1024 * 1024).expect("sparse file");
    let started = Instant::now();
    let s = collect_within(&l, Duration::from_secs(10));
    assert!(warned(&s, Source::DashboardState, "limit"), "{:?}", s.warnings);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn the_json_size_cap_is_configurable() {
    let l = Loki::new();
    l.write("dashboard-state.json", r#"{"mode":"running","iteration":3}"#);
    let mut o = l.options();
    o.json_size_cap = 10;
    let s = loki_metrics::collect(&o);
    assert_eq!(s.iteration_current(), 0);
    assert!(warned(&s, Source::DashboardState, "10-byte limit"), "{:?}", s.warnings);
}

#[test]
fn json_nested_100000_deep_is_a_warning_where_used_and_skipped_where_not() {
    let nest = |n: usize| "[".repeat(n) + &"]".repeat(n);
    let l = Loki::new();
    // A deep value in a field the metrics ignore is skipped (iteratively), the rest is read.
    l.write("dashboard-state.json", format!(r#"{{"x": {}, "mode": "running", "iteration": 4}}"#, nest(100_000)));
    // Deep documents where an object is expected are warnings.
    l.write("state/agents.json", format!("[{}]", nest(100_000)));
    l.write("metrics/efficiency/1.json", nest(100_000));
    l.write("pricing.json", nest(100_000));
    let s = collect_within(&l, Duration::from_secs(10));
    assert_eq!((s.session_status(), s.iteration_current()), (SessionStatus::Running, 4));
    for source in [Source::Agents, Source::Efficiency, Source::Pricing] {
        assert!(s.failed_sources().contains(&source), "{source:?}: {:?}", s.warnings);
    }
    // The same depth as the whole state document.
    l.write("dashboard-state.json", nest(100_000));
    let s = collect_within(&l, Duration::from_secs(10));
    assert!(warned(&s, Source::DashboardState, "not a JSON object"), "{:?}", s.warnings);
}

#[test]
fn an_unreadable_directory_or_file_type_change_recovers_once_sane() {
    let l = Loki::new();
    fs::create_dir(l.dir.join("dashboard-state.json")).expect("mkdir");
    let mut state = SourceState::default();
    let s = state.collect(&l.options());
    assert!(warned(&s, Source::DashboardState, "directory"));
    fs::remove_dir(l.dir.join("dashboard-state.json")).expect("rmdir");
    l.write("dashboard-state.json", r#"{"mode":"autonomous","iteration":9,"timestamp":"2026-01-05T12:00:00Z"}"#);
    let s = state.collect(&l.options());
    assert_eq!((s.session_status(), s.iteration_current()), (SessionStatus::Running, 9));
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn the_directory_removed_and_recreated_is_read_afresh() {
    let l = Loki::new();
    l.write("events.jsonl", "{}\n{}\n{}\n");
    let mut state = SourceState::default();
    assert_eq!(state.collect(&l.options()).events_total(), 3);
    fs::remove_dir_all(&l.dir).expect("rm -r");
    let s = state.collect(&l.options());
    assert_eq!(s.events_total(), 0);
    assert!(warned(&s, Source::Directory, "does not exist"));
    fs::create_dir_all(&l.dir).expect("mkdir");
    l.write("events.jsonl", "{}\n");
    assert_eq!(state.collect(&l.options()).events_total(), 1);
}

#[test]
fn a_file_in_place_of_the_directory_is_a_warning() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join(".loki");
    fs::write(&path, "not a dir").expect("write");
    let s = loki_metrics::collect(&Options::new(&path));
    assert!(s.failed_sources().contains(&Source::Directory));
    assert!(warned(&s, Source::Directory, "the directory is a regular file;"));
}

#[test]
fn a_directory_warning_located_names_the_directory_as_given_and_its_message_stays_path_free() {
    let path = Path::new("./typo/.loki");
    let s = loki_metrics::collect(&Options::new(path));
    let warning = s.warnings.iter().find(|w| w.source == Source::Directory).expect("a directory warning");
    assert_eq!(warning.message, "the directory does not exist; all values are fallbacks");
    assert_eq!(warning.to_string(), ".: the directory does not exist; all values are fallbacks");
    assert_eq!(warning.located(path), "./typo/.loki: the directory does not exist; all values are fallbacks");
    assert_eq!(warning.path_in(path).as_deref(), Some(path));
}

#[test]
fn a_file_warning_located_keeps_its_relative_source_and_path_in_joins_it() {
    let l = Loki::new();
    l.write("dashboard-state.json", "{");
    let s = l.collect();
    let warning = s.warnings.iter().find(|w| w.source == Source::DashboardState).expect("a state warning");
    assert_eq!(warning.located(&l.dir), warning.to_string());
    assert_eq!(warning.path_in(&l.dir), Some(l.dir.join("dashboard-state.json")));
}

#[test]
fn a_file_in_place_of_the_efficiency_folder_is_named_as_one() {
    let l = Loki::new();
    fs::remove_dir(l.dir.join("metrics/efficiency")).expect("rmdir");
    l.write("metrics/efficiency", "{}");
    assert!(warned(&l.collect(), Source::Efficiency, "is a regular file, not a directory; cost 0"));
}

fn append(path: &Path, bytes: &[u8]) {
    fs::OpenOptions::new().append(true).open(path).expect("open").write_all(bytes).expect("append");
}

#[test]
fn events_are_counted_incrementally_and_exactly_across_partial_lines() {
    let l = Loki::new();
    let events = l.write("events.jsonl", "{\"a\":1}\n  \n{\"b\"");
    let mut state = SourceState::default();
    let o = l.options();
    assert_eq!(state.collect(&o).events_total(), 2, "partial final line counts");
    append(&events, b":2}\n");
    assert_eq!(state.collect(&o).events_total(), 2, "completing it does not count it twice");
    append(&events, b"   ");
    assert_eq!(state.collect(&o).events_total(), 2, "a whitespace tail is blank");
    append(&events, b"{\"c\":3}\r\n\n");
    assert_eq!(state.collect(&o).events_total(), 3);
    assert_eq!(loki_metrics::collect(&o).events_total(), 3, "a cold count agrees");
}

#[test]
fn a_truncated_events_file_is_recounted() {
    let l = Loki::new();
    let events = l.write("events.jsonl", "{}\n{}\n{}\n{}\n");
    let mut state = SourceState::default();
    let o = l.options();
    assert_eq!(state.collect(&o).events_total(), 4);
    fs::OpenOptions::new().write(true).open(&events).expect("open").set_len(3).expect("truncate");
    assert_eq!(state.collect(&o).events_total(), 1);
}

#[test]
fn a_replaced_events_file_is_recounted() {
    let l = Loki::new();
    l.write("events.jsonl", "{}\n{}\n");
    let mut state = SourceState::default();
    let o = l.options();
    assert_eq!(state.collect(&o).events_total(), 2);
    let tmp = l.write("events.tmp", "{}\n{}\n{}\n{}\n{}\n");
    fs::rename(tmp, l.dir.join("events.jsonl")).expect("rename");
    assert_eq!(state.collect(&o).events_total(), 5);
}

#[test]
fn a_deleted_events_file_counts_zero_then_recovers() {
    let l = Loki::new();
    let events = l.write("events.jsonl", "{}\n{}\n");
    let mut state = SourceState::default();
    let o = l.options();
    assert_eq!(state.collect(&o).events_total(), 2);
    fs::remove_file(&events).expect("rm");
    assert_eq!(state.collect(&o).events_total(), 0);
    l.write("events.jsonl", "{}\n");
    assert_eq!(state.collect(&o).events_total(), 1);
}

#[test]
fn efficiency_records_are_reread_only_when_changed_and_removed_ones_drop_out() {
    let l = Loki::new();
    l.write("metrics/efficiency/1.json", r#"{"cost_usd": 1}"#);
    l.write("metrics/efficiency/2.json", r#"{"cost_usd": 2}"#);
    let mut state = SourceState::default();
    let o = l.options();
    assert_eq!(state.collect(&o).cost_usd(), 3.0);
    l.write("metrics/efficiency/2.json", r#"{"cost_usd": 20}"#);
    assert_eq!(state.collect(&o).cost_usd(), 21.0);
    fs::remove_file(l.dir.join("metrics/efficiency/1.json")).expect("rm");
    assert_eq!(state.collect(&o).cost_usd(), 20.0);
}

#[test]
fn a_state_file_replaced_atomically_is_picked_up() {
    let l = Loki::new();
    l.write("dashboard-state.json", r#"{"iteration": 1}"#);
    let mut state = SourceState::default();
    let o = l.options();
    assert_eq!(state.collect(&o).iteration_current(), 1);
    let tmp = l.write(".dashboard-state.tmp", r#"{"iteration": 2}"#);
    fs::rename(tmp, l.dir.join("dashboard-state.json")).expect("rename");
    assert_eq!(state.collect(&o).iteration_current(), 2);
}

#[test]
fn many_efficiency_problems_are_summarised_not_listed_one_by_one() {
    let l = Loki::new();
    for i in 0..50 {
        l.write(&format!("metrics/efficiency/{i:03}.json"), "nope");
    }
    let s = l.collect();
    let n = s.warnings.iter().filter(|w| w.source == Source::Efficiency).count();
    assert_eq!(n, 21, "20 listed and one summary: {:?}", s.warnings);
    assert!(warned(&s, Source::Efficiency, "30 more"));
}

#[test]
fn a_record_filled_in_after_it_was_created_is_picked_up_without_a_folder_change() {
    let l = Loki::new();
    let record = l.write("metrics/efficiency/1.json", "");
    let mut state = SourceState::default();
    let o = l.options();
    let s = state.collect(&o);
    assert_eq!(s.cost_usd(), 0.0);
    assert!(s.failed_sources().contains(&Source::Efficiency));
    // Written in place: the folder's entries (and mtime) do not change.
    fs::write(&record, r#"{"cost_usd": 2.5}"#).expect("write in place");
    let s = state.collect(&o);
    assert_eq!(s.cost_usd(), 2.5);
    assert!(!s.failed_sources().contains(&Source::Efficiency), "{:?}", s.warnings);
}

#[test]
fn a_new_record_in_an_unchanged_looking_folder_is_found_by_the_listing() {
    let l = Loki::new();
    let mut state = SourceState::default();
    let o = l.options();
    l.write("metrics/efficiency/1.json", r#"{"cost_usd": 1}"#);
    assert_eq!(state.collect(&o).cost_usd(), 1.0);
    for i in 2..=5 {
        l.write(&format!("metrics/efficiency/{i}.json"), r#"{"cost_usd": 1}"#);
        assert_eq!(state.collect(&o).cost_usd(), f64::from(i));
    }
}

#[test]
fn events_truncated_replaced_or_deleted_during_collections_never_break_the_count() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let l = Loki::new();
    let path = l.dir.join("events.jsonl");
    let tmp = l.dir.join("events.tmp");
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (path, tmp, stop) = (path.clone(), tmp.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut round = 0u32;
            while !stop.load(Ordering::Relaxed) {
                match round % 4 {
                    0 => {
                        let mut f = fs::OpenOptions::new().create(true).append(true).open(&path).expect("open");
                        for _ in 0..50 {
                            f.write_all(b"{\"e\":1}\n").expect("append");
                        }
                    }
                    1 => {
                        let _ = fs::OpenOptions::new().write(true).open(&path).and_then(|f| f.set_len(4));
                    }
                    2 => {
                        fs::write(&tmp, "{}\n".repeat(30)).expect("write tmp");
                        fs::rename(&tmp, &path).expect("rename");
                    }
                    _ => {
                        let _ = fs::remove_file(&path);
                    }
                }
                round += 1;
            }
        })
    };
    let mut state = SourceState::default();
    let o = l.options();
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut collections = 0;
    while Instant::now() < deadline {
        let _ = state.collect(&o);
        collections += 1;
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("writer");
    fs::write(&path, "{}\n{}\n{}\n").expect("final state");
    assert!(collections > 10);
    assert_eq!(state.collect(&o).events_total(), 3, "exact once the file is sane again");
}

#[test]
fn an_events_file_truncated_and_rewritten_in_place_past_the_old_offset_is_recounted() {
    let l = Loki::new();
    let path = l.write("events.jsonl", "{\"a\":1}\n");
    let mut state = SourceState::default();
    let o = l.options();
    assert_eq!(state.collect(&o).events_total(), 1);
    // Same inode, now longer than before, but different bytes before the old offset.
    fs::write(&path, "\n\n\n\n\n\n\n\n\n{\"b\":2}\n").expect("rewrite in place");
    assert_eq!(state.collect(&o).events_total(), 1, "the blank lines do not count and nothing is double counted");
    fs::write(&path, "{\"c\":1}\n{\"c\":2}\n{\"c\":3}\n").expect("rewrite in place");
    assert_eq!(state.collect(&o).events_total(), 3);
}

/// A fresh `dashboard-state.json` with `mode: autonomous` (the fresh-state rule).
const FRESH_RUNNING_STATE: &str = r#"{"mode":"autonomous","timestamp":"2026-01-05T11:59:59Z"}"#;

#[test]
fn an_unusable_session_json_is_a_liveness_file_that_says_no() {
    let l = Loki::new();
    l.write("dashboard-state.json", FRESH_RUNNING_STATE);
    assert_eq!(l.collect().session_status(), SessionStatus::Running);
    l.write("session.json", "{\"status\": \"running\", ");
    let s = l.collect();
    assert_eq!(s.session_status(), SessionStatus::Stopped);
    assert!(s.failed_sources().contains(&Source::Session), "{:?}", s.warnings);
}

#[test]
fn a_wrapper_record_without_a_pid_is_a_liveness_file_and_a_broken_record_is_not() {
    let l = Loki::new();
    l.write("dashboard-state.json", FRESH_RUNNING_STATE);
    fs::create_dir_all(l.dir.join("pids")).expect("mkdir");
    l.write("pids/broken.json", "{\"kind\": \"wrapper\", ");
    let s = l.collect();
    assert_eq!(s.session_status(), SessionStatus::Running, "a broken record's kind is unknown");
    assert!(s.failed_sources().contains(&Source::PidRegistry), "{:?}", s.warnings);
    l.write("pids/wrapper.json", r#"{"kind": "wrapper", "label": "loki-wrapper"}"#);
    let s = l.collect();
    assert_eq!(s.session_status(), SessionStatus::Stopped, "a wrapper record that names no live PID");
    assert!(warned(&s, Source::PidRegistry, "wrapper.json: has no pid"), "{:?}", s.warnings);
}

#[test]
fn a_model_named_other_joins_the_other_bucket_past_32_models() {
    let l = Loki::new();
    for n in 0..33 {
        l.write(&format!("metrics/efficiency/{n}.json"), format!(r#"{{"model":"m{n:02}","cost_usd":{}}}"#, 1 + n));
    }
    l.write("metrics/efficiency/x.json", r#"{"model":"Other","cost_usd":100}"#);
    let s = l.collect();
    let models: Vec<String> = s
        .families()
        .iter()
        .find(|f| f.name == "loki_model_cost_usd")
        .expect("family")
        .samples
        .iter()
        .map(|x| x.label("model").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(models.len(), 33, "{models:?}");
    assert_eq!(models.iter().filter(|m| *m == "other").count(), 1, "{models:?}");
    assert_eq!(
        s.value("loki_model_cost_usd", &[("model", "other")]).map(loki_metrics::SampleValue::to_f64),
        Some(101.0)
    );
}
